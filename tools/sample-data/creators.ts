/**
 * Streaming creator generator. Ratios (category balance, ~15% non-English, ~5% NSFW)
 * are driven by shuffled decks on one "assignment" stream; each creator's text comes
 * from its own derived stream. So creator i is identical whatever --creators is, and
 * a larger run is a strict superset (same prefix) of a smaller one.
 */
import { englishAbout, foreignAbout } from './about-text';
import { categorySpec } from './categories';
import { creatorName } from './names';
import { Deck, Rng, deriveSeed } from '../common/prng';
import {
  CATEGORY_IDS,
  NON_ENGLISH_LANGUAGES,
  NSFW_CATEGORIES,
  type CategoryId,
  type CreatorRecord,
  type ForeignLanguage,
  type LanguageCode,
} from './types';

/** 17 of 20 English = 85%. */
const LANGUAGE_CARDS: readonly ('en' | 'foreign')[] = [...Array<'en'>(17).fill('en'), 'foreign', 'foreign', 'foreign'];
/** 4 of 25 NSFW-eligible creators are adult; eligible categories are 5/16 of all → ~5%. */
const NSFW_CARDS: readonly boolean[] = [...Array<boolean>(21).fill(false), true, true, true, true];

export function creatorId(index: number, total: number): string {
  const width = Math.max(6, String(total).length);
  return `cr_${String(index + 1).padStart(width, '0')}`;
}

export interface CreatorStreamOptions {
  count: number;
  seed: number;
}

export function* generateCreators(options: CreatorStreamOptions): Generator<CreatorRecord> {
  const assign = new Rng(deriveSeed(options.seed, 'creator-assignments'));
  const categories = new Deck<CategoryId>(assign, CATEGORY_IDS);
  const languages = new Deck(assign, LANGUAGE_CARDS);
  const foreign = new Deck<ForeignLanguage>(assign, NON_ENGLISH_LANGUAGES);
  const adult = new Deck(assign, NSFW_CARDS);

  for (let i = 0; i < options.count; i++) {
    const category = categories.draw();
    const language: LanguageCode = languages.draw() === 'en' ? 'en' : foreign.draw();
    const isNsfw = NSFW_CATEGORIES.includes(category) ? adult.draw() : false;

    const rng = new Rng(deriveSeed(options.seed, `creator:${i}`));
    const name = creatorName(rng, categorySpec(category));
    const text =
      language === 'en'
        ? englishAbout(rng, category, name, isNsfw)
        : foreignAbout(rng, category, language, name, isNsfw);

    yield {
      id: creatorId(i, options.count),
      name: name.name,
      about: text.about,
      tags: text.tags,
      category,
      language,
      is_nsfw: isNsfw,
    };
  }
}

/** Compact per-category lookup of generated creators, used to pick fans' follows. */
export class CreatorIndex {
  private readonly sfw = new Map<CategoryId, string[]>();
  private readonly sfwByLanguage = new Map<string, string[]>();
  private readonly all = new Map<CategoryId, string[]>();

  add(creator: Pick<CreatorRecord, 'id' | 'category' | 'language' | 'is_nsfw'>): void {
    push(this.all, creator.category, creator.id);
    if (creator.is_nsfw) return;
    push(this.sfw, creator.category, creator.id);
    push(this.sfwByLanguage, `${creator.category}/${creator.language}`, creator.id);
  }

  /** Safe-for-work creators of a category (falls back to all creators of it). */
  pool(category: CategoryId): readonly string[] {
    return this.sfw.get(category) ?? this.all.get(category) ?? [];
  }

  poolForLanguage(category: CategoryId, language: LanguageCode): readonly string[] {
    return this.sfwByLanguage.get(`${category}/${language}`) ?? [];
  }
}

function push<K>(map: Map<K, string[]>, key: K, value: string): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
