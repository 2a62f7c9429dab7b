/** Fan generator: natural-language interest queries plus follows of matching creators. */
import { relatedCategories } from './about-text';
import { categorySpec } from './categories';
import type { CreatorIndex } from './creators';
import { LANGUAGE_SPECS } from './i18n';
import { Deck, Rng, deriveSeed } from '../common/prng';
import { fill, withArticle } from './templates';
import {
  CATEGORY_IDS,
  NON_ENGLISH_LANGUAGES,
  type CategoryId,
  type FanRecord,
  type ForeignLanguage,
  type LanguageCode,
} from './types';

/** Single-category fan templates. {x}: a fan interest; {seeker}: "a podcast host"; {kw}: a niche; {kwList}: niche keywords. */
const SINGLE_TEMPLATES = [
  'looking for {x}',
  'anything about {x}',
  "I'm really into {x}",
  'any recommendations for {x}?',
  '{x}',
  'I want to get into {x}',
  "I'd love to support {seeker} who focuses on {kw}",
  'recommend me {seeker}, I like {kw}',
  'who makes good stuff about {kw}?',
  '{kwList}',
  '{seekerBare} for {kw}',
  'new here - mostly want {x}',
  'something about {kw}, ideally weekly',
  'I keep searching for {x} and finding nothing good',
  'fan of {kw}, want to find {seeker} to support',
];

/** Two-category fan templates. */
const DOUBLE_TEMPLATES = [
  '{x} and also {y}',
  "I'm into {x}, plus {y}",
  'looking for {x} or maybe {y}',
  'two things: {x} and {y}',
];

/** 23 of 25 fans English (~8% non-English). */
const FAN_LANGUAGE_CARDS: readonly ('en' | 'foreign')[] = [...Array<'en'>(23).fill('en'), 'foreign', 'foreign'];
const DOUBLE_RATE = 0.15;
const MAX_ATTEMPTS = 12;

export function fanId(index: number, total: number): string {
  return `fan_${String(index + 1).padStart(Math.max(4, String(total).length), '0')}`;
}

function englishInterest(rng: Rng, categories: CategoryId[]): string {
  const [first, second] = categories.map((c) => categorySpec(c));
  if (!first) throw new Error('fan needs at least one category');
  if (second) {
    return fill(rng.pick(DOUBLE_TEMPLATES), { x: rng.pick(first.fanInterests), y: rng.pick(second.fanInterests) });
  }
  const sub = rng.pick(first.subtopics);
  const seeker = rng.pick(first.fanSeekers);
  return fill(rng.pick(SINGLE_TEMPLATES), {
    x: rng.pick(first.fanInterests),
    seeker: withArticle(seeker),
    seekerBare: seeker,
    kw: rng.chance(0.6) ? sub.label : rng.pick(sub.terms),
    kwList: rng.sample(sub.terms, rng.int(2, 3)).join(', '),
  });
}

function foreignInterest(rng: Rng, category: CategoryId, language: ForeignLanguage): string {
  const lang = LANGUAGE_SPECS[language];
  return fill(rng.pick(lang.fanTemplates), { fan: rng.pick(lang.categories[category].fan) });
}

function pickFollows(rng: Rng, index: CreatorIndex, categories: CategoryId[], language: LanguageCode): string[] {
  const wanted = rng.int(1, 4);
  const chosen: string[] = [];
  if (language !== 'en') {
    const local = index.poolForLanguage(categories[0] as CategoryId, language);
    if (local.length > 0) chosen.push(rng.pick(local));
  }
  for (let attempt = 0; chosen.length < wanted && attempt < wanted * 4; attempt++) {
    const pool = index.pool(categories[attempt % categories.length] as CategoryId);
    if (pool.length === 0) continue;
    const id = rng.pick(pool);
    if (!chosen.includes(id)) chosen.push(id);
  }
  return chosen;
}

export interface FanOptions {
  count: number;
  seed: number;
  /**
   * Share of non-English fans in [0, 1]; unset: the default mix (2 of 25, ~8%). The learning-loop
   * simulation raises it so that the English-first model's weak spot carries enough fans.
   */
  foreignShare?: number;
}

/** Language cards for a foreign share: 100 cards, round(share x 100) of them foreign. */
function languageCards(foreignShare: number | undefined): readonly ('en' | 'foreign')[] {
  if (foreignShare === undefined) return FAN_LANGUAGE_CARDS;
  const foreign = Math.round(Math.min(1, Math.max(0, foreignShare)) * 100);
  return [...Array<'en' | 'foreign'>(100 - foreign).fill('en'), ...Array<'en' | 'foreign'>(foreign).fill('foreign')];
}

export function generateFans(options: FanOptions, index: CreatorIndex): FanRecord[] {
  const rng = new Rng(deriveSeed(options.seed, 'fans'));
  const primaries = new Deck<CategoryId>(rng, CATEGORY_IDS);
  const languages = new Deck(rng, languageCards(options.foreignShare));
  const foreign = new Deck<ForeignLanguage>(rng, NON_ENGLISH_LANGUAGES);
  const seen = new Set<string>();
  const fans: FanRecord[] = [];

  for (let i = 0; i < options.count; i++) {
    const primary = primaries.draw();
    const language: LanguageCode = languages.draw() === 'en' ? 'en' : foreign.draw();
    const categories: CategoryId[] = [primary];
    if (language === 'en' && rng.chance(DOUBLE_RATE)) categories.push(rng.pick(relatedCategories(primary)));

    let text = '';
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      text = language === 'en' ? englishInterest(rng, categories) : foreignInterest(rng, primary, language);
      if (!seen.has(text)) break;
    }
    seen.add(text);

    fans.push({
      fan_id: fanId(i, options.count),
      interest_text: text,
      expected_categories: categories,
      language,
      follows: pickFollows(rng, index, categories, language),
    });
  }
  return fans;
}
