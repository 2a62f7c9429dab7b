import { Catalog, type CompiledFilter, type FilterSpec } from '../../src/catalog/catalog';
import type { SearchHit } from '../../src/index/top-k';
import { HnswIndex } from '../../src/index/hnsw-index';
import { VectorMatrix } from '../../src/index/vector-matrix';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { NativeHnswIndex } from '../../src/index/native-hnsw';
import { filteredSearch, nativeFilteredSearch } from '../../src/match/filtered-search';
import { prng, syntheticCreators } from '../helpers/synthetic';

const N = 3000;
const DIMS = 24;
const creators = syntheticCreators(N, DIMS, 7, 100);
const catalog = new Catalog(creators);
const matrix = new VectorMatrix(DIMS, Float32Array.from(creators.flatMap((c) => c.vector)));
const ann = HnswIndex.build(matrix, { m: 16, efConstruction: 100, efSearch: 50, randomSeed: 1 });
const rand = prng(99);
const queries = Array.from({ length: 20 }, () => matrix.row(Math.floor(rand() * N)).slice());

const base: FilterSpec = { excludeIds: [], categories: [], languages: [], includeNsfw: false };
const cases: Array<[string, FilterSpec, number]> = [
  ['default (no NSFW)', base, 2000],
  ['one category', { ...base, categories: ['music'] }, 2000],
  ['category + language', { ...base, categories: ['games'], languages: ['es'] }, 2000],
  ['~1% language, ANN path', { ...base, languages: ['xx'] }, 0],
  ['~1% language, exact path', { ...base, languages: ['xx'] }, 2000],
  ['many excluded ids', { ...base, excludeIds: creators.slice(0, 1500).map((c) => c.id), includeNsfw: true }, 0],
];

afterAll(() => ann.close());

/** Over all queries and k in {1, 10, 50}: no leaks, min(k, allowed) distinct hits, >= 90% overlap with exact. */
async function checkFiltered(spec: FilterSpec, exactMax: number, search: (q: Float32Array, k: number, filter: CompiledFilter) => Promise<SearchHit[]>): Promise<void> {
  const filter = catalog.compile(spec, [], exactMax);
  const allowedCount = creators.filter((_, l) => filter.allows(l)).length;
  let overlap = 0;
  let total = 0;
  for (const q of queries) {
    for (const k of [1, 10, 50]) {
      const hits = await search(q, k, filter);
      expect(hits.length).toBe(Math.min(k, allowedCount));
      for (const h of hits) expect(filter.allows(h.label)).toBe(true);
      expect(new Set(hits.map((h) => h.label)).size).toBe(hits.length);
      const exact = matrix.search(q, k, undefined, filter.allows);
      const got = new Set(hits.map((h) => h.label));
      overlap += exact.filter((h) => got.has(h.label)).length;
      total += exact.length;
    }
  }
  expect(overlap / total).toBeGreaterThanOrEqual(0.9);
}

describe('filteredSearch', () => {

  it.each(cases)('%s: never leaks, returns min(k, allowed) hits, agrees with exact search', async (_name, spec, exactMax) => {
    await checkFiltered(spec, exactMax, async (q, k, filter) => filteredSearch(q, k, filter, ann, matrix, { ef: 50, minScore: undefined }).hits);
  });

  it('applies min_score and reports which strategy ran', () => {
    const filter = catalog.compile(base);
    const res = filteredSearch(queries[0]!, 50, filter, ann, matrix, { ef: 50, minScore: 0.5 });
    for (const h of res.hits) expect(h.score).toBeGreaterThanOrEqual(0.5);
    expect(['ann', 'ann_overfetch', 'exact_scan']).toContain(res.strategy);
    const selective = catalog.compile({ ...base, languages: ['xx'] }, [], 2000);
    expect(filteredSearch(queries[0]!, 10, selective, ann, matrix, { ef: 50, minScore: undefined }).strategy).toBe('exact_candidates');
  });

  it('returns nothing when nothing passes', () => {
    const filter = catalog.compile({ ...base, excludeIds: creators.map((c) => c.id), includeNsfw: true });
    expect(filteredSearch(queries[0]!, 10, filter, ann, matrix, { ef: 50, minScore: undefined }).hits).toEqual([]);
  });
});

describe('nativeFilteredSearch (native index: bitset traversal, in-place exact search)', () => {
  let dir: string;
  let native: NativeHnswIndex;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'native-filtered-'));
    await ann.save(path.join(dir, 'index.hnsw'));
    native = await NativeHnswIndex.load(path.join(dir, 'index.hnsw'), DIMS);
  });
  afterAll(() => {
    native.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it.each(cases)('%s: never leaks, returns min(k, allowed) hits, agrees with exact search', async (_name, spec, exactMax) => {
    await checkFiltered(spec, exactMax, async (q, k, filter) => (await nativeFilteredSearch(q, k, filter, native, N, { ef: 50, minScore: undefined })).hits);
  });

  it.each(cases)('%s: the compiled bitset holds exactly the labels allows() keeps', (_name, spec, exactMax) => {
    const filter = catalog.compile(spec, [3, 4], exactMax);
    for (const n of [N, N - 13]) {
      const bits = filter.bitset!(n);
      expect(bits.length).toBe((n + 7) >> 3);
      for (let l = 0; l < bits.length * 8; l++) expect([l, ((bits[l >> 3]! >> (l & 7)) & 1) === 1]).toEqual([l, l < n && filter.allows(l)]);
    }
  });

  it('picks the strategy by selectivity and applies min_score', async () => {
    const opts = { ef: 50, minScore: undefined };
    const strategy = async (spec: FilterSpec, exactMax: number): Promise<string> => (await nativeFilteredSearch(queries[1]!, 10, catalog.compile(spec, [], exactMax), native, N, opts)).strategy;
    expect(await strategy(base, 0)).toMatch(/^ann/); // ~94% pass: plain ANN (+ over-fetch)
    expect(await strategy({ ...base, categories: ['music'] }, 0)).toBe('ann_filtered'); // 20%: bitset traversal
    expect(await strategy({ ...base, categories: ['music'] }, 2000)).toBe('exact_candidates');
    const res = await nativeFilteredSearch(queries[0]!, 50, catalog.compile({ ...base, categories: ['games'] }, [], 0), native, N, { ef: 50, minScore: 0.5 });
    expect(res.strategy).toBe('ann_filtered');
    for (const h of res.hits) expect(h.score).toBeGreaterThanOrEqual(0.5);
    const none = catalog.compile({ ...base, excludeIds: creators.map((c) => c.id), includeNsfw: true });
    expect((await nativeFilteredSearch(queries[0]!, 10, none, native, N, opts)).hits).toEqual([]);
  });
});
