import path from 'node:path';
import type { NativeHnsw } from '../../src/index/native-binding';
import { built, clustered, failure, Hnsw, range, tempDir } from './helpers';

const DIMS = 8;
const data = clustered(64, DIMS, 1);
const q = data.slice(0, DIMS);
const tmp = tempDir('native-args-');
afterAll(() => tmp.remove());

type Call = [string, (ix: NativeHnsw) => unknown, string, RegExp | string];

describe('argument checking (synchronous TypeError / RangeError, nothing queued)', () => {
  let index: NativeHnsw;
  beforeAll(async () => {
    index = await built(data, DIMS);
  });
  afterAll(() => index.close());

  it('rejects bad constructor arguments', async () => {
    const bad = (dims: unknown): unknown => new Hnsw(dims as number);
    expect(await failure(() => bad(undefined))).toEqual({ name: 'TypeError', message: 'NativeHnsw: dims must be a number, got undefined' });
    expect(await failure(() => bad('8'))).toEqual({ name: 'TypeError', message: 'NativeHnsw: dims must be a number, got a string' });
    for (const dims of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 65537]) {
      expect(await failure(() => bad(dims))).toEqual({ name: 'RangeError', message: `NativeHnsw: dims must be an integer from 1 to 65536, got ${dims}` });
    }
    expect(await failure(() => (Hnsw as unknown as (d: number) => unknown)(8))).toMatchObject({ name: 'TypeError' });
    const badOpts = (opts: unknown): unknown => new Hnsw(8, opts as never);
    expect(await failure(() => badOpts('fast'))).toEqual({ name: 'TypeError', message: 'NativeHnsw: opts must be an object, got a string' });
    expect(await failure(() => badOpts({ simd: 1 }))).toEqual({ name: 'TypeError', message: 'NativeHnsw: opts.simd must be a boolean, got the number 1' });
    expect(await failure(() => badOpts({ kernel: 'avx2' }))).toEqual({ name: 'TypeError', message: "NativeHnsw: opts has an unknown option 'kernel' (options: simd)" });
  });

  const calls: Call[] = [
    ['create without opts', (ix) => ix.create(undefined as never), 'TypeError', 'create: opts must be an object, got undefined'],
    ['create with an unknown option', (ix) => ix.create({ capacity: 1, m: 8, efConstruction: 8, seed: 1, ef: 3 } as never), 'TypeError',
      "create: opts has an unknown option 'ef' (options: capacity, m, efConstruction, seed)"],
    ['create without m', (ix) => ix.create({ capacity: 1, efConstruction: 8, seed: 1 } as never), 'TypeError', 'create: opts.m must be a number, got undefined'],
    ['create with m = 1', (ix) => ix.create({ capacity: 1, m: 1, efConstruction: 8, seed: 1 }), 'RangeError', 'create: opts.m must be an integer from 2 to 10000, got 1'],
    ['create with capacity 0', (ix) => ix.create({ capacity: 0, m: 8, efConstruction: 8, seed: 1 }), 'RangeError', /opts.capacity must be an integer from 1 to 2147483647, got 0/],
    ['create with seed 2^32', (ix) => ix.create({ capacity: 1, m: 8, efConstruction: 8, seed: 2 ** 32 }), 'RangeError', /opts.seed must be an integer from 0 to 4294967295/],
    ['insert a Float64Array', (ix) => ix.insert(new Float64Array(DIMS) as never, Uint32Array.of(1), 1), 'TypeError', 'insert: vectors must be a Float32Array, got a Float64Array'],
    ['insert a ragged matrix', (ix) => ix.insert(new Float32Array(DIMS + 1), Uint32Array.of(1), 1), 'RangeError', 'insert: vectors has 9 values, not a multiple of dims 8'],
    ['insert Int32Array labels', (ix) => ix.insert(new Float32Array(DIMS), Int32Array.of(1) as never, 1), 'TypeError', 'insert: labels must be a Uint32Array, got an Int32Array'],
    ['insert too few labels', (ix) => ix.insert(new Float32Array(2 * DIMS), Uint32Array.of(1), 1), 'RangeError', 'insert: labels has 1 entries, vectors has 2 rows of 8'],
    ['insert the reserved label', (ix) => ix.insert(new Float32Array(DIMS), Uint32Array.of(2 ** 32 - 1), 1), 'RangeError', 'insert: labels[0] is 4294967295; labels go up to 4294967294'],
    ['insert on 0 threads', (ix) => ix.insert(new Float32Array(DIMS), Uint32Array.of(1), 0), 'RangeError', 'insert: threads must be an integer from 1 to 256, got 0'],
    ['insert without threads', (ix) => (ix.insert as (...a: unknown[]) => unknown)(new Float32Array(DIMS), Uint32Array.of(1)), 'TypeError', 'insert: threads must be a number, got undefined'],
    ['upsert a short vector', (ix) => ix.upsert(new Float32Array(DIMS - 1), 1), 'RangeError', 'upsert: vector has 7 values, the index has 8 dims'],
    ['upsert a NaN', (ix) => ix.upsert(Float32Array.of(1, 0, 0, Number.NaN, 0, 0, 0, 0), 1), 'RangeError', 'upsert: vector[3] is not finite'],
    ['upsert label -1', (ix) => ix.upsert(q, -1), 'RangeError', 'upsert: label must be an integer from 0 to 4294967294, got -1'],
    ['upsert a bigint label', (ix) => ix.upsert(q, 1n as never), 'TypeError', 'upsert: label must be a number, got a bigint'],
    ['markDelete an array', (ix) => ix.markDelete([1, 2] as never), 'TypeError', 'markDelete: labels must be a Uint32Array, got an array'],
    ['resize to 0', (ix) => ix.resize(0), 'RangeError', /resize: capacity must be an integer from 1/],
    ['resize to 2^31', (ix) => ix.resize(2 ** 31), 'RangeError', /resize: capacity must be an integer from 1 to 2147483647, got 2147483648/],
    ['save to an empty path', (ix) => ix.save(''), 'TypeError', 'save: file must not be empty'],
    ['save to a path with NUL', (ix) => ix.save('index\0.hnsw'), 'TypeError', 'save: file must not contain NUL characters'],
    ['load a number', (ix) => ix.load(42 as never), 'TypeError', 'load: file must be a string (a file path), got the number 42'],
    ['search an Array', (ix) => ix.search(Array.from(q) as never, 1, 1), 'TypeError', 'search: query must be a Float32Array, got an array'],
    ['search with a wrong-sized query', (ix) => ix.search(new Float32Array(3), 1, 1), 'RangeError', 'search: query has 3 values, the index has 8 dims'],
    ['search with an infinite query', (ix) => ix.search(new Float32Array(DIMS).fill(Infinity), 1, 1), 'RangeError', 'search: query[0] is not finite'],
    ['search with k = -1', (ix) => ix.search(q, -1, 1), 'RangeError', 'search: k must be an integer from 0 to 4294967295, got -1'],
    ['search with ef = 1.5', (ix) => ix.search(q, 1, 1.5), 'RangeError', 'search: ef must be an integer from 0 to 4294967295, got 1.5'],
    ['search with k as a string', (ix) => ix.search(q, '5' as never, 1), 'TypeError', 'search: k must be a number, got a string'],
    ['search with opts null', (ix) => ix.search(q, 1, 1, null as never), 'TypeError', 'search: opts must be an object, got null'],
    ['search with a misspelt option', (ix) => ix.search(q, 1, 1, { bitSet: new Uint8Array(1) } as never), 'TypeError',
      "search: opts has an unknown option 'bitSet' (options: bitset, labels, exact)"],
    ['search with an Int8Array bitset', (ix) => ix.search(q, 1, 1, { bitset: new Int8Array(1) as never }), 'TypeError', 'search: opts.bitset must be a Uint8Array, got an Int8Array'],
    ['search with array labels', (ix) => ix.search(q, 1, 1, { labels: [1] as never }), 'TypeError', 'search: opts.labels must be a Uint32Array, got an array'],
    ['search with exact = 1', (ix) => ix.search(q, 1, 1, { exact: 1 as never }), 'TypeError', 'search: opts.exact must be a boolean, got the number 1'],
    ['search with labels and a bitset', (ix) => ix.search(q, 1, 1, { labels: Uint32Array.of(1), bitset: new Uint8Array(1) }), 'TypeError',
      'search: pass opts.labels or opts.bitset, not both'],
    ['search with labels and exact = false', (ix) => ix.search(q, 1, 1, { labels: Uint32Array.of(1), exact: false }), 'TypeError',
      'search: opts.labels means an exact search; opts.exact cannot be false'],
    ['vectors of a Float32Array', (ix) => ix.vectors(new Float32Array(2) as never), 'TypeError', 'vectors: labels must be a Uint32Array, got a Float32Array'],
    ['distancesNow with a short query', (ix) => ix.distancesNow(new Float32Array(3), range(1)), 'RangeError', 'distancesNow: query has 3 values, the index has 8 dims'],
    ['distancesNow over too many labels', (ix) => ix.distancesNow(q, new Uint32Array(4097)), 'RangeError',
      'distancesNow: labels has 4097 labels; at most 4096 on the JS thread (use search with opts.labels)'],
    ['vectorsNow of an array', (ix) => ix.vectorsNow([1] as never), 'TypeError', 'vectorsNow: labels must be a Uint32Array, got an array'],
  ];

  it.each(calls)('%s', async (_, call, name, message) => {
    const before = [index.count, index.deleted, index.capacity];
    let result: unknown;
    const err = await failure(() => {
      result = call(index);
    });
    expect(result).toBeUndefined(); // thrown synchronously, no promise
    expect(err.name).toBe(name);
    if (typeof message === 'string') expect(err.message).toBe(message);
    else expect(err.message).toMatch(message);
    expect([index.count, index.deleted, index.capacity]).toEqual(before);
  });

  it('treats a detached buffer as empty, and survives calls on a foreign `this`', async () => {
    const query = new Float32Array(DIMS);
    structuredClone(query.buffer, { transfer: [query.buffer] });
    expect(await failure(() => index.search(query, 1, 1))).toEqual({ name: 'RangeError', message: 'search: query has 0 values, the index has 8 dims' });
    const search = (Hnsw.prototype as unknown as { search: (...a: unknown[]) => unknown }).search;
    expect((await failure(() => search.call({}, q, 1, 1))).name).toMatch(/Error/);
    // eslint-disable-next-line @typescript-eslint/unbound-method -- calling the getter on a foreign object is the test
    const count = Object.getOwnPropertyDescriptor(Hnsw.prototype, 'count')!.get!;
    expect((await failure(() => count.call({}))).name).toMatch(/Error/);
    // Options with getters run once; a getter that throws surfaces as that error.
    const opts = Object.defineProperty({}, 'bitset', { enumerable: true, get: () => { throw new Error('boom'); } });
    expect(await failure(() => index.search(q, 1, 1, opts))).toEqual({ name: 'Error', message: 'boom' });
  });
});

