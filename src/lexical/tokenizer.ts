/**
 * Text → folded tokens, the language-independent half of the lexical analyzer.
 *
 * 1. At most MAX_TEXT_CHARS UTF-16 units are read; lone surrogates, control characters (Cc) and
 *    zero-width space become spaces, other format characters (Cf: soft hyphen, ZWJ, bidi marks,
 *    BOM) are dropped, so they never split or glue words by accident.
 * 2. NFKC (full-width forms, ligatures, superscripts), lower case, and a few Latin letters that
 *    have no decomposition (ß → ss, æ → ae, œ → oe, ø → o, ł → l, đ → d).
 * 3. Accent folding: NFD, then combining marks are removed only after a Latin or Greek base letter
 *    ("é" → "e", "ά" → "α"), then NFC. Marks of other scripts stay: Japanese dakuten (が stays が,
 *    not か), Cyrillic й, Devanagari vowel signs.
 * 4. Tokens: a run of Han / Hiragana / Katakana (with ー and 々) is split into overlapping character
 *    bigrams (a one-character run is one token), since those scripts do not put spaces between
 *    words; any other run of letters, digits and marks (\p{L}\p{N}\p{M}, starting with a letter or
 *    digit, so an emoji's variation selector is no word) is one word; each
 *    pictographic emoji is a token of its own. Everything else (spaces, punctuation, symbols,
 *    apostrophes, hyphens) separates tokens. A word longer than MAX_TOKEN_CHARS is cut.
 *
 * Pure functions; never throws for any string.
 */

/** Longest text read (UTF-16 units); the rest is ignored. Profiles are a few hundred characters. */
export const MAX_TEXT_CHARS = 65_536;
/** Longest token kept (UTF-16 units; a surrogate pair is never split). */
export const MAX_TOKEN_CHARS = 64;

export type TokenKind = 'word' | 'cjk' | 'emoji';

export interface Token {
  text: string;
  kind: TokenKind;
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const SPACE_LIKE = /[\p{Cc}\u200B]/gu;
const FORMAT = /\p{Cf}/gu;
const UNDECOMPOSED: Readonly<Record<string, string>> = { ß: 'ss', æ: 'ae', œ: 'oe', ø: 'o', ł: 'l', đ: 'd' };
const UNDECOMPOSED_RE = /[ßæœøłđ]/g;
// eslint-disable-next-line no-misleading-character-class -- combining marks on their own are the point
const LATIN_GREEK_MARKS = /([\p{Script=Latin}\p{Script=Greek}])[\u0300-\u036F\u1AB0-\u1AFF\u1DC0-\u1DFF\u20D0-\u20FF\uFE20-\uFE2F]+/gu;
const CJK = '\\p{Script=Han}\\p{Script=Hiragana}\\p{Script=Katakana}\\u30FC\\u3005';
const NOT_CJK = `(?![${CJK}])`;
/** CJK run | word (starts with a letter or digit; marks only continue it) | emoji. */
const TOKEN_RE = new RegExp(
  `([${CJK}]+)|(${NOT_CJK}[\\p{L}\\p{N}](?:${NOT_CJK}[\\p{L}\\p{N}\\p{M}])*)|(\\p{Extended_Pictographic})`,
  'gu',
);

/** Steps 1–3: the folded form of a text (also used for stop-word lists). */
export function foldText(text: string): string {
  let s = text.length > MAX_TEXT_CHARS ? text.slice(0, MAX_TEXT_CHARS) : text;
  s = s.replace(LONE_SURROGATE, ' ').replace(SPACE_LIKE, ' ').replace(FORMAT, '');
  s = s.normalize('NFKC').toLowerCase().replace(UNDECOMPOSED_RE, (c) => UNDECOMPOSED[c] ?? c);
  return s.normalize('NFD').replace(LATIN_GREEK_MARKS, '$1').normalize('NFC');
}

/** Step 4 on a folded text. */
export function tokenizeFolded(folded: string): Token[] {
  const out: Token[] = [];
  for (const m of folded.matchAll(TOKEN_RE)) {
    if (m[1] !== undefined) pushBigrams(m[1], out);
    else if (m[2] !== undefined) out.push({ text: cut(m[2]), kind: 'word' });
    else out.push({ text: m[0], kind: 'emoji' });
  }
  return out;
}

/** foldText then tokenizeFolded. */
export function tokenize(text: string): Token[] {
  return tokenizeFolded(foldText(text));
}

function pushBigrams(run: string, out: Token[]): void {
  const chars = Array.from(run);
  if (chars.length === 1) {
    out.push({ text: run, kind: 'cjk' });
    return;
  }
  for (let i = 0; i + 1 < chars.length; i++) out.push({ text: chars[i]! + chars[i + 1]!, kind: 'cjk' });
}

function cut(word: string): string {
  if (word.length <= MAX_TOKEN_CHARS) return word;
  const code = word.charCodeAt(MAX_TOKEN_CHARS - 1);
  // Do not end on the high half of a surrogate pair.
  return word.slice(0, code >= 0xd800 && code <= 0xdbff ? MAX_TOKEN_CHARS - 1 : MAX_TOKEN_CHARS);
}
