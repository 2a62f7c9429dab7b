/**
 * Types for the subpath exports of @orama/stemmers and @orama/stopwords ("./english", "./french",
 * ...). The packages ship these .d.ts files, but only behind `exports`, which the repo's
 * `moduleResolution: node` does not read; at run time Node, tsx and jest resolve the CommonJS
 * builds through `exports` as usual. Also wink-porter2-stemmer, which ships no types.
 */
declare module '@orama/stemmers/*' {
  /** Snowball stemmer of the subpath's language (English: the original Porter algorithm). */
  export function stemmer(word: string): string;
  export const language: string;
}

declare module '@orama/stopwords/*' {
  export const stopwords: string[];
}

declare module 'wink-porter2-stemmer' {
  /** Porter2 (Snowball English) stem of a lower-case word. */
  function stem(word: string): string;
  export = stem;
}
