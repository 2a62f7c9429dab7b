import type { CompiledFilter } from '../catalog/catalog';
import type { SearchHit } from '../index/top-k';
import { exactSearchRows } from '../index/native-exact';
import type { NativeHnswIndex } from '../index/native-hnsw';
import type { VectorIndex } from '../index/vector-index';
import { VectorMatrix } from '../index/vector-matrix';
import { bitsetOf, type VectorStore } from '../index/vector-store';

export type SearchStrategy = 'ann' | 'ann_overfetch' | 'ann_filtered' | 'exact_candidates' | 'exact_scan';

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

/** What a search plan asks its backend for. */
type SearchRequest =
  | ({ kind: 'ann' } & AnnRequest)
  /** HNSW traversal that only collects labels the filter allows (native bitset). */
  | { kind: 'filtered'; k: number; ef: number }
  /** Exact top-k over enumerated candidates. */
  | { kind: 'exact'; k: number; labels: readonly number[] }
  /** Exact top-k over every label the filter allows. */
  | { kind: 'scan'; k: number };

/** Below this selectivity a backend with in-traversal filtering uses it instead of over-fetching. */
export const FILTERED_TRAVERSAL_BELOW = 0.5;

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
  vectors: VectorStore,
  opts: FilteredSearchOptions,
): FilteredSearchResult {
  const plan = searchPlan(k, filter, vectors.count, false, opts);
  let step = plan.next();
  while (!step.done) step = plan.next(runSync(step.value, query, filter, ann, vectors));
  return step.value;
}

/** filteredSearch with the ANN calls made by `search` (e.g. a SearchCoalescer that batches them). */
export async function filteredSearchAsync(
  query: Float32Array,
  k: number,
  filter: CompiledFilter,
  search: (query: Float32Array, fetch: number, ef: number) => Promise<SearchHit[]>,
  vectors: VectorStore,
  opts: FilteredSearchOptions,
): Promise<FilteredSearchResult> {
  const plan = searchPlan(k, filter, vectors.count, false, opts);
  let step = plan.next();
  while (!step.done) {
    const req = step.value;
    step = plan.next(req.kind === 'ann' ? await search(query, req.fetch, req.ef) : runSync(req, query, filter, undefined, vectors));
  }
  return step.value;
}

/**
 * The same strategies on the native index, every step on the libuv thread pool: exact search
 * over candidates reads the index's vectors in place, and mid-selectivity filters run inside the
 * HNSW traversal as a bitset (no over-fetch rounds). `labelCount`: labels assigned so far.
 */
export async function nativeFilteredSearch(
  query: Float32Array,
  k: number,
  filter: CompiledFilter,
  index: NativeHnswIndex,
  labelCount: number,
  opts: FilteredSearchOptions,
): Promise<FilteredSearchResult> {
  const plan = searchPlan(k, filter, labelCount, true, opts);
  let bits: Uint8Array | undefined;
  const bitset = (): { bitset: Uint8Array; nbits: number } => ({ bitset: (bits ??= filter.bitset?.(labelCount) ?? bitsetOf(labelCount, filter.allows)), nbits: labelCount });
  let step = plan.next();
  while (!step.done) {
    const req = step.value;
    let hits: SearchHit[];
    switch (req.kind) {
      case 'ann':
        hits = await index.searchAsync(query, req.fetch, req.ef);
        break;
      case 'filtered':
        hits = await index.searchAsync(query, req.k, req.ef, bitset());
        break;
      case 'exact':
        hits = await index.searchAsync(query, req.k, 0, { labels: Uint32Array.from(req.labels) });
        break;
      case 'scan':
        hits = await index.searchAsync(query, req.k, 0, { exact: true, ...bitset() });
        break;
    }
    step = plan.next(hits);
  }
  return step.value;
}

function runSync(req: SearchRequest, query: Float32Array, filter: CompiledFilter, ann: VectorIndex | undefined, vectors: VectorStore): SearchHit[] {
  switch (req.kind) {
    case 'ann':
    case 'filtered':
      if (!ann) throw new Error(`no index for a ${req.kind} search`);
      return ann.search(query, req.kind === 'ann' ? req.fetch : req.k, req.ef);
    case 'exact':
      return vectors instanceof VectorMatrix ? exactSearchRows(vectors, query, req.k, req.labels) : vectors.search(query, req.k, req.labels);
    case 'scan':
      return vectors.search(query, req.k, undefined, filter.allows);
  }
}

/** The strategy as a generator: yields the searches it needs, returns the result. */
function* searchPlan(
  k: number,
  filter: CompiledFilter,
  n: number,
  canFilterInTraversal: boolean,
  opts: FilteredSearchOptions,
): Generator<SearchRequest, FilteredSearchResult, SearchHit[]> {
  const passes = (h: SearchHit): boolean => filter.allows(h.label) && (opts.minScore === undefined || h.score >= opts.minScore);
  const clamp = (hits: SearchHit[]): SearchHit[] => hits.map((h) => ({ label: h.label, score: Math.max(-1, Math.min(1, h.score)) }));

  if (filter.candidates !== undefined) {
    const hits: SearchHit[] = yield { kind: 'exact', k, labels: filter.candidates };
    return { hits: clamp(hits.filter(passes)), strategy: 'exact_candidates' };
  }
  const selectivity = n === 0 ? 0 : filter.estimatedAllowed / n;
  const exactScan = function* (): Generator<SearchRequest, FilteredSearchResult, SearchHit[]> {
    const hits: SearchHit[] = yield { kind: 'scan', k };
    return { hits: clamp(hits.filter(passes)), strategy: 'exact_scan' };
  };
  if (canFilterInTraversal && selectivity < FILTERED_TRAVERSAL_BELOW) {
    const hits: SearchHit[] = yield { kind: 'filtered', k, ef: opts.ef };
    // Fewer than k: the allowed creators may be unreachable in the graph; the scan is exact.
    if (hits.length >= Math.min(k, filter.estimatedAllowed) && hits.length > 0) return { hits: clamp(hits.filter(passes)), strategy: 'ann_filtered' };
    return yield* exactScan();
  }
  let fetch = Math.min(n, Math.ceil(k / Math.max(selectivity, 1e-6) * (opts.slack ?? 1.25)) + 8);
  if (fetch > n / 4 && n > 1024) return yield* exactScan();

  for (;;) {
    const raw: SearchHit[] = yield { kind: 'ann', fetch, ef: Math.max(opts.ef, fetch) };
    const kept = raw.filter(passes);
    if (kept.length >= k) return { hits: clamp(kept.slice(0, k)), strategy: fetch > k ? 'ann_overfetch' : 'ann' };
    const worst = raw[raw.length - 1];
    const belowMin = opts.minScore !== undefined && worst !== undefined && worst.score < opts.minScore;
    if (belowMin) return { hits: clamp(kept), strategy: 'ann_overfetch' };
    if (fetch >= n) break;
    fetch = Math.min(n, fetch * 2);
    if (fetch > n / 4 && n > 1024) break;
  }
  return yield* exactScan();
}
