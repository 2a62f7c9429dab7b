import { promises as fs } from 'node:fs';
import { TopK, type SearchHit } from './top-k';

/**
 * A dense row-major float32 matrix of L2-normalised vectors; row i is the creator with label i.
 * Used for exact search (selective filters, recall checks) and "fans of these creators" queries.
 */
export class VectorMatrix {
  constructor(
    readonly dims: number,
    readonly data: Float32Array,
  ) {
    if (dims <= 0 || data.length % dims !== 0) throw new Error(`matrix of ${data.length} floats is not a multiple of ${dims} dims`);
  }

  get count(): number {
    return this.data.length / this.dims;
  }

  row(label: number): Float32Array {
    return this.data.subarray(label * this.dims, (label + 1) * this.dims);
  }

  dot(label: number, query: Float32Array): number {
    const d = this.data;
    let sum = 0;
    for (let i = 0, o = label * this.dims; i < this.dims; i++, o++) sum += d[o]! * query[i]!;
    return sum;
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
    const out = new Float32Array(this.dims);
    labels.forEach((label, j) => {
      const w = weights?.[j] ?? 1;
      const r = this.row(label);
      for (let i = 0; i < this.dims; i++) out[i]! += w * r[i]!;
    });
    return normalise(out);
  }

  async writeFile(file: string): Promise<void> {
    await fs.writeFile(file, new Uint8Array(this.data.buffer, this.data.byteOffset, this.data.byteLength));
  }

  static async readFile(file: string, dims: number, expectedCount: number): Promise<VectorMatrix> {
    const buf = await fs.readFile(file);
    const expectedBytes = dims * expectedCount * 4;
    if (buf.byteLength !== expectedBytes) {
      throw new Error(`${file} has ${buf.byteLength} bytes, expected ${expectedBytes} (${expectedCount} x ${dims} float32)`);
    }
    // Copy into an aligned buffer owned by the matrix (Buffer pools may be unaligned).
    const data = new Float32Array(dims * expectedCount);
    new Uint8Array(data.buffer).set(buf);
    return new VectorMatrix(dims, data);
  }
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
