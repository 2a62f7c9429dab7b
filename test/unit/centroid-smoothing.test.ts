import { Catalog, type CompiledFilter } from '../../src/catalog/catalog';
import { fusionSchema, type FusionParams } from '../../src/index/manifest';
import type { SearchIndex, SearchRequest, SearchResult } from '../../src/index/search-index';
import { TopK } from '../../src/index/top-k';
import { dot, normalise } from '../../src/index/vectors';
import { CategoryCentroids } from '../../src/match/category-centroids';
import { DEFAULT_FUSION } from '../../src/match/fusion-defaults';
import { centroidScorer, hybridRetrieve, type LexicalSearcher, type RetrievalContext, type RetrievalRequest } from '../../src/match/hybrid-retrieval';
import { syntheticCreators } from '../helpers/synthetic';

// Category-centroid smoothing in hybrid retrieval, on a synthetic catalog with an exact in-memory index.

const DIMS = 16;

/** Exact cosine search over live labels (the SearchIndex contract: filter exact, k when k pass, min score). */
class ExactIndex implements SearchIndex {
  readonly rows: Array<Float32Array | undefined> = [];
  readonly dims = DIMS;
  get labelCount(): number {
    return this.rows.length;
  }
  search(query: Float32Array, req: SearchRequest): Promise<SearchResult> {
    const top = new TopK(req.k);
    const among = req.among === undefined ? undefined : new Set(req.among);
    this.rows.forEach((row, label) => {
      if (!row || !req.filter.allows(label) || (among !== undefined && !among.has(label))) return;
      const s = dot(query, row);
      if (req.minScore !== undefined && s < req.minScore) return;
      if (s > top.threshold) top.push(label, s);
    });
    return Promise.resolve({ hits: top.sorted(), strategy: 'exact_scan' });
  }
  vectors(labels: readonly number[]): Promise<Array<Float32Array | undefined>> {
    return Promise.resolve(labels.map((l) => this.rows[l]));
  }
}

const noLexical: LexicalSearcher = { size: 0, search: () => [], queryStats: () => ({ terms: 1, matchedTerms: 0 }) };

function setup(n = 60) {
  const creators = syntheticCreators(n, DIMS, 3);
  const catalog = new Catalog(creators.map(({ vector: _v, about: _a, ...p }) => ({ ...p, is_nsfw: false })));
  const index = new ExactIndex();
  for (const c of creators) index.rows.push(normalise(Float32Array.from(c.vector)));
  return { creators, catalog, index };
}

const filterOf = (catalog: Catalog, exclude: string[] = [], categories: string[] = []): CompiledFilter => catalog.compile({ excludeIds: exclude, categories, languages: [], includeNsfw: false });

describe('CategoryCentroids', () => {
  it('a centroid is the normalised mean of its category, and cosine() its cosine with the query', async () => {
    const { catalog, index } = setup();
    const c = await CategoryCentroids.build(index, catalog);
    expect(c.size).toBe(catalog.categories().length);
    const q = normalise(Float32Array.from({ length: DIMS }, (_, i) => Math.sin(i + 1)))!;
    for (const category of catalog.categories()) {
      const mean = new Float32Array(DIMS);
      index.rows.forEach((r, l) => {
        if (catalog.categoryOf(l) === category) for (let i = 0; i < DIMS; i++) mean[i]! += r![i]!;
      });
      expect(c.cosine(q, category)).toBeCloseTo(dot(q, normalise(mean)!), 6);
    }
    expect(c.cosine(q, 'no-such-category')).toBe(0);
  });

  it('refresh() adds creators appended since, and rebuilds after many retirements', async () => {
    const { catalog, index, creators } = setup(40);
    const c = await CategoryCentroids.build(index, catalog);
    const q = normalise(Float32Array.from({ length: DIMS }, (_, i) => Math.cos(i)))!;
    // Append a creator far from its category: the category's centroid moves.
    const far = normalise(Float32Array.from({ length: DIMS }, (_, i) => (i === 0 ? 1 : 0)))!;
    const before = c.cosine(far, 'music');
    const { label } = catalog.upsert({ id: 'new-1', name: 'n', category: 'music', tags: [], language: 'en', is_nsfw: false });
    index.rows[label] = far;
    await c.refresh();
    expect(c.cosine(far, 'music')).toBeGreaterThan(before);
    // Retire a third of the catalog: the sums are rebuilt and equal a fresh build.
    for (const cr of creators.slice(0, 15)) {
      const l = catalog.delete(cr.id)!;
      index.rows[l] = undefined;
    }
    catalog.upsert({ id: 'new-2', name: 'n', category: 'games', tags: [], language: 'en', is_nsfw: false });
    index.rows.push(far);
    await c.refresh();
    const fresh = await CategoryCentroids.build(index, catalog);
    for (const category of catalog.categories()) expect(c.cosine(q, category)).toBeCloseTo(fresh.cosine(q, category), 6);
  });
});

