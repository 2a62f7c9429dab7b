/**
 * Item 3 (unit): the pools a re-rank asks for stay bounded whatever the catalog size, and MMR
 * above the budget is refused before any search. A fake index of a million creators records the
 * searches it gets.
 */
import { diversify, MAX_CAP_POOL, MAX_MMR_POOL } from '../../src/match/diversify';
import type { SearchIndex, SearchRequest } from '../../src/index/search-index';

function fakeIndex(labelCount: number, dims = 4): SearchIndex & { asked: number[] } {
  const asked: number[] = [];
  return {
    dims,
    labelCount,
    asked,
    async search(_q: Float32Array, req: SearchRequest) {
      asked.push(req.k);
      const hits = Array.from({ length: Math.min(req.k, labelCount) }, (_, i) => ({ label: i, score: 1 - i / labelCount }));
      return { hits, strategy: 'ann' as const };
    },
    async vectors(labels: readonly number[]) {
      return labels.map((l) => Float32Array.from({ length: dims }, (_, d) => Math.sin(l + d)));
    },
  };
}

const request = (k: number) => ({ k, ef: 64, filter: { allows: () => true, candidates: undefined, estimatedAllowed: 1, bitset: () => new Uint8Array(0) } as never });
const query = new Float32Array([1, 0, 0, 0]);

it('a category cap that cannot be met widens the pool up to MAX_CAP_POOL, not to the catalog', async () => {
  const index = fakeIndex(1_000_000);
  const r = await diversify(1000, (k) => index.search(query, request(k)), index, { diversity: 0, maxPerCategory: 1 }, (l) => `c${l % 5}`, 200_000);
  expect(r.hits).toHaveLength(5);
  expect(Math.max(...index.asked)).toBeLessThanOrEqual(MAX_CAP_POOL);
  expect(index.asked.length).toBeLessThanOrEqual(4);
});

it('MMR never asks for more than MAX_MMR_POOL candidates, even with a huge budget', async () => {
  const index = fakeIndex(1_000_000);
  const r = await diversify(100, (k) => index.search(query, request(k)), index, { diversity: 0.5, maxPerCategory: 0 }, () => 'c', 1e12);
  expect(r.hits).toHaveLength(100);
  expect(Math.max(...index.asked)).toBeLessThanOrEqual(MAX_MMR_POOL);
});

it('MMR above the budget is refused before any search', async () => {
  const index = fakeIndex(1_000_000);
  await expect(diversify(1000, (k) => index.search(query, request(k)), index, { diversity: 0.5, maxPerCategory: 0 }, () => 'c', 200_000)).rejects.toMatchObject({ code: 'INVALID_DIVERSITY' });
  expect(index.asked).toEqual([]);
});

it('a re-rank stops at an aborted signal', async () => {
  const index = fakeIndex(100_000);
  const controller = new AbortController();
  const run = diversify(1000, (k) => index.search(query, request(k)), index, { diversity: 0.5, maxPerCategory: 0 }, () => 'c', 1e12, controller.signal);
  controller.abort(new DOMException('deadline', 'TimeoutError'));
  await expect(run).rejects.toMatchObject({ code: 'DEADLINE_EXCEEDED' });
});
