import { Catalog, type CompiledFilter, type FilterSpec } from '../../src/catalog/catalog';
import { HnswIndex } from '../../src/index/hnsw-index';
import { HnswSearch } from '../../src/index/hnsw-search';
import type { SearchHit } from '../../src/index/top-k';
import { TopK } from '../../src/index/top-k';
import { prng, syntheticCreators } from '../helpers/synthetic';

const N = 3000;
const DIMS = 24;
const creators = syntheticCreators(N, DIMS, 7, 100);
const catalog = new Catalog(creators);
const data = Float32Array.from(creators.flatMap((c) => c.vector));
const row = (label: number): Float32Array => data.subarray(label * DIMS, (label + 1) * DIMS);
const rand = prng(99);
const queries = Array.from({ length: 20 }, () => row(Math.floor(rand() * N)).slice());

/** Brute force over the test data: the truth the search must agree with. */
function exact(q: Float32Array, k: number, allows: (label: number) => boolean): SearchHit[] {
  const top = new TopK(k);
  for (let l = 0; l < N; l++) {
    if (!allows(l)) continue;
    let s = 0;
    for (let i = 0; i < DIMS; i++) s += data[l * DIMS + i]! * q[i]!;
    top.push(l, s);
  }
  return top.sorted();
}

const base: FilterSpec = { excludeIds: [], categories: [], languages: [], includeNsfw: false };
const cases: Array<[string, FilterSpec, number]> = [
  ['default (no NSFW)', base, 2000],
  ['one category', { ...base, categories: ['music'] }, 2000],
  ['one category, traversal', { ...base, categories: ['music'] }, 0],
  ['category + language', { ...base, categories: ['games'], languages: ['es'] }, 2000],
  ['~1% language, ANN path', { ...base, languages: ['xx'] }, 0],
  ['~1% language, exact path', { ...base, languages: ['xx'] }, 2000],
  ['many excluded ids', { ...base, excludeIds: creators.slice(0, 1500).map((c) => c.id), includeNsfw: true }, 0],
];

let index: HnswIndex;
let search: HnswSearch;
beforeAll(async () => {
  index = HnswIndex.create(DIMS, { m: 16, efConstruction: 100, randomSeed: 1 }, N);
  await index.insert(data, Uint32Array.from({ length: N }, (_, i) => i));
  search = new HnswSearch(index, N);
});
afterAll(() => index.close());

/** Over all queries and k in {1, 10, 50}: no leaks, min(k, allowed) distinct hits, >= 90% overlap with exact. */
async function checkFiltered(spec: FilterSpec, exactMax: number, run: (q: Float32Array, k: number, filter: CompiledFilter) => Promise<SearchHit[]>): Promise<void> {
  const filter = catalog.compile(spec, [], exactMax);
  const allowedCount = creators.filter((_, l) => filter.allows(l)).length;
  let overlap = 0;
  let total = 0;
  for (const q of queries) {
    for (const k of [1, 10, 50]) {
      const hits = await run(q, k, filter);
      expect(hits.length).toBe(Math.min(k, allowedCount));
      for (const h of hits) expect(filter.allows(h.label)).toBe(true);
      expect(new Set(hits.map((h) => h.label)).size).toBe(hits.length);
      const truth = exact(q, k, filter.allows);
      const got = new Set(hits.map((h) => h.label));
      overlap += truth.filter((h) => got.has(h.label)).length;
      total += truth.length;
    }
  }
  expect(overlap / total).toBeGreaterThanOrEqual(0.9);
}

