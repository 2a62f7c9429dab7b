/**
 * @jest-environment ./test/support/onnx-environment.js
 */
/**
 * The HTTP/JSON API against gRPC on the same server: the same answers for the same requests, the
 * same errors (as HTTP statuses with the reason in the body), the same metrics; and nothing of the
 * workbench without MATCH_UI_ADDR.
 */
import { promises as fs } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import pino from 'pino';
import { MatchApp } from '../../src/app';
import { loadConfig } from '../../src/config/config';
import type { MatchRequest } from '../../src/contract/creatormatch/v1/MatchRequest';
import { callError, unary } from '../helpers/server';
import { find, httpGet, parsePrometheus, startObservedServer, type ObservedServer } from '../observability/helpers';
import { postJson, request, sampleIndex, ensureWebBuilt, startUi, type UiRunning } from './helpers';
import { buildToPg } from '../../index-builder/build-to-pg';
import { startPrimary, type PgServer } from '../../scripts/pg/local-pg';
import { PG_TESTS_OFF } from '../helpers/backends';
import { SAMPLE_CATALOG } from '../../src/config/config';

const MATCH = '/creatormatch.v1.CreatorMatcher/Match';
const INFO = '/creatormatch.v1.CreatorMatcher/GetIndexInfo';

/** Floats compared as the float32 they are on the wire; everything else exactly. */
function float32s(x: unknown): unknown {
  if (typeof x === 'number') return Math.fround(x);
  if (Array.isArray(x)) return x.map(float32s);
  if (x && typeof x === 'object') return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, float32s(v)]));
  return x;
}

let dir: string;
let indexDir: string;
let s: UiRunning;

