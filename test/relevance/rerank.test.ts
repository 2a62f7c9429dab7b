import { MatchError } from '../../src/errors/match-error';
import { VectorMatrix } from '../../src/index/vector-matrix';
import { rerank, needsRerank } from '../../src/match/diversify';
import { validateRequest } from '../../src/match/validate-request';

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
    validateRequest({ query: 'like_creators', like_creators: { ids, ...(weights ? { weights } : {}) }, ...extra }, limits, shape);
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
    expect(like(['a'], undefined, { diversity: 0.3 }).rerank).toEqual({ diversity: 0.3, maxPerCategory: 0 });
    expect(like(['a'], undefined, { max_per_category: 2 }).rerank).toEqual({ diversity: 0, maxPerCategory: 2 });
    for (const d of [-0.1, 1.5, NaN]) expect(reason(() => like(['a'], undefined, { diversity: d }))).toBe('INVALID_DIVERSITY');
  });
});
