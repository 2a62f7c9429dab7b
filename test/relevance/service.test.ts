/**
 * @jest-environment ./test/support/onnx-environment.js
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { buildIndex } from '../../index-builder/build-index';
import { readDone, runBatchMatch, type Recommendation } from '../../tools/batch-match/batch-match';
import { SAMPLE_CATALOG } from '../../src/config/config';
import type { MatchRequest } from '../../src/contract/creatormatch/v1/MatchRequest';
import type { MatchResponse__Output } from '../../src/contract/creatormatch/v1/MatchResponse';
import { startServer, tempDir, unary, unaryError, writeJsonl, type Running } from '../helpers/server';

// Diversity, weighted like_creators and batch-match against the real service on the sample catalog.
const SAMPLE_FANS = path.join(path.dirname(SAMPLE_CATALOG), 'sample-fans.jsonl');
let dir: string;
let running: Running;
type SampleCreator = { id: string; category: string; is_nsfw: boolean };
let creators: Map<string, SampleCreator>;

beforeAll(async () => {
  dir = await tempDir();
  await buildIndex({ input: SAMPLE_CATALOG, out: dir });
  running = await startServer(dir);
  const rows = (await fs.readFile(SAMPLE_CATALOG, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as SampleCreator);
  creators = new Map(rows.map((c) => [c.id, c]));
});
afterAll(async () => {
  await running?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

const categoriesOf = (res: MatchResponse__Output) => res.matches.map((m) => creators.get(m.creator_id)!.category);
const countBy = (xs: string[]) => xs.reduce((m, x) => m.set(x, (m.get(x) ?? 0) + 1), new Map<string, number>());
const match = (req: MatchRequest) => unary(running.client, 'Match', { interest_text: 'home cooking recipes and a podcast about food', k: 10, ...req });

describe('diversity (MMR) and max_per_category', () => {
  it('diversity 0 is the plain ranking', async () => {
    const plain = await match({});
    const zero = await match({ diversity: 0, max_per_category: 0 });
    expect(zero.matches).toEqual(plain.matches);
  });

  it('MMR keeps k results that pass the filter and spreads them out', async () => {
    // MMR's first pick is the best cosine match: the plain dense ranking's first. (In hybrid, the
    // default, a request with diversity gets no feedback or smoothing, so its first pick can differ
    // from the plain hybrid list's.)
    const dense = await match({ retrieval: 'RETRIEVAL_DENSE' });
    expect((await match({ retrieval: 'RETRIEVAL_DENSE', diversity: 0.7 })).matches[0]).toEqual(dense.matches[0]);
    const plain = await match({});
    const diverse = await match({ diversity: 0.7 });
    expect(diverse.matches).toHaveLength(10);
    expect(diverse.matches.map((m) => m.creator_id)).not.toEqual(plain.matches.map((m) => m.creator_id));
    expect(new Set(categoriesOf(diverse)).size).toBeGreaterThanOrEqual(new Set(categoriesOf(plain)).size);
    for (const m of diverse.matches) expect(creators.get(m.creator_id)!.is_nsfw).toBe(false);
  });

  it('max_per_category caps each category and still returns k', async () => {
    const capped = await match({ max_per_category: 2, filter: { languages: ['en'] } });
    expect(capped.matches).toHaveLength(10);
    for (const n of countBy(categoriesOf(capped)).values()) expect(n).toBeLessThanOrEqual(2);
    const plain = await match({ filter: { languages: ['en'] } });
    expect(Math.max(...countBy(categoriesOf(plain)).values())).toBeGreaterThan(2);
  });

  it('the cap with a one-category filter returns fewer than k (only that many pass)', async () => {
    const res = await match({ max_per_category: 3, diversity: 0.3, filter: { categories: ['cooking'] } });
    expect(categoriesOf(res)).toEqual(['cooking', 'cooking', 'cooking']);
  });

  it('rejects diversity outside [0, 1] with INVALID_DIVERSITY', async () => {
    const err = await unaryError(running.client, 'Match', { interest_text: 'cooking', diversity: 1.5 });
    expect(err.code).toBe(3);
    expect(err.reason).toBe('INVALID_DIVERSITY');
    expect(err.details).toMatch(/diversity must be within \[0, 1\]/);
  });
});

describe('like_creators with weights (fan supports A, B, C)', () => {
  const firstOf = (category: string) => [...creators.values()].find((c) => c.category === category && !c.is_nsfw)!.id;

  it('the heavier creator pulls the results to its category, and liked creators are never returned', async () => {
    const cook = firstOf('cooking');
    const music = firstOf('music');
    const towardsCooking = await unary(running.client, 'Match', { like_creators: { ids: [cook, music], weights: [10, 1] }, k: 10 });
    const towardsMusic = await unary(running.client, 'Match', { like_creators: { ids: [cook, music], weights: [1, 10] }, k: 10 });
    const share = (res: MatchResponse__Output, c: string) => categoriesOf(res).filter((x) => x === c).length;
    expect(share(towardsCooking, 'cooking')).toBeGreaterThanOrEqual(8);
    expect(share(towardsMusic, 'music')).toBeGreaterThanOrEqual(8);
    for (const res of [towardsCooking, towardsMusic]) for (const m of res.matches) expect([cook, music]).not.toContain(m.creator_id);
  });

  it('equal weights are the same as no weights', async () => {
    const ids = [firstOf('games'), firstOf('comics')];
    const none = await unary(running.client, 'Match', { like_creators: { ids }, k: 5 });
    const equal = await unary(running.client, 'Match', { like_creators: { ids, weights: [2, 2] }, k: 5 });
    expect(equal.matches.map((m) => m.creator_id)).toEqual(none.matches.map((m) => m.creator_id));
  });

  it.each([
    [[1], /weights has 1 values but ids has 2/],
    [[1, -1], /weights\[1\] is -1/],
    [[1, 0], /weights\[1\] is 0/],
  ])('rejects weights %p with INVALID_QUERY', async (weights, message) => {
    const err = await unaryError(running.client, 'Match', { like_creators: { ids: [firstOf('games'), firstOf('comics')], weights } });
    expect(err.code).toBe(3);
    expect(err.reason).toBe('INVALID_QUERY');
    expect(err.details).toMatch(message);
  });
});

describe('batch-match', () => {
  const lines = async <T>(file: string): Promise<T[]> =>
    (await fs.readFile(file, 'utf8')).trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as T);
  interface FanLine {
    fan_id?: string;
    interest_text?: string;
    follows?: string[];
    weights?: number[];
    vector?: number[];
  }
  let fansFile: string;
  let fans: FanLine[];

  beforeAll(async () => {
    const sample = await lines<{ fan_id: string; interest_text: string; follows: string[] }>(SAMPLE_FANS);
    // Text fans, weighted follows fans and a vector fan, plus three bad ones.
    fans = sample.slice(0, 60).map((f, i) => (i % 2 ? { fan_id: f.fan_id, interest_text: f.interest_text } : { fan_id: f.fan_id, follows: f.follows, weights: f.follows.map(() => 1 + i) }));
    fans.push({ fan_id: 'vec', vector: Array.from({ length: 512 }, (_, i) => Math.sin(i)) });
    fansFile = path.join(dir, 'fans.jsonl');
    await writeJsonl(fansFile, [...fans, { fan_id: 'bad_dims', vector: [1, 2, 3] }, { fan_id: 'unknown', follows: ['cr_nope'] }, { interest_text: 'no id' }]);
  });

  it('writes one recommendation line per fan, and the failures to the errors file', async () => {
    const out = path.join(dir, 'recs.jsonl');
    const progress: number[] = [];
    const summary = await runBatchMatch({ fans: fansFile, out, client: running.client, concurrency: 3, window: 4, k: 5, onProgress: (p) => progress.push(p.ok), progressEveryMs: 1 });
    expect(summary).toMatchObject({ total: 64, ok: 61, errors: 2, retryable: 0, invalid: 1, alreadyDone: 0, skipped: 0, interrupted: false, streamErrors: [] });
    const recs = await lines<Recommendation>(out);
    expect(recs.map((r) => r.fan_id).sort()).toEqual(fans.map((f) => f.fan_id).sort());
    for (const r of recs) {
      expect(r.matches).toHaveLength(5);
      expect(r.index_version).toBe(running.app.currentMatcher!.index.version);
    }
    // Weighted follows fans never get their followed creators back.
    for (const f of fans.filter((f) => f.follows)) {
      const rec = recs.find((r) => r.fan_id === f.fan_id)!;
      for (const m of rec.matches) expect(f.follows).not.toContain(m.creator_id);
    }
    const errors = await lines<{ reason: string; retryable: boolean }>(summary.errorsFile);
    expect(errors.map((e) => e.reason).sort()).toEqual(['DIMENSION_MISMATCH', 'INVALID_INPUT', 'UNKNOWN_CREATORS']);
    // Bad input lines and requests the service refuses are not worth a rerun.
    expect(errors.every((e) => e.retryable === false)).toBe(true);
  });

  it('resumes after an interruption: skips fans already written, repairs a torn last line', async () => {
    const out = path.join(dir, 'resume.jsonl');
    const fansOnly = path.join(dir, 'fans-ok.jsonl');
    await writeJsonl(fansOnly, fans);
    const first = await runBatchMatch({ fans: fansOnly, out, client: running.client });
    expect(first.ok).toBe(61);
    const full = await fs.readFile(out, 'utf8');
    const kept = full.split('\n').slice(0, 20).join('\n') + '\n';
    await fs.writeFile(out, kept + full.split('\n')[20]!.slice(0, 30)); // crash mid-line
    expect((await readDone(out)).size).toBe(20);
    expect(await fs.readFile(out, 'utf8')).toBe(kept);

    const second = await runBatchMatch({ fans: fansOnly, out, client: running.client, concurrency: 2 });
    expect(second).toMatchObject({ alreadyDone: 20, skipped: 20, ok: 41, errors: 0 });
    const recs = await lines<Recommendation>(out);
    expect(recs).toHaveLength(61);
    expect(new Set(recs.map((r) => r.fan_id)).size).toBe(61);

    const third = await runBatchMatch({ fans: fansOnly, out, client: running.client });
    expect(third).toMatchObject({ alreadyDone: 61, ok: 0 });
  });

  it('stops taking new fans when aborted; a rerun finishes the job', async () => {
    const out = path.join(dir, 'aborted.jsonl');
    const abort = new AbortController();
    abort.abort();
    const stopped = await runBatchMatch({ fans: fansFile, out, client: running.client, signal: abort.signal });
    expect(stopped.interrupted).toBe(true);
    expect(stopped.ok).toBe(0);
    const rerun = await runBatchMatch({ fans: fansFile, out, client: running.client });
    expect(rerun.ok).toBe(61);
  });
});
