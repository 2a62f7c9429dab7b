import type { CompiledFilter } from '../catalog/catalog';
import type { SearchHit } from '../index/top-k';
import type { VectorIndex } from '../index/vector-index';
import type { VectorStore } from '../index/vector-store';
import { filteredSearch, type FilteredSearchOptions, type FilteredSearchResult } from './filtered-search';

/**
 * Optional per-request re-ranking, applied after filtering.
 *
 * - `diversity` (λ in [0, 1], 0 = off) turns on Maximal Marginal Relevance: results are picked
 *   greedily by  (1 − λ)·cos(query, c) − λ·max cos(c, s) over the creators s already picked.
 *   λ = 0 is the plain ranking; λ ≈ 0.2–0.4 trades a little relevance for fewer near-duplicates;
 *   λ = 1 ignores relevance after the first pick.
 * - `maxPerCategory` (0 = off) keeps at most that many results per category.
 *
 * Both re-rank a candidate pool of the best filtered matches (3k, at least k + 20, widened while
 * the cap leaves fewer than k), so every result still passes the filter and min_score. Returned
 * scores stay cosine similarities; with diversity on they need not be in descending order.
 */
export interface RerankOptions {
  diversity: number;
  maxPerCategory: number;
}

export function needsRerank(opts: RerankOptions | undefined): opts is RerankOptions {
  return opts !== undefined && (opts.diversity > 0 || opts.maxPerCategory > 0);
}

/** Greedy MMR with an optional category cap over `pool` (best first). Returns at most k hits. */
export function rerank(pool: readonly SearchHit[], k: number, vectors: VectorStore, categoryOf: (label: number) => string, opts: RerankOptions): SearchHit[] {
  const lambda = Math.min(1, Math.max(0, opts.diversity));
  const cap = opts.maxPerCategory > 0 ? opts.maxPerCategory : Infinity;
  const taken = new Uint8Array(pool.length);
  // Highest similarity of each candidate to anything picked so far (0 before the first pick).
  const maxSim = new Float64Array(pool.length);
  const perCategory = new Map<string, number>();
  const out: SearchHit[] = [];
  // Each pool row is fetched once (a store may copy it out of the native index).
  const rows: Array<Float32Array | undefined> = new Array(pool.length);
  const rowOf = (i: number): Float32Array => (rows[i] ??= vectors.row(pool[i]!.label));
  while (out.length < k) {
    let best = -1;
    let bestValue = -Infinity;
    for (let i = 0; i < pool.length; i++) {
      if (taken[i]) continue;
      if ((perCategory.get(categoryOf(pool[i]!.label)) ?? 0) >= cap) continue;
      const value = lambda > 0 ? (1 - lambda) * pool[i]!.score - lambda * maxSim[i]! : pool[i]!.score;
      if (value > bestValue) {
        bestValue = value;
        best = i;
      }
    }
    if (best < 0) break;
    const hit = pool[best]!;
    taken[best] = 1;
    out.push(hit);
    const category = categoryOf(hit.label);
    perCategory.set(category, (perCategory.get(category) ?? 0) + 1);
    if (lambda > 0) {
      const row = rowOf(best);
      for (let i = 0; i < pool.length; i++) if (!taken[i]) maxSim[i] = Math.max(maxSim[i]!, dot(rowOf(i), row));
    }
  }
  return out;
}

/** filteredSearch for a larger pool, then rerank; widens the pool until k survive or nothing more passes. */
export function diversifiedSearch(
  query: Float32Array,
  k: number,
  filter: CompiledFilter,
  ann: VectorIndex,
  vectors: VectorStore,
  searchOpts: FilteredSearchOptions,
  opts: RerankOptions,
  categoryOf: (label: number) => string,
): FilteredSearchResult {
  const n = vectors.count;
  let poolSize = Math.min(n, Math.max(3 * k, k + 20));
  for (;;) {
    const { hits, strategy } = filteredSearch(query, poolSize, filter, ann, vectors, searchOpts);
    const picked = rerank(hits, k, vectors, categoryOf, opts);
    if (picked.length >= k || hits.length < poolSize || poolSize >= n) return { hits: picked, strategy };
    poolSize = Math.min(n, poolSize * 2);
  }
}

function dot(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i]! * b[i]!;
  return sum;
}
