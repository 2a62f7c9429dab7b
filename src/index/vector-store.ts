import type { NativeHnswIndex } from './native-hnsw';
import type { SearchHit, TopK } from './top-k';
import { meanOfRows } from './vector-matrix';

/**
 * Row access to the creators' vectors (label = row), for the exact paths: selective filters,
 * like_creators, MMR, recall checks. `VectorMatrix` keeps its own copy; `IndexVectors` reads the
 * vectors stored inside the native HNSW index, so serving holds them once.
 */
export interface VectorStore {
  readonly dims: number;
  /** Labels assigned so far (live and retired). */
  readonly count: number;
  /** The vector of a live label (may be a view: do not modify). */
  row(label: number): Float32Array;
  /** Normalised weighted mean of some rows, or undefined if it has zero norm. */
  mean(labels: readonly number[], weights?: readonly number[]): Float32Array | undefined;
  /** Records the next label's vector (IndexVectors: the HNSW `add` that follows stores it). */
  append(vector: Float32Array): number;
  /** Exact scoring of rows [from, to) into `top` (for scans split across event-loop turns). */
  scanRange(top: TopK, query: Float32Array, from: number, to: number, allows?: (label: number) => boolean): void;
  /** Exact top-k over `labels` (default: all rows) that `allows` keeps. */
  search(query: Float32Array, k: number, labels?: Iterable<number>, allows?: (label: number) => boolean): SearchHit[];
}

/** A bitset (bit i of byte i >> 3) of the labels in [0, n) that `allows` keeps. */
export function bitsetOf(n: number, allows: (label: number) => boolean, labels?: Iterable<number>): Uint8Array {
  const bits = new Uint8Array((n + 7) >> 3);
  if (labels) {
    for (const l of labels) if (l >= 0 && l < n && allows(l)) bits[l >> 3]! |= 1 << (l & 7);
  } else {
    for (let l = 0; l < n; l++) if (allows(l)) bits[l >> 3]! |= 1 << (l & 7);
  }
  return bits;
}

/** The vectors stored in a native HNSW index, read in place by the exact paths. */
export class IndexVectors implements VectorStore {
  private labels: number;

  constructor(
    private readonly index: NativeHnswIndex,
    labelCount: number,
  ) {
    this.labels = labelCount;
  }

  get dims(): number {
    return this.index.dims;
  }

  get count(): number {
    return this.labels;
  }

  row(label: number): Float32Array {
    const v = this.index.vector(label);
    if (!v) throw new RangeError(`no live vector for label ${label}`);
    return v;
  }

  mean(labels: readonly number[], weights?: readonly number[]): Float32Array | undefined {
    return meanOfRows(this, labels, weights);
  }

  append(vector: Float32Array): number {
    if (vector.length !== this.dims) throw new Error(`row has ${vector.length} values, index has ${this.dims} dims`);
    return this.labels++;
  }

  scanRange(top: TopK, query: Float32Array, from: number, to: number, allows?: (label: number) => boolean): void {
    const end = Math.min(to, this.labels);
    if (end <= from) return;
    const scores = this.index.scores(query, from, end);
    for (let i = 0; i < scores.length; i++) {
      const s = scores[i]!;
      if (!Number.isNaN(s) && (!allows || allows(from + i))) top.push(from + i, s);
    }
  }

  search(query: Float32Array, k: number, labels?: Iterable<number>, allows?: (label: number) => boolean): SearchHit[] {
    if (labels) {
      const list = Uint32Array.from(allows ? [...labels].filter(allows) : labels);
      return this.index.searchWith(query, k, 0, { labels: list });
    }
    if (!allows) return this.index.searchWith(query, k, 0, { exact: true });
    return this.index.searchWith(query, k, 0, { exact: true, bitset: bitsetOf(this.labels, allows), nbits: this.labels });
  }
}
