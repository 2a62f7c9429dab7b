import type { CompiledFilter } from '../catalog/catalog';
import type { SearchHit } from '../index/top-k';
import { exactSearchRows } from '../index/native-exact';
import type { VectorIndex } from '../index/vector-index';
import type { VectorMatrix } from '../index/vector-matrix';

export type SearchStrategy = 'ann' | 'ann_overfetch' | 'exact_candidates' | 'exact_scan';

export interface FilteredSearchResult {
  hits: SearchHit[];
  strategy: SearchStrategy;
}

export interface FilteredSearchOptions {
  ef: number;
  minScore: number | undefined;
  /** Over-fetch slack on top of k / selectivity. */
  slack?: number;
}

/** One ANN call the plan needs: the `fetch` best hits at this `ef`. */
export interface AnnRequest {
  fetch: number;
  ef: number;
}

/**
 * Exact filtering on top of an unfiltered ANN index.
 * - A selective filter comes with an enumerated candidate list: exact search over it.
 * - Otherwise over-fetch k / selectivity from the ANN index and post-filter, doubling the fetch
 *   until k hits pass; when the fetch would cover a large part of the index, scan exactly.
 * Either way no disallowed creator is returned, and k hits come back whenever k creators pass.
 */
export function filteredSearch(
  query: Float32Array,
  k: number,
  filter: CompiledFilter,
  ann: VectorIndex,
  vectors: VectorMatrix,
  opts: FilteredSearchOptions,
): FilteredSearchResult {
  const plan = searchPlan(query, k, filter, vectors, opts);
  let step = plan.next();
  while (!step.done) step = plan.next(ann.search(query, step.value.fetch, step.value.ef));
  return step.value;
}

/** filteredSearch with the ANN calls made by `search` (e.g. a SearchCoalescer that batches them). */
export async function filteredSearchAsync(
  query: Float32Array,
  k: number,
  filter: CompiledFilter,
  search: (query: Float32Array, fetch: number, ef: number) => Promise<SearchHit[]>,
  vectors: VectorMatrix,
  opts: FilteredSearchOptions,
): Promise<FilteredSearchResult> {
  const plan = searchPlan(query, k, filter, vectors, opts);
  let step = plan.next();
  while (!step.done) step = plan.next(await search(query, step.value.fetch, step.value.ef));
  return step.value;
}

/** The strategy as a generator: yields the ANN searches it needs, returns the result. */
function* searchPlan(
  query: Float32Array,
  k: number,
  filter: CompiledFilter,
  vectors: VectorMatrix,
  opts: FilteredSearchOptions,
): Generator<AnnRequest, FilteredSearchResult, SearchHit[]> {
  const n = vectors.count;
  const passes = (h: SearchHit): boolean => filter.allows(h.label) && (opts.minScore === undefined || h.score >= opts.minScore);
  const clamp = (hits: SearchHit[]): SearchHit[] => hits.map((h) => ({ label: h.label, score: Math.max(-1, Math.min(1, h.score)) }));

  if (filter.candidates !== undefined) {
    const hits = exactSearchRows(vectors, query, k, filter.candidates);
    return { hits: clamp(hits.filter(passes)), strategy: 'exact_candidates' };
  }
  const selectivity = n === 0 ? 0 : filter.estimatedAllowed / n;
  let fetch = Math.min(n, Math.ceil(k / Math.max(selectivity, 1e-6) * (opts.slack ?? 1.25)) + 8);
  const exactScan = (): FilteredSearchResult => ({ hits: clamp(vectors.search(query, k, undefined, filter.allows).filter(passes)), strategy: 'exact_scan' });
  if (fetch > n / 4 && n > 1024) return exactScan();

  for (;;) {
    const raw: SearchHit[] = yield { fetch, ef: Math.max(opts.ef, fetch) };
    const kept = raw.filter(passes);
    if (kept.length >= k) return { hits: clamp(kept.slice(0, k)), strategy: fetch > k ? 'ann_overfetch' : 'ann' };
    const worst = raw[raw.length - 1];
    const belowMin = opts.minScore !== undefined && worst !== undefined && worst.score < opts.minScore;
    if (belowMin) return { hits: clamp(kept), strategy: 'ann_overfetch' };
    if (fetch >= n) break;
    fetch = Math.min(n, fetch * 2);
    if (fetch > n / 4 && n > 1024) break;
  }
  return exactScan();
}
