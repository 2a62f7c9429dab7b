import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { HierarchicalNSW } from 'hnswlib-node';
import { HnswIndex } from '../../src/index/hnsw-index';
import { TopK, type SearchHit } from '../../src/index/top-k';
import { normalisedMean } from '../../src/index/vectors';
import { prng, syntheticCreators } from '../helpers/synthetic';

const N = 2000;
const DIMS = 32;
const creators = syntheticCreators(N, DIMS, 11);
const data = Float32Array.from(creators.flatMap((c) => c.vector));
const row = (l: number): Float32Array => data.subarray(l * DIMS, (l + 1) * DIMS);
const rand = prng(5);
const queries = Array.from({ length: 40 }, () => row(Math.floor(rand() * N)).map((x) => x + 0.05 * (rand() - 0.5)));
const labelsOf = (hits: SearchHit[]): number[] => hits.map((h) => h.label);
const all = (n: number): Uint32Array => Uint32Array.from({ length: n }, (_, i) => i);

function exact(q: Float32Array, k: number, labels: Iterable<number>): SearchHit[] {
  const top = new TopK(k);
  for (const l of labels) {
    let s = 0;
    for (let i = 0; i < DIMS; i++) s += data[l * DIMS + i]! * q[i]!;
    top.push(l, s);
  }
  return top.sorted();
}
const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'hnsw-index-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('HnswIndex on a file written by hnswlib-node (same format, same answers)', () => {
  let theirs: HierarchicalNSW;
  let ours: HnswIndex;
  beforeAll(async () => {
    theirs = new HierarchicalNSW('ip', DIMS);
    theirs.initIndex({ maxElements: N, m: 12, efConstruction: 100, randomSeed: 3 });
    for (let l = 0; l < N; l++) theirs.addPoint(Array.from(row(l)), l);
    const file = path.join(dir, 'theirs.hnsw');
    await theirs.writeIndex(file);
    ours = await HnswIndex.load(file, DIMS);
  });
  afterAll(() => ours.close());

  it('returns what hnswlib-node returns for the same graph and ef, best first with cosine scores', async () => {
    expect(ours.size).toBe(N);
    for (const q of queries) {
      for (const [k, ef] of [[1, 10], [10, 40], [50, 80]] as const) {
        const a = await ours.search(q, k, ef);
        theirs.setEf(ef);
        const b = theirs.searchKnn(Array.from(q), k);
        const want = b.neighbors.map((label, i) => ({ label, score: 1 - b.distances[i]! })).sort((x, y) => y.score - x.score || x.label - y.label);
        expect(labelsOf(a)).toEqual(labelsOf(want));
        a.forEach((h, i) => expect(h.score).toBeCloseTo(want[i]!.score, 5));
      }
    }
  });

  it('answers concurrent searches on the thread pool like one at a time', async () => {
    const together = await Promise.all(queries.flatMap((q) => [ours.search(q, 10, 40), ours.search(q, 25, 60)]));
    for (const [i, q] of queries.entries()) {
      expect(labelsOf(together[2 * i]!)).toEqual(labelsOf(await ours.search(q, 10, 40)));
      expect(labelsOf(together[2 * i + 1]!)).toEqual(labelsOf(await ours.search(q, 25, 60)));
    }
  });

  it('gives out the stored vectors and searches them exactly, in place', async () => {
    const [v7, missing] = await ours.vectors([7, N + 5]);
    expect(Array.from(v7!)).toEqual(Array.from(row(7)));
    expect(missing).toBeUndefined();
    const labels = Array.from({ length: 300 }, (_, i) => i * 6);
    for (const q of queries.slice(0, 10)) {
      expect(labelsOf(await ours.search(q, 10, 0, { labels }))).toEqual(labelsOf(exact(q, 10, labels)));
      expect(labelsOf(await ours.search(q, 5, 0, { exact: true }))).toEqual(labelsOf(exact(q, 5, range(N))));
    }
    const rows = (await ours.vectors([1, 2, 3])).map((r) => r!);
    const mean = normalisedMean(rows, DIMS, [1, 2, 0.5])!;
    const want = normalisedMean([row(1), row(2), row(3)], DIMS, [1, 2, 0.5])!;
    mean.forEach((x, i) => expect(x).toBeCloseTo(want[i]!, 6));
  });

  it('filters inside the traversal with a bitset: never leaks, close to exact', async () => {
    const allows = (l: number): boolean => l % 10 === 4;
    const bitset = new Uint8Array((N + 7) >> 3);
    for (let l = 0; l < N; l++) if (allows(l)) bitset[l >> 3]! |= 1 << (l & 7);
    let overlap = 0;
    for (const q of queries) {
      const hits = await ours.search(q, 10, 64, { bitset });
      expect(hits).toHaveLength(10);
      for (const h of hits) expect(allows(h.label)).toBe(true);
      const truth = new Set(labelsOf(exact(q, 10, range(N).filter(allows))));
      overlap += hits.filter((h) => truth.has(h.label)).length;
    }
    expect(overlap / (10 * queries.length)).toBeGreaterThanOrEqual(0.9);
    expect(await ours.search(queries[0]!, 10, 64, { bitset: new Uint8Array(0) })).toEqual([]);
  });

  it('rejects malformed arguments with clear errors', async () => {
    await expect(async () => ours.search(new Float32Array(DIMS - 1), 5, 10)).rejects.toThrow(/31.*32/);
    await expect(async () => ours.search(Array.from(queries[0]!) as unknown as Float32Array, 5, 10)).rejects.toThrow(/Float32Array/);
    expect(await ours.search(queries[0]!, 0, 10)).toEqual([]);
  });
});

