import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ADAPTER_HEADER_BYTES, adapterFileBytes, QueryAdapter, QueryAdapterError, readVersionAdapter } from '../../src/index/query-adapter';
import { mulberry32 } from '../../src/util/mulberry32';

const rand = mulberry32(11);
const randomArray = (n: number, scale = 1): Float32Array => Float32Array.from({ length: n }, () => (rand() - 0.5) * scale);
const unit = (n: number): Float32Array => {
  const v = randomArray(n);
  const norm = Math.hypot(...v);
  return v.map((x) => x / norm);
};

let dir: string;
beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'adapter-'));
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

/** Reference: normalise((I + U Vᵀ) q) with plain loops in float64. */
function reference(u: Float32Array, v: Float32Array, d: number, r: number, q: Float32Array): number[] {
  const w = Array.from({ length: d }, (_, i) => Array.from({ length: d }, (_, j) => (i === j ? 1 : 0) + Array.from({ length: r }, (_, k) => u[i * r + k]! * v[j * r + k]!).reduce((a, b) => a + b, 0)));
  const z = w.map((row) => row.reduce((s, x, j) => s + x * q[j]!, 0));
  const n = Math.hypot(...z);
  return z.map((x) => x / n);
}

describe('QueryAdapter', () => {
  const d = 12;
  const r = 3;
  const u = randomArray(d * r, 0.5);
  const v = randomArray(d * r, 0.5);

  it('applies normalise((I + U·Vᵀ) q) and returns a new unit vector', () => {
    const a = QueryAdapter.fromFactors(d, r, u, v);
    const q = unit(d);
    const before = Float32Array.from(q);
    const out = a.apply(q);
    expect(out).not.toBe(q);
    expect(q).toEqual(before);
    const want = reference(u, v, d, r, q);
    out.forEach((x, i) => expect(x).toBeCloseTo(want[i]!, 5));
    expect(Math.hypot(...out)).toBeCloseTo(1, 6);
  });

  it('with U = 0 is the identity (up to normalisation)', () => {
    const a = QueryAdapter.fromFactors(d, r, new Float32Array(d * r), v);
    const q = randomArray(d);
    const n = Math.hypot(...q);
    a.apply(q).forEach((x, i) => expect(x).toBeCloseTo(q[i]! / n, 6));
  });

  it('round-trips through the file format', async () => {
    const a = QueryAdapter.fromFactors(d, r, u, v);
    const buf = a.toBuffer();
    expect(buf.length).toBe(adapterFileBytes(d, r));
    expect(buf.subarray(0, 8).toString('ascii')).toBe('CMADAPT1');
    const file = path.join(dir, 'ok.f32');
    await fs.writeFile(file, buf);
    const b = await QueryAdapter.read(file, d);
    expect(b.dims).toBe(d);
    expect(b.rank).toBe(r);
    expect(b.toBuffer().equals(buf)).toBe(true);
    const q = unit(d);
    expect(b.apply(q)).toEqual(a.apply(q));
  });

  describe('refuses corrupt files with an Error that says why', () => {
    const good = QueryAdapter.fromFactors(d, r, u, v).toBuffer();
    const mutate = (f: (b: Buffer) => Buffer): Buffer => f(Buffer.from(good));
    const cases: Array<[string, Buffer, RegExp]> = [
      ['empty file', Buffer.alloc(0), /shorter than the 32-byte header/],
      ['bad magic', mutate((b) => (b.write('NOTADAPT', 0, 'ascii'), b)), /bad magic/],
      ['unknown format version', mutate((b) => (b.writeUInt32LE(2, 8), b)), /format version 2/],
      ['other dims', mutate((b) => (b.writeUInt32LE(13, 12), b)), /13 dims, the index has 12/],
      ['rank 0', mutate((b) => (b.writeUInt32LE(0, 16), b)), /rank 0 is outside 1\.\.12/],
      ['rank above dims', mutate((b) => (b.writeUInt32LE(13, 16), b)), /rank 13 is outside/],
      ['unknown kind', mutate((b) => (b.writeUInt32LE(9, 20), b)), /kind 9/],
      ['reserved bytes set', mutate((b) => (b.writeUInt32LE(1, 28), b)), /reserved/],
      ['truncated', good.subarray(0, good.length - 4), /expected .* \(truncated or padded\)/],
      ['padded', Buffer.concat([good, Buffer.alloc(4)]), /truncated or padded/],
      ['NaN in U', mutate((b) => (b.writeFloatLE(NaN, ADAPTER_HEADER_BYTES + 4 * 5), b)), /U\[1\]\[2\] is NaN/],
      ['Infinity in V', mutate((b) => (b.writeFloatLE(Infinity, ADAPTER_HEADER_BYTES + 4 * (d * r)), b)), /V\[0\]\[0\] is Infinity/],
    ];
    it.each(cases)('%s', async (_name, bytes, why) => {
      const file = path.join(dir, `bad-${_name.replace(/\W+/g, '-')}.f32`);
      await fs.writeFile(file, bytes);
      const err = await QueryAdapter.read(file, d).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(QueryAdapterError);
      expect((err as Error).message).toMatch(why);
      expect((err as Error).message).toContain(file);
    });

    it('a missing file', async () => {
      await expect(QueryAdapter.read(path.join(dir, 'nope.f32'), d)).rejects.toThrow(/cannot be read/);
    });

    it('a file larger than any adapter of these dims is refused before reading it', async () => {
      const file = path.join(dir, 'huge.f32');
      await fs.writeFile(file, Buffer.alloc(adapterFileBytes(d, d) + 1));
      await expect(QueryAdapter.read(file, d)).rejects.toThrow(/more than any adapter of 12 dims/);
    });
  });

  it('apply() refuses a wrong length or a non-finite value', () => {
    const a = QueryAdapter.fromFactors(d, r, u, v);
    expect(() => a.apply(new Float32Array(d + 1))).toThrow(/13 values, the adapter has 12 dims/);
    const q = unit(d);
    q[3] = NaN;
    expect(() => a.apply(q)).toThrow(/value 3 is not finite/);
    expect(() => QueryAdapter.fromFactors(d, r, new Float32Array(d * r), v).apply(new Float32Array(d))).toThrow(/zero or non-finite norm/);
  });

  it('fromFactors validates shapes and values', () => {
    expect(() => QueryAdapter.fromFactors(d, 0, u, v)).toThrow(/rank 0/);
    expect(() => QueryAdapter.fromFactors(d, r, u.subarray(1), v)).toThrow(/expected 36 each/);
    const bad = Float32Array.from(u);
    bad[0] = Infinity;
    expect(() => QueryAdapter.fromFactors(d, r, bad, v)).toThrow(/not finite/);
  });

  it('readVersionAdapter: none without a manifest block; the header must agree with the manifest', async () => {
    expect(await readVersionAdapter(dir, { dims: d })).toBeUndefined();
    await fs.writeFile(path.join(dir, 'adapter.f32'), QueryAdapter.fromFactors(d, r, u, v).toBuffer());
    const a = await readVersionAdapter(dir, { dims: d, adapter: { file: 'adapter.f32', dims: d, rank: r } });
    expect(a?.rank).toBe(r);
    await expect(readVersionAdapter(dir, { dims: d, adapter: { file: 'adapter.f32', dims: d, rank: 4 } })).rejects.toThrow(/rank 3, the manifest says 4/);
    await expect(readVersionAdapter(dir, { dims: d, adapter: { file: 'adapter.f32', dims: 8, rank: r } })).rejects.toThrow(/8 dims, the index has 12/);
  });
});
