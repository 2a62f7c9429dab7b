/**
 * Pure pieces of the fusion study: score normalisation, convex and reciprocal-rank fusion, and
 * category metrics over one query's candidate pool. No I/O; `fusion-study.ts` drives them.
 *
 * A query's candidate pool is the union of the dense top-N_d and the lexical top-N_b (plus a few
 * more dense neighbours for pseudo-relevance feedback). For every pool document we know its exact
 * cosine (the service has every vector), and its BM25 score only if it is in the lexical top-N_b
 * (the service's lexical module returns a top list): elsewhere the lexical score counts as absent.
 */

export type Normaliser = 'minmax' | 'zscore' | 'dbsf';
export type FusionMethod = { kind: 'rrf'; k: number } | { kind: 'convex'; norm: Normaliser };

export const methodName = (m: FusionMethod): string => (m.kind === 'rrf' ? `rrf${m.k}` : m.norm);

/** Mean and (population) standard deviation of the values at `idx`. */
function moments(values: ArrayLike<number>, idx: ArrayLike<number>): { mu: number; sigma: number } {
  const n = idx.length;
  if (n === 0) return { mu: 0, sigma: 0 };
  let s = 0;
  for (let i = 0; i < n; i++) s += values[idx[i]!]!;
  const mu = s / n;
  let v = 0;
  for (let i = 0; i < n; i++) v += (values[idx[i]!]! - mu) ** 2;
  return { mu, sigma: Math.sqrt(v / n) };
}

/**
 * Normalised scores of every pool position for one list. `list` = pool positions of the list
 * (its top-N, best first) from which the statistics are taken; `known[i]` says whether position
 * i has a score in this list's system (dense: always; lexical: only list members). Absent scores
 * get the list's floor: 0 for min-max and DBSF, the list's minimum z for z-score.
 * - minmax: (s - min) / (max - min), clipped below at 0;
 * - zscore: (s - mu) / sigma, clipped below at the list's minimum;
 * - dbsf (Qdrant's distribution-based score fusion): (s - (mu - 3 sigma)) / (6 sigma), clipped to [0, 1].
 */
export function normalise(norm: Normaliser, scores: ArrayLike<number>, list: ArrayLike<number>, known: (i: number) => boolean, out: Float64Array): Float64Array {
  const n = out.length;
  if (list.length === 0) {
    out.fill(0);
    return out;
  }
  if (norm === 'minmax') {
    let lo = Infinity;
    let hi = -Infinity;
    for (let j = 0; j < list.length; j++) {
      const s = scores[list[j]!]!;
      if (s < lo) lo = s;
      if (s > hi) hi = s;
    }
    const span = hi - lo || 1;
    for (let i = 0; i < n; i++) out[i] = known(i) ? Math.max(0, (scores[i]! - lo) / span) : 0;
    return out;
  }
  const { mu, sigma } = moments(scores, list);
  const sd = sigma || 1;
  if (norm === 'zscore') {
    let floor = Infinity;
    for (let j = 0; j < list.length; j++) floor = Math.min(floor, (scores[list[j]!]! - mu) / sd);
    for (let i = 0; i < n; i++) out[i] = known(i) ? Math.max(floor, (scores[i]! - mu) / sd) : floor;
    return out;
  }
  const lo = mu - 3 * sd;
  for (let i = 0; i < n; i++) out[i] = known(i) ? Math.min(1, Math.max(0, (scores[i]! - lo) / (6 * sd))) : 0;
  return out;
}

/** 1 / (k + rank) for list members (rank 1 = best), 0 elsewhere. */
export function rrfTerms(k: number, list: ArrayLike<number>, out: Float64Array): Float64Array {
  out.fill(0);
  for (let j = 0; j < list.length; j++) out[list[j]!] = 1 / (k + j + 1);
  return out;
}

/** Fused score of every pool position: (1 - w) · dense + w · lexical (both already normalised / RRF terms). */
export function blend(dense: Float64Array, lexical: Float64Array, w: number, out: Float64Array): Float64Array {
  for (let i = 0; i < out.length; i++) out[i] = (1 - w) * dense[i]! + w * lexical[i]!;
  return out;
}

/** Pool positions of the `k` best scores, best first (ties: lower position first). */
export function topPositions(scores: ArrayLike<number>, k: number): number[] {
  const best: number[] = [];
  for (let i = 0; i < scores.length; i++) {
    const s = scores[i]!;
    let j: number;
    if (best.length < k) {
      best.push(i);
      j = best.length - 1;
    } else {
      if (k === 0 || s <= scores[best[k - 1]!]!) continue;
      j = k - 1;
      best[j] = i;
    }
    while (j > 0 && scores[best[j - 1]!]! < s) {
      best[j] = best[j - 1]!;
      best[j - 1] = i;
      j--;
    }
  }
  return best;
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
