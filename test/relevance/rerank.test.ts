import { Catalog } from '../../src/catalog/catalog';
import { MatchError } from '../../src/errors/match-error';
import { HnswIndex } from '../../src/index/hnsw-index';
import type { LoadedIndex } from '../../src/index/loaded-index';
import type { Manifest } from '../../src/index/manifest';
import { Matcher } from '../../src/match/matcher';
import { syntheticCreators } from '../helpers/synthetic';
import { VectorMatrix } from '../../src/index/vector-matrix';
import { rerank, needsRerank } from '../../src/match/diversify';
import { validateRequest } from '../../src/match/validate-request';
import { asReceived } from '../helpers/wire';

// Four unit vectors: a and a2 nearly identical, b and c elsewhere.
const rows = [
  [1, 0, 0],
  [0.99, 0.141, 0],
  [0, 1, 0],
  [0.6, 0, 0.8],
];
const vectors = new VectorMatrix(3, Float32Array.from(rows.flat().map((x, i) => x / Math.hypot(...rows[Math.floor(i / 3)]!))));
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
  it('is the identity with diversity 0 and no cap', () => {
    expect(rerank(pool, 4, vectors, categoryOf, { diversity: 0, maxPerCategory: 0 })).toEqual(pool);
    expect(needsRerank({ diversity: 0, maxPerCategory: 0 })).toBe(false);
    expect(needsRerank(undefined)).toBe(false);
  });

  it('MMR pushes the near-duplicate down', () => {
    const picked = rerank(pool, 3, vectors, categoryOf, { diversity: 0.5, maxPerCategory: 0 }).map((h) => h.label);
    expect(picked[0]).toBe(0);
    expect(picked.indexOf(1)).toBe(-1);
  });

  it('the cap keeps at most N per category and fills from the rest', () => {
    const picked = rerank(pool, 4, vectors, categoryOf, { diversity: 0, maxPerCategory: 1 }).map((h) => h.label);
    expect(picked).toEqual([0, 2]);
  });

  it('keeps cosine scores (not MMR values)', () => {
    for (const h of rerank(pool, 4, vectors, categoryOf, { diversity: 0.9, maxPerCategory: 0 })) expect(pool).toContainEqual(h);
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
    // diversity is a proto float: the handler receives 0.3 rounded to float32.
    expect(like(['a'], undefined, { diversity: 0.3 }).rerank).toEqual({ diversity: Math.fround(0.3), maxPerCategory: 0 });
    expect(like(['a'], undefined, { max_per_category: 2 }).rerank).toEqual({ diversity: 0, maxPerCategory: 2 });
    for (const d of [-0.1, 1.5, NaN]) expect(reason(() => like(['a'], undefined, { diversity: d }))).toBe('INVALID_DIVERSITY');
  });
});

describe('Matcher with rerank', () => {
  // 200 clustered creators in 5 categories, a real HNSW index, no model.
  const creators = syntheticCreators(200, 16, 3);
  const matrix = new VectorMatrix(16, Float32Array.from(creators.flatMap((c) => c.vector)));
  const ann = HnswIndex.build(matrix, { m: 16, efConstruction: 100, efSearch: 64, randomSeed: 1 });
  afterAll(() => ann.close());
  const manifest: Manifest = {
    formatVersion: 1,
    version: 'v1',
    builtAt: '2026-01-01T00:00:00.000Z',
    model: null,
    vectorSource: 'provided',
    dims: 16,
    metric: 'cosine',
    normalized: true,
    count: creators.length,
    ann: { kind: ann.kind, m: 16, efConstruction: 100, efSearch: 64, randomSeed: 1 },
    recall: { k: 10, sampleSize: 0, value: 1 },
    profileTextTemplate: 1,
    input: { file: 'synthetic', sha256: '', lines: creators.length, skipped: 0 },
    files: {},
  };
  const index: LoadedIndex = {
    version: 'v1',
    dir: '/nonexistent',
    manifest,
    catalog: new Catalog(creators.map(({ about: _a, vector: _v, ...p }) => p)),
    ann,
    vectors: matrix,
  };
  const samples: unknown[] = [];
  const matcher = new Matcher(index, { unavailable: new MatchError('TEXT_QUERY_UNSUPPORTED', 'no model') }, { exactMaxCandidates: 50, onAnnSearch: (s) => samples.push(s) });
  const input = (extra: object = {}) => ({
    requestId: 'r',
    fanId: 'f',
    query: { kind: 'vector' as const, vector: matrix.row(0).slice() },
    k: 10,
    filter: { excludeIds: [], categories: [], languages: [], includeNsfw: true, minScore: undefined },
    includeProfile: false,
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
