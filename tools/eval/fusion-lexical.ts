import { analyzeDocument, analyzeQuery } from '../../src/lexical/analyzer';
import type { SearchHit } from '../../src/index/top-k';

/**
 * A small Okapi BM25 (k1 = 1.2, b = 0.75, idf = ln((N - n + 0.5) / (n + 0.5) + 1), as the
 * service's) with the service's analyzer (src/lexical/analyzer.ts; queries: each word's English
 * stem), but with what the fusion study needs and the service's index does not expose: weighted
 * query terms (for RM3 expansion), document term vectors, and per-query statistics (analyzed
 * terms, idf). `fusion-study.ts` checks that on plain queries it ranks as the service's does.
 * (The study itself was run with the wink-bm25-text-search library, which this replaced.)
 */

/** Document terms (with repeats). */
export function analyze(text: string): string[] {
  return analyzeDocument(text, 'en').terms;
}

/** Query terms: each distinct word's English stem. */
export function analyzeQueryTerms(text: string): string[] {
  return analyzeQuery(text).words.map((w) => w[0]!);
}

export interface QueryTermStats {
  /** Distinct analyzed query terms. */
  terms: number;
  /** Of those, terms that occur in the catalog. */
  matched: number;
  /** Sum of the matched terms' idf divided by the largest possible idf, ln(N + 1.5) (rough: "how many rare terms"). */
  idfMass: number;
  /** Largest matched idf / ln(N + 1.5) (0 when none matched). */
  maxIdf: number;
}

export class LexicalIndex {
  readonly n: number;
  private readonly termId = new Map<string, number>();
  private readonly df: number[] = [];
  private readonly postings: Array<Array<[number, number]>> = [];
  /** Per document: term id -> raw tf. */
  readonly docTerms: Array<Map<number, number>> = [];
  private readonly docLen: number[] = [];
  private readonly avgLen: number;
  private readonly idfs: number[] = [];
  readonly terms: string[] = [];

  constructor(texts: readonly string[]) {
    this.n = texts.length;
    let total = 0;
    texts.forEach((t, d) => {
      const tf = new Map<number, number>();
      const toks = analyze(t);
      for (const tok of toks) {
        let id = this.termId.get(tok);
        if (id === undefined) {
          id = this.terms.length;
          this.termId.set(tok, id);
          this.terms.push(tok);
          this.df.push(0);
          this.postings.push([]);
        }
        tf.set(id, (tf.get(id) ?? 0) + 1);
      }
      for (const [id, f] of tf) {
        this.df[id]!++;
        this.postings[id]!.push([d, f]);
      }
      this.docTerms.push(tf);
      this.docLen.push(toks.length);
      total += toks.length;
    });
    this.avgLen = total / Math.max(1, this.n);
    for (let i = 0; i < this.terms.length; i++) this.idfs.push(Math.log((this.n - this.df[i]! + 0.5) / (this.df[i]! + 0.5) + 1));
  }

  idOf(term: string): number | undefined {
    return this.termId.get(term);
  }

  idf(id: number): number {
    return this.idfs[id] ?? 0;
  }

  docLength(d: number): number {
    return this.docLen[d] ?? 0;
  }

  /** Analyzed query as term id -> weight (query term frequency; unknown terms dropped). */
  queryWeights(text: string): Map<number, number> {
    const w = new Map<number, number>();
    for (const tok of analyzeQueryTerms(text)) {
      const id = this.termId.get(tok);
      if (id !== undefined) w.set(id, (w.get(id) ?? 0) + 1);
    }
    return w;
  }

  stats(text: string): QueryTermStats {
    const distinct = new Set(analyzeQueryTerms(text));
    const maxPossible = Math.log(this.n + 1.5);
    let matched = 0;
    let mass = 0;
    let max = 0;
    for (const t of distinct) {
      const id = this.termId.get(t);
      if (id === undefined) continue;
      matched++;
      mass += this.idfs[id]!;
      max = Math.max(max, this.idfs[id]!);
    }
    return { terms: distinct.size, matched, idfMass: mass / maxPossible, maxIdf: max / maxPossible };
  }

  /** BM25 with weighted query terms; top k by score (only documents sharing a term). */
  search(weights: ReadonlyMap<number, number>, k: number): SearchHit[] {
    const k1 = 1.2;
    const b = 0.75;
    const acc = new Map<number, number>();
    for (const [id, qw] of weights) {
      const idf = this.idfs[id]!;
      for (const [d, f] of this.postings[id]!) {
        const norm = 1 - b + (b * this.docLen[d]!) / this.avgLen;
        acc.set(d, (acc.get(d) ?? 0) + qw * idf * ((f * (k1 + 1)) / (k1 * norm + f)));
      }
    }
    const hits: SearchHit[] = [];
    for (const [label, score] of acc) hits.push({ label, score });
    hits.sort((x, y) => y.score - x.score || x.label - y.label);
    return hits.slice(0, k);
  }

  /**
   * RM3-style expansion: relevance model from the feedback documents (term weight = Σ_d
   * tf(t,d)/|d| · w_d, w_d the documents' normalised feedback weights), its `terms` best terms
   * (by weight · idf, excluding very common terms), interpolated with the original query:
   * q' = (1 - lambda) · q / |q| + lambda · rm / |rm| (both as weight distributions).
   */
  rm3(original: ReadonlyMap<number, number>, feedback: ReadonlyArray<{ label: number; weight: number }>, terms: number, lambda: number): Map<number, number> {
    const rm = new Map<number, number>();
    const wsum = feedback.reduce((s, f) => s + f.weight, 0) || 1;
    for (const { label, weight } of feedback) {
      const len = this.docLen[label] || 1;
      for (const [id, tf] of this.docTerms[label]!) {
        if (this.df[id]! > this.n * 0.1) continue;
        rm.set(id, (rm.get(id) ?? 0) + ((tf / len) * weight) / wsum);
      }
    }
    const top = [...rm].map(([id, p]) => [id, p * this.idfs[id]!] as const).sort((a, b) => b[1] - a[1]).slice(0, terms);
    const topSum = top.reduce((s, [, p]) => s + p, 0) || 1;
    const qSum = [...original.values()].reduce((s, v) => s + v, 0) || 1;
    const out = new Map<number, number>();
    for (const [id, v] of original) out.set(id, ((1 - lambda) * v) / qSum);
    for (const [id, p] of top) out.set(id, (out.get(id) ?? 0) + (lambda * p) / topSum);
    return out;
  }
}
