import { promises as fs } from 'node:fs';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { buildIndex } from '../../index-builder/build-index';
import type { MatchRequest } from '../../src/contract/creatormatch/v1/MatchRequest';
import type { MatchResponse__Output } from '../../src/contract/creatormatch/v1/MatchResponse';
import { Matcher } from '../../src/match/matcher';
import { syntheticCreators } from '../helpers/synthetic';
import { healthCheck, startServer, tempDir, waitFor, writeJsonl, type Running } from '../helpers/server';

// BatchMatch under stress: 100k items with a slow reader (back-pressure), and a client that
// cancels mid-stream (work stops).
const DIMS = 8;
const creators = syntheticCreators(500, DIMS, 12);
let dir: string;
let running: Running;
let processed = 0;
let spy: jest.SpyInstance;

beforeAll(async () => {
  dir = await tempDir();
  await writeJsonl(path.join(dir, 'c.jsonl'), creators);
  await buildIndex({ input: path.join(dir, 'c.jsonl'), out: path.join(dir, 'idx'), minRecall: 0.9 });
  running = await startServer(path.join(dir, 'idx'));
  // eslint-disable-next-line @typescript-eslint/unbound-method -- called below with the spied instance as `this`
  const original = Matcher.prototype.match;
  spy = jest.spyOn(Matcher.prototype, 'match').mockImplementation(function (this: Matcher, ...args) {
    processed++;
    return original.apply(this, args);
  });
});
afterAll(async () => {
  spy.mockRestore();
  await running?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

const SLOW_READER_BUDGET_MS = 400_000;
const item = (i: number) => ({ request_id: `r${i}`, vector: { values: creators[i % creators.length]!.vector }, k: 1 });

/** Writes `n` items honouring the client's own back-pressure. */
async function writeAll(call: grpc.ClientDuplexStream<MatchRequest, MatchResponse__Output>, n: number, from = 0): Promise<void> {
  for (let i = from; i < n; i++) {
    if (!call.write(item(i))) await new Promise((r) => call.once('drain', r));
  }
  call.end();
}

it('holds back on a slow reader: 100k items, bounded work ahead of the reader, every answer in order', async () => {
  const started = Date.now();
  processed = 0;
  const N = 100_000;
  // 100k round trips take ~30 s on an idle 2-core box and several times that on a loaded CI
  // machine: the budget is generous, and a run that outlives it says how far it got.
  const call = running.client.BatchMatch({ deadline: Date.now() + SLOW_READER_BUDGET_MS });
  const ids: string[] = [];
  let bad = 0;
  call.on('data', (r: MatchResponse__Output) => {
    ids.push(r.request_id);
    if (r.matches.length !== 1) bad++;
  });
  call.pause();
  call.on('error', () => undefined); // surfaced through the 'end' promise below
  const writing = writeAll(call, N);
  // The reader reads nothing: the server must stall (its count stops moving), far from the end.
  let stalledAt = -1;
  await waitFor(
    async () => {
      const before = processed;
      await new Promise((r) => setTimeout(r, 400));
      if (processed === 0 || processed !== before) return false;
      stalledAt = processed;
      return true;
    },
    30_000,
    'the server to stall on the paused reader',
  );
  await new Promise((r) => setTimeout(r, 500));
  expect(processed).toBe(stalledAt);
  expect(stalledAt).toBeLessThan(5_000);
  expect(ids.length).toBeLessThanOrEqual(stalledAt);
  call.resume();
  let watchdog: NodeJS.Timeout | undefined;
  await new Promise<void>((resolve, reject) => {
    call.on('end', resolve);
    call.on('error', reject);
    const left = SLOW_READER_BUDGET_MS - 10_000 - (Date.now() - started);
    watchdog = setTimeout(() => reject(new Error(`still streaming: ${ids.length} of ${N} answers read, ${processed} items matched`)), Math.max(left, 1_000));
  }).finally(() => clearTimeout(watchdog));
  await writing;
  expect(ids.length).toBe(N);
  expect(bad).toBe(0);
  expect(ids.slice(0, 3)).toEqual(['r0', 'r1', 'r2']);
  expect(ids.every((id, i) => id === `r${i}`)).toBe(true);
  expect(await healthCheck(running.port)).toBe('SERVING');
}, SLOW_READER_BUDGET_MS + 10_000);

it('stops working when the client cancels mid-stream', async () => {
  await new Promise((r) => setTimeout(r, 200));
  processed = 0;
  const call = running.client.BatchMatch({ deadline: Date.now() + 60_000 });
  let received = 0;
  call.on('data', () => {
    received++;
    if (received === 200) call.cancel();
  });
  const ended = new Promise<grpc.ServiceError>((resolve) => call.on('error', (e) => resolve(e as grpc.ServiceError)));
  void writeAll(call, 50_000).catch(() => undefined);
  const err = await ended;
  expect(err.code).toBe(grpc.status.CANCELLED);
  await waitFor(() => running.logs.some((l) => l.msg === 'batch stream closed' && l.cancelled === true), 10_000, 'the server to notice');
  const atCancel = processed;
  await new Promise((r) => setTimeout(r, 300));
  expect(processed).toBe(atCancel);
  expect(processed).toBeLessThan(50_000);
  expect(await healthCheck(running.port)).toBe('SERVING');
});