describe('object states', () => {
  it('rejects operations before create/load, while loading and after close', async () => {
    const empty = new Hnsw(DIMS);
    expect([empty.count, empty.deleted, empty.capacity, empty.closed]).toEqual([0, 0, 0, false]);
    expect(await failure(empty.search(q, 1, 1))).toEqual({ name: 'Error', message: 'search: index is empty (call create() or load() first)' });
    expect(await failure(empty.save(path.join(tmp.dir, 'x')))).toEqual({ name: 'Error', message: 'save: index is empty (call create() or load() first)' });
    expect(await failure(() => empty.distancesNow(q, range(1)))).toEqual({ name: 'Error', message: 'distancesNow: index is not ready (create() or await load() first)' });

    const made = await built(data, DIMS);
    const file = path.join(tmp.dir, 'made.hnsw');
    await made.save(file);
    expect(await failure(() => made.create({ capacity: 1, m: 8, efConstruction: 8, seed: 1 }))).toEqual({
      name: 'Error',
      message: 'create: the index already has a graph (create() or load() once per object)',
    });
    expect((await failure(made.load(file))).message).toBe('load: the index already has a graph (create() or load() once per object)');

    const loading = new Hnsw(DIMS);
    const pending = loading.load(file);
    expect((await failure(loading.load(file))).message).toMatch(/already has a graph/);
    expect((await failure(loading.upsert(q, 1))).message).toBe('upsert: index is still loading (await load() first)');
    await pending;
    expect(loading.count).toBe(64);

    // A failed load leaves the object empty, ready for another try.
    const retry = new Hnsw(DIMS);
    expect((await failure(retry.load(path.join(tmp.dir, 'missing.hnsw')))).message).toMatch(/cannot load .*missing.hnsw: cannot open: No such file or directory/);
    await retry.load(file);
    expect(retry.count).toBe(64);

    await Promise.all([made.close(), loading.close(), retry.close(), empty.close()]);
    for (const ix of [made, loading, retry, empty]) {
      expect(ix.closed).toBe(true);
      expect((await failure(ix.vectors(range(1)))).message).toBe('vectors: index is closed');
      expect((await failure(() => ix.vectorsNow(range(1)))).message).toBe('vectorsNow: index is closed');
      expect((await failure(() => ix.distancesNow(q, range(1)))).message).toBe('distancesNow: index is closed');
      expect((await failure(ix.markDelete(range(1)))).message).toBe('markDelete: index is closed');
      expect((await failure(ix.resize(10))).message).toBe('resize: index is closed');
      expect((await failure(ix.save(file))).message).toBe('save: index is closed');
    }
  });
});
