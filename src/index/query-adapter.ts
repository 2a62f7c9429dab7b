import { promises as fs } from 'node:fs';
import path from 'node:path';

/**
 * A learned linear map applied to query vectors before search: q' = normalise((I + U·Vᵀ) q).
 * Trained offline on engagement (`npm run train`, docs/LEARNING.md) on top of the frozen encoder;
 * the creator vectors in the index are never changed, so only queries move.
 *
 * File `adapter.f32` (all little-endian):
 *
 * | bytes | content |
 * | --- | --- |
 * | 0–7 | magic `CMADAPT1` (ASCII) |
 * | 8–11 | uint32 format version, 1 |
 * | 12–15 | uint32 dims d (must equal the index's dims) |
 * | 16–19 | uint32 rank r, 1 ≤ r ≤ d |
 * | 20–23 | uint32 kind, 1 = identity plus low rank (W = I + U·Vᵀ) |
 * | 24–31 | reserved, zero |
 * | 32– | float32 U (d × r, row-major), then float32 V (d × r, row-major) |
 *
 * The file is exactly 32 + 8·d·r bytes, and every value is finite. Anything else is refused with
 * an Error that says what is wrong (never a crash, never a partly read adapter).
 */

export const ADAPTER_MAGIC = 'CMADAPT1';
export const ADAPTER_FORMAT_VERSION = 1;
export const ADAPTER_KIND_IDENTITY_PLUS_LOW_RANK = 1;
export const ADAPTER_HEADER_BYTES = 32;

export class QueryAdapterError extends Error {
  override readonly name = 'QueryAdapterError';
}

/** Expected size in bytes of an adapter file of these dims and rank. */
export function adapterFileBytes(dims: number, rank: number): number {
  return ADAPTER_HEADER_BYTES + 8 * dims * rank;
}

export class QueryAdapter {
  private constructor(
    readonly dims: number,
    readonly rank: number,
    /** d × r, row-major. */
    private readonly u: Float32Array,
    /** d × r, row-major. */
    private readonly v: Float32Array,
  ) {}

  /** Reads and validates an adapter file for an index of `dims` dimensions. */
  static async read(file: string, dims: number): Promise<QueryAdapter> {
    let size: number;
    try {
      size = (await fs.stat(file)).size;
    } catch (err) {
      throw new QueryAdapterError(`query adapter ${file} cannot be read: ${(err as Error).message}`);
    }
    // Refuse before reading anything that cannot be an adapter of these dims (a stray huge file).
    if (Number.isInteger(dims) && dims > 0 && size > adapterFileBytes(dims, dims)) {
      throw new QueryAdapterError(`query adapter ${file} has ${size} bytes, more than any adapter of ${dims} dims (${adapterFileBytes(dims, dims)})`);
    }
    let bytes: Buffer;
    try {
      bytes = await fs.readFile(file);
    } catch (err) {
      throw new QueryAdapterError(`query adapter ${file} cannot be read: ${(err as Error).message}`);
    }
    return QueryAdapter.parse(bytes, dims, file);
  }

