import { promises as fs } from 'node:fs';
import { TopK, type SearchHit } from '../src/index/top-k';

/**
 * The builder's vectors before they go into HNSW: a dense row-major float32 matrix of
 * L2-normalised vectors, row i being the creator with label i. Written as vectors.f32; used for
 * the exact half of the recall check. (The service reads vectors from the HNSW index.)
 */
export class VectorMatrix {
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


  /** Exact top-k by cosine over all rows (tests and benchmarks compare HNSW with it). */
  search(query: Float32Array, k: number): SearchHit[] {
    const top = new TopK(k);
    for (let label = 0; label < this.count; label++) top.push(label, this.dot(label, query));
    return top.sorted();
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
