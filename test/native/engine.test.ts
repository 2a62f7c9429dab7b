import { readFileSync } from 'node:fs';
import path from 'node:path';
import { HierarchicalNSW } from 'hnswlib-node';
import { bitsetOf, bruteForce, built, clustered, failure, Hnsw, overlap, queriesNear, range, row, runChild, tempDir } from './helpers';

const DIMS = 24;
const N = 1500;
const data = clustered(N, DIMS, 3);
const queries = queriesNear(data, DIMS, 40, 9);
const tmp = tempDir('native-engine-');
afterAll(() => tmp.remove());
const file = (name: string): string => path.join(tmp.dir, name);

/** hnswlib-node building the same graph the way the old builder did (sequential addPoint). */
function hnswlibNode(rows: Float32Array, n: number, opts: { capacity: number; m: number; efConstruction: number; seed: number }): HierarchicalNSW {
  const index = new HierarchicalNSW('ip', DIMS);
  index.initIndex({ maxElements: opts.capacity, m: opts.m, efConstruction: opts.efConstruction, randomSeed: opts.seed, allowReplaceDeleted: true });
  for (let i = 0; i < n; i++) index.addPoint(Array.from(row(rows, i, DIMS)), i);
  return index;
}

describe('build, search, save, load', () => {
  it('builds with one thread byte-identically to hnswlib-node', async () => {
    const opts = { capacity: N, m: 12, efConstruction: 60, seed: 7 };
    const theirs = hnswlibNode(data, N, opts);
    theirs.writeIndexSync(file('theirs.hnsw'));
    const ours = await built(data, DIMS, opts, 1, false);
    await ours.save(file('ours.hnsw'));
    expect(readFileSync(file('ours.hnsw')).equals(readFileSync(file('theirs.hnsw')))).toBe(true);
    await ours.close();
  });

  it('grows its capacity during an insert without changing the graph (levels are drawn in input order)', async () => {
    const opts = { capacity: N, m: 12, efConstruction: 60, seed: 7 };
    const grown = new Hnsw(DIMS, { simd: false });
    grown.create({ ...opts, capacity: 10 });
    await grown.insert(data.subarray(0, 500 * DIMS), range(500), 1);
    await grown.insert(data.subarray(500 * DIMS), range(N - 500, 500), 1);
    expect(grown.count).toBe(N);
    expect(grown.capacity).toBeGreaterThanOrEqual(N);
    await grown.resize(N);
    await grown.save(file('grown.hnsw'));
    expect(readFileSync(file('grown.hnsw')).equals(readFileSync(file('theirs.hnsw')))).toBe(true);
    await grown.close();
  });

  it('loads hnswlib-node files and answers what hnswlib-node answers; hnswlib-node loads ours and answers what we answer', async () => {
    const theirs = new HierarchicalNSW('ip', DIMS);
    await theirs.readIndex(file('theirs.hnsw'), true);
    const ours = new Hnsw(DIMS, { simd: false });
    await ours.load(file('theirs.hnsw'));
    expect([ours.count, ours.deleted, ours.capacity]).toEqual([N, 0, N]);
    const check = async (): Promise<void> => {
      for (const q of queries) {
        for (const [k, ef] of [[1, 10], [10, 40], [50, 80]] as const) {
          theirs.setEf(ef);
          const want = theirs.searchKnn(Array.from(q), k);
          const got = await ours.search(q, k, ef);
          expect(Array.from(got.labels)).toEqual(want.neighbors);
          got.distances.forEach((d, i) => expect(d).toBeCloseTo(want.distances[i]!, 5));
        }
      }
    };
    await check();

    // Our file, built with two threads (a different graph), read by hnswlib-node.
    const two = await built(data, DIMS, { m: 12, efConstruction: 60, seed: 11 }, 2, false);
    await two.save(file('two-threads.hnsw'));
    const reader = new HierarchicalNSW('ip', DIMS);
    await reader.readIndex(file('two-threads.hnsw'), true);
    for (const q of queries) {
      reader.setEf(40);
      expect(Array.from((await two.search(q, 10, 40)).labels)).toEqual(reader.searchKnn(Array.from(q), 10).neighbors);
    }
    await two.close();
    await ours.close();
  });

  it('inserts after a load exactly like hnswlib-node does after readIndex', async () => {
    const extra = clustered(200, DIMS, 21);
    const theirs = new HierarchicalNSW('ip', DIMS);
    await theirs.readIndex(file('theirs.hnsw'), true);
    theirs.resizeIndex(N + 200);
    for (let i = 0; i < 200; i++) theirs.addPoint(Array.from(row(extra, i, DIMS)), N + i);
    theirs.writeIndexSync(file('theirs-more.hnsw'));
    const ours = new Hnsw(DIMS, { simd: false });
    await ours.load(file('theirs.hnsw'));
    await ours.resize(N + 200);
    await ours.insert(extra, range(200, N), 1);
    await ours.save(file('ours-more.hnsw'));
    expect(readFileSync(file('ours-more.hnsw')).equals(readFileSync(file('theirs-more.hnsw')))).toBe(true);
    await ours.close();
  });

  it('takes every kind of write after a load with spare capacity (no resize first), and answers what a never-saved index answers', async () => {
    // A loaded index holds no per-element link-list locks until its first write (engine.cc,
    // ensureLinkLocks): each write path below must bring them back before it touches the graph.
    const live = await built(data.subarray(0, 1000 * DIMS), DIMS, { capacity: 1400 }, 1);
    await live.save(file('spare.hnsw'));
    const loaded = new Hnsw(DIMS);
    await loaded.load(file('spare.hnsw'));
    expect([loaded.count, loaded.capacity]).toEqual([1000, 1400]);
    for (const index of [live, loaded]) {
      await index.upsert(row(data, 1100, DIMS), 7); // moves a live label
      await index.markDelete(Uint32Array.of(8));
      await index.upsert(row(data, 1101, DIMS), 5000); // reuses label 8's slot
      await index.insert(data.subarray(1200 * DIMS, 1400 * DIMS), range(200, 1200), 2);
    }
    expect([loaded.count, loaded.deleted, loaded.capacity]).toEqual([live.count, live.deleted, live.capacity]);
    const labels = Uint32Array.of(7, 8, 5000, 1200, 1399);
    expect(Buffer.from((await loaded.vectors(labels)).buffer)).toEqual(Buffer.from((await live.vectors(labels)).buffer));
    expect((await loaded.search(row(data, 1101, DIMS), 1, 50)).labels[0]).toBe(5000);
    let hit = 0;
    for (const q of queries) hit += overlap((await loaded.search(q, 10, 100)).labels, Array.from((await loaded.search(q, 10, 0, { exact: true })).labels));
    expect(hit / (queries.length * 10)).toBeGreaterThan(0.9);
    await Promise.all([live.close(), loaded.close()]);
  });

  it('reaches the same recall with one and two insert threads', async () => {
    const bigN = 4000;
    const big = clustered(bigN, DIMS, 5);
    const bigQueries = queriesNear(big, DIMS, 100, 6);
    const truth = bigQueries.map((q) => bruteForce(big, DIMS, q, 10));
    const recall = async (threads: number): Promise<number> => {
      const index = await built(big, DIMS, { m: 12, efConstruction: 80, seed: 3 }, threads);
      let hits = 0;
      for (let i = 0; i < bigQueries.length; i++) hits += overlap((await index.search(bigQueries[i]!, 10, 64)).labels, truth[i]!);
      await index.close();
      return hits / (10 * bigQueries.length);
    };
    const one = await recall(1);
    const two = await recall(2);
    expect(one).toBeGreaterThan(0.9);
    expect(two).toBeGreaterThan(0.9);
    expect(Math.abs(one - two)).toBeLessThan(0.03);
  });

  it('picks the widest kernel this CPU runs for the dims; its distances and answers agree with hnswlib\'s function', async () => {
    const flags = new Set((/^flags\s*:(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? '').trim().split(/\s+/));
    const expected = (dims: number): string =>
      dims % 16 === 0 && flags.has('avx512f') ? 'avx512' : dims % 8 === 0 && flags.has('avx2') && flags.has('fma') ? 'avx2' : 'portable';
    for (const dims of [16, 24, 40, 512, 20, 7]) {
      expect(new Hnsw(dims).kernel).toBe(expected(dims));
      expect(new Hnsw(dims, { simd: false }).kernel).toBe('portable');
      const n = 400;
      const rows = clustered(n, dims, 13);
      const graph = file(`kernel-${dims}.hnsw`);
      const portable = await built(rows, dims, { m: 12, efConstruction: 60, seed: 5 }, 1, false);
      await portable.save(graph);
      const simd = new Hnsw(dims);
      await simd.load(graph);
      let same = 0;
      let total = 0;
      for (const q of queriesNear(rows, dims, 20, 4)) {
        const want = await portable.search(q, n, 0, { exact: true });
        const got = await simd.search(q, n, 0, { exact: true });
        const byLabel = new Map(Array.from(want.labels, (label, i) => [label, want.distances[i]!]));
        got.labels.forEach((label, i) => expect(got.distances[i]!).toBeCloseTo(byLabel.get(label)!, 5));
        const annWant = await portable.search(q, 10, 40);
        same += overlap((await simd.search(q, 10, 40)).labels, Array.from(annWant.labels));
        total += annWant.labels.length;
      }
      expect(same / total).toBeGreaterThanOrEqual(0.98);
      await Promise.all([portable.close(), simd.close()]);
    }
  });

  it('searches exactly over given labels or all live points, with and without a bitset filter', async () => {
    const index = await built(data, DIMS);
    const allows = (l: number): boolean => l % 10 === 4;
    const bitset = bitsetOf(N, allows);
    let filteredHits = 0;
    for (const q of queries) {
      const exact = await index.search(q, 10, 0, { exact: true });
      expect(Array.from(exact.labels)).toEqual(bruteForce(data, DIMS, q, 10));
      for (let i = 1; i < exact.distances.length; i++) expect(exact.distances[i]!).toBeGreaterThanOrEqual(exact.distances[i - 1]!);

      const exactFiltered = await index.search(q, 10, 0, { exact: true, bitset });
      expect(Array.from(exactFiltered.labels)).toEqual(bruteForce(data, DIMS, q, 10, allows));

      const some = Uint32Array.from({ length: 150 }, (_, i) => i * 7);
      const inSome = new Set(some);
      const overLabels = await index.search(q, 5, 0, { labels: Uint32Array.of(...some, ...some.slice(0, 20), 999_999) });
      expect(Array.from(overLabels.labels)).toEqual(bruteForce(data, DIMS, q, 5, (l) => inSome.has(l)));

      const ann = await index.search(q, 10, 64, { bitset });
      expect(ann.labels).toHaveLength(10);
      for (const l of ann.labels) expect(allows(l)).toBe(true);
      filteredHits += overlap(ann.labels, bruteForce(data, DIMS, q, 10, allows));
    }
    expect(filteredHits / (10 * queries.length)).toBeGreaterThanOrEqual(0.9);
    // A bitset shorter than the labels allows none beyond it; an empty one allows nothing.
    const short = await index.search(queries[0]!, 10, 64, { bitset: Uint8Array.of(0xff) });
    for (const l of short.labels) expect(l).toBeLessThan(8);
    expect((await index.search(queries[0]!, 10, 64, { bitset: new Uint8Array(0) })).labels).toHaveLength(0);
    expect((await index.search(queries[0]!, 10, 64, { bitset: new Uint8Array(0), exact: true })).labels).toHaveLength(0);
    expect((await index.search(queries[0]!, 0, 64)).labels).toHaveLength(0);
    await index.close();
  });

  it('copies stored vectors out; rows of labels that are not live are NaN', async () => {
    const index = await built(data, DIMS);
    await index.markDelete(Uint32Array.of(5));
    const out = await index.vectors(Uint32Array.of(7, 5, 123_456, 7));
    expect(out).toHaveLength(4 * DIMS);
    expect(Array.from(out.subarray(0, DIMS))).toEqual(Array.from(row(data, 7, DIMS)));
    expect(Array.from(out.subarray(3 * DIMS))).toEqual(Array.from(row(data, 7, DIMS)));
    expect(Array.from(out.subarray(DIMS, 3 * DIMS)).every(Number.isNaN)).toBe(true);
    expect(await index.vectors(new Uint32Array(0))).toHaveLength(0);
    await index.close();
  });
});

describe('synchronous reads on the JS thread (distancesNow, vectorsNow)', () => {
  it('give what an exact search over the labels and vectors() give, in order, NaN where not live', async () => {
    const index = await built(data, DIMS);
    await index.markDelete(Uint32Array.of(5));
    const labels = Uint32Array.of(7, 5, 123_456, 7, 900, 3);
    for (const q of queries.slice(0, 5)) {
      const now = index.distancesNow(q, labels)!;
      expect(now).toHaveLength(labels.length);
      const exact = await index.search(q, labels.length, 0, { labels });
      const want = new Map(Array.from(exact.labels, (l, i) => [l, exact.distances[i]!]));
      labels.forEach((l, i) => (want.has(l) ? expect(now[i]).toBe(want.get(l)) : expect(now[i]).toBeNaN()));
    }
    expect(Array.from(index.vectorsNow(labels)!)).toEqual(Array.from(await index.vectors(labels)));
    expect(index.distancesNow(queries[0]!, new Uint32Array(0))).toHaveLength(0);
    await index.close();
  });

  it('never wait: undefined while an update holds the lock, answers again after it', async () => {
    const index = new Hnsw(DIMS);
    index.create({ capacity: N, m: 12, efConstruction: 200, seed: 1 });
    await index.insert(data.subarray(0, 10 * DIMS), range(10), 1);
    const inserting = index.insert(data.subarray(10 * DIMS), range(N - 10, 10), 1);
    let busy = false;
    // The insert takes the exclusive lock on a pool thread; this thread spins (bounded) until it sees it.
    for (let i = 0; i < 50_000_000 && !busy; i++) busy = index.distancesNow(queries[0]!, range(3)) === undefined && index.vectorsNow(range(3)) === undefined;
    await inserting;
    expect(busy).toBe(true);
    expect(index.distancesNow(queries[0]!, range(3))).toHaveLength(3);
    await index.close();
  });
});

describe('updates', () => {
  it('markDelete hides labels; a bad batch changes nothing', async () => {
    const index = await built(data.subarray(0, 300 * DIMS), DIMS);
    await index.markDelete(Uint32Array.of(3, 4));
    expect(index.deleted).toBe(2);
    expect(await failure(index.markDelete(Uint32Array.of(10, 11, 999)))).toEqual({ name: 'RangeError', message: 'markDelete: label 999 is not in the index' });
    await expect(index.markDelete(Uint32Array.of(12, 3))).rejects.toThrow(/label 3 is already deleted/);
    await expect(index.markDelete(Uint32Array.of(20, 20))).rejects.toThrow(/label 20 appears more than once/);
    expect(index.deleted).toBe(2);
    const q = row(data, 3, DIMS);
    const all = await index.search(q, 300, 400);
    expect(all.labels).toHaveLength(298);
    expect(Array.from(all.labels)).not.toContain(3);
    expect(Array.from((await index.search(q, 300, 0, { exact: true })).labels)).not.toContain(3);
    expect(Array.from((await index.search(q, 5, 0, { labels: Uint32Array.of(3, 4, 10) })).labels)).toEqual([10]);
    await index.close();
  });

  it('upsert replaces, revives, reuses deleted slots and grows when full', async () => {
    const index = await built(data.subarray(0, 100 * DIMS), DIMS);
    expect([index.count, index.capacity]).toEqual([100, 100]);
    // Replace a live label's vector.
    const moved = row(data, 700, DIMS);
    await index.upsert(moved, 1);
    expect(Array.from(await index.vectors(Uint32Array.of(1)))).toEqual(Array.from(moved));
    expect((await index.search(moved, 1, 20)).labels[0]).toBe(1);
    // Full, nothing deleted: a new label grows the capacity.
    await index.upsert(row(data, 800, DIMS), 100);
    expect(index.count).toBe(101);
    expect(index.capacity).toBeGreaterThan(100);
    // A deleted label comes back in its own slot.
    await index.markDelete(Uint32Array.of(2, 3));
    await index.upsert(row(data, 2, DIMS), 2);
    expect([index.count, index.deleted]).toEqual([101, 1]);
    expect((await index.search(row(data, 2, DIMS), 1, 20)).labels[0]).toBe(2);
    // A new label takes the remaining deleted slot (label 3's); label 3 is gone for good.
    const fresh = row(data, 900, DIMS);
    await index.upsert(fresh, 5000);
    expect([index.count, index.deleted]).toEqual([101, 0]);
    expect(Array.from(await index.vectors(Uint32Array.of(5000)))).toEqual(Array.from(fresh));
    expect(Number.isNaN((await index.vectors(Uint32Array.of(3)))[0])).toBe(true);
    expect(Array.from((await index.search(fresh, 3, 0, { labels: Uint32Array.of(3, 5000) })).labels)).toEqual([5000]);
    await expect(index.markDelete(Uint32Array.of(3))).rejects.toThrow(/label 3 is not in the index/);
    // And label 3 can be inserted again as a new label.
    await index.insert(row(data, 3, DIMS), Uint32Array.of(3), 1);
    expect(index.count).toBe(102);
    await index.close();
  });

  it('insert refuses known and repeated labels and non-finite values, changing nothing', async () => {
    const index = await built(data.subarray(0, 50 * DIMS), DIMS);
    const two = data.subarray(60 * DIMS, 62 * DIMS);
    await expect(index.insert(two, Uint32Array.of(70, 7), 2)).rejects.toThrow(/insert: label 7 is already in the index/);
    await expect(index.insert(two, Uint32Array.of(70, 70), 2)).rejects.toThrow(/label 70 appears more than once/);
    await index.markDelete(Uint32Array.of(8));
    await expect(index.insert(two, Uint32Array.of(70, 8), 1)).rejects.toThrow(/label 8 is already in the index \(deleted: upsert reuses it\)/);
    const bad = Float32Array.from(two);
    bad[DIMS + 3] = Number.NaN;
    await expect(index.insert(bad, Uint32Array.of(70, 71), 1)).rejects.toThrow(/the vector of label 71 has a non-finite value at dimension 3/);
    expect([index.count, index.deleted, index.capacity]).toEqual([50, 1, 50]);
    await index.insert(two, Uint32Array.of(70, 71), 2);
    expect(index.count).toBe(52);
    await index.insert(new Float32Array(0), new Uint32Array(0), 4);
    expect(index.count).toBe(52);
    await index.close();
  });

  it('resize fits the capacity (which save writes), never below the count', async () => {
    const index = new Hnsw(DIMS);
    index.create({ capacity: 1000, m: 8, efConstruction: 40, seed: 1 });
    await index.insert(data.subarray(0, 10 * DIMS), range(10), 1);
    expect(await failure(index.resize(9))).toEqual({ name: 'RangeError', message: 'resize: capacity 9 is below the 10 slots in use' });
    await index.resize(10);
    expect(index.capacity).toBe(10);
    await index.save(file('fit.hnsw'));
    expect(readFileSync(file('fit.hnsw')).readBigUInt64LE(8)).toBe(10n);
    await index.close();
  });

  it('round-trips every update through save and load', async () => {
    const index = await built(data.subarray(0, 600 * DIMS), DIMS, {}, 2);
    await index.markDelete(Uint32Array.of(1, 2, 3, 50));
    await index.upsert(row(data, 1000, DIMS), 9000);
    await index.upsert(row(data, 1001, DIMS), 2);
    await index.save(file('updated.hnsw'));
    const again = new Hnsw(DIMS);
    await again.load(file('updated.hnsw'));
    expect([again.count, again.deleted, again.capacity]).toEqual([index.count, index.deleted, index.capacity]);
    const labels = Uint32Array.of(0, 1, 2, 3, 9000, 599);
    expect(Buffer.from((await again.vectors(labels)).buffer)).toEqual(Buffer.from((await index.vectors(labels)).buffer));
    for (const q of queries) {
      expect(await again.search(q, 10, 50)).toEqual(await index.search(q, 10, 50));
      expect(await again.search(q, 10, 50, { exact: true })).toEqual(await index.search(q, 10, 50, { exact: true }));
    }
    // An empty index round-trips too.
    const empty = new Hnsw(DIMS);
    empty.create({ capacity: 1, m: 8, efConstruction: 40, seed: 1 });
    await empty.save(file('empty.hnsw'));
    expect(readFileSync(file('empty.hnsw'))).toHaveLength(96);
    const emptyAgain = new Hnsw(DIMS);
    await emptyAgain.load(file('empty.hnsw'));
    expect((await emptyAgain.search(queries[0]!, 5, 10)).labels).toHaveLength(0);
    await emptyAgain.insert(data.subarray(0, DIMS), Uint32Array.of(0), 1);
    expect((await emptyAgain.search(queries[0]!, 5, 10)).labels).toEqual(Uint32Array.of(0));
    await Promise.all([index.close(), again.close(), empty.close(), emptyAgain.close()]);
  });
});

describe('close', () => {
  it('lets operations submitted before it finish, then frees; later calls reject', async () => {
    const index = await built(data, DIMS);
    const searches = queries.map((q) => index.search(q, 10, 64));
    const exact = index.search(queries[0]!, 10, 0, { exact: true });
    const saved = index.save(file('while-closing.hnsw'));
    const closing = index.close();
    expect(index.closed).toBe(true);
    expect([index.count, index.deleted, index.capacity, index.dims]).toEqual([0, 0, 0, DIMS]);
    const results = await Promise.all(searches);
    for (const r of results) expect(r.labels).toHaveLength(10);
    expect((await exact).labels).toHaveLength(10);
    await saved;
    await closing;
    await index.close();
    await expect(index.search(queries[0]!, 10, 64)).rejects.toThrow('search: index is closed');
    await expect(index.insert(data.subarray(0, DIMS), Uint32Array.of(1), 1)).rejects.toThrow('insert: index is closed');
    await expect(index.load(file('while-closing.hnsw'))).rejects.toThrow('load: index is closed');
    expect(() => index.create({ capacity: 1, m: 8, efConstruction: 8, seed: 1 })).toThrow('create: index is closed');
    // The file saved while closing is whole.
    const again = new Hnsw(DIMS);
    await again.load(file('while-closing.hnsw'));
    expect(again.count).toBe(N);
    await again.close();
  });

  it('waits for an insert in flight; close of an object never given a graph resolves', async () => {
    const index = new Hnsw(DIMS);
    index.create({ capacity: N, m: 12, efConstruction: 80, seed: 1 });
    const inserting = index.insert(data, range(N), 2);
    await index.close();
    await inserting;
    await new Hnsw(DIMS).close();
  });

  it('survives a worker thread terminated with operations in flight (in a child process)', async () => {
    const child = await runChild(['worker']);
    expect({ code: child.code, signal: child.signal, stdout: child.stdout.trim() }).toEqual({ code: 0, signal: null, stdout: '{"ok":true}' });
  });

  it('waits for a load in flight', async () => {
    const index = new Hnsw(DIMS);
    const loading = index.load(file('theirs.hnsw'));
    await expect(index.search(queries[0]!, 1, 10)).rejects.toThrow('search: index is still loading (await load() first)');
    const closing = index.close();
    await loading;
    await closing;
    expect(index.count).toBe(0);
  });
});
