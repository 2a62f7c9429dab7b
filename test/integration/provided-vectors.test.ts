import { status } from '@grpc/grpc-js';
import { describeBackends } from '../helpers/backends';
import { syntheticCreators } from '../helpers/synthetic';
import { batch, healthCheck, unary, unaryError, type Running } from '../helpers/server';

// The service over an index built from bring-your-own vectors (no model involved), served from
// memory and from PostgreSQL: the same contract.
const N = 1500;
const DIMS = 32;
const creators = syntheticCreators(N, DIMS, 3, 100);

const allowedIds = (pred: (c: (typeof creators)[number]) => boolean): Set<string> => new Set(creators.filter(pred).map((c) => c.id));

describeBackends('Match over provided vectors', (backend) => {
  let running: Running;

  beforeAll(async () => {
    await backend().build(creators, { recallSample: 200, minRecall: 0.95 });
    running = await backend().start();
  });

  afterAll(async () => {
    await running?.stop();
  });

  it('reports SERVING and the index info', async () => {
    expect(await healthCheck(running.port)).toBe('SERVING');
    expect(await healthCheck(running.port, 'creatormatch.v1.CreatorMatcher')).toBe('SERVING');
    const info = await unary(running.client, 'GetIndexInfo', {});
    expect(info).toMatchObject({ dims: DIMS, metric: 'cosine', creator_count: String(N), model_id: '', categories: ['cooking', 'fitness', 'games', 'music', 'podcasts'] });
    expect(info.build_recall_at_10).toBeGreaterThanOrEqual(0.95);
    expect(info.hnsw).toMatchObject({ m: 16, ef_construction: 200 });
  });

  it('finds a creator by its own vector first, with k defaulting to 10 and scores best first', async () => {
    const c = creators[42]!;
    const res = await unary(running.client, 'Match', { request_id: 'r1', vector: { values: c.vector } });
    expect(res.request_id).toBe('r1');
    expect(res.matches).toHaveLength(10);
    expect(res.matches[0]!.creator_id).toBe(c.id);
    expect(res.matches[0]!.score).toBeCloseTo(1, 4);
    const scores = res.matches.map((m: { score: number }) => m.score);
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);
    expect(res.matches[0]!.profile).toBeNull();
    expect(res.index_version).toMatch(/^\d{8}T\d{9}Z-[0-9a-f]{6}$/);
  });

  it('applies every filter exactly and returns k whenever k qualify', async () => {
    const q = creators[5]!.vector;
    const excluded = creators.slice(0, 300).map((c) => c.id);
    const res = await unary(running.client, 'Match', {
      vector: { values: q },
      k: 40,
      include_profile: true,
      filter: { categories: ['music', 'games'], languages: ['es'], exclude_creator_ids: excluded },
    });
    const ok = allowedIds((c) => ['music', 'games'].includes(c.category) && c.language === 'es' && !c.is_nsfw && !excluded.includes(c.id));
    expect(res.matches).toHaveLength(Math.min(40, ok.size));
    for (const m of res.matches) {
      expect(ok.has(m.creator_id)).toBe(true);
      expect(m.profile?.language).toBe('es');
    }
  });

  it('keeps exactly k with a ~1% filter', async () => {
    const rare = allowedIds((c) => c.language === 'xx' && !c.is_nsfw);
    expect(rare.size).toBeGreaterThanOrEqual(10);
    expect(rare.size).toBeLessThan(N * 0.03);
    const res = await unary(running.client, 'Match', { vector: { values: creators[0]!.vector }, k: 10, filter: { languages: ['xx'] } });
    expect(res.matches).toHaveLength(10);
    for (const m of res.matches) expect(rare.has(m.creator_id)).toBe(true);
  });

  it('excludes NSFW unless asked and honours min_score', async () => {
    const nsfw = creators.find((c) => c.is_nsfw)!;
    const hidden = await unary(running.client, 'Match', { vector: { values: nsfw.vector }, k: 5 });
    expect(hidden.matches.map((m: { creator_id: string }) => m.creator_id)).not.toContain(nsfw.id);
    const shown = await unary(running.client, 'Match', { vector: { values: nsfw.vector }, k: 5, filter: { include_nsfw: true } });
    expect(shown.matches[0]!.creator_id).toBe(nsfw.id);
    const strict = await unary(running.client, 'Match', { vector: { values: nsfw.vector }, k: 100, filter: { include_nsfw: true, min_score: 0.6 } });
    expect(strict.matches.length).toBeGreaterThan(0);
    for (const m of strict.matches) expect(m.score).toBeGreaterThanOrEqual(0.6);
  });

  it('matches fans of given creators without returning them', async () => {
    const liked = [creators[10]!.id, creators[15]!.id];
    const res = await unary(running.client, 'Match', { like_creators: { ids: liked }, k: 20, include_profile: true });
    expect(res.matches).toHaveLength(20);
    const ids = res.matches.map((m: { creator_id: string }) => m.creator_id);
    for (const id of liked) expect(ids).not.toContain(id);
    expect(res.matches.filter((m) => m.profile?.category === creators[10]!.category).length).toBeGreaterThanOrEqual(15);
  });

  it('names unknown liked creators with NOT_FOUND', async () => {
    const err = await unaryError(running.client, 'Match', { like_creators: { ids: [creators[1]!.id, 'nope-1', 'nope-2'] } });
    expect(err.code).toBe(status.NOT_FOUND);
    expect(err.details).toContain('"nope-1"');
    expect(err.details).toContain('"nope-2"');
    expect(err.reason).toBe('UNKNOWN_CREATORS');
  });

  it('answers text queries with FAILED_PRECONDITION when the index has no model', async () => {
    const err = await unaryError(running.client, 'Match', { interest_text: 'cooking' });
    expect(err.code).toBe(status.FAILED_PRECONDITION);
    expect(err.reason).toBe('TEXT_QUERY_UNSUPPORTED');
  });

  it.each([
    [{ vector: { values: [1, 2, 3] } }, status.INVALID_ARGUMENT, 'DIMENSION_MISMATCH', `the index has ${DIMS} dimensions`],
    [{ vector: { values: [] } }, status.INVALID_ARGUMENT, 'INVALID_VECTOR', 'empty'],
    [{ vector: { values: new Array(DIMS).fill(0) } }, status.INVALID_ARGUMENT, 'INVALID_VECTOR', 'zero norm'],
    [{ vector: { values: [NaN, ...new Array(DIMS - 1).fill(1)] } }, status.INVALID_ARGUMENT, 'INVALID_VECTOR', 'values[0] is NaN'],
    [{}, status.INVALID_ARGUMENT, 'INVALID_QUERY', 'no query'],
    [{ vector: { values: new Array(DIMS).fill(1) }, k: 1001 }, status.INVALID_ARGUMENT, 'INVALID_K', 'maximum of 1000'],
    [{ vector: { values: new Array(DIMS).fill(1) }, filter: { categories: ['cokking'] } }, status.INVALID_ARGUMENT, 'INVALID_FILTER', 'cokking'],
    [{ vector: { values: new Array(DIMS).fill(1) }, filter: { min_score: 2 } }, status.INVALID_ARGUMENT, 'INVALID_FILTER', 'min_score'],
    [{ like_creators: { ids: [] } }, status.INVALID_ARGUMENT, 'INVALID_QUERY', 'empty'],
  ])('rejects bad request %# with the right status and message', async (req, code, reason, text) => {
    const err = await unaryError(running.client, 'Match', req);
    expect(err.code).toBe(code);
    expect(err.reason).toBe(reason);
    expect(err.details).toContain(text);
    expect(await healthCheck(running.port)).toBe('SERVING');
  });

  it('BatchMatch answers every item in order, a bad item in-band, and goes on', async () => {
    const requests = [
      { request_id: 'a', vector: { values: creators[1]!.vector }, k: 3 },
      { request_id: 'b', vector: { values: [1, 2] } },
      { request_id: 'c', like_creators: { ids: [creators[2]!.id] }, k: 2 },
      { request_id: 'd', like_creators: { ids: ['ghost'] } },
      { request_id: 'e', vector: { values: creators[3]!.vector }, k: 1 },
    ];
    const out = await batch(running.client, requests);
    expect(out.map((r) => r.request_id)).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(out[0]!.matches[0]!.creator_id).toBe(creators[1]!.id);
    expect(out[1]!.error).toMatchObject({ code: status.INVALID_ARGUMENT, reason: 'DIMENSION_MISMATCH' });
    expect(out[1]!.matches).toEqual([]);
    expect(out[2]!.matches).toHaveLength(2);
    expect(out[3]!.error).toMatchObject({ code: status.NOT_FOUND, reason: 'UNKNOWN_CREATORS' });
    expect(out[4]!.error).toBeNull();
    expect(out[4]!.matches[0]!.creator_id).toBe(creators[3]!.id);
  });
});
