import os from 'node:os';
import path from 'node:path';
import { loadNativeBinding, type NativeHnsw, type NativeSearchOptions, type NativeSearchResult } from './native-binding';
import type { SearchHit } from './top-k';

export interface HnswParams {
  m: number;
  efConstruction: number;
  efSearch: number;
  randomSeed: number;
}

/** What restricts one search: a bitset of allowed labels, exact search over labels, or over all. */
export type HnswSearchOptions = { bitset?: Uint8Array; exact?: true } | { labels: readonly number[] };

/** Most labels scoreNow / vectorsNow take on the JS thread (the addon's limit). */
export const NOW_MAX_LABELS = 4096;

/** Threads for inserts: every core (the builder), at most 8. */
export function defaultInsertThreads(): number {
  return Math.max(1, Math.min(8, os.availableParallelism()));
}

/**
 * The HNSW index of a version: our native addon (native/) over hnswlib, in hnswlib's file format,
 * cosine similarity over L2-normalised vectors (inner-product space; score = 1 - distance).
 *
 * Everything that touches the graph runs on the libuv thread pool: searches (with ef per call, a
 * bitset filter inside the traversal, or exact search over labels or all points, reading the
 * vectors stored in the index, so serving keeps one copy of them), inserts (on several threads),
 * upserts, deletes, save (with a read-back check) and load (the file is validated first). The
 * exceptions are two reads of a few labels on the calling thread (scoreNow, vectorsNow), cheaper
 * than a hop to the pool, which never wait for the lock.
 * `close()` frees the native memory once the work in flight is done. Labels are creator labels.
 */
export class HnswIndex {
  private constructor(
    private readonly native: NativeHnsw,
    readonly dims: number,
  ) {}

  /** An empty index; `insert` grows it as needed. */
  static create(dims: number, params: Pick<HnswParams, 'm' | 'efConstruction' | 'randomSeed'>, capacity: number): HnswIndex {
    const native = new (loadNativeBinding().NativeHnsw)(dims);
    native.create({ capacity: Math.max(1, capacity), m: params.m, efConstruction: params.efConstruction, seed: params.randomSeed });
    return new HnswIndex(native, dims);
  }

  /** Loads (and validates) an index file into a new native object; refuses files of other dims. */
  static async load(file: string, dims: number): Promise<HnswIndex> {
    const native = new (loadNativeBinding().NativeHnsw)(dims);
    await native.load(file);
    return new HnswIndex(native, dims);
  }

  /** Live (not deleted) points. */
  get size(): number {
    return this.native.count - this.native.deleted;
  }

  /** Slots used, live or deleted (the next new label of a compact build). */
  get slots(): number {
    return this.native.count;
  }

  /** Adds new labels; rows of `vectors` (n x dims, normalised) go to `labels` (n). */
  async insert(vectors: Float32Array, labels: readonly number[] | Uint32Array, threads = defaultInsertThreads()): Promise<void> {
    if (labels.length === 0) return;
    await this.native.insert(vectors, labels instanceof Uint32Array ? labels : Uint32Array.from(labels), threads);
  }

  /** Adds one point, reusing a deleted slot when there is one (incremental upsert). */
  upsert(vector: Float32Array, label: number): Promise<void> {
    return this.native.upsert(vector, label);
  }

  /** Hides labels from searches; their slots can be reused by `upsert`. */
  async remove(labels: readonly number[]): Promise<void> {
    if (labels.length > 0) await this.native.markDelete(Uint32Array.from(labels));
  }

  /** Trims capacity to the points held: hnswlib saves (and allocates on load) its capacity. */
  fit(): Promise<void> {
    return this.native.resize(Math.max(1, this.native.count));
  }

  /** Writes the file, fsyncs and checks it back (hnswlib's own writer reports no full disk). */
  async save(file: string): Promise<void> {
    await this.native.save(file).catch((err: unknown) => {
      throw new Error(`${path.basename(file)} was not written completely (is the disk full?): ${(err as Error).message}`, { cause: err });
    });
  }

  /** The k best live labels for `query` (normalised), best first; ties by label. */
  async search(query: Float32Array, k: number, ef: number, opts?: HnswSearchOptions): Promise<SearchHit[]> {
    if (this.native.closed) throw new Error('the HNSW index is closed');
    const n = Math.min(k, this.size);
    if (n <= 0) return [];
    let native: NativeSearchOptions | undefined;
    if (opts && 'labels' in opts) native = { labels: Uint32Array.from(opts.labels) };
    else if (opts) native = { ...(opts.bitset ? { bitset: opts.bitset } : {}), ...(opts.exact ? { exact: true } : {}) };
    return toHits(await this.native.search(query, n, Math.max(ef, n), native));
  }

  /** The stored vectors of `labels` (copies); undefined for a label that is not live. */
  async vectors(labels: readonly number[]): Promise<Array<Float32Array | undefined>> {
    return this.rowsOf(await this.native.vectors(Uint32Array.from(labels)), labels.length);
  }

  private rowsOf(rows: Float32Array, n: number): Array<Float32Array | undefined> {
    const out = new Array<Float32Array | undefined>(n);
    for (let i = 0; i < n; i++) {
      const row = rows.subarray(i * this.dims, (i + 1) * this.dims);
      out[i] = Number.isNaN(row[0]) ? undefined : row;
    }
    return out;
  }

  /**
   * Exact cosines of a few labels (at most NOW_MAX_LABELS) computed on this thread, in order (NaN
   * where a label is not live): no pool hop, for re-scoring small candidate sets. Undefined when
   * that would wait (an update holds the lock), when there are too many, or once closed: use
   * search({ labels }) then.
   */
  scoreNow(query: Float32Array, labels: readonly number[]): Float32Array | undefined {
    if (this.native.closed || labels.length > NOW_MAX_LABELS) return undefined;
    const d = this.native.distancesNow(query, Uint32Array.from(labels));
    if (d) for (let i = 0; i < d.length; i++) d[i] = 1 - d[i]!;
    return d;
  }

  /** vectors() on this thread, under scoreNow's rules. */
  vectorsNow(labels: readonly number[]): Array<Float32Array | undefined> | undefined {
    if (this.native.closed || labels.length > NOW_MAX_LABELS) return undefined;
    const rows = this.native.vectorsNow(Uint32Array.from(labels));
    return rows && this.rowsOf(rows, labels.length);
  }

  /** Frees the native memory after the work in flight. Idempotent. */
  close(): Promise<void> {
    return this.native.close();
  }
}

function toHits(res: NativeSearchResult): SearchHit[] {
  const hits: SearchHit[] = new Array<SearchHit>(res.labels.length);
  for (let i = 0; i < res.labels.length; i++) hits[i] = { label: res.labels[i]!, score: 1 - res.distances[i]! };
  // Ascending distance from the addon; equal scores are ordered by label for determinism.
  return hits.sort((a, b) => b.score - a.score || a.label - b.label);
}