  /** Validates an adapter held in memory (`source` names it in errors). */
  static parse(bytes: Uint8Array, dims: number, source = 'query adapter'): QueryAdapter {
    const fail = (why: string): never => {
      throw new QueryAdapterError(`${source} is not a valid query adapter: ${why}`);
    };
    if (!Number.isInteger(dims) || dims <= 0) fail(`expected dims must be a positive integer, got ${dims}`);
    if (bytes.length < ADAPTER_HEADER_BYTES) fail(`${bytes.length} bytes is shorter than the ${ADAPTER_HEADER_BYTES}-byte header`);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const magic = String.fromCharCode(...bytes.subarray(0, 8));
    if (magic !== ADAPTER_MAGIC) fail(`bad magic ${JSON.stringify(magic)} (expected ${ADAPTER_MAGIC})`);
    const version = view.getUint32(8, true);
    if (version !== ADAPTER_FORMAT_VERSION) fail(`format version ${version} is not supported (expected ${ADAPTER_FORMAT_VERSION})`);
    const fileDims = view.getUint32(12, true);
    if (fileDims !== dims) fail(`it has ${fileDims} dims, the index has ${dims}`);
    const rank = view.getUint32(16, true);
    if (rank < 1 || rank > dims) fail(`rank ${rank} is outside 1..${dims}`);
    const kind = view.getUint32(20, true);
    if (kind !== ADAPTER_KIND_IDENTITY_PLUS_LOW_RANK) fail(`kind ${kind} is not supported (expected ${ADAPTER_KIND_IDENTITY_PLUS_LOW_RANK}: identity plus low rank)`);
    if (view.getUint32(24, true) !== 0 || view.getUint32(28, true) !== 0) fail('reserved header bytes are not zero');
    const expected = adapterFileBytes(dims, rank);
    if (bytes.length !== expected) fail(`${bytes.length} bytes, expected ${expected} for ${dims} dims and rank ${rank} (truncated or padded)`);
    const n = dims * rank;
    const u = new Float32Array(n);
    const v = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const a = view.getFloat32(ADAPTER_HEADER_BYTES + 4 * i, true);
      const b = view.getFloat32(ADAPTER_HEADER_BYTES + 4 * (n + i), true);
      if (!Number.isFinite(a)) fail(`U[${Math.floor(i / rank)}][${i % rank}] is ${a}`);
      if (!Number.isFinite(b)) fail(`V[${Math.floor(i / rank)}][${i % rank}] is ${b}`);
      u[i] = a;
      v[i] = b;
    }
    return new QueryAdapter(dims, rank, u, v);
  }

  /** An adapter from its factors (W = I + U·Vᵀ, both d × r row-major); values must be finite. */
  static fromFactors(dims: number, rank: number, u: Float32Array, v: Float32Array): QueryAdapter {
    if (!Number.isInteger(dims) || dims <= 0) throw new QueryAdapterError(`dims must be a positive integer, got ${dims}`);
    if (!Number.isInteger(rank) || rank < 1 || rank > dims) throw new QueryAdapterError(`rank ${rank} is outside 1..${dims}`);
    if (u.length !== dims * rank || v.length !== dims * rank) {
      throw new QueryAdapterError(`factors have ${u.length} and ${v.length} values, expected ${dims * rank} each (${dims} x ${rank})`);
    }
    for (let i = 0; i < u.length; i++) {
      if (!Number.isFinite(u[i]!) || !Number.isFinite(v[i]!)) throw new QueryAdapterError(`factor value ${i} is not finite`);
    }
    return new QueryAdapter(dims, rank, Float32Array.from(u), Float32Array.from(v));
  }

  /** The file bytes (header + U + V). */
  toBuffer(): Buffer {
    const n = this.dims * this.rank;
    const out = Buffer.alloc(adapterFileBytes(this.dims, this.rank));
    out.write(ADAPTER_MAGIC, 0, 'ascii');
    out.writeUInt32LE(ADAPTER_FORMAT_VERSION, 8);
    out.writeUInt32LE(this.dims, 12);
    out.writeUInt32LE(this.rank, 16);
    out.writeUInt32LE(ADAPTER_KIND_IDENTITY_PLUS_LOW_RANK, 20);
    for (let i = 0; i < n; i++) {
      out.writeFloatLE(this.u[i]!, ADAPTER_HEADER_BYTES + 4 * i);
      out.writeFloatLE(this.v[i]!, ADAPTER_HEADER_BYTES + 4 * (n + i));
    }
    return out;
  }

  /**
   * The adapted query: a new L2-normalised vector (the input is not modified). Throws an Error for
   * a vector of the wrong length, a non-finite value, or a result of zero norm.
   */
  apply(query: Float32Array): Float32Array {
    const { dims, rank, u, v } = this;
    if (query.length !== dims) throw new QueryAdapterError(`query has ${query.length} values, the adapter has ${dims} dims`);
    const a = new Float64Array(rank);
    for (let i = 0; i < dims; i++) {
      const q = query[i]!;
      if (!Number.isFinite(q)) throw new QueryAdapterError(`query value ${i} is not finite`);
      const row = i * rank;
      for (let j = 0; j < rank; j++) a[j]! += v[row + j]! * q;
    }
    const out = new Float32Array(dims);
    let sq = 0;
    for (let i = 0; i < dims; i++) {
      const row = i * rank;
      let z = query[i]!;
      for (let j = 0; j < rank; j++) z += u[row + j]! * a[j]!;
      out[i] = z;
      sq += z * z;
    }
    const norm = Math.sqrt(sq);
    if (!(norm > 0) || !Number.isFinite(norm)) throw new QueryAdapterError('the adapted query has zero or non-finite norm');
    for (let i = 0; i < dims; i++) out[i]! /= norm;
    return out;
  }
}

/** What `readVersionAdapter` needs of a manifest (its `dims` and optional `adapter` block). */
export interface AdapterOfManifest {
  dims: number;
  adapter?: { file: string; dims: number; rank: number } | undefined;
}

/**
 * The query adapter of a version directory, or undefined when its manifest has none. The file's
 * header must agree with the manifest (dims, rank). Its sha256 and size are checked with the
 * other files by verifyFiles, before this is called.
 */
export async function readVersionAdapter(versionDir: string, manifest: AdapterOfManifest): Promise<QueryAdapter | undefined> {
  const block = manifest.adapter;
  if (!block) return undefined;
  if (block.dims !== manifest.dims) throw new QueryAdapterError(`manifest adapter has ${block.dims} dims, the index has ${manifest.dims}`);
  const adapter = await QueryAdapter.read(path.join(versionDir, block.file), manifest.dims);
  if (adapter.rank !== block.rank) throw new QueryAdapterError(`${block.file} has rank ${adapter.rank}, the manifest says ${block.rank}`);
  return adapter;
}
