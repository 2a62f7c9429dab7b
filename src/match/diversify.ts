import { setImmediate as nextTurn } from 'node:timers/promises';
import { MatchError, throwIfAborted } from '../errors/match-error';
import type { SearchIndex, SearchResult, SearchStrategy } from '../index/search-index';
import type { SearchHit } from '../index/top-k';
import { dot } from '../index/vectors';

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
 * the cap leaves fewer than k, up to MAX_CAP_POOL; with diversity at most MAX_MMR_POOL and
 * MATCH_MAX_RERANK_WORK / k candidates), so every result still passes the filter and min_score. Returned scores stay cosine
 * similarities; with diversity on they need not be in descending order. The work runs in slices
 * that yield to the event loop and stop at the call's deadline.
 */
export interface RerankOptions {
  diversity: number;
  maxPerCategory: number;
}

export function needsRerank(opts: RerankOptions | undefined): opts is RerankOptions {
  return opts !== undefined && (opts.diversity > 0 || opts.maxPerCategory > 0);
}

/** The first candidate pool for k results. */
export function rerankPool(k: number): number {
  return Math.max(3 * k, k + 20);
}

/** With diversity, the pool (whose vectors MMR reads) never grows beyond this many candidates. */
export const MAX_MMR_POOL = 4096;

/**
 * With a category cap alone, the pool widens (while the cap leaves fewer than k) up to this many
 * candidates, not to the whole catalog: each widening is a search for that many hits. A cap that
 * cannot be met within them returns fewer than k results.
 */
export const MAX_CAP_POOL = 16_384;

/**
 * The cost of MMR is k x pool similarities (each a dims-long dot product). Requests above the
 * budget are refused before any work: say what to lower.
 */
export function checkRerankCost(k: number, opts: RerankOptions, maxWork: number): void {
  if (opts.diversity <= 0) return;
  const work = k * rerankPool(k);
  if (work > maxWork) {
    // The largest k whose pool fits: pool = 3k from k = 10 on, k + 20 below.
    let maxK = Math.floor(Math.sqrt(maxWork / 3));
    while (maxK > 1 && maxK * rerankPool(maxK) > maxWork) maxK--;
    throw new MatchError(
      'INVALID_DIVERSITY',
      `diversity with k=${k} needs ${work} similarities (k x a pool of ${rerankPool(k)}), above MATCH_MAX_RERANK_WORK=${maxWork}; use k <= ${Math.max(1, maxK)} with diversity`,
      { details: { maxWork } },
    );
  }
}

/** Similarities computed between checks of the deadline and yields to the event loop (~1-2 ms). */
const SLICE = 4096;

/**
 * Greedy MMR with an optional category cap over `pool` (best first, with its rows). Returns at
 * most k hits. Runs in slices that yield to the event loop and stop when `signal` fires.
 */
export async function rerank(
  pool: readonly SearchHit[],
  rows: ReadonlyArray<Float32Array | undefined>,
  k: number,
  categoryOf: (label: number) => string,
  opts: RerankOptions,
  signal?: AbortSignal,
): Promise<SearchHit[]> {
  const lambda = Math.min(1, Math.max(0, opts.diversity));
  const cap = opts.maxPerCategory > 0 ? opts.maxPerCategory : Infinity;
  if (lambda === 0) return capOnly(pool, k, categoryOf, cap, signal);
  const taken = new Uint8Array(pool.length);
  // Highest similarity of each candidate to anything picked so far (0 before the first pick).
  const maxSim = new Float64Array(pool.length);
  const perCategory = new Map<string, number>();
  const out: SearchHit[] = [];
  let work = 0;
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
    const row = rows[best];
    if (lambda > 0 && row) {
      for (let i = 0; i < pool.length; i++) {
        const other = rows[i];
        if (!taken[i] && other) maxSim[i] = Math.max(maxSim[i]!, dot(other, row));
      }
      work += pool.length;
      if (work >= SLICE) {
        work = 0;
        await nextTurn();
        throwIfAborted(signal);
      }
    }
  }
  return out;
}

/** A candidate list of `k` (the best first), from any retrieval mode. */
export type PoolRetrieval = (k: number) => Promise<{ hits: SearchHit[]; strategy: SearchStrategy }>;

/**
 * Without diversity the greedy pick is the best remaining candidate whose category is not full:
 * one pass over the pool (best first), O(pool), yielding every SLICE candidates.
 */
async function capOnly(pool: readonly SearchHit[], k: number, categoryOf: (label: number) => string, cap: number, signal?: AbortSignal): Promise<SearchHit[]> {
  const perCategory = new Map<string, number>();
  const out: SearchHit[] = [];
  for (let i = 0; i < pool.length && out.length < k; i++) {
    const hit = pool[i]!;
    const category = categoryOf(hit.label);
    const taken = perCategory.get(category) ?? 0;
    if (taken < cap) {
      perCategory.set(category, taken + 1);
      out.push(hit);
    }
    if (i % SLICE === SLICE - 1) {
      await nextTurn();
      throwIfAborted(signal);
    }
  }
  return out;
}

/** Retrieve a larger pool, then re-rank; widens the pool until k survive or nothing more passes. */
export async function diversify(
  k: number,
  retrieve: PoolRetrieval,
  search: Pick<SearchIndex, 'labelCount' | 'vectors'>,
  opts: RerankOptions,
  categoryOf: (label: number) => string,
  maxWork: number,
  signal?: AbortSignal,
): Promise<SearchResult> {
  checkRerankCost(k, opts, maxWork);
  const n = search.labelCount;
  // MMR costs k x pool similarities and reads the pool's vectors: both stay bounded.
  const maxPool = opts.diversity > 0 ? Math.max(rerankPool(k), Math.min(MAX_MMR_POOL, Math.floor(maxWork / k))) : Math.max(rerankPool(k), MAX_CAP_POOL);
  let poolSize = Math.min(n, rerankPool(k));
  for (;;) {
    const { hits, strategy } = await retrieve(poolSize);
    // Only MMR needs the rows; a category cap alone re-ranks by the order it got.
    const rows = opts.diversity > 0 ? await search.vectors(hits.map((h) => h.label), signal) : [];
    const picked = await rerank(hits, rows, k, categoryOf, opts, signal);
    if (picked.length >= k || hits.length < poolSize || poolSize >= Math.min(n, maxPool)) return { hits: picked, strategy };
    // Only the category cap leaves fewer than k while more pass: widen the pool.
    poolSize = Math.min(n, maxPool, poolSize * 2);
  }
}
