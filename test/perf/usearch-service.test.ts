import { promises as fs } from 'node:fs';
import path from 'node:path';
import { buildIndex } from '../../index-builder/build-index';
import { syntheticCreators } from '../helpers/synthetic';
import { batch, startServer, tempDir, unary, writeJsonl, type Running } from '../helpers/server';

// The service over an index built with `--ann usearch`: the manifest's kind picks the loader, Match
// and BatchMatch coalesce their searches into multi-threaded native batches.
const N = 1500;
const DIMS = 32;
const creators = syntheticCreators(N, DIMS, 5, 100);

let dir: string;
let running: Running;

beforeAll(async () => {
  dir = await tempDir();
  const input = path.join(dir, 'creators.jsonl');
  await writeJsonl(input, creators);
  const report = await buildIndex({ input, out: path.join(dir, 'idx'), recallSample: 200, ann: 'usearch' });
  expect(report.recall.value).toBeGreaterThanOrEqual(0.95);
  running = await startServer(path.join(dir, 'idx'));
});

afterAll(async () => {
  await running?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

describe('Match over a usearch index', () => {
  it('records the ANN kind and finds a creator by its own vector first', async () => {
    const manifest = running.app.currentMatcher!.index.manifest;
    expect(manifest.ann.kind).toBe('usearch');
    const c = creators[42]!;
    const res = await unary(running.client, 'Match', { request_id: 'r1', vector: { values: c.vector }, filter: { include_nsfw: true } });
    expect(res.matches).toHaveLength(10);
    expect(res.matches[0]!.creator_id).toBe(c.id);
    expect(res.matches[0]!.score).toBeCloseTo(1, 4);
  });

  it('keeps filters exact and returns k at ~1% selectivity (rare language)', async () => {
    const rare = new Set(creators.filter((c) => c.language === 'xx' && !c.is_nsfw).map((c) => c.id));
    const res = await unary(running.client, 'Match', { vector: { values: creators[7]!.vector }, k: 10, filter: { languages: ['xx'] } });
    expect(res.matches).toHaveLength(10);
    for (const m of res.matches) expect(rare.has(m.creator_id)).toBe(true);
  });

  it('answers concurrent Match calls and a BatchMatch stream with the same results, in request order', async () => {
    const requests = creators.slice(0, 120).map((c, i) => ({ request_id: `b${i}`, vector: { values: c.vector }, k: 5, filter: i % 3 === 0 ? { languages: ['es'] } : {} }));
    requests.splice(50, 0, { request_id: 'bad', vector: { values: [1, 2] }, k: 5, filter: {} });
    const single = await Promise.all(requests.map((r) => unary(running.client, 'Match', r).catch(() => null)));
    const streamed = await batch(running.client, requests);
    expect(streamed.map((r) => r.request_id)).toEqual(requests.map((r) => r.request_id));
    expect(streamed[50]!.error).not.toBeNull();
    streamed.forEach((r, i) => {
      if (i === 50) return;
      expect(r.error).toBeNull();
      expect(r.matches.map((m: { creator_id: string }) => m.creator_id)).toEqual(single[i]?.matches.map((m: { creator_id: string }) => m.creator_id));
    });
  });
});
