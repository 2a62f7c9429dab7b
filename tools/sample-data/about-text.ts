/** Builds the `about` text and tags for one creator (English or localized). */
import { categorySpec } from './categories';
import { LANGUAGE_SPECS, contract } from './i18n';
import type { CreatorName } from './names';
import type { Rng } from '../common/prng';
import { CADENCES, VOICES, fill, withArticle } from './templates';
import type { CategoryId, ForeignLanguage } from './types';

/** Categories that plausibly show up as a side interest of another category. */
const RELATED: Record<CategoryId, CategoryId[]> = {
  podcasts: ['history', 'science', 'games'],
  video: ['cooking', 'games', 'music'],
  music: ['video', 'games'],
  visual_art: ['comics', 'games'],
  fiction: ['tabletop_rpg', 'comics'],
  games: ['music', 'visual_art', 'open_source'],
  education: ['science', 'history'],
  cooking: ['video', 'fitness'],
  fitness: ['cooking', 'video'],
  tabletop_rpg: ['fiction', 'crafts'],
  crafts: ['visual_art', 'tabletop_rpg'],
  open_source: ['education', 'games'],
  comics: ['visual_art', 'fiction'],
  photography: ['video', 'visual_art'],
  science: ['education', 'podcasts'],
  history: ['podcasts', 'education'],
};

/** Probability that the secondary topic comes from a related category. */
const CROSS_HINT_RATE = 0.06;
const MAX_SENTENCES = 4;
const SENTENCE_COUNTS: ReadonlyArray<readonly [number, number]> = [
  [1, 15],
  [2, 35],
  [3, 30],
  [4, 20],
];

/** Sentences in a template (slot values never add sentence breaks to templates). */
export function sentenceCount(template: string): number {
  return Math.max(1, (template.match(/[.!?](?=\s|$)|[。！？]/gu) ?? []).length);
}

export interface AboutResult {
  about: string;
  tags: string[];
}

export function relatedCategories(category: CategoryId): readonly CategoryId[] {
  return RELATED[category];
}

function normalizeTags(tags: string[], rng: Rng, min: number, fallback: string[]): string[] {
  const out: string[] = [];
  for (const tag of tags) {
    const t = tag.trim().toLowerCase();
    if (t.length > 0 && !out.includes(t)) out.push(t);
  }
  for (const f of fallback) {
    if (out.length >= min) break;
    const t = f.toLowerCase();
    if (!out.includes(t)) out.push(t);
  }
  return out.slice(0, rng.int(Math.max(min, Math.min(out.length, 3)), 6));
}

export function englishAbout(
  rng: Rng,
  category: CategoryId,
  name: CreatorName,
  nsfw: boolean,
): AboutResult {
  const spec = categorySpec(category);
  const adult = nsfw ? spec.nsfw : undefined;
  const candidates = adult ? spec.subtopics.filter((s) => adult.subtopics.includes(s.label)) : spec.subtopics;
  const primary = rng.pick(candidates);
  const secondary = rng.pick(spec.subtopics.filter((s) => s !== primary));
  let topic2 = secondary.label;
  if (rng.chance(CROSS_HINT_RATE)) topic2 = rng.pick(categorySpec(rng.pick(RELATED[category])).subtopics).label;
  const [term, term2, term3] = rng.sample(primary.terms, 3) as [string, string, string];
  const [format, format2] = rng.sample(spec.formats, 2) as [string, string];
  const role = rng.pick(spec.roles);
  const outlet = rng.pick(spec.outlets);
  const slots: Record<string, string> = {
    name: name.name,
    role,
    aRole: withArticle(role),
    outlet,
    anOutlet: withArticle(outlet),
    topic: primary.label,
    topic2,
    term,
    term2: rng.chance(0.3) ? rng.pick(secondary.terms) : term2,
    term3,
    format,
    format2,
    audience: rng.pick(spec.audiences),
    perk: rng.pick(spec.perks),
    cadence: rng.pick(CADENCES),
  };

  const voice = rng.pick(VOICES);
  const target = voice.id === 'terse' ? Math.min(rng.weighted(SENTENCE_COUNTS), 3) : rng.weighted(SENTENCE_COUNTS);
  const opener = rng.pick(name.kind === 'person' ? voice.person : voice.brand);
  const adultLine = adult ? rng.pick(adult.lines) : undefined;
  let used = sentenceCount(opener) + (adultLine ? 1 : 0);
  const closer = target >= 2 && used < MAX_SENTENCES && rng.chance(0.55) ? rng.pick(voice.closers) : undefined;
  if (closer) used += 1;
  const sentences = [fill(opener, slots)];
  for (const body of rng.shuffle(voice.body)) {
    if (used + sentenceCount(body) > target) continue;
    sentences.push(fill(body, slots));
    used += sentenceCount(body);
  }
  if (adultLine) sentences.push(adultLine);
  if (closer) sentences.push(fill(closer, slots));

  const tags = [...rng.sample(primary.tags, rng.int(1, primary.tags.length)), ...rng.sample(spec.baseTags, rng.int(1, 2))];
  if (rng.chance(0.3)) tags.push(rng.pick(secondary.tags));
  if (adult) tags.unshift(rng.pick(adult.tags));
  return { about: sentences.join(' '), tags: normalizeTags(tags, rng, 2, spec.baseTags) };
}

export function foreignAbout(
  rng: Rng,
  category: CategoryId,
  language: ForeignLanguage,
  name: CreatorName,
  nsfw: boolean,
): AboutResult {
  const lang = LANGUAGE_SPECS[language];
  const vocab = lang.categories[category];
  const [topic, topic2] = rng.sample(vocab.topics, 2) as [string, string];
  const slots: Record<string, string> = {
    name: name.name,
    role: rng.pick(vocab.roles),
    format: rng.pick(vocab.formats),
    topic,
    topic2,
  };
  const target = rng.weighted(SENTENCE_COUNTS);
  const openers = name.kind === 'brand' ? lang.openers : lang.openers.filter((_, i) => i !== 1);
  const opener = rng.pick(openers);
  let used = sentenceCount(opener) + (nsfw ? 1 : 0);
  const closer = target >= 2 && used < MAX_SENTENCES && rng.chance(0.5) ? rng.pick(lang.closers) : undefined;
  if (closer) used += 1;
  const sentences = [fill(opener, slots)];
  for (const detail of rng.shuffle(lang.details)) {
    if (used + sentenceCount(detail) > target) continue;
    sentences.push(fill(detail, slots));
    used += sentenceCount(detail);
  }
  if (nsfw) sentences.push(lang.nsfwLine);
  if (closer) sentences.push(closer);

  const tags = rng.sample(vocab.tags, rng.int(2, 3));
  if (rng.chance(0.4)) tags.push(rng.pick(categorySpec(category).baseTags));
  if (nsfw) tags.unshift(lang.nsfwTag);
  const about = contract(sentences.join(language === 'ja' ? '' : ' '), language);
  return { about, tags: normalizeTags(tags, rng, 2, vocab.tags) };
}
