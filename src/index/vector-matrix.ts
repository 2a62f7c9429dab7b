import { promises as fs } from 'node:fs';
import { TopK, type SearchHit } from './top-k';
import type { VectorStore } from './vector-store';

/**
 * A dense row-major float32 matrix of L2-normalised vectors; row i is the creator with label i.
 * Used for exact search (selective filters, recall checks) and "fans of these creators" queries.
 */
export class VectorMatrix implements VectorStore {
  private buffer: Float32Array;
  private rows: number;

  constructor(
    readonly dims: number,
    data: Float32Array,
  ) {
    if (dims <= 0 || data.length % dims !== 0) throw new Error(`matrix of ${data.length} floats is not a multiple of ${dims} dims`);
    this.buffer = data;
    this.rows = data.length / dims;
  }

  get count(): number {
    return this.rows;
  }

  /** The live rows (a view; invalidated by `append`). */
  get data(): Float32Array {
    return this.buffer.subarray(0, this.rows * this.dims);
  }

  /** Appends a row (capacity doubles as needed); returns its label. */
  append(vector: Float32Array): number {
    if (vector.length !== this.dims) throw new Error(`row has ${vector.length} values, matrix has ${this.dims} dims`);
    if ((this.rows + 1) * this.dims > this.buffer.length) {
      const grown = new Float32Array(Math.max(this.dims * 16, this.buffer.length * 2));
      grown.set(this.data);
      this.buffer = grown;
    }
    this.buffer.set(vector, this.rows * this.dims);
    return this.rows++;
  }

  row(label: number): Float32Array {
    return this.buffer.subarray(label * this.dims, (label + 1) * this.dims);
  }

  dot(label: number, query: Float32Array): number {
    const d = this.buffer;
    let sum = 0;
    for (let i = 0, o = label * this.dims; i < this.dims; i++, o++) sum += d[o]! * query[i]!;
    return sum;
  }

  /** Exact scoring of rows [from, to) into `top` (for scans split across event-loop turns). */
  scanRange(top: TopK, query: Float32Array, from: number, to: number, allows?: (label: number) => boolean): void {
    const end = Math.min(to, this.count);
    for (let label = from; label < end; label++) if (!allows || allows(label)) top.push(label, this.dot(label, query));
  }

  /** Exact top-k by cosine over `labels` (default: all rows) that `allows` keeps. */
  search(query: Float32Array, k: number, labels?: Iterable<number>, allows?: (label: number) => boolean): SearchHit[] {
    const top = new TopK(k);
    const visit = (label: number): void => {
      if (allows && !allows(label)) return;
      top.push(label, this.dot(label, query));
    };
    if (labels) for (const label of labels) visit(label);
    else for (let label = 0; label < this.count; label++) visit(label);
    return top.sorted();
  }

  /** Normalised mean of some rows (weights default to 1), or undefined if it has zero norm. */
  mean(labels: readonly number[], weights?: readonly number[]): Float32Array | undefined {
    return meanOfRows(this, labels, weights);
  }

  async writeFile(file: string): Promise<void> {
    const data = this.data;
    await fs.writeFile(file, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  }

  static async readFile(file: string, dims: number, expectedCount: number): Promise<VectorMatrix> {
    const handle = await fs.open(file, 'r');
    try {
      const { size } = await handle.stat();
      const expectedBytes = dims * expectedCount * 4;
      if (size !== expectedBytes) {
        throw new Error(`${file} has ${size} bytes, expected ${expectedBytes} (${expectedCount} x ${dims} float32)`);
      }
      // Read straight into the aligned buffer the matrix owns: no second copy of the file in memory.
      const data = new Float32Array(dims * expectedCount);
      const bytes = new Uint8Array(data.buffer);
      for (let off = 0; off < bytes.length; ) {
        const { bytesRead } = await handle.read(bytes, off, Math.min(1 << 24, bytes.length - off), off);
        if (bytesRead === 0) throw new Error(`${file} ended after ${off} of ${expectedBytes} bytes`);
        off += bytesRead;
      }
      return new VectorMatrix(dims, data);
    } finally {
      await handle.close();
    }
  }
}

/** Weighted mean of rows, normalised (shared by the vector stores). */
export function meanOfRows(store: Pick<VectorStore, 'dims' | 'row'>, labels: readonly number[], weights?: readonly number[]): Float32Array | undefined {
  const out = new Float32Array(store.dims);
  labels.forEach((label, j) => {
    const w = weights?.[j] ?? 1;
    const r = store.row(label);
    for (let i = 0; i < store.dims; i++) out[i]! += w * r[i]!;
  });
  return normalise(out);
}

/** L2-normalises in place; returns undefined for a zero or non-finite norm. */
export function normalise(v: Float32Array): Float32Array | undefined {
  let sq = 0;
  for (let i = 0; i < v.length; i++) sq += v[i]! * v[i]!;
  const norm = Math.sqrt(sq);
  if (!(norm > 0) || !Number.isFinite(norm)) return undefined;
  for (let i = 0; i < v.length; i++) v[i]! /= norm;
  return v;
}