describe('HnswIndex built by us: inserts on several threads, updates, save and close', () => {
  async function built(count: number, threads = 2): Promise<HnswIndex> {
    const index = HnswIndex.create(DIMS, { m: 8, efConstruction: 50, randomSeed: 1 }, 16);
    await index.insert(data.subarray(0, count * DIMS), all(count), threads);
    return index;
  }

  it('finds every point itself after a two-thread build (and grows its capacity while inserting)', async () => {
    const index = await built(N);
    let found = 0;
    for (let l = 0; l < N; l += 7) if ((await index.search(row(l), 1, 50))[0]?.label === l) found++;
    expect(found / Math.ceil(N / 7)).toBeGreaterThanOrEqual(0.99);
    await index.close();
  });

  it('upserts, deletes and reuses deleted slots; a reused slot no longer answers for its old label', async () => {
    const index = await built(100);
    const extra = row(500);
    await index.upsert(extra, 100); // full (100 of 100): grows
    expect(index.size).toBe(101);
    expect((await index.search(extra, 1, 20))[0]!.label).toBe(100);
    await index.remove([3]);
    expect(index.size).toBe(100);
    expect(labelsOf(await index.search(row(3), 100, 200))).not.toContain(3);
    expect((await index.vectors([3]))[0]).toBeUndefined();
    await expect(index.remove([3])).rejects.toThrow(/deleted/);
    await expect(index.remove([999])).rejects.toThrow(/999/);
    // The next upsert reuses label 3's slot.
    const other = row(600);
    await index.upsert(other, 101);
    expect(index.slots).toBe(101);
    expect((await index.vectors([101]))[0]).toEqual(other);
    expect((await index.vectors([3]))[0]).toBeUndefined();
    expect(labelsOf(await index.search(row(3), 5, 0, { labels: [3, 4, 101] }))).not.toContain(3);
    expect((await index.search(other, 1, 0, { labels: [3, 101] }))[0]!.label).toBe(101);

    const file = path.join(dir, 'saved.hnsw');
    await index.fit();
    await index.save(file);
    const again = await HnswIndex.load(file, DIMS);
    expect(again.size).toBe(101);
    expect((await again.vectors([101]))[0]).toEqual(other);
    expect((await again.vectors([3]))[0]).toBeUndefined();
    for (const q of queries.slice(0, 5)) expect(labelsOf(await again.search(q, 10, 50))).toEqual(labelsOf(await index.search(q, 10, 50)));
    await again.close();
    await index.close();
  });

  it('frees the index on close (idempotent); later calls fail clearly, queued searches settle', async () => {
    const index = await built(200);
    const pending = queries.map((q) =>
      index.search(q, 5, 20).then(
        (hits) => ({ ok: hits.length === 5 }),
        (err: Error) => ({ ok: /closed/.test(err.message) }),
      ),
    );
    await Promise.all([index.close(), index.close()]);
    for (const r of await Promise.all(pending)) expect(r.ok).toBe(true);
    await expect(async () => index.search(queries[0]!, 5, 20)).rejects.toThrow(/closed/);
  });

  it('refuses a file that is not an hnswlib index, and a missing one', async () => {
    const bogus = path.join(dir, 'bogus.hnsw');
    writeFileSync(bogus, Buffer.alloc(100, 7));
    await expect(HnswIndex.load(bogus, DIMS)).rejects.toThrow();
    await expect(HnswIndex.load(path.join(dir, 'missing.hnsw'), DIMS)).rejects.toThrow(/missing\.hnsw/);
  });
});
