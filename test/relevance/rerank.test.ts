import { Catalog } from '../../src/catalog/catalog';
import { MatchError } from '../../src/errors/match-error';
import { HnswIndex } from '../../src/index/hnsw-index';
import { HnswSearch } from '../../src/index/hnsw-search';
import type { Manifest } from '../../src/index/manifest';
import { Matcher, type MatchSource } from '../../src/match/matcher';
import { syntheticCreators } from '../helpers/synthetic';
import { checkRerankCost, rerank, needsRerank } from '../../src/match/diversify';
import { validateRequest } from '../../src/match/validate-request';
import { asReceived } from '../helpers/wire';

// Four unit vectors: a and a2 nearly identical, b and c elsewhere.
const rows = [
  [1, 0, 0],
  [0.99, 0.141, 0],
  [0, 1, 0],
  [0.6, 0, 0.8],
];
const unit = rows.map((r) => Float32Array.from(r.map((x) => x / Math.hypot(...r))));
/** The pool's rows, in pool order. */
const vectors = (p: ReadonlyArray<{ label: number }>): Float32Array[] => p.map((h) => unit[h.label]!);
const categories = ['x', 'x', 'y', 'x'];
const categoryOf = (label: number) => categories[label]!;
// Relevance for a query near a: a, a2, d, b.
const pool = [
  { label: 0, score: 0.95 },
  { label: 1, score: 0.94 },
  { label: 3, score: 0.7 },
  { label: 2, score: 0.3 },
];

describe('rerank (MMR + category cap)', () => {
  it('is the identity with diversity 0 and no cap', async () => {
    expect(await rerank(pool, vectors(pool), 4, categoryOf, { diversity: 0, maxPerCategory: 0 })).toEqual(pool);
    expect(needsRerank({ diversity: 0, maxPerCategory: 0 })).toBe(false);
    expect(needsRerank(undefined)).toBe(false);
  });

  it('MMR pushes the near-duplicate down', async () => {
    const picked = (await rerank(pool, vectors(pool), 3, categoryOf, { diversity: 0.5, maxPerCategory: 0 })).map((h) => h.label);
    expect(picked[0]).toBe(0);
    expect(picked.indexOf(1)).toBe(-1);
  });

  it('the cap keeps at most N per category and fills from the rest', async () => {
    const picked = (await rerank(pool, vectors(pool), 4, categoryOf, { diversity: 0, maxPerCategory: 1 })).map((h) => h.label);
    expect(picked).toEqual([0, 2]);
  });

  it('keeps cosine scores (not MMR values)', async () => {
    for (const h of await rerank(pool, vectors(pool), 4, categoryOf, { diversity: 0.9, maxPerCategory: 0 })) expect(pool).toContainEqual(h);
  });

  it('stops at the deadline between slices', async () => {
    const big = Array.from({ length: 3000 }, (_, i) => ({ label: i % 4, score: 1 - i / 3000 }));
    const signal = AbortSignal.abort(new DOMException('late', 'TimeoutError'));
    await expect(rerank(big, vectors(big), 1000, categoryOf, { diversity: 0.5, maxPerCategory: 0 }, signal)).rejects.toMatchObject({ code: 'DEADLINE_EXCEEDED' });
  });

  it('refuses a diversity request whose cost (k x pool) is above the budget, saying what k fits', () => {
    expect(() => checkRerankCost(1000, { diversity: 0.3, maxPerCategory: 0 }, 200_000)).toThrow(/k=1000 needs 3000000 similarities.*use k <= 258/);
    expect(() => checkRerankCost(258, { diversity: 0.3, maxPerCategory: 0 }, 200_000)).not.toThrow();
    expect(() => checkRerankCost(1000, { diversity: 0, maxPerCategory: 3 }, 200_000)).not.toThrow(); // a cap alone costs no similarities
  });
});

