import { existsSync } from 'node:fs';
import path from 'node:path';

/**
 * Options of one search. Without options: approximate (HNSW) search with the given ef.
 * `labels` and `bitset` are exclusive.
 */
export interface NativeSearchOptions {
  /** Only labels whose bit is set may be returned (bit l of byte l >> 3); labels beyond it are not allowed. Checked inside the traversal. */
  bitset?: Uint8Array;
  /** Exact search over exactly these labels (absent, deleted and repeated labels are skipped). */
  labels?: Uint32Array;
  /** Exact search over every live point (with `bitset` when given). */
  exact?: boolean;
}

/** Hits in ascending distance (distance = 1 - cosine for L2-normalised vectors). */
export interface NativeSearchResult {
  labels: Uint32Array;
  distances: Float32Array;
}

export interface NativeCreateOptions {
  /** Slots to allocate (1 ..= 2^31 - 1); insert and upsert grow it when needed. */
  capacity: number;
  /** hnswlib's M (2 ..= 10000). */
  m: number;
  efConstruction: number;
  /** Seed of the level generator (uint32): same seed + same insertion order => same graph with one thread. */
  seed: number;
}

/**
 * The addon's class (native/src/hnsw_native.cc): an hnswlib graph in inner-product space that
 * reads and writes hnswlib's file format. Everything that can take time runs on the libuv thread
 * pool and returns a Promise. Arguments are checked synchronously (TypeError / RangeError);
 * operations on an object that is empty, still loading or closed return a rejected promise.
 */
export interface NativeHnsw {
  /** The counters below are read without a lock; an operation's changes show once it has completed. */
  readonly dims: number;
  /**
   * The inner-product kernel in use: 'avx512' (dims a multiple of 16) or 'avx2' (of 8, with FMA)
   * when this CPU runs it and the object was made with simd (the default), else 'portable'
   * (hnswlib's own function). See native/src/ip_space.h.
   */
  readonly kernel: 'avx512' | 'avx2' | 'portable';
  /** Slots in use (hnswlib's cur_element_count: live and deleted points). 0 once closed. */
  readonly count: number;
  /** Points marked deleted (their slots are reused by upsert). 0 once closed. */
  readonly deleted: number;
  /** Allocated slots (hnswlib's max_elements, which save writes into the file). 0 once closed. */
  readonly capacity: number;
  /** True from the moment close() is called. */
  readonly closed: boolean;

  /** An empty index (allow_replace_deleted). Once per object, instead of load. */
  create(opts: NativeCreateOptions): void;
  /** Validates the file completely, then loads it. Once per object (again after a failed load). */
  load(file: string): Promise<void>;
  /**
   * Adds new labels (not in the index, not even deleted) on `threads` threads; grows the capacity
   * first when needed. `vectors` holds labels.length rows of dims values, already L2-normalised.
   * With threads = 1 the graph is what hnswlib-node's sequential addPoint builds.
   */
  insert(vectors: Float32Array, labels: Uint32Array, threads: number): Promise<void>;
  /** Replaces a label's vector, or adds it (reusing a deleted slot when there is one, else growing when full). */
  upsert(vector: Float32Array, label: number): Promise<void>;
  /** Rejects (changing nothing) when a label is unknown, already deleted or repeated. */
  markDelete(labels: Uint32Array): Promise<void>;
  /** Sets the capacity (at least count): resize(count) fits it before a save. */
  resize(capacity: number): Promise<void>;
  /** Writes, fsyncs and reads the file back; rejects (and removes the file) on any failure. */
  save(file: string): Promise<void>;
  search(query: Float32Array, k: number, ef: number, opts?: NativeSearchOptions): Promise<NativeSearchResult>;
  /** labels.length rows of dims values; a row of NaN where a label is not live. */
  vectors(labels: Uint32Array): Promise<Float32Array>;
  /**
   * Synchronous, on the calling (JS) thread, for small sets (at most 4096 labels, else
   * RangeError): one distance per label in order (NaN where a label is not live), or undefined
   * while a writer holds or waits for the engine's lock (it never waits: use search instead).
   * Throws if the object is closed or not ready.
   */
  distancesNow(query: Float32Array, labels: Uint32Array): Float32Array | undefined;
  /** Like vectors(), synchronously, under the same rules as distancesNow. */
  vectorsNow(labels: Uint32Array): Float32Array | undefined;
  /** Frees the native memory once the operations already submitted have settled. Idempotent. */
  close(): Promise<void>;
}

export interface NativeHnswOptions {
  /**
   * false keeps hnswlib's distance function, which builds byte-identically to hnswlib-node; the
   * default (true) uses the widest kernel the CPU runs, whose last bits can differ from it.
   */
  simd?: boolean;
}

export type NativeHnswConstructor = new (dims: number, opts?: NativeHnswOptions) => NativeHnsw;

export interface NativeBinding {
  NativeHnsw: NativeHnswConstructor;
  /**
   * The C heap policy the addon set when it loaded (hnsw_native.cc, setHeapPolicy): on glibc a
   * fixed mmap threshold of 128 KiB ("mmap-threshold-131072"), so that large blocks freed after a
   * version load go back to the system; "environment" when MALLOC_MMAP_THRESHOLD_ is set (glibc
   * applies it); "default" elsewhere.
   */
  heapPolicy: 'mmap-threshold-131072' | 'environment' | 'default';
}

let binding: NativeBinding | undefined;

/** The compiled addon; `npm ci` builds it (the root `install` script runs node-gyp). */
export function loadNativeBinding(): NativeBinding {
  if (binding) return binding;
  // src/index/ (tsx, jest) or dist/src/index/ (compiled): the addon sits in native/ at the root.
  const roots = [path.resolve(__dirname, '..', '..'), path.resolve(__dirname, '..', '..', '..')];
  const files = roots.map((root) => path.join(root, 'native', 'build', 'Release', 'hnsw_native.node'));
  const found = files.find((f) => existsSync(f));
  if (!found) {
    throw new Error(`the native HNSW addon is not built (${files[0]} is missing); run \`npm run build:native\` (needs python3, make and g++)`);
  }
  // A compiled addon is loaded by path at run time: require is the way.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  binding = require(found) as NativeBinding;
  return binding;
}