beforeAll(async () => {
  ensureWebBuilt();
  ({ dir, indexDir } = await sampleIndex());
  s = await startUi(indexDir);
});
afterAll(async () => {
  await s?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

describe('HTTP/JSON API = gRPC', () => {
  const vector = Array.from({ length: 512 }, (_, i) => Math.sin(i * 0.37) + (i % 7) / 10);
  const requests: Array<[string, MatchRequest]> = [
    ['text, index default mode', { request_id: 'r1', interest_text: 'I want to learn to cook dumplings at home', k: 5, include_profile: true, explain: true }],
    ['text, dense', { request_id: 'r2', interest_text: 'weekly true crime podcast', k: 10, retrieval: 'RETRIEVAL_DENSE', explain: true }],
    ['text, lexical', { request_id: 'r3', interest_text: 'weekly true crime podcast', k: 10, retrieval: 'RETRIEVAL_LEXICAL', explain: true, include_profile: true }],
    ['text, hybrid, filters', { request_id: 'r4', interest_text: 'pixel art platformer games', k: 8, retrieval: 'RETRIEVAL_HYBRID', filter: { languages: ['en', 'de'], categories: ['games', 'visual_art'], min_score: 0.2 }, explain: true }],
    ['liked creators with weights', { request_id: 'r5', like_creators: { ids: ['cr_000730', 'cr_000023'], weights: [2, 1] }, k: 7, include_profile: true }],
    ['vector, diversity and a category cap', { request_id: 'r6', vector: { values: vector }, k: 12, diversity: 0.4, max_per_category: 3, filter: { include_nsfw: true, exclude_creator_ids: ['cr_000001'] } }],
    ['fan id routing', { request_id: 'r7', fan_id: 'fan_0042', interest_text: 'knitting patterns', k: 3 }],
  ];

  it.each(requests)('Match: %s', async (_what, req) => {
    const viaGrpc = await unary(s.client, 'Match', req);
    const viaHttp = await postJson(s.base + MATCH, req);
    expect(viaHttp.status).toBe(200);
    expect(viaHttp.headers['content-type']).toBe('application/json; charset=utf-8');
    const json = viaHttp.json();
    expect(viaGrpc.matches.length).toBeGreaterThan(0);
    expect(float32s(json)).toEqual(float32s(viaGrpc));
  });

  it('accepts the lowerCamelCase names of the JSON mapping too', async () => {
    const snake = (await postJson(s.base + MATCH, { interest_text: 'jazz guitar lessons', k: 4, include_profile: true, filter: { min_score: 0.1 } })).json();
    const camel = (await postJson(s.base + MATCH, { interestText: 'jazz guitar lessons', k: '4', includeProfile: true, filter: { minScore: 0.1 } })).json();
    expect(camel).toEqual(snake);
  });

  it('GetIndexInfo', async () => {
    const viaGrpc = await unary(s.client, 'GetIndexInfo', {});
    const viaHttp = await postJson(s.base + INFO, {});
    expect(viaHttp.status).toBe(200);
    const json = viaHttp.json<Record<string, unknown>>();
    // serving_since etc. are the same instant; online recall may move between the two calls.
    expect(float32s({ ...json, online_recall_samples: '', online_recall: 0 })).toEqual(float32s({ ...viaGrpc, online_recall_samples: '', online_recall: 0 }));
    expect(json).toMatchObject({ creator_count: '1200', dims: 512, variant: 'default', default_retrieval: expect.stringMatching(/^RETRIEVAL_/) });
  });

  it.each([
    ['INVALID_K', { interest_text: 'x', k: 5000 }, 400, 'invalid_argument', grpc.status.INVALID_ARGUMENT],
    ['INVALID_QUERY', { k: 3 }, 400, 'invalid_argument', grpc.status.INVALID_ARGUMENT],
    ['INVALID_VECTOR', { vector: { values: [1, 'NaN', ...new Array<number>(510).fill(0)] } }, 400, 'invalid_argument', grpc.status.INVALID_ARGUMENT],
    ['DIMENSION_MISMATCH', { vector: { values: [1, 2, 3] } }, 400, 'invalid_argument', grpc.status.INVALID_ARGUMENT],
    ['INVALID_FILTER', { interest_text: 'x', filter: { categories: ['nope'] } }, 400, 'invalid_argument', grpc.status.INVALID_ARGUMENT],
    ['INVALID_DIVERSITY', { interest_text: 'x', diversity: 2 }, 400, 'invalid_argument', grpc.status.INVALID_ARGUMENT],
    ['UNKNOWN_VARIANT', { interest_text: 'x', variant: 'nope' }, 400, 'invalid_argument', grpc.status.INVALID_ARGUMENT],
    ['UNKNOWN_CREATORS', { like_creators: { ids: ['cr_nope'] } }, 404, 'not_found', grpc.status.NOT_FOUND],
  ])('%s: the same status and message as gRPC, as HTTP %s', async (reason, req, http, code, grpcCode) => {
    const res = await postJson(s.base + MATCH, req);
    // The proto3 JSON "NaN" is NaN over gRPC.
    const e = await callError(unary(s.client, 'Match', JSON.parse(JSON.stringify(req), (_k, v: unknown) => (v === 'NaN' ? NaN : v)) as MatchRequest));
    expect(res.status).toBe(http);
    const body = res.json<{ code: string; message: string; reason: string }>();
    expect(body).toEqual({ code, message: expect.any(String), reason });
    expect(e.code).toBe(grpcCode);
    expect(e.reason).toBe(reason);
    expect(body.message).toBe(e.details);
  });

  it('refuses what is not the JSON form of the message (400 INVALID_BODY), other media types (415), big bodies (413), unknown methods (404), GET (405)', async () => {
    const bad = async (res: Promise<{ status: number; json<T>(): T }>, status: number, code: string, reason: string, message: RegExp): Promise<void> => {
      const r = await res;
      expect(r.status).toBe(status);
      expect(r.json()).toEqual({ code, reason, message: expect.stringMatching(message) });
    };
    await bad(postJson(s.base + MATCH, '{"interest_text": '), 400, 'invalid_argument', 'INVALID_BODY', /not JSON/);
    await bad(postJson(s.base + MATCH, { interest_text: 'x', colour: 1 }), 400, 'invalid_argument', 'INVALID_BODY', /colour: unknown field/);
    await bad(postJson(s.base + MATCH, { interest_text: 'x', like_creators: { ids: ['a'] } }), 400, 'invalid_argument', 'INVALID_BODY', /both set/);
    await bad(request(s.base + MATCH, { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: '{}' }), 415, 'invalid_argument', 'INVALID_BODY', /Content-Type: application\/json/);
    await bad(postJson(s.base + MATCH, { interest_text: 'x'.repeat(5 * 1024 * 1024) }), 413, 'resource_exhausted', '', /larger than 4194304 bytes/);
    await bad(postJson(s.base + '/creatormatch.v1.CreatorMatcher/BatchMatch', {}), 404, 'unimplemented', '', /BatchMatch is gRPC only/);
    await bad(request(s.base + MATCH), 405, 'unimplemented', '', /use POST/);
  });

  it('a deadline (connect-timeout-ms) that has passed is DEADLINE_EXCEEDED, HTTP 504', async () => {
    const res = await postJson(s.base + MATCH, { interest_text: 'a slow query', k: 10 }, { 'Connect-Timeout-Ms': '0' });
    expect(res.status).toBe(504);
    expect(res.json()).toMatchObject({ code: 'deadline_exceeded', reason: 'DEADLINE_EXCEEDED' });
    expect((await postJson(s.base + MATCH, { interest_text: 'x' }, { 'Connect-Timeout-Ms': 'soon' })).status).toBe(400);
  });

  it('the workbench endpoints: config, creator search (bounded), judging off without a file', async () => {
    const config = (await request(`${s.base}/ui/api/config`)).json();
    expect(config).toMatchObject({ experiment: 'none', variants: ['default'], judgments: false, task_file: false, transport: 'plaintext' });
    const hits = (await request(`${s.base}/ui/api/creators?q=crumb&limit=5`)).json<{ creators: Array<{ creator_id: string; name: string }> }>().creators;
    expect(hits.length).toBeGreaterThan(0);
    expect(hits.every((h) => h.name.toLowerCase().includes('crumb'))).toBe(true);
    expect((await request(`${s.base}/ui/api/creators?q=cr_000730`)).json<{ creators: Array<{ creator_id: string }> }>().creators[0]!.creator_id).toBe('cr_000730');
    expect((await request(`${s.base}/ui/api/creators?q=x&limit=500`)).status).toBe(400);
    expect((await request(`${s.base}/ui/api/creators?q=${'x'.repeat(101)}`)).status).toBe(400);
    expect((await request(`${s.base}/ui/api/creators?q=x&variant=nope`)).json()).toMatchObject({ reason: 'UNKNOWN_VARIANT' });
    const judge = await postJson(`${s.base}/ui/api/judgments`, { rater_id: 'a', fan_id: 'f', creator_id: 'cr_000730', grade: 2 });
    expect(judge.status).toBe(400);
    expect(judge.json()).toMatchObject({ code: 'failed_precondition', reason: 'NOT_CONFIGURED' });
    expect((await request(`${s.base}/ui/api/nothing`)).status).toBe(404);
    expect((await request(`${s.base}/nothing.js`)).status).toBe(404);
  });

  it('while the service shuts down, new JSON calls are UNAVAILABLE (503), like gRPC calls during the drain', async () => {
    const other = await startUi(indexDir);
    other.app.ui!.gateway.drain();
    const res = await postJson(other.base + MATCH, { interest_text: 'x' });
    expect(res.status).toBe(503);
    expect(res.json()).toMatchObject({ code: 'unavailable' });
    await other.stop();
  });
});

describe('metrics', () => {
  let o: ObservedServer;
  afterAll(() => o?.stop());

  it('a JSON call counts in the same rpc metrics as a gRPC call, with the same labels', async () => {
    o = await startObservedServer(indexDir, {}, { MATCH_UI_ADDR: '127.0.0.1:0' });
    const uiPort = (await o.app.listenUi())!;
    const base = `http://127.0.0.1:${uiPort}`;
    const count = async (labels: Record<string, string>): Promise<number> =>
      find(parsePrometheus((await httpGet(o.telemetry.metricsPort!, '/metrics')).body), 'creator_match_rpc_requests_total', { service: 'creatormatch.v1.CreatorMatcher', method: 'Match', ...labels }).reduce((a, x) => a + x.value, 0);
    await unary(o.client, 'Match', { interest_text: 'baking bread', k: 3 });
    await postJson(base + MATCH, { interest_text: 'baking bread', k: 3 });
    await callError(unary(o.client, 'Match', { interest_text: 'x', k: 5000 }));
    await postJson(base + MATCH, { interest_text: 'x', k: 5000 });
    await postJson(base + '/creatormatch.v1.CreatorMatcher/Nope', {});
    expect(await count({ code: 'OK' })).toBe(2);
    expect(await count({ code: 'INVALID_ARGUMENT' })).toBe(2);
    const scrape = parsePrometheus((await httpGet(o.telemetry.metricsPort!, '/metrics')).body);
    expect(find(scrape, 'creator_match_rpc_duration_seconds_count', { method: 'Match', code: 'OK' })[0]?.value).toBe(2);
    // A path the caller chose never becomes a label value.
    expect(find(scrape, 'creator_match_rpc_requests_total', { method: 'unknown', code: 'UNIMPLEMENTED' })[0]?.value).toBe(1);
    expect(scrape.some((x) => x.labels.method === 'Nope')).toBe(false);
  });
});

describe('without MATCH_UI_ADDR', () => {
  it('nothing of the workbench exists: no server, no page on the gRPC or metrics ports', async () => {
    const config = loadConfig({ MATCH_INDEX_DIR: indexDir, MATCH_GRPC_ADDR: '127.0.0.1:0', MATCH_METRICS_ADDR: 'off', MATCH_UI_JUDGMENTS_FILE: `${dir}/never.jsonl` });
    expect(config.ui.addr).toBeUndefined();
    const app = new MatchApp(config, pino({ level: 'silent' }));
    expect(app.ui).toBeUndefined();
    await app.init();
    const port = await app.listen('127.0.0.1:0');
    expect(await app.listenUi()).toBeUndefined();
    // The gRPC port speaks HTTP/2 only: an HTTP/1.1 GET of the page gets no page.
    const page = await request(`http://127.0.0.1:${port}/`).then((r) => r.body, (err: Error) => err.message);
    expect(page).not.toContain('<!doctype html>');
    await app.close();
    await expect(fs.stat(`${dir}/never.jsonl`)).rejects.toThrow(/ENOENT/);
  });

  it('with MATCH_UI_ADDR but no built page, the service does not start, and says how to build it', async () => {
    const config = loadConfig({ MATCH_INDEX_DIR: indexDir, MATCH_UI_ADDR: '127.0.0.1:0', MATCH_UI_STATIC_DIR: `${dir}/no-page`, MATCH_METRICS_ADDR: 'off' });
    expect(() => new MatchApp(config, pino({ level: 'silent' }))).toThrow(/the workbench page is not built: .*no-page.*index\.html does not exist; run npm run web:build/);
  });

  it('a metrics port serves no page either', async () => {
    const o = await startObservedServer(indexDir);
    expect(o.app.ui).toBeUndefined();
    expect((await httpGet(o.telemetry.metricsPort!, '/')).status).toBe(404);
    expect((await httpGet(o.telemetry.metricsPort!, '/index.html')).status).toBe(404);
    await o.stop();
  });
});

// The workbench over the PostgreSQL backend: the page's API answers as gRPC does there too.
(PG_TESTS_OFF ? describe.skip : describe)('HTTP/JSON API = gRPC on the PostgreSQL backend', () => {
  let pg: PgServer;
  let ui: UiRunning;
  beforeAll(async () => {
    pg = await startPrimary();
    const pgIdx = `${dir}/pg-idx`;
    await buildToPg({ input: SAMPLE_CATALOG, out: pgIdx, recallSample: 50 }, { url: pg.url, minRecall: 0.8, recallSample: 20 });
    ui = await startUi(`${dir}/pg-idx-unused`, { MATCH_PG_URL: pg.url, MATCH_PG_POOL_MAX: '4' });
  }, 240_000);
  afterAll(async () => {
    await ui?.stop();
    await pg?.stop();
  });

  it.each([
    ['text, index default mode', { request_id: 'p1', interest_text: 'I want to learn to cook dumplings at home', k: 5, include_profile: true, explain: true }],
    ['text, dense, filters', { request_id: 'p2', interest_text: 'weekly true crime podcast', k: 10, retrieval: 'RETRIEVAL_DENSE', filter: { languages: ['en'], min_score: 0.1 } }],
    ['liked creators', { request_id: 'p3', like_creators: { ids: ['cr_000730', 'cr_000023'] }, k: 7 }],
  ] as Array<[string, MatchRequest]>)('Match: %s', async (_what, req) => {
    const viaGrpc = await unary(ui.client, 'Match', req);
    const viaHttp = await postJson(ui.base + MATCH, req);
    expect(viaHttp.status).toBe(200);
    expect(viaGrpc.matches.length).toBeGreaterThan(0);
    expect(float32s(viaHttp.json())).toEqual(float32s(viaGrpc));
  });

  it('GetIndexInfo names the database-served version; the page itself is served', async () => {
    const info = (await postJson(ui.base + INFO, {})).json<Record<string, unknown>>();
    expect(info).toMatchObject({ creator_count: '1200', dims: 512 });
    const page = await request(`${ui.base}/`);
    expect(page.body).toContain('<!doctype html>');
  });
});
