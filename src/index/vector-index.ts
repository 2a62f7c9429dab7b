import type { SearchHit } from './top-k';

export interface HnswParams {
  m: number;
  efConstruction: number;
  efSearch: number;
  randomSeed: number;
}

/**
 * An approximate nearest-neighbour index over L2-normalised vectors with cosine scores.
 * hnswlib-node is the implementation today; others can be measured behind this interface.
 */
export interface VectorIndex {
  /** Implementation name, recorded in the manifest. */
  readonly kind: string;
  readonly dims: number;
  readonly size: number;
  /** Best-first hits; `ef` is raised to at least k. */
  search(query: Float32Array, k: number, ef: number): SearchHit[];
  /** Adds a point under a new label (incremental upsert). */
  add(vector: Float32Array, label: number): void;
  /** Hides a label from searches (incremental delete or replaced version of a creator). */
  remove(label: number): void;
  save(file: string): Promise<void>;
  /** Idempotent; the index must not be used afterwards. */
  close(): void;
}
