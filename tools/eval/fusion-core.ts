/**
 * Pure pieces of the fusion study: score normalisation, convex and reciprocal-rank fusion, and
 * category metrics over one query's candidate pool. No I/O; `fusion-study.ts` drives them.
 *
 * A query's candidate pool is the union of the dense top-N_d and the lexical top-N_b (plus a few
 * more dense neighbours for pseudo-relevance feedback). For every pool document we know its exact
 * cosine (the service has every vector), and its BM25 score only if it is in the lexical top-N_b
 * (the service's lexical module returns a top list): elsewhere the lexical score counts as absent.
 */

import type { Normaliser } from '../../src/match/fusion';

// The service's normalisation, RRF terms and top-k (src/match/fusion.ts): the study fuses exactly as the service does.
export { normalise, rrfTerms, topPositions, type Normaliser } from '../../src/match/fusion';

export type FusionMethod = { kind: 'rrf'; k: number } | { kind: 'convex'; norm: Normaliser };

export const methodName = (m: FusionMethod): string => (m.kind === 'rrf' ? `rrf${m.k}` : m.norm);




/** Fused score of every pool position: (1 - w) · dense + w · lexical (both already normalised / RRF terms). */
export function blend(dense: Float64Array, lexical: Float64Array, w: number, out: Float64Array): Float64Array {
  for (let i = 0; i < out.length; i++) out[i] = (1 - w) * dense[i]! + w * lexical[i]!;
  return out;
}


export interface CellMetrics {
  p5: number;
  p10: number;
  ndcg10: number;
  mrr10: number;
}

export const METRICS = ['p5', 'p10', 'ndcg10', 'mrr10'] as const;

/**
 * Category metrics of a ranked list of pool positions. `relevant(i)` is the binary judgment;
 * `totalRelevant` is the number of relevant documents in the whole catalog (for the ideal DCG).
 */
export function rankMetrics(ranked: readonly number[], relevant: (i: number) => boolean, totalRelevant: number): CellMetrics {
  let hits5 = 0;
  let hits10 = 0;
  let dcg = 0;
  let rr = 0;
  for (let r = 0; r < Math.min(10, ranked.length); r++) {
    if (!relevant(ranked[r]!)) continue;
    if (r < 5) hits5++;
    hits10++;
    dcg += 1 / Math.log2(r + 2);
    if (rr === 0) rr = 1 / (r + 1);
  }
  let idcg = 0;
  for (let r = 0; r < Math.min(10, totalRelevant); r++) idcg += 1 / Math.log2(r + 2);
  return { p5: hits5 / 5, p10: hits10 / 10, ndcg10: idcg === 0 ? 0 : dcg / idcg, mrr10: rr };
}

/** The study's selection objective for one query: (P@5 + P@10) / 2. */
export const objective = (m: CellMetrics): number => (m.p5 + m.p10) / 2;
