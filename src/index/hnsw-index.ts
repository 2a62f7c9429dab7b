import { HierarchicalNSW } from 'hnswlib-node';
import type { SearchHit } from './top-k';
import type { HnswParams, VectorIndex } from './vector-index';
import type { VectorMatrix } from './vector-matrix';

/**
 * hnswlib-node in inner-product space over pre-normalised vectors (score = 1 - distance = cosine).
 * searchKnn is synchronous and takes plain arrays only; its filter callback crosses into JS per
 * visited node, so filtering is done by the caller (over-fetch + post-filter, or exact search).
 */
export class HnswIndex implements VectorIndex {
  readonly kind = 'hnswlib-node';
  private native: HierarchicalNSW | undefined;
  private currentEf = 0;
  /** Marked-deleted slots not yet reused (hnswlib does not expose its own count). */
  private deleted = 0;
  /** Reused argument of addPoint (it takes plain arrays only). */
  private row: number[] = [];

  private constructor(
    native: HierarchicalNSW,
    readonly dims: number,
  ) {
    this.native = native;
  }

  static build(matrix: VectorMatrix, params: HnswParams, onProgress?: (done: number) => void): HnswIndex {
    const index = HnswIndex.create(matrix.dims, params, matrix.count);
    for (let label = 0; label < matrix.count; label++) {
      index.insert(matrix.row(label), label);
      if (onProgress && (label % 256 === 255 || label === matrix.count - 1)) onProgress(label + 1);
    }
    return index;
  }

  /**
   * An empty index for `insert` (the index builder inserts rows as its parser delivers them).
   * `capacity` is a first guess; insert grows it and `fit` trims it to the count before saving.
   */
  static create(dims: number, params: HnswParams, capacity: number): HnswIndex {
    const native = new HierarchicalNSW('ip', dims);
    native.initIndex({
      maxElements: Math.max(capacity, 1),
      m: params.m,
      efConstruction: params.efConstruction,
      randomSeed: params.randomSeed,
      allowReplaceDeleted: true,
    });
    return new HnswIndex(native, dims);
  }

  /**
   * Adds a new point (build path: no deleted slots to reuse). Growing the capacity does not change
   * the graph: hnswlib draws levels from its seeded generator in insertion order either way.
   */
  insert(vector: Float32Array, label: number): void {
    const index = this.index;
    if (index.getCurrentCount() >= index.getMaxElements()) index.resizeIndex(Math.ceil(index.getMaxElements() * 1.5) + 16);
    const row = this.row.length === this.dims ? this.row : (this.row = new Array<number>(this.dims));
    for (let i = 0; i < this.dims; i++) row[i] = vector[i]!;
    index.addPoint(row, label);
  }

  /**
   * Trims the capacity to the points held. hnswlib saves max_elements in the file and allocates it
   * on load, so an index built with a guessed capacity must be fitted before `save`.
   */
  fit(): void {
    const index = this.index;
    const count = Math.max(index.getCurrentCount(), 1);
    if (index.getMaxElements() !== count) index.resizeIndex(count);
  }

  /** Loads into a new native object (never replace a serving index in place). */
  static async load(file: string, dims: number): Promise<HnswIndex> {
    const native = new HierarchicalNSW('ip', dims);
    await native.readIndex(file, true);
    return new HnswIndex(native, dims);
  }

  private get index(): HierarchicalNSW {
    if (!this.native) throw new Error('HNSW index is closed');
    return this.native;
  }

  /** Live (not deleted) points. */
  get size(): number {
    return this.index.getCurrentCount() - this.deleted;
  }

  search(query: Float32Array, k: number, ef: number): SearchHit[] {
    const index = this.index;
    const n = Math.min(k, this.size);
    if (n <= 0) return [];
    const wantEf = Math.max(ef, n);
    if (wantEf !== this.currentEf) {
      index.setEf(wantEf);
      this.currentEf = wantEf;
    }
    const { neighbors, distances } = index.searchKnn(Array.from(query), n);
    const hits: SearchHit[] = neighbors.map((label, i) => ({ label, score: 1 - distances[i]! }));
    return hits.sort((a, b) => b.score - a.score || a.label - b.label);
  }

  /** Adds (or re-adds) a point, reusing a deleted slot when there is one and growing when full. */
  add(vector: Float32Array, label: number): void {
    const index = this.index;
    if (index.getCurrentCount() >= index.getMaxElements()) index.resizeIndex(Math.max(16, index.getMaxElements() * 2));
    index.addPoint(Array.from(vector), label, true);
    if (this.deleted > 0) this.deleted--; // replaceDeleted reused a slot
  }

  /** Hides a label from searches (hnswlib markDelete); its slot can be reused by `add`. */
  remove(label: number): void {
    this.index.markDelete(label);
    this.deleted++;
  }

  /**
   * hnswlib writes with an unchecked std::ofstream: on a full disk (ENOSPC) or a file-size limit
   * (EFBIG) writeIndex still resolves and leaves a truncated file. So the file is read back (hnswlib
   * checks the layout against the file size) before anyone records its checksum.
   */
  async save(file: string): Promise<void> {
    const index = this.index;
    await index.writeIndex(file);
    const check = new HierarchicalNSW('ip', this.dims);
    try {
      await check.readIndex(file, true);
    } catch (err) {
      throw new Error(`${file} was not written completely (is the disk full?): ${(err as Error).message}`);
    }
    if (check.getCurrentCount() !== index.getCurrentCount()) {
      throw new Error(`${file} was not written completely: it holds ${check.getCurrentCount()} points, not ${index.getCurrentCount()}`);
    }
  }

  close(): void {
    // hnswlib-node frees native memory on GC; dropping the reference is all we can do.
    this.native = undefined;
  }
}
