import { documentLanguage, FOREIGN_LANGUAGES, isCommonStop, stem, STOP, votesFor, type ForeignLanguage } from './languages';
import { foldText, MAX_TOKEN_CHARS, tokenizeFolded, type Token } from './tokenizer';

/**
 * The lexical analyzer: text → BM25 terms, for documents (language known) and queries (language
 * unknown). Both start from the same tokens (tokenizer.ts: NFKC, case and accent folding, words,
 * CJK bigrams, emoji) and the same stop words; the language only chooses stemmers.
 *
 * Document (creator.language; see documentLanguage):
 * - drop English stop words and SHARED_STOP (languages.ts), plus the document language's list;
 * - each remaining word gives its English (Porter2) stem, and a non-English document also gives
 *   its own language's Snowball stem when that differs ("recetas" → "receta" and "recet"), so a
 *   query matches it whether or not its language is recognised;
 * - CJK bigrams and emoji are kept as they are.
 * - BM25 length = tokens kept (the second stem of a word is not counted again).
 *
 * Query (language unknown):
 * - the same tokens; English stop words and SHARED_STOP are dropped;
 * - language guess by stop words: for es/fr/de/it/pt, count the distinct tokens that are stop
 *   words of that language and not English ones (nor SHARED_KEEP). The languages with the highest count (>= 1) are
 *   the query's guessed languages; with a count >= 2 the guess is firm and their stop words are
 *   dropped too ("Wo finde ich …" drops wo, ich; an English "war history" keeps "war");
 * - each word's variants: its English stem, plus its stem in each guessed language. A document
 *   scores a word by its best-matching variant (no double counting of the two stems).
 *
 * Never empty: a text with at least one character that is not white space, control or format
 * gives at least one term. When every token is a stop word, the tokens are kept as they are
 * (unstemmed) — for documents and queries alike, so "The Who" still matches "the who"; a text
 * with no letter, digit or emoji ("!!!") gives its whitespace-separated chunks.
 */

export interface AnalyzedDocument {
  /** Terms in order, with repeats (term frequency). */
  terms: string[];
  /** BM25 document length: the number of tokens kept. */
  length: number;
}

export interface AnalyzedQuery {
  /** Distinct query words; each is its distinct terms (variants), the English stem first. */
  words: string[][];
  /** Languages guessed from the query's stop words (their stems are among the variants). */
  languages: ForeignLanguage[];
}

export function analyzeDocument(text: string, language?: string): AnalyzedDocument {
  const lang = documentLanguage(language);
  const folded = foldText(text);
  const tokens = tokenizeFolded(folded);
  const terms: string[] = [];
  let length = 0;
  for (const tok of tokens) {
    if (tok.kind !== 'word') {
      terms.push(tok.text);
      length++;
      continue;
    }
    const w = tok.text;
    if (isCommonStop(w) || (lang !== 'en' && STOP[lang].has(w))) continue;
    length++;
    const en = stem(w, 'en');
    terms.push(en);
    if (lang !== 'en') {
      const own = stem(w, lang);
      if (own !== en) terms.push(own);
    }
  }
  if (length > 0) return { terms, length };
  const raw = rawTerms(tokens, folded);
  return { terms: raw, length: raw.length };
}

export function analyzeQuery(text: string): AnalyzedQuery {
  const folded = foldText(text);
  const tokens = tokenizeFolded(folded);
  const languages = guessLanguages(tokens);
  const firm = languages.firm;
  const words: string[][] = [];
  const seen = new Set<string>();
  const add = (variants: string[]): void => {
    const key = variants.join('\u0000');
    if (seen.has(key)) return;
    seen.add(key);
    words.push(variants);
  };
  for (const tok of tokens) {
    if (tok.kind !== 'word') {
      add([tok.text]);
      continue;
    }
    const w = tok.text;
    if (isCommonStop(w) || (firm && languages.list.some((l) => STOP[l].has(w)))) continue;
    const variants = [stem(w, 'en')];
    for (const l of languages.list) {
      const s = stem(w, l);
      if (!variants.includes(s)) variants.push(s);
    }
    add(variants);
  }
  if (words.length === 0) for (const t of rawTerms(tokens, folded)) add([t]);
  return { words, languages: languages.list };
}

function guessLanguages(tokens: readonly Token[]): { list: ForeignLanguage[]; firm: boolean } {
  const distinct = new Set<string>();
  for (const t of tokens) if (t.kind === 'word') distinct.add(t.text);
  let best = 0;
  let list: ForeignLanguage[] = [];
  for (const lang of FOREIGN_LANGUAGES) {
    let votes = 0;
    for (const w of distinct) if (votesFor(w, lang)) votes++;
    if (votes === 0 || votes < best) continue;
    if (votes > best) {
      best = votes;
      list = [];
    }
    list.push(lang);
  }
  return { list, firm: best >= 2 };
}

/** The fallback terms: the tokens unchanged, or the text's non-blank chunks when it has no token. */
function rawTerms(tokens: readonly Token[], folded: string): string[] {
  if (tokens.length > 0) return tokens.map((t) => t.text);
  const out: string[] = [];
  for (const chunk of folded.split(/\s+/u)) {
    if (!chunk) continue;
    const chars = Array.from(chunk);
    out.push(chars.length > MAX_TOKEN_CHARS ? chars.slice(0, MAX_TOKEN_CHARS).join('') : chunk);
  }
  return out;
}
