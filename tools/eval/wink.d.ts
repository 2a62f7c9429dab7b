// Minimal typings for the parts of wink-bm25-text-search and wink-nlp-utils we use (neither ships types).
declare module 'wink-bm25-text-search' {
  type PrepTask = (input: any) => any;
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
    string: Record<string, (input: any, ...rest: any[]) => any>;
    tokens: Record<string, (input: any, ...rest: any[]) => any>;
  };
  export = nlp;
}
