/** Shared types for the sample-data generator. */

export const CATEGORY_IDS = [
  'podcasts',
  'video',
  'music',
  'visual_art',
  'fiction',
  'games',
  'education',
  'cooking',
  'fitness',
  'tabletop_rpg',
  'crafts',
  'open_source',
  'comics',
  'photography',
  'science',
  'history',
] as const;

export type CategoryId = (typeof CATEGORY_IDS)[number];

export const NON_ENGLISH_LANGUAGES = ['es', 'fr', 'de', 'pt', 'it', 'ja'] as const;
export type ForeignLanguage = (typeof NON_ENGLISH_LANGUAGES)[number];
export type LanguageCode = 'en' | ForeignLanguage;

/** Categories where adult (18+) creators plausibly exist on a membership platform. */
export const NSFW_CATEGORIES: readonly CategoryId[] = [
  'visual_art',
  'fiction',
  'comics',
  'photography',
  'podcasts',
];

/** One line of sample-creators.jsonl (field order is the serialization order). */
export interface CreatorRecord {
  id: string;
  name: string;
  about: string;
  tags: string[];
  category: CategoryId;
  language: LanguageCode;
  is_nsfw: boolean;
}

/** One line of sample-fans.jsonl. */
export interface FanRecord {
  fan_id: string;
  interest_text: string;
  expected_categories: CategoryId[];
  language: LanguageCode;
  follows: string[];
}

/** A focused niche inside a category; drives the most specific vocabulary. */
export interface Subtopic {
  /** Noun phrase, e.g. "sourdough baking". */
  label: string;
  /** Concrete nouns / phrases for this niche (at least 4). */
  terms: string[];
  /** Lowercase tags for this niche. */
  tags: string[];
}

/** English vocabulary for one category. */
export interface CategorySpec {
  id: CategoryId;
  /** What a person creator is: "home cook", "recipe developer". */
  roles: string[];
  /** What a brand/project creator is: "recipe channel", "food blog". */
  outlets: string[];
  /** What gets published: "step-by-step recipe videos". */
  formats: string[];
  /** Who it is for: "busy parents", "beginner bakers". */
  audiences: string[];
  /** What members get: "printable recipe cards". */
  perks: string[];
  /** At least 8 niches. */
  subtopics: Subtopic[];
  /** Words for brand names: "Dumpling", "Skillet". */
  nameWords: string[];
  /** Generic lowercase tags for the category. */
  baseTags: string[];
  /** Mature (18+) variant lines for NSFW-eligible categories. */
  nsfw?: { lines: string[]; tags: string[]; subtopics: string[] };
  /** Fan-side phrasing: things a fan wants ("easy weeknight dinners"). */
  fanInterests: string[];
  /** Fan-side phrasing: kinds of creators a fan looks for ("a home baker"). */
  fanSeekers: string[];
}

/** Localized vocabulary for one category in one language. */
export interface ForeignCategoryVocab {
  roles: string[];
  formats: string[];
  topics: string[];
  tags: string[];
  /** Fan phrases in this language. */
  fan: string[];
}

/** Localized templates and vocabulary for one language. */
export interface ForeignLanguageSpec {
  code: ForeignLanguage;
  /** Sentence templates; slots: {name} {role} {format} {topic} {topic2}. openers[1] is for brands only. */
  openers: string[];
  details: string[];
  closers: string[];
  /** Mature-content disclaimer sentence. */
  nsfwLine: string;
  nsfwTag: string;
  /** Fan templates; slot {fan}. */
  fanTemplates: string[];
  categories: Record<CategoryId, ForeignCategoryVocab>;
}
