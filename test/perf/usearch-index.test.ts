import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { CompiledFilter } from '../../src/catalog/catalog';
import { buildAnn, loadAnn } from '../../src/index/ann-backends';
import { HnswIndex } from '../../src/index/hnsw-index';
import { SearchCoalescer } from '../../src/index/search-coalescer';
import { UsearchIndex } from '../../src/index/usearch-index';
import { VectorMatrix } from '../../src/index/vector-matrix';
import { filteredSearch, filteredSearchAsync } from '../../src/match/filtered-search';
import { syntheticCreators } from '../helpers/synthetic';

const N = 3000;
const DIMS = 48;
const PARAMS = { m: 16, efConstruction: 200, efSearch: 64, randomSeed: 7 };
const creators = syntheticCreators(N, DIMS, 11);
const matrix = new VectorMatrix(DIMS, Float32Array.from(creators.flatMap((c) => c.vector)));
const queries = Array.from({ length: 200 }, (_, i) => {
  const q = Float32Array.from(creators[(i * 13) % N]!.vector, (x, j) => x + 0.05 * Math.sin(i + j));
  let s = 0;
  for (const x of q) s += x * x;
  return q.map((x) => x / Math.sqrt(s));
});

function recall(found: number[][], k: number): number {
  let hit = 0;
  found.forEach((labels, i) => {
    const truth = new Set(matrix.search(queries[i]!, k).map((h) => h.label));
    hit += labels.slice(0, k).filter((l) => truth.has(l)).length;
  });
  return hit / (found.length * k);
}

describe('UsearchIndex', () => {
  const index = UsearchIndex.build(matrix, PARAMS, { threads: 2 });

  it('reaches recall@10 >= 0.95 against exact search, with cosine scores best first', () => {
    const results = queries.map((q) => index.search(q, 10, 64));
    expect(recall(results.map((r) => r.map((h) => h.label)), 10)).toBeGreaterThanOrEqual(0.95);
    for (const [i, r] of results.entries()) {
      expect(r).toHaveLength(10);
      for (let j = 1; j < r.length; j++) expect(r[j - 1]!.score).toBeGreaterThanOrEqual(r[j]!.score);
      expect(r[0]!.score).toBeCloseTo(matrix.dot(r[0]!.label, queries[i]!), 4);
    }
    expect(index.size).toBe(N);
  });

  it('searchBatch on several threads returns what single searches return', () => {
    const batch = index.searchBatch(queries, 10, 64, 2);
    expect(batch.map((r) => r.map((h) => h.label))).toEqual(queries.map((q) => index.search(q, 10, 64).map((h) => h.label)));
  });

  it('saves, loads and views (mmap) the same index; add and remove change what is found', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'usearch-'));
    try {
      const file = path.join(dir, 'index.usearch');
      await index.save(file);
      const loaded = await loadAnn('usearch', file, DIMS, PARAMS);
      const viewed = UsearchIndex.load(file, DIMS, PARAMS, { view: true });
      const a = queries.slice(0, 20).map((q) => index.search(q, 10, 64).map((h) => h.label));
      expect(queries.slice(0, 20).map((q) => loaded.search(q, 10, 64).map((h) => h.label))).toEqual(a);
      expect(queries.slice(0, 20).map((q) => viewed.search(q, 10, 64).map((h) => h.label))).toEqual(a);
      expect(() => viewed.add(queries[0]!, N)).toThrow(/read-only/);

      const top = loaded.search(queries[0]!, 1, 64)[0]!.label;
      loaded.remove(top);
      expect(loaded.search(queries[0]!, 10, 64).map((h) => h.label)).not.toContain(top);
      loaded.add(queries[0]!, N + 5);
      expect(loaded.search(queries[0]!, 1, 64)[0]).toMatchObject({ label: N + 5 });
      expect(loaded.search(queries[0]!, 1, 64)[0]!.score).toBeCloseTo(1, 4);
      loaded.close();
      viewed.close();
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  it('f16 and i8 storage keep recall@10 >= 0.9', () => {
    for (const scalar of ['f16', 'i8'] as const) {
      const q8 = UsearchIndex.build(matrix, PARAMS, { scalar, threads: 2 });
      expect(recall(queries.map((q) => q8.search(q, 10, 64).map((h) => h.label)), 10)).toBeGreaterThanOrEqual(0.9);
      q8.close();
    }
  });

  it('buildAnn picks the implementation by kind', () => {
    expect(buildAnn('usearch', matrix, PARAMS).kind).toBe('usearch');
    expect(buildAnn('hnswlib-node', new VectorMatrix(DIMS, matrix.data.subarray(0, 100 * DIMS)), PARAMS)).toBeInstanceOf(HnswIndex);
  });
});

describe('SearchCoalescer and filteredSearchAsync', () => {
  const index = UsearchIndex.build(matrix, PARAMS, { threads: 2 });

  it('answers concurrent searches with batched native calls and the same hits as one-by-one', async () => {
    const coalescer = new SearchCoalescer(index, 2);
    const results = await Promise.all(queries.map((q) => coalescer.search(q, 10, 64)));
    expect(results).toEqual(queries.map((q) => index.search(q, 10, 64)));
    expect(coalescer.stats.searches).toBe(queries.length);
    expect(coalescer.stats.batches).toBeLessThan(queries.length / 10);
  });

  it('gives the same filtered results as the synchronous strategy, exact k at 1% selectivity', async () => {
    const coalescer = new SearchCoalescer(index, 2);
    for (const mod of [1, 10, 100]) {
      const allowed = Array.from({ length: Math.ceil(N / mod) }, (_, i) => i * mod);
      const filters: CompiledFilter[] = [
        { allows: (l) => l % mod === 0, candidates: undefined, estimatedAllowed: allowed.length },
        { allows: (l) => l % mod === 0, candidates: allowed, estimatedAllowed: allowed.length },
      ];
      for (const filter of filters) {
        const sync = queries.slice(0, 30).map((q) => filteredSearch(q, 10, filter, index, matrix, { ef: 64, minScore: undefined }));
        const async = await Promise.all(queries.slice(0, 30).map((q) => filteredSearchAsync(q, 10, filter, (x, f, ef) => coalescer.search(x, f, ef), matrix, { ef: 64, minScore: undefined })));
        expect(async).toEqual(sync);
        for (const r of async) {
          expect(r.hits).toHaveLength(10);
          expect(r.hits.every((h) => h.label % mod === 0)).toBe(true);
        }
      }
    }
  });
});

describe('exactSearchRows (native brute force over candidate rows)', () => {
  it('equals the JS exact search, also for queries that are views into a larger buffer', async () => {
    const { exactSearchRows } = await import('../../src/index/native-exact');
    const big = new Float32Array(DIMS * 5);
    const labels = Array.from({ length: 700 }, (_, i) => (i * 37) % N);
    for (let i = 0; i < 50; i++) {
      big.set(queries[i]!, DIMS * 3);
      const view = big.subarray(DIMS * 3, DIMS * 4);
      for (const k of [1, 10, 50]) {
        const got = exactSearchRows(matrix, view, k, labels);
        const want = matrix.search(queries[i]!, k, labels);
        expect(got.map((h) => h.label)).toEqual(want.map((h) => h.label));
        got.forEach((h, j) => expect(h.score).toBeCloseTo(want[j]!.score, 5));
      }
    }
  });
});
