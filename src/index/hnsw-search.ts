import { throwIfAborted } from '../errors/match-error';
import type { HnswIndex } from './hnsw-index';
import type { SearchIndex, SearchRequest, SearchResult, SearchStrategy } from './search-index';
import type { SearchHit } from './top-k';

/** Below this share of allowed creators the filter runs inside the HNSW traversal (a bitset). */
export const FILTERED_TRAVERSAL_BELOW = 0.5;

/** Over-fetch slack on top of k / selectivity for loose filters. */
const OVERFETCH_SLACK = 1.25;

/**
 * Exact filtering over the HNSW index, every step on the thread pool (one module owns the plan):
 *
 * - a filter that enumerates its candidates (selective by category/language) is searched exactly
 *   over them, reading the vectors inside the index;
 * - a mid-selective filter (under half the catalog) runs inside the traversal as a bitset;
 * - a loose one over-fetches k / selectivity and post-filters, doubling until k pass;
 * - any path that finds fewer than k while more may pass ends in an exact scan of the allowed set.
 *
 * So no disallowed creator is ever returned, and k hits come back whenever k creators pass.
 */
export class HnswSearch implements SearchIndex {
  constructor(
    readonly index: HnswIndex,
    private labels: number,
  ) {}

  get dims(): number {
    return this.index.dims;
  }

  get labelCount(): number {
    return this.labels;
  }

  /** Incremental updates: a new creator label was assigned. */
  set labelCount(n: number) {
    this.labels = n;
  }

  vectors(labels: readonly number[]): Promise<Array<Float32Array | undefined>> {
    return this.index.vectors(labels);
  }

  scoreNow(query: Float32Array, labels: readonly number[]): Float32Array | undefined {
    return this.index.scoreNow(query, labels);
  }

  vectorsNow(labels: readonly number[]): Array<Float32Array | undefined> | undefined {
    return this.index.vectorsNow(labels);
  }

  async search(query: Float32Array, req: SearchRequest, signal?: AbortSignal): Promise<SearchResult> {
    const { k, filter, minScore } = req;
    const passes = (h: SearchHit): boolean => filter.allows(h.label) && (minScore === undefined || h.score >= minScore);
    const done = (hits: SearchHit[], strategy: SearchStrategy): SearchResult => ({ hits: clamp(hits.filter(passes).slice(0, k)), strategy });
    const scan = async (): Promise<SearchResult> => {
      throwIfAborted(signal);
      return done(await this.index.search(query, k, 0, { exact: true, bitset: filter.bitset(this.labels) }), 'exact_scan');
    };

    if (req.among !== undefined) return done(req.among.length === 0 ? [] : await this.index.search(query, k, 0, { labels: req.among }), 'exact_candidates');
    if (req.exact) return scan();
    if (filter.candidates !== undefined) return done(await this.index.search(query, k, 0, { labels: filter.candidates }), 'exact_candidates');
    const n = this.labels;
    const selectivity = n === 0 ? 0 : filter.estimatedAllowed / n;
    if (selectivity < FILTERED_TRAVERSAL_BELOW) {
      const hits = await this.index.search(query, k, req.ef, { bitset: filter.bitset(n) });
      // Fewer than k: the allowed creators may be unreachable in the graph; the scan is exact.
      if (hits.length > 0 && hits.length >= Math.min(k, filter.estimatedAllowed)) return done(hits, 'ann_filtered');
      return scan();
    }
    return this.overFetch(query, req, selectivity, passes, signal, scan);
  }

  private async overFetch(
    query: Float32Array,
    req: SearchRequest,
    selectivity: number,
    passes: (h: SearchHit) => boolean,
    signal: AbortSignal | undefined,
    scan: () => Promise<SearchResult>,
  ): Promise<SearchResult> {
    const { k, minScore } = req;
    const n = this.labels;
    const tooWide = (fetch: number): boolean => fetch > n / 4 && n > 1024;
    // A filter every live creator passes needs no over-fetch (HNSW never returns retired labels).
    let fetch = req.filter.allowsAllLive ? k : Math.min(n, Math.ceil((k / Math.max(selectivity, 1e-6)) * OVERFETCH_SLACK) + 8);
    if (tooWide(fetch)) return scan();
    for (;;) {
      throwIfAborted(signal);
      const raw = await this.index.search(query, fetch, Math.max(req.ef, fetch));
      const kept = raw.filter(passes);
      if (kept.length >= k) return { hits: clamp(kept.slice(0, k)), strategy: fetch > k ? 'ann_overfetch' : 'ann' };
      // Everything below the worst hit fails min_score: no wider fetch can add a passing one.
      const worst = raw[raw.length - 1];
      if (minScore !== undefined && worst !== undefined && worst.score < minScore) return { hits: clamp(kept), strategy: 'ann_overfetch' };
      if (fetch >= n) break;
      fetch = Math.min(n, fetch * 2);
      if (tooWide(fetch)) break;
    }
    return scan();
  }
}

/** Cosine scores of float32 vectors can drift just outside [-1, 1] (in place: the hits are this call's own). */
function clamp(hits: SearchHit[]): SearchHit[] {
  for (const h of hits) h.score = Math.max(-1, Math.min(1, h.score));
  return hits;
}

