import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { HnswIndex } from '../../src/index/hnsw-index';
import { NativeHnswIndex } from '../../src/index/native-hnsw';
import { VectorMatrix } from '../../src/index/vector-matrix';
import { bitsetOf, IndexVectors } from '../../src/index/vector-store';
import { TopK } from '../../src/index/top-k';
import { prng, syntheticCreators } from '../helpers/synthetic';

const N = 2000;
const DIMS = 32;
const creators = syntheticCreators(N, DIMS, 11);
const matrix = new VectorMatrix(DIMS, Float32Array.from(creators.flatMap((c) => c.vector)));
const rand = prng(5);
const queries = Array.from({ length: 40 }, () => matrix.row(Math.floor(rand() * N)).map((x) => x + 0.05 * (rand() - 0.5)));
const labelsOf = (hits: { label: number }[]): number[] => hits.map((h) => h.label);

describe('NativeHnswIndex (native/src/hnsw_native.cc) on a file written by hnswlib-node', () => {
  let dir: string;
  let built: HnswIndex;
  let file: string;
  let native: NativeHnswIndex;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'native-hnsw-'));
    file = path.join(dir, 'index.hnsw');
    built = HnswIndex.build(matrix, { m: 12, efConstruction: 100, efSearch: 40, randomSeed: 3 });
    await built.save(file);
    native = await NativeHnswIndex.load(file, DIMS);
  });
  afterAll(() => {
    native.close();
    built.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('returns what hnswlib-node returns for the same graph and ef', () => {
    expect(native.size).toBe(N);
    for (const q of queries) {
      for (const [k, ef] of [[1, 10], [10, 40], [50, 80]] as const) {
        const a = native.search(q, k, ef);
        const b = built.search(q, k, ef);
        expect(labelsOf(a)).toEqual(labelsOf(b));
        a.forEach((h, i) => expect(h.score).toBeCloseTo(b[i]!.score, 5));
      }
    }
  });

  it('answers concurrent searches on the thread pool exactly like the synchronous call', async () => {
    const jobs = queries.flatMap((q) => [native.searchAsync(q, 10, 40), native.searchAsync(q, 25, 60)]);
    const results = await Promise.all(jobs);
    queries.forEach((q, i) => {
      expect(labelsOf(results[2 * i]!)).toEqual(labelsOf(native.search(q, 10, 40)));
      expect(labelsOf(results[2 * i + 1]!)).toEqual(labelsOf(native.search(q, 25, 60)));
    });
  });

  it('gives out the stored vectors and searches them exactly, in place', () => {
    expect(Array.from(native.vector(7)!)).toEqual(Array.from(matrix.row(7)));
    expect(native.vector(N + 5)).toBeUndefined();
    const store = new IndexVectors(native, N);
    const labels = Array.from({ length: 300 }, (_, i) => i * 6);
    const allows = (l: number): boolean => l % 3 === 0;
    for (const q of queries.slice(0, 10)) {
      expect(labelsOf(store.search(q, 10, labels))).toEqual(labelsOf(matrix.search(q, 10, labels)));
      expect(labelsOf(store.search(q, 10, undefined, allows))).toEqual(labelsOf(matrix.search(q, 10, undefined, allows)));
      expect(labelsOf(store.search(q, 5))).toEqual(labelsOf(matrix.search(q, 5)));
      const a = new TopK(10);
      const b = new TopK(10);
      store.scanRange(a, q, 100, 900, allows);
      matrix.scanRange(b, q, 100, 900, allows);
      expect(labelsOf(a.sorted())).toEqual(labelsOf(b.sorted()));
    }
    const mean = store.mean([1, 2, 3], [1, 2, 0.5])!;
    const want = matrix.mean([1, 2, 3], [1, 2, 0.5])!;
    mean.forEach((x, i) => expect(x).toBeCloseTo(want[i]!, 6));
  });

  it('filters inside the traversal with a bitset: never leaks, close to exact', async () => {
    const allows = (l: number): boolean => l % 10 === 4;
    const bitset = bitsetOf(N, allows);
    let overlap = 0;
    for (const q of queries) {
      const hits = await native.searchAsync(q, 10, 64, { bitset, nbits: N });
      expect(hits).toHaveLength(10);
      for (const h of hits) expect(allows(h.label)).toBe(true);
      const exact = new Set(labelsOf(matrix.search(q, 10, undefined, allows)));
      overlap += hits.filter((h) => exact.has(h.label)).length;
    }
    expect(overlap / (10 * queries.length)).toBeGreaterThanOrEqual(0.9);
    expect(await native.searchAsync(queries[0]!, 10, 64, { bitset: new Uint8Array(0), nbits: 0 })).toEqual([]);
  });

  it('rejects malformed arguments with clear errors', () => {
    expect(() => native.search(new Float32Array(DIMS - 1), 5, 10)).toThrow(/has 31 values, index has 32 dims/);
    expect(() => native.search(Array.from(queries[0]!) as unknown as Float32Array, 5, 10)).toThrow(/Float32Array/);
    expect(native.search(queries[0]!, 0, 10)).toEqual([]);
  });
});