describe('HnswSearch (the filtered-search plan over the native index)', () => {
  it.each(cases)('%s: never leaks, returns min(k, allowed) hits, agrees with exact search', async (_name, spec, exactMax) => {
    await checkFiltered(spec, exactMax, async (q, k, filter) => (await search.search(q, { k, ef: 50, filter })).hits);
  });

  it.each(cases)('%s: exact search returns exactly the brute-force top k', async (_name, spec, exactMax) => {
    const filter = catalog.compile(spec, [], exactMax);
    for (const q of queries.slice(0, 5)) {
      const { hits, strategy } = await search.search(q, { k: 10, ef: 0, filter, exact: true });
      expect(strategy).toBe('exact_scan');
      expect(hits.map((h) => h.label)).toEqual(exact(q, 10, filter.allows).map((h) => h.label));
    }
  });

  it.each(cases)('%s: the compiled bitset holds exactly the labels allows() keeps', (_name, spec, exactMax) => {
    const filter = catalog.compile(spec, [3, 4], exactMax);
    for (const n of [N, N - 13]) {
      const bits = filter.bitset(n);
      expect(bits.length).toBe((n + 7) >> 3);
      for (let l = 0; l < bits.length * 8; l++) expect([l, ((bits[l >> 3]! >> (l & 7)) & 1) === 1]).toEqual([l, l < n && filter.allows(l)]);
    }
  });

  it('picks the strategy by selectivity and applies min_score', async () => {
    const strategy = async (spec: FilterSpec, exactMax: number): Promise<string> => (await search.search(queries[1]!, { k: 10, ef: 50, filter: catalog.compile(spec, [], exactMax) })).strategy;
    expect(await strategy(base, 0)).toMatch(/^ann/); // ~94% pass: plain ANN (+ over-fetch)
    expect(await strategy({ ...base, categories: ['music'] }, 0)).toBe('ann_filtered'); // 20%: bitset traversal
    expect(await strategy({ ...base, categories: ['music'] }, 2000)).toBe('exact_candidates');
    const res = await search.search(queries[0]!, { k: 50, ef: 50, filter: catalog.compile({ ...base, categories: ['games'] }, [], 0), minScore: 0.5 });
    expect(res.strategy).toBe('ann_filtered');
    for (const h of res.hits) expect(h.score).toBeGreaterThanOrEqual(0.5);
    const loose = await search.search(queries[0]!, { k: 50, ef: 50, filter: catalog.compile(base), minScore: 0.5 });
    for (const h of loose.hits) expect(h.score).toBeGreaterThanOrEqual(0.5);
    expect(['ann', 'ann_overfetch', 'exact_scan']).toContain(loose.strategy);
  });

  it('scores exactly the labels `among` names that pass the filter, with their exact cosines', async () => {
    const filter = catalog.compile(base);
    const among = Array.from({ length: 150 }, (_, i) => (i * 19) % N);
    for (const q of queries.slice(0, 3)) {
      const { hits, strategy } = await search.search(q, { k: among.length, ef: 0, filter, among });
      expect(strategy).toBe('exact_candidates');
      const truth = exact(q, among.length, (l) => among.includes(l) && filter.allows(l));
      expect(truth.length).toBeLessThan(among.length); // some are NSFW: left out
      expect(hits.map((h) => h.label)).toEqual(truth.map((h) => h.label));
      hits.forEach((h, i) => expect(h.score).toBeCloseTo(truth[i]!.score, 5));
      expect((await search.search(q, { k: 5, ef: 0, filter, among })).hits.map((h) => h.label)).toEqual(truth.slice(0, 5).map((h) => h.label));
    }
    expect((await search.search(queries[0]!, { k: 10, ef: 0, filter, among: [] })).hits).toEqual([]);
  });

  it('returns nothing when nothing passes', async () => {
    const none = catalog.compile({ ...base, excludeIds: creators.map((c) => c.id), includeNsfw: true });
    expect((await search.search(queries[0]!, { k: 10, ef: 50, filter: none })).hits).toEqual([]);
  });

  it('stops at an aborted signal', async () => {
    const signal = AbortSignal.abort(new DOMException('gone', 'AbortError'));
    await expect(search.search(queries[0]!, { k: 10, ef: 50, filter: catalog.compile(base), exact: true }, signal)).rejects.toMatchObject({ code: 'CANCELLED' });
  });
});
