import { Catalog, type FilterSpec } from '../../src/catalog/catalog';
import { HnswIndex } from '../../src/index/hnsw-index';
import { VectorMatrix } from '../../src/index/vector-matrix';
import { filteredSearch } from '../../src/match/filtered-search';
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

describe('filteredSearch', () => {
  afterAll(() => ann.close());

  it.each(cases)('%s: never leaks, returns min(k, allowed) hits, agrees with exact search', (_name, spec, exactMax) => {
    const filter = catalog.compile(spec, [], exactMax);
    const allowedCount = creators.filter((_, l) => filter.allows(l)).length;
    let overlap = 0;
    let total = 0;
    for (const q of queries) {
      for (const k of [1, 10, 50]) {
        const { hits } = filteredSearch(q, k, filter, ann, matrix, { ef: 50, minScore: undefined });
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
