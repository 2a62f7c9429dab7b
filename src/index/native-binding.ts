import { existsSync } from 'node:fs';
import path from 'node:path';

/** Search options of the addon: a bitset filter, exact search over given labels, or over all. */
export interface NativeSearchOptions {
  bitset?: Uint8Array;
  labels?: Uint32Array;
  exact?: boolean;
}

export interface NativeHits {
  labels: Uint32Array;
  /** Ascending; 1 - cosine. */
  distances: Float32Array;
}

/** The addon's class (native/src/hnsw_native.cc). */
export interface NativeHnsw {
  readonly dims: number;
  readonly count: number;
  readonly deleted: number;
  readonly capacity: number;
  readonly closed: boolean;
  create(opts: { capacity: number; m: number; efConstruction: number; seed: number }): void;
  load(file: string): Promise<void>;
  insert(vectors: Float32Array, labels: Uint32Array, threads: number): Promise<void>;
  upsert(vector: Float32Array, label: number): Promise<void>;
  markDelete(labels: Uint32Array): Promise<void>;
  resize(capacity: number): Promise<void>;
  save(file: string): Promise<void>;
  search(query: Float32Array, k: number, ef: number, opts?: NativeSearchOptions): Promise<NativeHits>;
  vectors(labels: Uint32Array): Promise<Float32Array>;
  close(): Promise<void>;
}

export type NativeHnswConstructor = new (dims: number) => NativeHnsw;

let binding: NativeHnswConstructor | undefined;

/** The compiled addon; `npm ci` builds it (the root `install` script runs node-gyp). */
export function loadNativeBinding(): NativeHnswConstructor {
  if (binding) return binding;
  // src/index/ (tsx, jest) or dist/src/index/ (compiled): the addon sits in native/ at the root.
  const places = [path.resolve(__dirname, '..', '..'), path.resolve(__dirname, '..', '..', '..')];
  const found = places.map((root) => path.join(root, 'native', 'build', 'Release', 'hnsw_native.node')).find((f) => existsSync(f));
  if (!found) {
    const file = path.join(places[0]!, 'native', 'build', 'Release', 'hnsw_native.node');
    throw new Error(`the native HNSW addon is not built (${file} is missing); run \`npm run build:native\` (needs python3, make and g++)`);
  }
  binding = (require(found) as { NativeHnsw: NativeHnswConstructor }).NativeHnsw;
  return binding;
}
