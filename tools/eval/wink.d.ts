// Minimal typings for the parts of wink-bm25-text-search and wink-nlp-utils we use (neither ships types).
declare module 'wink-bm25-text-search' {
  /** A prep step: text -> text or tokens, or tokens -> tokens (applied in order). */
  type PrepTask = ((input: string) => string | string[]) | ((tokens: string[]) => string[]);
  interface BM25Engine {
    defineConfig(cfg: { fldWeights: Record<string, number>; bm25Params?: { k1?: number; b?: number; k?: number }; ovFieldNames?: string[] }): boolean;
    definePrepTasks(tasks: PrepTask[], field?: string): number;
    addDoc(doc: Record<string, string>, id: string | number): number;
    consolidate(fp?: number): boolean;
    search(text: string, limit?: number, filter?: (fieldValues: Record<string, unknown>, params: unknown) => boolean, params?: unknown): Array<[string, number]>;
  }
  function bm25(): BM25Engine;
  export = bm25;
}

declare module 'wink-nlp-utils' {
  const nlp: {
    string: {
      lowerCase: (input: string) => string;
      tokenize0: (input: string) => string[];
    };
    tokens: {
      removeWords: (tokens: string[]) => string[];
      stem: (tokens: string[]) => string[];
    };
  };
  export = nlp;
}
