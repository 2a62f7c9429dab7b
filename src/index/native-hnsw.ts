import { existsSync } from 'node:fs';
import path from 'node:path';
import type { SearchHit } from './top-k';
import type { VectorIndex } from './vector-index';

/** Options of one native search (see native/src/hnsw_native.cc). */
export interface NativeSearchOptions {
  /** Only labels whose bit is set may be returned (bit i of byte i >> 3). */
  bitset?: Uint8Array;
  nbits?: number;
  /** Exact search over exactly these labels (absent or deleted ones are skipped). */
  labels?: Uint32Array;
  /** Exact search over every live point (with `bitset` when given). */
  exact?: boolean;
}

interface NativeHits {
  labels: Uint32Array;
  distances: Float32Array;
}

/** The addon's class (native/src/hnsw_native.cc). */
interface NativeHnswBinding {
  readonly currentCount: number;
  readonly deletedCount: number;
  readonly maxElements: number;
  readonly dims: number;
  load(file: string): Promise<void>;
  search(query: Float32Array, k: number, ef: number, opts?: NativeSearchOptions): Promise<NativeHits>;
  searchSync(query: Float32Array, k: number, ef: number, opts?: NativeSearchOptions): NativeHits;
  getVector(label: number): Float32Array | undefined;
  scores(query: Float32Array, from: number, to: number): Float32Array;
  addPoint(vector: Float32Array, label: number): void;
  markDelete(label: number): void;
  writeIndex(file: string): Promise<void>;
  close(): void;
}

type NativeHnswCtor = new (dims: number) => NativeHnswBinding;

let binding: NativeHnswCtor | undefined;

/** The compiled addon; `npm ci` builds it (the root `install` script runs node-gyp). */
function nativeCtor(): NativeHnswCtor {
  if (binding) return binding;
  // src/index/ (tsx, jest) or dist/src/index/ (compiled): the addon sits in native/ at the root.
  const places = [path.resolve(__dirname, '..', '..'), path.resolve(__dirname, '..', '..', '..')];
  const found = places.map((root) => path.join(root, 'native', 'build', 'Release', 'hnsw_native.node')).find((f) => existsSync(f));
  const file = found ?? path.join(places[0]!, 'native', 'build', 'Release', 'hnsw_native.node');
  if (!found) {
    throw new Error(`the native HNSW addon is not built (${file} is missing); run \`npm run build:native\` (needs python3, make and g++)`);
  }
  binding = (require(file) as { NativeHnsw: NativeHnswCtor }).NativeHnsw;
  return binding;
}

function toHits(res: NativeHits): SearchHit[] {
  const hits: SearchHit[] = new Array(res.labels.length);
  for (let i = 0; i < res.labels.length; i++) hits[i] = { label: res.labels[i]!, score: 1 - res.distances[i]! };
  // The addon returns ascending distance; equal scores are ordered by label for determinism.
  return hits.sort((a, b) => b.score - a.score || a.label - b.label);
}

/**
 * The hnswlib index file (the format hnswlib-node writes) served through our own addon:
 * searches run on the libuv thread pool (`searchAsync`), so concurrent calls use every core over
 * one shared index; ef is per call; filters are bitsets checked inside the traversal; exact
 * search reads the index's own vectors, so the service keeps a single copy of them; `close`
 * frees the native memory at once (hnswlib-node waits for GC).
 */
export class NativeHnswIndex implements VectorIndex {
  readonly kind = 'hnswlib-node';
  private native: NativeHnswBinding | undefined;

  private constructor(
    native: NativeHnswBinding,
    readonly dims: number,
  ) {
    this.native = native;
  }

  /** Loads into a new native object on the thread pool (never replaces a serving index in place). */
  static async load(file: string, dims: number): Promise<NativeHnswIndex> {
    const native = new (nativeCtor())(dims);
    await native.load(file);
    return new NativeHnswIndex(native, dims);
  }

  private get index(): NativeHnswBinding {
    if (!this.native) throw new Error('HNSW index is closed');
    return this.native;
  }

  /** Live (not deleted) points. */
  get size(): number {
    return this.index.currentCount - this.index.deletedCount;
  }

  search(query: Float32Array, k: number, ef: number): SearchHit[] {
    return this.searchWith(query, k, ef);
  }

  /** The same search on the thread pool. */
  async searchAsync(query: Float32Array, k: number, ef: number, opts?: NativeSearchOptions): Promise<SearchHit[]> {
    const n = Math.min(k, this.size);
    if (n <= 0) return [];
    return toHits(await this.index.search(query, n, Math.max(ef, n), opts));
  }

  /** Synchronous search with native options (filters, exact). */
  searchWith(query: Float32Array, k: number, ef: number, opts?: NativeSearchOptions): SearchHit[] {
    const n = Math.min(k, this.size);
    if (n <= 0) return [];
    return toHits(this.index.searchSync(query, n, Math.max(ef, n), opts));
  }

  /** A copy of a live label's stored vector, or undefined. */
  vector(label: number): Float32Array | undefined {
    return this.index.getVector(label);
  }

  /** Cosine of `query` with labels [from, to); NaN where a label is not live. */
  scores(query: Float32Array, from: number, to: number): Float32Array {
    return this.index.scores(query, from, to);
  }

  /** Adds a point, reusing a deleted slot when there is one and growing when full. */
  add(vector: Float32Array, label: number): void {
    this.index.addPoint(vector, label);
  }

  remove(label: number): void {
    this.index.markDelete(label);
  }

  /** Writes, then reads the file back: hnswlib's writer does not report a full disk. */
  async save(file: string): Promise<void> {
    const index = this.index;
    await index.writeIndex(file);
    const check = new (nativeCtor())(this.dims);
    try {
      await check.load(file);
      if (check.currentCount !== index.currentCount) {
        throw new Error(`it holds ${check.currentCount} points, not ${index.currentCount}`);
      }
    } catch (err) {
      throw new Error(`${file} was not written completely (is the disk full?): ${(err as Error).message}`);
    } finally {
      check.close();
    }
  }

  /** Frees the native memory (after searches in flight finish). Idempotent. */
  close(): void {
    this.native?.close();
    this.native = undefined;
  }
}