describe('NativeHnswIndex updates, save and close', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'native-hnsw-upd-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function fresh(name: string, count: number): Promise<NativeHnswIndex> {
    const file = path.join(dir, name);
    const small = new VectorMatrix(DIMS, matrix.data.slice(0, count * DIMS));
    const built = HnswIndex.build(small, { m: 8, efConstruction: 50, efSearch: 20, randomSeed: 1 });
    await built.save(file);
    built.close();
    return NativeHnswIndex.load(file, DIMS);
  }

  it('adds, deletes and reuses deleted slots; a reused slot no longer answers for its old label', async () => {
    const index = await fresh('upd.hnsw', 100);
    const store = new IndexVectors(index, 100);
    const extra = matrix.row(500);
    const label = store.append(extra);
    expect(label).toBe(100);
    index.add(extra, label); // full (100 of 100): grows
    expect(index.size).toBe(101);
    expect(index.search(extra, 1, 20)[0]!.label).toBe(100);
    index.remove(3);
    expect(index.size).toBe(100);
    expect(labelsOf(index.search(matrix.row(3), 100, 200))).not.toContain(3);
    expect(index.vector(3)).toBeUndefined();
    expect(() => index.remove(3)).toThrow(/already deleted/);
    expect(() => index.remove(999)).toThrow(/Label not found: label 999/);
    // The next add reuses label 3's slot.
    const other = matrix.row(600);
    index.add(other, store.append(other));
    expect(index.vector(101)).toEqual(other);
    expect(index.vector(3)).toBeUndefined();
    expect(labelsOf(store.search(matrix.row(3), 5, [3, 4, 101]))).not.toContain(3);
    expect(store.search(other, 1, [3, 101])[0]!.label).toBe(101);

    const file = path.join(dir, 'saved.hnsw');
    await index.save(file);
    const again = await NativeHnswIndex.load(file, DIMS);
    expect(again.size).toBe(101);
    expect(again.vector(101)).toEqual(other);
    expect(again.vector(3)).toBeUndefined();
    for (const q of queries.slice(0, 5)) expect(labelsOf(again.search(q, 10, 50))).toEqual(labelsOf(index.search(q, 10, 50)));
    again.close();
    index.close();
  });

  it('frees the index on close (idempotent); later calls fail clearly, queued searches settle', async () => {
    const index = await fresh('close.hnsw', 200);
    const pending = queries.map((q) => index.searchAsync(q, 5, 20).then(
      (hits) => ({ ok: hits.length === 5 }),
      (err: Error) => ({ ok: /closed/.test(err.message) }),
    ));
    index.close();
    index.close();
    for (const r of await Promise.all(pending)) expect(r.ok).toBe(true);
    expect(() => index.search(queries[0]!, 5, 20)).toThrow(/closed/);
  });

  it('refuses a file that is not an hnswlib index', async () => {
    const bogus = path.join(dir, 'bogus.hnsw');
    writeFileSync(bogus, Buffer.alloc(100, 7));
    await expect(NativeHnswIndex.load(bogus, DIMS)).rejects.toThrow();
    await expect(NativeHnswIndex.load(path.join(dir, 'missing.hnsw'), DIMS)).rejects.toThrow(/Cannot open file/);
  });
});
