/**
 * Fusion of a dense and a lexical candidate list (pure functions; hybrid-retrieval.ts runs them).
 *
 * A query's pool is the union of the dense top-N and the lexical top-N. Every pool member has an
 * exact cosine (the service has every vector); a BM25 score only when it is in the lexical list
 * (elsewhere the lexical side counts as absent). The fused score is
 *   (1 - w) * dense_term + w * lexical_term,
 * with RRF terms 1 / (k + rank) or normalised scores (min-max, z-score, or Qdrant's
 * distribution-based score fusion). w is the index's lexical weight, 0 for a query none of whose
 * words occur in the catalog (lexicalWeight).
 */
import type { FusionParams } from '../index/manifest';

export type Normaliser = 'minmax' | 'zscore' | 'dbsf';

/** One candidate of a list: a label and its score in that list's system (cosine or BM25). */
export interface ScoredLabel {
  label: number;
  score: number;
}

/** Mean and population standard deviation of the values at `idx`. */
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
 * Normalised scores of every pool position for one list. `list` holds the pool positions of the
 * list's members (best first), from which the statistics come; `known(i)` says whether position i
 * has a score in this list's system. Absent scores get the list's floor (0 for min-max and DBSF,
 * the list's minimum z for z-score).
 */
export function normalise(norm: Normaliser, scores: ArrayLike<number>, list: ArrayLike<number>, known: (i: number) => boolean, out: Float64Array): Float64Array {
  const n = out.length;
  if (list.length === 0) return out.fill(0);
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

/** Pool positions of the `k` best scores, best first (ties: lower position first); O(n k): for a small k. */
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

/** A fused candidate: its label, fused score, and where it stood in each list (0 = absent). */
export interface FusedCandidate {
  label: number;
  fused: number;
  denseRank: number;
  lexicalRank: number;
  lexicalScore: number;
}

/**
 * Fuses a dense and a lexical list; returns the pool members with their fused scores, best first
 * (ties: the dense list's order, then the lexical-only members'): all of them, or the `limit` best.
 * `cosineOf(label)` is the dense score of any pool member (lexical-only ones included).
 */
export function fuseLists(
  params: Pick<FusionParams, 'method' | 'rrfK'>,
  wLex: number,
  dense: readonly ScoredLabel[],
  lexical: readonly ScoredLabel[],
  cosineOf: (label: number) => number,
  limit = Infinity,
): FusedCandidate[] {
  const labels: number[] = [];
  const pos = new Map<number, number>();
  const positions = (list: readonly ScoredLabel[]): Int32Array => {
    const out = new Int32Array(list.length);
    for (let j = 0; j < list.length; j++) {
      const l = list[j]!.label;
      let p = pos.get(l);
      if (p === undefined) pos.set(l, (p = labels.push(l) - 1));
      out[j] = p;
    }
    return out;
  };
  const dList = positions(dense);
  const lList = positions(lexical);
  const n = labels.length;
  const d = new Float64Array(n);
  const l = new Float64Array(n);
  const lexScore = new Float64Array(n);
  const denseRank = new Uint32Array(n);
  const lexRank = new Uint32Array(n);
  for (let j = 0; j < dList.length; j++) denseRank[dList[j]!] = j + 1;
  for (let j = 0; j < lList.length; j++) {
    lexRank[lList[j]!] = j + 1;
    lexScore[lList[j]!] = lexical[j]!.score;
  }
  if (params.method === 'rrf') {
    rrfTerms(params.rrfK, dList, d);
    rrfTerms(params.rrfK, lList, l);
  } else {
    const cos = Float64Array.from(labels, (x) => cosineOf(x));
    normalise(params.method, cos, dList, () => true, d);
    normalise(params.method, lexScore, lList, (i) => lexRank[i]! > 0, l);
  }
  const fused = new Float64Array(n);
  for (let i = 0; i < n; i++) fused[i] = (1 - wLex) * d[i]! + wLex * l[i]!;
  const order = bestPositions(fused, Math.min(limit, n));
  const out = new Array<FusedCandidate>(order.length);
  for (let i = 0; i < order.length; i++) {
    const p = order[i]!;
    out[i] = { label: labels[p]!, fused: fused[p]!, denseRank: denseRank[p]!, lexicalRank: lexRank[p]!, lexicalScore: lexScore[p]! };
  }
  return out;
}

/** Positions of the `k` best scores, best first, ties by position: a selection for a small k, else a sort. */
export function bestPositions(scores: ArrayLike<number>, k: number): number[] {
  if (k <= 16) return topPositions(scores, k);
  const order = rankPositions(scores);
  return Array.from(k < order.length ? order.subarray(0, k) : order);
}

/**
 * Every position ordered by score, best first, ties by position: a stable bottom-up merge sort
 * over typed arrays (several times faster than Array#sort with a comparator at a few hundred).
 */
export function rankPositions(scores: ArrayLike<number>): Int32Array {
  const n = scores.length;
  let a = new Int32Array(n);
  let b = new Int32Array(n);
  for (let i = 0; i < n; i++) a[i] = i;
  for (let width = 1; width < n; width *= 2) {
    for (let lo = 0; lo < n; lo += 2 * width) {
      const mid = Math.min(lo + width, n);
      const hi = Math.min(lo + 2 * width, n);
      let i = lo;
      let j = mid;
      let o = lo;
      while (i < mid && j < hi) {
        // Stable: the left run's member goes first unless the right one scores strictly higher.
        if (scores[a[j]!]! > scores[a[i]!]!) b[o++] = a[j++]!;
        else b[o++] = a[i++]!;
      }
      while (i < mid) b[o++] = a[i++]!;
      while (j < hi) b[o++] = a[j++]!;
    }
    const t = a;
    a = b;
    b = t;
  }
  return a;
}

/** The lexical weight for a query: the index's, or 0 when none of its words is in the catalog. */
export function lexicalWeight(params: Pick<FusionParams, 'wLex'>, matchedTerms: number): number {
  return matchedTerms === 0 ? 0 : params.wLex;
}
