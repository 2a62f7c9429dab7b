import { Index, MetricKind, ScalarKind } from 'usearch';
import type { SearchHit } from './top-k';
import type { HnswParams, VectorIndex } from './vector-index';
import type { VectorMatrix } from './vector-matrix';

export type UsearchScalar = 'f32' | 'f16' | 'i8';

const SCALARS: Record<UsearchScalar, ScalarKind> = { f32: ScalarKind.F32, f16: ScalarKind.F16, i8: ScalarKind.I8 };

/**
 * usearch (HNSW, C++) in inner-product space over pre-normalised vectors: score = 1 - distance.
 * Takes Float32Array queries directly, searches many queries on several threads in one call
 * (`searchBatch`), and can store vectors as f16 or i8. The npm binding fixes `expansion_search`
 * when the native index is constructed (`efSearch` at build/load) and searches with
 * max(expansion, wanted); a call with a larger ef therefore asks for ef results and keeps the k best.
 */
export class UsearchIndex implements VectorIndex {
  readonly kind = 'usearch';
  private native: Index | undefined;
  private readonly readOnly: boolean;

  private constructor(
    readonly dims: number,
    readonly scalar: UsearchScalar,
    native: Index,
    readOnly: boolean,
  ) {
    this.native = native;
    this.readOnly = readOnly;
  }

  private static create(dims: number, scalar: UsearchScalar, m: number, efConstruction: number, efSearch: number): Index {
    return new Index({ dimensions: dims, metric: MetricKind.IP, quantization: SCALARS[scalar], connectivity: m, expansion_add: efConstruction, expansion_search: efSearch, multi: false });
  }

  static build(matrix: VectorMatrix, params: HnswParams, opts: { scalar?: UsearchScalar; threads?: number } = {}): UsearchIndex {
    const scalar = opts.scalar ?? 'f32';
    const native = UsearchIndex.create(matrix.dims, scalar, params.m, params.efConstruction, params.efSearch);
    if (matrix.count > 0) {
      const keys = new BigUint64Array(matrix.count);
      for (let i = 0; i < matrix.count; i++) keys[i] = BigInt(i);
      native.add(keys, matrix.data, opts.threads ?? 0);
    }
    return new UsearchIndex(matrix.dims, scalar, native, false);
  }

  /** Loads a saved index; `view` memory-maps it (read-only, pages shared with the page cache). */
  static load(file: string, dims: number, params: Pick<HnswParams, 'm' | 'efConstruction' | 'efSearch'>, opts: { scalar?: UsearchScalar; view?: boolean } = {}): UsearchIndex {
    const scalar = opts.scalar ?? 'f32';
    const native = UsearchIndex.create(dims, scalar, params.m, params.efConstruction, params.efSearch);
    if (opts.view) native.view(file);
    else native.load(file);
    return new UsearchIndex(dims, scalar, native, opts.view ?? false);
  }

  private get index(): Index {
    if (!this.native) throw new Error('usearch index is closed');
    return this.native;
  }

  get size(): number {
    return this.index.size();
  }

  search(query: Float32Array, k: number, ef: number): SearchHit[] {
    const size = this.size;
    const n = Math.min(k, size);
    if (n <= 0) return [];
    const res = this.index.search(query, Math.max(n, Math.min(ef, size)), 1);
    return toHits(res.keys, res.distances, res.keys.length).slice(0, n);
  }

  /** Many queries in one native call on `threads` threads (0: all cores); blocks the caller. */
  searchBatch(queries: readonly Float32Array[], k: number, ef: number, threads: number): SearchHit[][] {
    if (queries.length === 0) return [];
    const n = Math.min(k, this.size);
    if (n <= 0) return queries.map(() => []);
    if (queries.length === 1) return [this.search(queries[0]!, k, ef)];
    const want = Math.max(n, Math.min(ef, this.size));
    const flat = new Float32Array(queries.length * this.dims);
    queries.forEach((q, i) => flat.set(q, i * this.dims));
    // A flat Float32Array of several rows is searched as a batch (BatchMatches).
    const res = this.index.search(flat as unknown as Float32Array[], want, threads);
    return queries.map((_, i) => {
      const count = Number(res.counts[i]);
      return toHits(res.keys.subarray(i * want, i * want + count), res.distances.subarray(i * want, i * want + count), count).slice(0, n);
    });
  }

  add(vector: Float32Array, label: number): void {
    if (this.readOnly) throw new Error('usearch index is a read-only view');
    this.index.add(BigInt(label), vector);
  }

  remove(label: number): void {
    if (this.readOnly) throw new Error('usearch index is a read-only view');
    this.index.remove(BigInt(label));
  }

  async save(file: string): Promise<void> {
    this.index.save(file);
  }

  close(): void {
    // Native memory is freed when the object is collected.
    this.native = undefined;
  }
}

function toHits(keys: BigUint64Array, distances: Float32Array, count: number): SearchHit[] {
  const hits: SearchHit[] = [];
  for (let i = 0; i < count; i++) hits.push({ label: Number(keys[i]), score: 1 - distances[i]! });
  return hits.sort((a, b) => b.score - a.score || a.label - b.label);
}
