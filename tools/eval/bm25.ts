import bm25 from 'wink-bm25-text-search';
import nlp from 'wink-nlp-utils';
import type { SearchHit } from '../../src/index/top-k';

/**
 * The lexical baseline: Okapi BM25 (wink-bm25-text-search, k1 = 1.2, b = 0.75) over the same
 * profile text the model embeds (src/catalog/profile-text.ts). Documents are keyed by label.
 * Tokenisation: lower case, wink's tokenize0, English stop words removed, Porter stems.
 */
export class Bm25Baseline {
  private readonly engine = bm25();

  constructor(texts: readonly string[]) {
    if (texts.length < 3) throw new Error('the BM25 baseline needs at least 3 documents');
    this.engine.defineConfig({ fldWeights: { body: 1 }, bm25Params: { k1: 1.2, b: 0.75 } });
    this.engine.definePrepTasks([nlp.string.lowerCase, nlp.string.tokenize0, nlp.tokens.removeWords, nlp.tokens.stem]);
    texts.forEach((body, label) => this.engine.addDoc({ body }, String(label)));
    this.engine.consolidate();
  }

  /** Top k labels that `allows` keeps, best first (fewer if fewer documents share a term with the query). */
  search(query: string, k: number, allows: (label: number) => boolean = () => true): SearchHit[] {
    const out: SearchHit[] = [];
    for (const [id, score] of this.engine.search(query, Number.MAX_SAFE_INTEGER)) {
      const label = Number(id);
      if (!allows(label)) continue;
      out.push({ label, score });
      if (out.length === k) break;
    }
    return out;
  }
}