describe('request validation: diversity, max_per_category, like_creators.weights', () => {
  const limits = { maxK: 100, defaultK: 10, maxTextChars: 100, maxLikeCreators: 10, maxFilterIds: 10 };
  const shape = { dims: 3, categories: ['x'], languages: ['en'] };
  const like = (ids: string[], weights?: number[], extra: object = {}) =>
    validateRequest(asReceived({ like_creators: { ids, ...(weights ? { weights } : {}) }, ...extra }), limits, shape);
  const reason = (fn: () => unknown): string => {
    try {
      fn();
    } catch (err) {
      return (err as MatchError).code;
    }
    return 'none';
  };

  it('passes weights through, merging repeated ids', () => {
    expect(like(['a', 'b'], [2, 1]).query).toEqual({ kind: 'like', ids: ['a', 'b'], weights: [2, 1] });
    expect(like(['a', ' a', 'b'], [1, 2, 1]).query).toEqual({ kind: 'like', ids: ['a', 'b'], weights: [3, 1] });
    expect(like(['a', 'a'], []).query).toEqual({ kind: 'like', ids: ['a'] });
  });

  it.each([
    [[1], 'a length different from ids'],
    [[1, 0], 'a zero weight'],
    [[1, -2], 'a negative weight'],
    [[1, NaN], 'NaN'],
    [[1, Infinity], 'Infinity'],
  ])('rejects weights %p (%s) as INVALID_QUERY', (weights) => {
    expect(reason(() => like(['a', 'b'], weights))).toBe('INVALID_QUERY');
  });

  it('diversity must be in [0, 1]; 0 and no cap mean no rerank', () => {
    expect(like(['a']).rerank).toBeUndefined();
    expect(like(['a'], undefined, { diversity: 0.3 }).rerank).toEqual({ diversity: expect.closeTo(0.3, 6), maxPerCategory: 0 }); // float on the wire
    expect(like(['a'], undefined, { max_per_category: 2 }).rerank).toEqual({ diversity: 0, maxPerCategory: 2 });
    for (const d of [-0.1, 1.5, NaN]) expect(reason(() => like(['a'], undefined, { diversity: d }))).toBe('INVALID_DIVERSITY');
  });
});

describe('Matcher with rerank', () => {
  // 200 clustered creators in 5 categories, a real HNSW index, no model.
  const creators = syntheticCreators(200, 16, 3);
  const data = Float32Array.from(creators.flatMap((c) => c.vector));
  const ann = HnswIndex.create(16, { m: 16, efConstruction: 100, randomSeed: 1 }, 200);
  beforeAll(() => ann.insert(data, Uint32Array.from({ length: 200 }, (_, i) => i)));
  afterAll(() => ann.close());
  const index: MatchSource = {
    version: 'v1',
    // Only what the Matcher reads of a manifest.
    manifest: { dims: 16, ann: { efSearch: 64 }, model: null } as unknown as Manifest,
    catalog: new Catalog(creators.map(({ about: _a, vector: _v, ...p }) => p)),
    search: new HnswSearch(ann, 200),
  };
  const samples: unknown[] = [];
  const matcher = new Matcher(index, { unavailable: new MatchError('TEXT_QUERY_UNSUPPORTED', 'no model') }, { exactMaxCandidates: 50, maxRerankWork: 200_000, onAnnSearch: (s) => samples.push(s) });
  const input = (extra: object = {}) => ({
    requestId: 'r',
    fanId: 'f',
    query: { kind: 'vector' as const, vector: data.slice(0, 16) },
    k: 10,
    filter: { excludeIds: [], categories: [], languages: [], includeNsfw: true, minScore: undefined },
    includeProfile: false,
    retrieval: 'dense' as const,
    explain: false,
    ...extra,
  });

  it('caps categories, keeps k, and does not feed re-ranked hits to the recall monitor', async () => {
    samples.length = 0;
    const plain = await matcher.match(input());
    expect(samples).toHaveLength(1);
    const capped = await matcher.match(input({ rerank: { diversity: 0.2, maxPerCategory: 2 } }));
    expect(samples).toHaveLength(1);
    expect(capped.matches).toHaveLength(10);
    const perCategory = new Map<string, number>();
    for (const m of capped.matches) {
      const c = creators.find((x) => x.id === m.creatorId)!.category;
      perCategory.set(c, (perCategory.get(c) ?? 0) + 1);
    }
    expect(Math.max(...perCategory.values())).toBeLessThanOrEqual(2);
    expect(capped.matches[0]).toEqual(plain.matches[0]);
  });
});
