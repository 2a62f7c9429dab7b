import type { CompiledFilter } from '../catalog/catalog';
import type { SearchHit } from './top-k';

/** How a search was answered (a metric label and a span attribute). */
export type SearchStrategy = 'ann' | 'ann_overfetch' | 'ann_filtered' | 'exact_candidates' | 'exact_scan';

export interface SearchRequest {
  /** Results wanted: k hits come back whenever k creators pass the filter (and min score). */
  k: number;
  /** HNSW ef (raised to at least k); ignored by exact searches. */
  ef: number;
  /** Which creators may be returned (exact: nothing else ever is). */
  filter: CompiledFilter;
  /** Drop hits below this cosine similarity. */
  minScore?: number | undefined;
  /** Exact search over every allowed creator instead of ANN (recall checks, evaluation). */
  exact?: boolean;
  /**
   * Score exactly these labels instead (those of them that are live and pass the filter), e.g.
   * to re-score a candidate pool with another query vector; k = among.length returns them all.
   */
  among?: readonly number[] | undefined;
}

export interface SearchResult {
  /** Best first, scores (cosine) clamped to [-1, 1]. */
  hits: SearchHit[];
  strategy: SearchStrategy;
}

/**
 * The vector side of one served version: what `Matcher` asks of a backend. The in-memory HNSW
 * index (HnswSearch) implements it; another backend (a database) implements exactly this.
 */
export interface SearchIndex {
  readonly dims: number;
  /** Labels assigned so far (live and retired): the range filters cover. */
  readonly labelCount: number;
  search(query: Float32Array, req: SearchRequest, signal?: AbortSignal): Promise<SearchResult>;
  /** The stored vectors of live labels (undefined where a label is not live). */
  vectors(labels: readonly number[], signal?: AbortSignal): Promise<Array<Float32Array | undefined>>;
  /**
   * Optional, for a backend that holds the vectors in process: the exact cosines of a few labels
   * (in order; NaN where a label is not live) computed synchronously, or undefined when it
   * cannot now (too many labels, or it would wait) and the caller should use search({ among }).
   * The caller has applied the filter to the labels already.
   */
  scoreNow?(query: Float32Array, labels: readonly number[]): Float32Array | undefined;
  /** Optional: vectors() synchronously, or undefined under scoreNow's rules. */
  vectorsNow?(labels: readonly number[]): Array<Float32Array | undefined> | undefined;
}
