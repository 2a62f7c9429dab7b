import { stopwords as deStop } from '@orama/stopwords/german';
import { stopwords as enStop } from '@orama/stopwords/english';
import { stopwords as esStop } from '@orama/stopwords/spanish';
import { stopwords as frStop } from '@orama/stopwords/french';
import { stopwords as itStop } from '@orama/stopwords/italian';
import { stopwords as ptStop } from '@orama/stopwords/portuguese';
import { stemmer as deStem } from '@orama/stemmers/german';
import { stemmer as esStem } from '@orama/stemmers/spanish';
import { stemmer as frStem } from '@orama/stemmers/french';
import { stemmer as itStem } from '@orama/stemmers/italian';
import { stemmer as ptStem } from '@orama/stemmers/portuguese';
import enStem from 'wink-porter2-stemmer';
import { foldText } from './tokenizer';

/**
 * Per-language resources of the lexical analyzer: stop-word sets and stemmers for the catalog's
 * languages with Latin script.
 *
 * - English: Porter2 (the Snowball English stemmer, wink-porter2-stemmer) and the Snowball-style
 *   English list of @orama/stopwords, plus "a" and the fragments our tokenizer makes of
 *   contractions ("it's" → it, s; "we'll" → we, ll).
 * - es, fr, de, it, pt: Snowball stemmers of @orama/stemmers and the lists of @orama/stopwords
 *   (Snowball's lists; Spanish is a longer list).
 * - SHARED_STOP: words that are stop words in at least two of es/fr/de/it/pt ("de", "la", "que",
 *   "se", "un", ...). They are removed from every document and every query, whatever its language,
 *   because a query's language is unknown and these words are otherwise rare, high-idf terms in
 *   English profiles. A few that are also English content words are kept (SHARED_KEEP: "ai", "os",
 *   "dos", "c", "era", "son", "lo" as in lo-fi).
 *
 * Every list is folded like the text (foldText), so "für" matches the token "fur". Stemmers also
 * see folded words: a query typed without accents stems like the accented document word.
 */

export const STEMMED_LANGUAGES = ['en', 'es', 'fr', 'de', 'it', 'pt'] as const;
export type StemLanguage = (typeof STEMMED_LANGUAGES)[number];
export const FOREIGN_LANGUAGES = ['es', 'fr', 'de', 'it', 'pt'] as const;
export type ForeignLanguage = (typeof FOREIGN_LANGUAGES)[number];

/** "a" is missing from @orama/stopwords' English list (Snowball's has it). */
const ENGLISH_EXTRA = ['a', 's', 't', 'd', 'll', 'm', 're', 've'];
const SHARED_KEEP = new Set(['ai', 'os', 'dos', 'c', 'era', 'son', 'lo']);

function foldedSet(words: readonly string[]): Set<string> {
  const out = new Set<string>();
  for (const w of words) {
    // Entries with an apostrophe ("i'm") never match a token: our tokenizer splits them.
    const f = foldText(w).trim();
    if (f && /^[\p{L}\p{N}]+$/u.test(f)) out.add(f);
  }
  return out;
}

export const STOP: Readonly<Record<StemLanguage, ReadonlySet<string>>> = {
  en: foldedSet([...enStop, ...ENGLISH_EXTRA]),
  es: foldedSet(esStop),
  fr: foldedSet(frStop),
  de: foldedSet(deStop),
  it: foldedSet(itStop),
  pt: foldedSet(ptStop),
};

export const SHARED_STOP: ReadonlySet<string> = (() => {
  const seen = new Map<string, number>();
  for (const lang of FOREIGN_LANGUAGES) for (const w of STOP[lang]) seen.set(w, (seen.get(w) ?? 0) + 1);
  const out = new Set<string>();
  for (const [w, n] of seen) if (n >= 2 && !SHARED_KEEP.has(w) && !STOP.en.has(w)) out.add(w);
  return out;
})();

/** Removed from every document and query: English stop words and SHARED_STOP. */
export function isCommonStop(token: string): boolean {
  return STOP.en.has(token) || SHARED_STOP.has(token);
}

/**
 * A query token that votes for `language` in the query-language guess: one of its stop words that
 * is neither an English stop word nor one of SHARED_KEEP (an English "ai" or "lo-fi" is no vote).
 */
export function votesFor(token: string, language: ForeignLanguage): boolean {
  return STOP[language].has(token) && !STOP.en.has(token) && !SHARED_KEEP.has(token);
}

const STEMMERS: Readonly<Record<StemLanguage, (word: string) => string>> = {
  en: enStem,
  es: esStem,
  fr: frStem,
  de: deStem,
  it: itStem,
  pt: ptStem,
};

/** Words stemmed: Latin letters only (after folding, mostly a–z), 3+ letters. */
const STEMMABLE = /^\p{Script=Latin}{3,}$/u;
const CACHE_LIMIT = 50_000;
const caches: Record<StemLanguage, Map<string, string>> = {
  en: new Map(),
  es: new Map(),
  fr: new Map(),
  de: new Map(),
  it: new Map(),
  pt: new Map(),
};

/**
 * The stem of a folded word in a language; words with digits or non-Latin letters are returned
 * as they are. Memoised (a stemmer call costs ~2 µs; a catalog has far fewer distinct words than
 * tokens); the cache is dropped when it holds CACHE_LIMIT words. Never throws, never returns "".
 */
export function stem(word: string, language: StemLanguage): string {
  const cache = caches[language];
  const hit = cache.get(word);
  if (hit !== undefined) return hit;
  let out = word;
  if (STEMMABLE.test(word)) {
    try {
      const s = STEMMERS[language](word);
      if (typeof s === 'string' && s.length > 0) out = s;
    } catch {
      // A stemmer bug must not take a document down: keep the word.
    }
  }
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(word, out);
  return out;
}

/**
 * A creator's language as the analyzer uses it: the primary subtag ("pt-BR" → "pt") when it is
 * one of es/fr/de/it/pt, else "en" (English, the catalog's default; also Japanese documents,
 * whose Latin-script words are mostly English names and tags).
 */
export function documentLanguage(language: string | undefined): StemLanguage {
  const primary = (language ?? '').trim().toLowerCase().split(/[-_]/)[0] ?? '';
  return (FOREIGN_LANGUAGES as readonly string[]).includes(primary) ? (primary as ForeignLanguage) : 'en';
}
