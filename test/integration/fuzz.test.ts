/**
 * @jest-environment ./test/support/onnx-environment.js
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import fc from 'fast-check';
import { buildIndex } from '../../index-builder/build-index';
import { SAMPLE_CATALOG } from '../../src/config/config';
import { ERROR_CODES } from '../../src/errors/match-error';
import type { MatchRequest } from '../../src/contract/creatormatch/v1/MatchRequest';
import type { MatchResponse__Output } from '../../src/contract/creatormatch/v1/MatchResponse';
import { REASON_METADATA_KEY } from '../../src/grpc/wire';
import { healthCheck, startServer, tempDir, type Running } from '../helpers/server';

// Property: whatever MatchRequest arrives, the server answers OK (with results that respect the
// request) or a documented status and reason, and never crashes.
let dir: string;
let running: Running;
interface SampleCreator {
  id: string;
  category: string;
  language: string;
  is_nsfw: boolean;
}
let creators: SampleCreator[];

beforeAll(async () => {
  dir = await tempDir();
  const lines = (await fs.readFile(SAMPLE_CATALOG, 'utf8')).trim().split('\n').slice(0, 200);
  await fs.writeFile(path.join(dir, 'c.jsonl'), lines.join('\n') + '\n');
  creators = lines.map((l) => JSON.parse(l) as SampleCreator);
  await buildIndex({ input: path.join(dir, 'c.jsonl'), out: path.join(dir, 'idx') });
  running = await startServer(path.join(dir, 'idx'), { LOG_LEVEL: 'warn' });
});
afterAll(async () => {
  await running?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

const floatish = fc.oneof(fc.float({ noDefaultInfinity: false }), fc.constantFrom(0, NaN, Infinity, -Infinity, 1e-40, 3e38));
const someIds = () => fc.array(fc.oneof(fc.constantFrom(...creators.map((c) => c.id)), fc.string({ maxLength: 12 })), { maxLength: 6 });
const words = fc.oneof(fc.string({ maxLength: 80 }), fc.constantFrom('cooking dumplings', 'true crime podcast', '', '   ', '\u0000\u0007', '\uD800x', 'ok'));

const request = () =>
  fc.record(
    {
      request_id: fc.string({ maxLength: 20 }),
      fan_id: fc.string({ maxLength: 20 }),
      k: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 50 }), fc.constantFrom(1000, 1001, 4294967295)),
      include_profile: fc.boolean(),
      query: fc.oneof(
        fc.record({ vector: fc.record({ values: fc.oneof(fc.array(floatish, { maxLength: 4 }), fc.array(floatish, { minLength: 512, maxLength: 512 })) }) }),
        fc.record({ interest_text: words }),
        fc.record({ like_creators: fc.record({ ids: someIds() }) }),
        fc.constant({}),
      ),
      filter: fc.record(
        {
          exclude_creator_ids: someIds(),
          categories: fc.array(fc.oneof(fc.constantFrom('cooking', 'music', 'games', 'COOKING'), fc.string({ maxLength: 8 })), { maxLength: 3 }),
          languages: fc.array(fc.constantFrom('en', 'fr', 'ja', 'xx'), { maxLength: 2 }),
          include_nsfw: fc.boolean(),
          min_score: fc.oneof(fc.float({ min: -1, max: 1, noNaN: true }), fc.constantFrom(NaN, 2, -3)),
        },
        { requiredKeys: [] },
      ),
    },
    { requiredKeys: ['query'] },
  ).map(({ query, ...rest }) => ({ ...rest, ...query }));

function call(req: MatchRequest): Promise<{ err: grpc.ServiceError | null; res: MatchResponse__Output | undefined }> {
  return new Promise((resolve) => running.client.Match(req, { deadline: Date.now() + 10_000 }, (err, res) => resolve({ err, res })));
}

const DOCUMENTED = new Set<number>([...Object.values(ERROR_CODES), grpc.status.RESOURCE_EXHAUSTED]);

it('never crashes; answers OK with valid results or a documented status and reason', async () => {
  const byId = new Map(creators.map((c) => [c.id, c]));
  await fc.assert(
    fc.asyncProperty(request(), async (req) => {
      const { err, res } = await call(req);
      if (err) {
        expect(DOCUMENTED.has(err.code)).toBe(true);
        expect([grpc.status.INTERNAL, grpc.status.UNAVAILABLE]).not.toContain(err.code);
        const reason = String(err.metadata.get(REASON_METADATA_KEY)[0] ?? '');
        expect(Object.keys(ERROR_CODES)).toContain(reason);
        expect(err.details.length).toBeGreaterThan(5);
        return;
      }
      if (!res) throw new Error('Match returned neither an error nor a response');
      const k = req.k || 10;
      expect(res.matches.length).toBeLessThanOrEqual(k);
      const scores: number[] = res.matches.map((m) => m.score);
      expect([...scores].sort((a, b) => b - a)).toEqual(scores);
      const f: NonNullable<typeof req.filter> = req.filter ?? {};
      for (const m of res.matches) {
        const c = byId.get(m.creator_id)!;
        expect(c).toBeDefined();
        expect(m.score).toBeGreaterThanOrEqual(-1);
        expect(m.score).toBeLessThanOrEqual(1);
        if (!f.include_nsfw) expect(c.is_nsfw).toBe(false);
        // Blank filter values are ignored; the rest compare trimmed and case-insensitively.
        const cats = (f.categories ?? []).map((x) => x.trim().toLowerCase()).filter(Boolean);
        const langs = (f.languages ?? []).map((x) => x.trim().toLowerCase()).filter(Boolean);
        if (cats.length) expect(cats).toContain(c.category);
        if (langs.length) expect(langs).toContain(c.language);
        expect(f.exclude_creator_ids ?? []).not.toContain(c.id);
        if ('like_creators' in req) expect(req.like_creators.ids).not.toContain(c.id);
        if (f.min_score !== undefined) expect(m.score).toBeGreaterThanOrEqual(Math.fround(f.min_score) - 1e-6);
      }
    }),
    { numRuns: 400, seed: 20261125 },
  );
  expect(await healthCheck(running.port)).toBe('SERVING');
}, 120_000);
