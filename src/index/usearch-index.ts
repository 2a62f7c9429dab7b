import { Index, MetricKind, ScalarKind } from 'usearch';
import type { SearchHit } from './top-k';
import type { HnswParams, VectorIndex } from './vector-index';
import type { VectorMatrix } from './vector-matrix';

export type UsearchScalar = 'f32' | 'f16' | 'i8';

const SCALARS: Record<UsearchScalar, ScalarKind> = { f32: ScalarKind.F32, f16: ScalarKind.F16, i8: ScalarKind.I8 };

/**
 * usearch (HNSW, C++) in inner-product space over pre-normalised vectors: score = 1 - distance.
 * Takes Float32Array queries directly, searches many queries on several threads in one call, and
 * can store vectors as f16 or i8. The npm binding fixes `expansion_search` (ef) when the index is
 * constructed, so this class holds one native index per ef in use; those are memory-mapped views of
 * the same saved file (pages shared) after `load`, or the in-memory index itself for its build ef.
 */
export class UsearchIndex implements VectorIndex {
  readonly kind = 'usearch';
  private readonly byEf = new Map<number, Index>();
  private closed = false;

  private constructor(
    readonly dims: number,
    private readonly scalar: UsearchScalar,
    private readonly connectivity: number,
    private readonly defaultEf: number,
    first: Index,
    private file: string | undefined,
  ) {
    this.byEf.set(defaultEf, first);
  }

  static build(matrix: VectorMatrix, params: HnswParams, opts: { scalar?: UsearchScalar; threads?: number } = {}): UsearchIndex {
    const scalar = opts.scalar ?? 'f32';
    const native = new Index({
      dimensions: matrix.dims,
      metric: MetricKind.IP,
      quantization: SCALARS[scalar],
      connectivity: params.m,
      expansion_add: params.efConstruction,
      expansion_search: params.efSearch,
      multi: false,
    });
    if (matrix.count > 0) {
      const keys = new BigUint64Array(matrix.count);
      for (let i = 0; i < matrix.count; i++) keys[i] = BigInt(i);
      native.add(keys, matrix.data, opts.threads ?? 0);
    }
    return new UsearchIndex(matrix.dims, scalar, params.m, params.efSearch, native, undefined);
  }

  /** Loads a saved index; `view` memory-maps it instead of reading it into memory. */
  static load(file: string, dims: number, params: Pick<HnswParams, 'm' | 'efSearch'>, opts: { scalar?: UsearchScalar; view?: boolean } = {}): UsearchIndex {
    const scalar = opts.scalar ?? 'f32';
    const native = UsearchIndex.open(file, dims, scalar, params.m, params.efSearch, opts.view ?? false);
    return new UsearchIndex(dims, scalar, params.m, params.efSearch, native, file);
  }

  private static open(file: string, dims: number, scalar: UsearchScalar, m: number, ef: number, view: boolean): Index {
    const native = new Index({ dimensions: dims, metric: MetricKind.IP, quantization: SCALARS[scalar], connectivity: m, expansion_add: 0, expansion_search: ef, multi: false });
    if (view) native.view(file);
    else native.load(file);
    return native;
  }

  get size(): number {
    return this.native(this.defaultEf).size();
  }

  private native(ef: number): Index {
    if (this.closed) throw new Error('usearch index is closed');
    const have = this.byEf.get(ef);
    if (have) return have;
    // usearch searches with max(expansion_search, k), so any ef <= the default uses the default.
    if (ef <= this.defaultEf || this.file === undefined) return this.byEf.get(this.defaultEf)!;
    const opened = UsearchIndex.open(this.file, this.dims, this.scalar, this.connectivity, ef, true);
    this.byEf.set(ef, opened);
    return opened;
  }

  search(query: Float32Array, k: number, ef: number): SearchHit[] {
    const n = Math.min(k, this.size);
    if (n <= 0) return [];
    const res = this.native(Math.max(ef, n)).search(query, n, 1);
    return toHits(res.keys, res.distances, res.keys.length);
  }

  /** Many queries in one native call on `threads` threads (0: all cores); blocks the caller. */
  searchBatch(queries: readonly Float32Array[], k: number, ef: number, threads: number): SearchHit[][] {
    if (queries.length === 0) return [];
    const n = Math.min(k, this.size);
    if (n <= 0) return queries.map(() => []);
    if (queries.length === 1) return [this.search(queries[0]!, k, ef)];
    const flat = new Float32Array(queries.length * this.dims);
    queries.forEach((q, i) => flat.set(q, i * this.dims));
    // A flat Float32Array of several rows is searched as a batch.
    const res = this.native(Math.max(ef, n)).search(flat as unknown as Float32Array[], n, threads) as unknown as {
      keys: BigUint64Array;
      distances: Float32Array;
      counts: BigUint64Array;
    };
    return queries.map((_, i) => {
      const count = Number(res.counts[i]);
      return toHits(res.keys.subarray(i * n, i * n + count), res.distances.subarray(i * n, i * n + count), count);
    });
  }

  async save(file: string): Promise<void> {
    this.native(this.defaultEf).save(file);
    this.file ??= file;
  }

  close(): void {
    this.closed = true;
    this.byEf.clear();
  }
}

function toHits(keys: BigUint64Array, distances: Float32Array, count: number): SearchHit[] {
  const hits: SearchHit[] = [];
  for (let i = 0; i < count; i++) hits.push({ label: Number(keys[i]), score: 1 - distances[i]! });
  return hits.sort((a, b) => b.score - a.score || a.label - b.label);
}