describe('hybrid retrieval with category-centroid smoothing', () => {
  const fusion = (o: Partial<FusionParams>): FusionParams => ({ ...DEFAULT_FUSION, feedbackM: 0, feedbackBeta: 0, centroidGamma: 0, ...o });

  it('manifests written before the field still parse (read as off)', () => {
    const { centroidGamma: _g, ...older } = { ...DEFAULT_FUSION, centroidGamma: 0.5 };
    expect(fusionSchema.parse(older).centroidGamma ?? 0).toBe(0);
    expect(fusionSchema.safeParse({ ...older, centroidGamma: -1 }).success).toBe(false);
  });

  it('centroidScorer adds gamma x the cosine with the candidate\'s category centroid', () => {
    const lookup = { cosine: (_q: Float32Array, c: string) => (c === 'a' ? 0.5 : 0.1) };
    const s = centroidScorer(new Float32Array(DIMS), 2, lookup, (l) => (l === 1 ? 'a' : 'b'), () => 0.3);
    expect(s(1)).toBeCloseTo(1.3);
    expect(s(2)).toBeCloseTo(0.5);
    expect(centroidScorer(new Float32Array(DIMS), 0, lookup, () => 'a', () => 0.3)(1)).toBe(0.3);
  });

  it('lifts the query\'s category; scores stay cosines; filters stay exact; k come back whenever k pass; breadth turns it off', async () => {
    const { catalog, index, creators } = setup(100);
    const centroids = await CategoryCentroids.build(index, catalog);
    // A query between two categories, nearer to 'music': smoothing fills the list with music.
    const centre = (cat: string): Float32Array => {
      const m = new Float32Array(DIMS);
      index.rows.forEach((r, l) => {
        if (catalog.categoryOf(l) === cat) for (let i = 0; i < DIMS; i++) m[i]! += r![i]!;
      });
      return normalise(m)!;
    };
    const music = centre('music');
    const games = centre('games');
    const q = normalise(Float32Array.from(music, (v, i) => 0.55 * v + 0.45 * games[i]!))!;
    const ctx = (o: Partial<FusionParams>): RetrievalContext => ({ search: index, lexical: noLexical, fusion: fusion(o), categoryOf: (l) => catalog.categoryOf(l), centroids });
    const req = (over: Partial<RetrievalRequest> = {}): RetrievalRequest => ({ vector: q, text: 'q', k: 10, ef: 10, filter: filterOf(catalog), minScore: undefined, ...over });
    const share = (labels: number[]): number => labels.filter((l) => catalog.categoryOf(l) === 'music').length / labels.length;

    const plain = await hybridRetrieve(req(), ctx({}));
    const smoothed = await hybridRetrieve(req(), ctx({ centroidGamma: 2 }));
    expect(share(smoothed.hits.map((h) => h.label))).toBeGreaterThan(share(plain.hits.map((h) => h.label)));
    expect(share(smoothed.hits.map((h) => h.label))).toBe(1);
    for (const h of smoothed.hits) {
      expect(h.score).toBeCloseTo(dot(q, index.rows[h.label]!), 6);
      expect(h.explanation.denseScore).toBeCloseTo(h.score, 6);
    }
    // Filters: an excluded id and a category filter are obeyed, and k come back when k pass.
    const excluded = creators.find((c) => catalog.categoryOf(catalog.labelOf(c.id)!) === 'music')!.id;
    const onlyGames = await hybridRetrieve(req({ filter: filterOf(catalog, [excluded], ['games']) }), ctx({ centroidGamma: 2 }));
    expect(onlyGames.hits).toHaveLength(10);
    expect(onlyGames.hits.every((h) => catalog.categoryOf(h.label) === 'games')).toBe(true);
    const all = await hybridRetrieve(req({ k: 100, filter: filterOf(catalog, [excluded]) }), ctx({ centroidGamma: 2, denseN: 100 }));
    expect(all.hits).toHaveLength(99);
    expect(all.hits.some((h) => catalog.idOf(h.label) === excluded)).toBe(false);
    // min_score applies to the cosine, never to the smoothed score.
    const min = 0.5;
    const above = await hybridRetrieve(req({ minScore: min }), ctx({ centroidGamma: 2 }));
    expect(above.hits.every((h) => h.score >= min)).toBe(true);
    // With diversity or a category cap (broad), no smoothing: the plain order.
    const broad = await hybridRetrieve(req({ broad: true }), ctx({ centroidGamma: 2 }));
    expect(broad.hits.map((h) => h.label)).toEqual(plain.hits.map((h) => h.label));
    // Without centroids the setting is inert.
    const none = await hybridRetrieve(req(), { ...ctx({ centroidGamma: 2 }), centroids: undefined });
    expect(none.hits.map((h) => h.label)).toEqual(plain.hits.map((h) => h.label));
  });

  it('feedback re-scores the first lists with the moved query: one search, the hand-computed order', async () => {
    const { catalog, index } = setup(100);
    let searches = 0;
    const counting: SearchIndex = {
      dims: index.dims,
      labelCount: index.labelCount,
      search: (q, r) => {
        if (r.among === undefined) searches++;
        return index.search(q, r);
      },
      vectors: (labels) => index.vectors(labels),
    };
    const q = normalise(Float32Array.from({ length: DIMS }, (_, i) => Math.sin(3 * i + 1)))!;
    const ctx: RetrievalContext = { search: counting, lexical: noLexical, fusion: fusion({ feedbackM: 2, feedbackBeta: 2, denseN: 30 }), categoryOf: (l) => catalog.categoryOf(l) };
    const got = await hybridRetrieve({ vector: q, text: 'q', k: 10, ef: 30, filter: filterOf(catalog), minScore: undefined }, ctx);
    expect(searches).toBe(1);
    // By hand: the dense top 30 for q; q2 = normalise(q + 2 x mean of its first two); the 30 re-ranked by q2.
    const first = (await index.search(q, { k: 30, ef: 30, filter: filterOf(catalog) })).hits.map((h) => h.label);
    const q2 = Float32Array.from(q, (v, i) => v + (index.rows[first[0]!]![i]! + index.rows[first[1]!]![i]!));
    normalise(q2);
    const byQ2 = [...first].sort((a, b) => dot(q2, index.rows[b]!) - dot(q2, index.rows[a]!));
    expect(got.hits.map((h) => h.label)).toEqual(byQ2.slice(0, 10));
    // Scores are the cosines with the original query, capped to descend.
    let cap = Infinity;
    for (const h of got.hits) expect(h.score).toBeCloseTo((cap = Math.min(cap, dot(q, index.rows[h.label]!))), 6);
  });

  it('re-scores on the calling thread when the backend can (scoreNow, vectorsNow), with the same answer as the pool path, and falls back when it cannot', async () => {
    const { catalog, index } = setup(100);
    const lexical: LexicalSearcher = {
      size: 100,
      // Every third creator, by label: a lexical list the dense one partly misses.
      search: (_t, k, allows) => Array.from({ length: 100 }, (_, l) => l).filter((l) => l % 3 === 0 && (!allows || allows(l))).slice(0, k).map((label, i) => ({ label, score: 10 - i / 10 })),
      queryStats: () => ({ terms: 1, matchedTerms: 1 }),
    };
    const counted = (now: 'none' | 'answers' | 'busy') => {
      const calls = { among: 0, vectors: 0, now: 0 };
      const search: SearchIndex = {
        dims: index.dims,
        labelCount: index.labelCount,
        search: (q, r) => {
          if (r.among !== undefined) calls.among++;
          return index.search(q, r);
        },
        vectors: (labels) => {
          calls.vectors++;
          return index.vectors(labels);
        },
        ...(now === 'none'
          ? {}
          : {
              scoreNow: (q: Float32Array, labels: readonly number[]) => {
                calls.now++;
                return now === 'busy' ? undefined : Float32Array.from(labels, (l) => (index.rows[l] ? dot(q, index.rows[l]) : Number.NaN));
              },
              vectorsNow: (labels: readonly number[]) => (calls.now++, now === 'busy' ? undefined : labels.map((l) => index.rows[l])),
            }),
      };
      return { calls, search };
    };
    const q = normalise(Float32Array.from({ length: DIMS }, (_, i) => Math.cos(2 * i + 1)))!;
    const run = async (now: 'none' | 'answers' | 'busy') => {
      const { calls, search } = counted(now);
      const ctx: RetrievalContext = { search, lexical, fusion: fusion({ feedbackM: 2, feedbackBeta: 2, denseN: 30, lexicalN: 30 }), categoryOf: (l) => catalog.categoryOf(l) };
      const r = await hybridRetrieve({ vector: q, text: 'q', k: 10, ef: 30, filter: filterOf(catalog), minScore: undefined }, ctx);
      return { hits: r.hits, calls };
    };
    const pool = await run('none');
    const here = await run('answers');
    const busy = await run('busy');
    expect(pool.calls).toEqual({ among: 2, vectors: 1, now: 0 });
    expect(here.calls).toEqual({ among: 0, vectors: 0, now: 3 });
    expect(busy.calls).toEqual({ among: 2, vectors: 1, now: 3 });
    for (const other of [here, busy]) {
      expect(other.hits.map((h) => h.label)).toEqual(pool.hits.map((h) => h.label));
      other.hits.forEach((h, i) => expect(h.score).toBeCloseTo(pool.hits[i]!.score, 6));
    }
  });
});
