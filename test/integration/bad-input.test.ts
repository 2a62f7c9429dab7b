/**
 * @jest-environment ./test/support/onnx-environment.js
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { buildIndex } from '../../index-builder/build-index';
import { SAMPLE_CATALOG } from '../../src/config/config';
import type { MatchRequest } from '../../src/contract/creatormatch/v1/MatchRequest';
import { healthCheck, startServer, tempDir, unary, unaryError, type Running } from '../helpers/server';

// The bad-input suite: every case asserts the exact status, the reason and a message that says
// what was wrong, and that the server still reports SERVING afterwards.
const { INVALID_ARGUMENT, NOT_FOUND, OK } = grpc.status;
let dir: string;
let running: Running;
let creators: Array<{ id: string; category: string }>;
let dims: number;

beforeAll(async () => {
  dir = await tempDir();
  const lines = (await fs.readFile(SAMPLE_CATALOG, 'utf8')).trim().split('\n').slice(0, 300);
  await fs.writeFile(path.join(dir, 'c.jsonl'), lines.join('\n') + '\n');
  creators = lines.map((l) => JSON.parse(l) as (typeof creators)[number]);
  await buildIndex({ input: path.join(dir, 'c.jsonl'), out: path.join(dir, 'idx') });
  running = await startServer(path.join(dir, 'idx'), { MATCH_MAX_RECEIVE_BYTES: String(2 * 1024 * 1024) });
  dims = Number((await unary(running.client, 'GetIndexInfo', {})).dims);
});
afterAll(async () => {
  await running?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

const vec = (fill: number, n = dims) => ({ values: new Array<number>(n).fill(fill) });
const ok = (n: number) => ({ code: OK, matches: n });
type Expect = { code: grpc.status; reason?: string; message?: RegExp | string; matches?: number };

const CASES: Array<[string, () => MatchRequest, Expect]> = [
  ['vector of the wrong dimension', () => ({ vector: vec(0.1, 3) }), { code: INVALID_ARGUMENT, reason: 'DIMENSION_MISMATCH', message: /vector has 3 values, the index has 512 dimensions/ }],
  ['empty vector', () => ({ vector: { values: [] } }), { code: INVALID_ARGUMENT, reason: 'INVALID_VECTOR', message: 'vector.values is empty' }],
  ['NaN in the vector', () => ({ vector: { values: [...vec(0.1).values.slice(1), NaN] } }), { code: INVALID_ARGUMENT, reason: 'INVALID_VECTOR', message: /values\[511\] is NaN/ }],
  ['+Infinity in the vector', () => ({ vector: { values: [Infinity, ...vec(0.1).values.slice(1)] } }), { code: INVALID_ARGUMENT, reason: 'INVALID_VECTOR', message: /values\[0\] is Infinity/ }],
  ['-Infinity in the vector', () => ({ vector: { values: [-Infinity, ...vec(0.1).values.slice(1)] } }), { code: INVALID_ARGUMENT, reason: 'INVALID_VECTOR', message: /-Infinity/ }],
  ['all-zero vector', () => ({ vector: vec(0) }), { code: INVALID_ARGUMENT, reason: 'INVALID_VECTOR', message: /zero norm/ }],
  ['huge but finite float32 values are normalised', () => ({ vector: vec(3e38) }), ok(10)],
  ['tiny subnormal values are normalised', () => ({ vector: vec(1e-40) }), ok(10)],
  ['k = 0 means 10', () => ({ vector: vec(0.1), k: 0 }), ok(10)],
  ['k above the maximum', () => ({ vector: vec(0.1), k: 1001 }), { code: INVALID_ARGUMENT, reason: 'INVALID_K', message: 'k=1001 is above the maximum of 1000' }],
  ['huge k', () => ({ vector: vec(0.1), k: 4294967295 }), { code: INVALID_ARGUMENT, reason: 'INVALID_K', message: /k=4294967295 is above the maximum/ }],
  ['k = maximum on a smaller catalog returns every allowed creator', () => ({ vector: vec(0.1), k: 1000, filter: { include_nsfw: true } }), ok(300)],
  ['empty interest_text', () => ({ interest_text: '' }), { code: INVALID_ARGUMENT, reason: 'INVALID_TEXT', message: /empty or only whitespace/ }],
  ['whitespace-only interest_text', () => ({ interest_text: ' \t\n  ' }), { code: INVALID_ARGUMENT, reason: 'INVALID_TEXT', message: /empty or only whitespace/ }],
  ['1 MB interest_text', () => ({ interest_text: 'a'.repeat(1_000_000) }), { code: INVALID_ARGUMENT, reason: 'INVALID_TEXT', message: 'interest_text has 1000000 characters, the maximum is 4096' }],
  ['control characters only', () => ({ interest_text: '\u0000\u0001\u0007\u001b' }), { code: INVALID_ARGUMENT, reason: 'INVALID_TEXT', message: /control characters/ }],
  ['zero-width and other invisible format characters only', () => ({ interest_text: '\u200b \u200c\u200d\u2060\ufeff\u00ad' }), { code: INVALID_ARGUMENT, reason: 'INVALID_TEXT', message: /invisible format/ }],
  ['a zero-width joiner inside real text is kept', () => ({ interest_text: 'coding\u200d tutorials', k: 3 }), ok(3)],
  ['control characters around real text are ignored', () => ({ interest_text: '\u0000cooking\u0007 recipes\u001b', k: 3 }), ok(3)],
  ['lone UTF-16 surrogates are replaced, not fatal', () => ({ interest_text: '\uD800 music \uDFFF production', k: 3 }), ok(3)],
  ['like_creators with no ids', () => ({ like_creators: { ids: [] } }), { code: INVALID_ARGUMENT, reason: 'INVALID_QUERY', message: 'like_creators.ids is empty' }],
  ['like_creators with blank ids', () => ({ like_creators: { ids: ['', '  '] } }), { code: INVALID_ARGUMENT, reason: 'INVALID_QUERY', message: 'like_creators.ids is empty' }],
  ['like_creators with unknown ids', () => ({ like_creators: { ids: ['nope-a', creators[0]!.id, 'nope-b'] } }), { code: NOT_FOUND, reason: 'UNKNOWN_CREATORS', message: /"nope-a", "nope-b"/ }],
  ['like_creators with duplicates counts each once', () => ({ like_creators: { ids: [creators[1]!.id, creators[1]!.id, creators[2]!.id] }, k: 5 }), ok(5)],
  ['like_creators with 10k ids', () => ({ like_creators: { ids: Array.from({ length: 10_000 }, (_, i) => `id-${i}`) } }), { code: INVALID_ARGUMENT, reason: 'INVALID_QUERY', message: 'like_creators has 10000 distinct ids, the maximum is 1000' }],
  ['filter excluding 10k ids (the maximum) still answers', () => ({ vector: vec(0.1), k: 5, filter: { exclude_creator_ids: [...creators.slice(0, 100).map((c) => c.id), ...Array.from({ length: 9_900 }, (_, i) => `x-${i}`)] } }), ok(5)],
  ['filter excluding more ids than allowed', () => ({ vector: vec(0.1), filter: { exclude_creator_ids: Array.from({ length: 10_001 }, (_, i) => `x-${i}`) } }), { code: INVALID_ARGUMENT, reason: 'INVALID_FILTER', message: 'filter.exclude_creator_ids has 10001 ids, the maximum is 10000' }],
  ['unknown category', () => ({ vector: vec(0.1), filter: { categories: ['cooking', 'knitting-memes'] } }), { code: INVALID_ARGUMENT, reason: 'INVALID_FILTER', message: /unknown filter.categories: knitting-memes; this index has: .*cooking/ }],
  ['unknown language', () => ({ vector: vec(0.1), filter: { languages: ['xx'] } }), { code: INVALID_ARGUMENT, reason: 'INVALID_FILTER', message: /unknown filter.languages: xx/ }],
  ['category filter is case-insensitive', () => ({ vector: vec(0.1), k: 2, filter: { categories: ['COOKING'] } }), ok(2)],
  ['min_score above 1', () => ({ vector: vec(0.1), filter: { min_score: 1.5 } }), { code: INVALID_ARGUMENT, reason: 'INVALID_FILTER', message: 'filter.min_score must be within [-1, 1] (cosine similarity), got 1.5' }],
  ['min_score below -1', () => ({ vector: vec(0.1), filter: { min_score: -2 } }), { code: INVALID_ARGUMENT, reason: 'INVALID_FILTER', message: /got -2/ }],
  ['min_score NaN', () => ({ vector: vec(0.1), filter: { min_score: NaN } }), { code: INVALID_ARGUMENT, reason: 'INVALID_FILTER', message: /got NaN/ }],
  ['min_score 1 keeps only perfect matches', () => ({ vector: vec(0.1), filter: { min_score: 1 } }), ok(0)],
  // Item 8: input echoed in messages is truncated (a ~200 KB grpc-message used to stall the client).
  ['20 unknown like_creators ids of 10 KB each', () => ({ like_creators: { ids: Array.from({ length: 20 }, (_, i) => `${i}${'x'.repeat(10_000)}`) } }), { code: NOT_FOUND, reason: 'UNKNOWN_CREATORS', message: /^unknown creator ids in like_creators: "0x{79}…\(10001 chars\)", "1x{79}…/ }],
  ['an unknown category of 10 KB', () => ({ vector: vec(0.1), filter: { categories: ['c'.repeat(10_000)] } }), { code: INVALID_ARGUMENT, reason: 'INVALID_FILTER', message: /^unknown filter.categories: c{40}…\(10000 chars\); this index has: / }],
  ['an unknown language of 10 KB', () => ({ vector: vec(0.1), filter: { languages: ['l'.repeat(10_000)] } }), { code: INVALID_ARGUMENT, reason: 'INVALID_FILTER', message: /^unknown filter.languages: l{40}…\(10000 chars\)/ }],
  ['an unknown variant of 10 KB', () => ({ vector: vec(0.1), variant: 'v'.repeat(10_000) }), { code: INVALID_ARGUMENT, reason: 'UNKNOWN_VARIANT', message: /^unknown variant "v{80}…\(10000 chars\)"; served variants: default/ }],
  // Item 10: tiny weights are valid on their own; the mean is scaled, so it does not underflow.
  ['like_creators weights of 1e-45', () => ({ like_creators: { ids: [creators[3]!.id, creators[4]!.id], weights: [1e-45, 1e-45] }, k: 3 }), ok(3)],
  ['like_creators weights from 1e-45 to 3e38', () => ({ like_creators: { ids: [creators[3]!.id, creators[4]!.id], weights: [1e-45, 3e38] }, k: 3 }), ok(3)],
  ['no query set', () => ({ k: 3 }), { code: INVALID_ARGUMENT, reason: 'INVALID_QUERY', message: 'no query: set one of vector, interest_text or like_creators' }],
  ['nothing at all', () => ({}), { code: INVALID_ARGUMENT, reason: 'INVALID_QUERY', message: /no query/ }],
];

describe('bad input', () => {
  it('has at least 30 cases', () => expect(CASES.length).toBeGreaterThanOrEqual(30));

  it.each(CASES)('%s', async (_name, request, want) => {
    if (want.code === OK) {
      const res = await unary(running.client, 'Match', request());
      expect(res.matches).toHaveLength(want.matches!);
    } else {
      const err = await unaryError(running.client, 'Match', request());
      expect({ code: grpc.status[err.code], reason: err.reason }).toEqual({ code: grpc.status[want.code], reason: want.reason });
      if (typeof want.message === 'string') expect(err.details).toContain(want.message);
      else expect(err.details).toMatch(want.message!);
      expect(err.details.length).toBeLessThan(4096); // whatever the input, the message is bounded
    }
    expect(await healthCheck(running.port)).toBe('SERVING');
  });

  it('10 KB request_id and fan_id: every log line of the failed call stays short (item 8)', async () => {
    const before = running.logs.length;
    await unaryError(running.client, 'Match', { request_id: 'r'.repeat(10_000), fan_id: 'f'.repeat(10_000), like_creators: { ids: ['q'.repeat(10_000)] } });
    const lines = running.logs.slice(before).map((l) => JSON.stringify(l));
    expect(lines.length).toBeGreaterThan(0);
    expect(Math.max(...lines.map((l) => l.length))).toBeLessThan(2048);
  });

  it('a message over the receive limit gets RESOURCE_EXHAUSTED', async () => {
    const err = await unaryError(running.client, 'Match', { interest_text: 'x'.repeat(3 * 1024 * 1024) });
    expect(err.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(err.details).toMatch(/larger than max/i);
    expect(await healthCheck(running.port)).toBe('SERVING');
  });

  it.each([
    ['an invalid tag', [0xff, 0xff, 0xff]],
    ['a truncated message field', [0x12, 0x05, 0x01]],
  ])('malformed protobuf bytes sent raw (%s) get INTERNAL, not a crash', async (_name, bytes) => {
    const raw = new grpc.Client(`127.0.0.1:${running.port}`, grpc.credentials.createInsecure());
    const err = await new Promise<grpc.ServiceError>((resolve) =>
      raw.makeUnaryRequest(
        '/creatormatch.v1.CreatorMatcher/Match',
        (b: Buffer) => b,
        (b: Buffer) => b,
        Buffer.from(bytes),
        (e) => resolve(e as grpc.ServiceError),
      ),
    );
    raw.close();
    expect(err.code).toBe(grpc.status.INTERNAL);
    expect(err.details).toBe('Error deserializing request');
    expect(await healthCheck(running.port)).toBe('SERVING');
  });

  it('a deadline shorter than the work ends the call with DEADLINE_EXCEEDED and the server stops working on it', async () => {
    const before = running.logs.length;
    const call = running.client.BatchMatch({ deadline: Date.now() + 400 }) as grpc.ClientDuplexStream<unknown, unknown>;
    let answered = 0;
    call.on('data', () => answered++);
    const ended = new Promise<grpc.ServiceError>((resolve) => call.on('error', (e) => resolve(e as grpc.ServiceError)));
    for (let i = 0; i < 5_000; i++) call.write({ request_id: `d${i}`, interest_text: `cooking and baking idea number ${i}` });
    call.end();
    const err = await ended;
    expect(err.code).toBe(grpc.status.DEADLINE_EXCEEDED);
    const closed = () => running.logs.slice(before).find((l) => l.method === 'BatchMatch' && l.msg === 'batch stream closed');
    for (let i = 0; i < 100 && !closed(); i++) await new Promise((r) => setTimeout(r, 50));
    // The stream stopped at the deadline: well short of the 5,000 items it was sent.
    expect(closed()).toMatchObject({ cancelled: true });
    expect(Number(closed()!.items)).toBeLessThan(5_000);
    expect(answered).toBeLessThan(5_000);
    expect(await healthCheck(running.port)).toBe('SERVING');
  });
});
