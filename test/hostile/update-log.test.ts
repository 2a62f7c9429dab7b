/**
 * The update log (items 2 and 4): an invalid creator in an UpsertCreators stream is refused before
 * anything is written; a hostile or damaged updates.jsonl never keeps the service from starting
 * (bad lines are rejected and reported, the good ones replay); a log that is a FIFO or a device
 * never blocks a start, an admin call or SIGTERM. Restarts run the real service as a child process.
 */
import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { buildIndex } from '../../index-builder/build-index';
import { startServerProcess, type ServerProcess } from '../../bench/load/server-process';
import type { CreatorMatcherClient } from '../../src/contract/creatormatch/v1/CreatorMatcher';
import { matcherClientConstructor } from '../../src/grpc/proto';
import { UPDATE_LOG_FILE } from '../../src/lifecycle/update-log';
import { ADMIN_TOKEN, adminClient, adminUpsert, startServer, tempDir, unary, writeJsonl } from '../helpers/server';
import { syntheticCreators } from '../helpers/synthetic';

const DIMS = 16;
const ENV = { MATCH_ADMIN_TOKEN: ADMIN_TOKEN };
let dir: string;
let idx: string;
let version: string;
const cleanups: Array<() => Promise<unknown>> = [];

beforeEach(async () => {
  dir = await tempDir('creator-match-ulog-');
  idx = path.join(dir, 'idx');
  await writeJsonl(path.join(dir, 'c.jsonl'), syntheticCreators(200, DIMS, 1));
  version = (await buildIndex({ input: path.join(dir, 'c.jsonl'), out: idx, recallSample: 50, minRecall: 0.5 })).version;
});
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
  await fs.rm(dir, { recursive: true, force: true });
});

const logFile = () => path.join(idx, version, UPDATE_LOG_FILE);
const creator = (id: string, vector: number[]) => ({ id, name: id, category: 'music', tags: [], language: 'en', is_nsfw: false, vector });
const unit = (seed: number) => syntheticCreators(1, DIMS, seed)[0]!.vector;

async function spawnServer(): Promise<ServerProcess> {
  const s = await startServerProcess({ indexDir: idx, workDir: dir, env: { ...ENV, MATCH_METRICS_ADDR: 'off' }, readyTimeoutMs: 60_000 });
  cleanups.push(async () => {
    s.child.kill('SIGKILL');
    await s.exited;
  });
  return s;
}

function client(port: number): CreatorMatcherClient {
  const Client = matcherClientConstructor();
  const c = new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  cleanups.push(async () => c.close());
  return c;
}

describe('UpsertCreators refuses invalid vectors before logging', () => {
  it.each([
    ['a zero vector', new Array<number>(DIMS).fill(0), /creator #3 \("bad"\): vector has zero norm/],
    // (The wire type is float: 1e39 arrives as Infinity. Beyond-float32 values can only come from a file: see below.)
    ['a NaN', [NaN, ...new Array<number>(DIMS - 1).fill(0.1)], /creator #3 \("bad"\): vector values must be/],
    ['tiny values that are zero in float32 (1e-50)', new Array<number>(DIMS).fill(1e-50), /creator #3 \("bad"\): vector has zero norm/],
  ])('%s in the middle of a stream: INVALID_ARGUMENT, nothing written or applied, the restart serves', async (_what, bad, message) => {
    const running = await startServer(idx, ENV);
    cleanups.push(() => running.stop());
    const admin = adminClient(running.port);
    cleanups.push(async () => admin.close());
    const err = await adminUpsert(admin, [creator('good-1', unit(5)), creator('good-2', unit(6)), creator('bad', bad), creator('good-3', unit(7))]).then(unexpected, (e: grpc.ServiceError) => e);
    expect(err.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(err.details).toMatch(message);
    await expect(fs.stat(logFile())).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(unary(running.client, 'Match', { like_creators: { ids: ['good-1'] }, k: 1 })).rejects.toMatchObject({ code: grpc.status.NOT_FOUND });
    // A later valid upsert works; a restart replays it.
    await adminUpsert(admin, [creator('later', unit(8))]);
    admin.close();
    await running.stop();
    const again = await startServer(idx, ENV);
    cleanups.push(() => again.stop());
    const res = await unary(again.client, 'Match', { vector: { values: unit(8) }, k: 1 });
    expect(res.matches[0]!.creator_id).toBe('later');
  });
});

describe('a hostile update log never keeps the service from starting', () => {
  it('rejects each bad line (reported), replays the good ones, and serves', async () => {
    const at = '2026-11-25T00:00:00.000Z';
    const good = { op: 'upsert', at, creator: creator('replayed', []), vector: unit(11) };
    const lines = [
      JSON.stringify(good),
      JSON.stringify({ op: 'upsert', at, creator: creator('zero', []), vector: new Array(DIMS).fill(0) }),
      JSON.stringify({ op: 'upsert', at, creator: creator('huge', []), vector: [1e39, ...new Array(DIMS - 1).fill(0)] }),
      JSON.stringify({ op: 'upsert', at, creator: creator('short', []), vector: [1, 2, 3] }),
      JSON.stringify({ op: 'upsert', at, creator: creator('x'.repeat(10_000), []), vector: unit(12) }),
      JSON.stringify({ op: 'y'.repeat(10_000) }),
      'null',
      '[' .repeat(200_000) + ']'.repeat(200_000),
      '{"op":"delete","at":"x","ids":["nobody"]}',
      'z'.repeat(5 << 20), // a 5 MiB line
      JSON.stringify({ op: 'delete', at, ids: ['cr_000001'] }),
      '{"op":"upsert","torn', // no newline: a torn tail
    ];
    await fs.writeFile(logFile(), lines.join('\n'));
    const server = await spawnServer();
    const c = client(server.port);
    expect((await unary(c, 'GetIndexInfo', {})).version).toBe(version);
    expect((await unary(c, 'Match', { vector: { values: unit(11) }, k: 1 })).matches[0]!.creator_id).toBe('replayed');
    await expect(unary(c, 'Match', { like_creators: { ids: ['cr_000001'] }, k: 1 })).rejects.toMatchObject({ code: grpc.status.NOT_FOUND });
    const logs = await server.logs();
    const rejected = logs.filter((l) => l.msg === 'update log line rejected; the other updates are applied').map((l) => Number(l.line));
    expect(rejected).toEqual([2, 3, 4, 5, 6, 7, 8, 10]);
    expect(logs.some((l) => String(l.msg).startsWith('ignoring a torn last line'))).toBe(true);
    // No log line echoes the 10 KB id or op.
    expect(Math.max(...(await fs.readFile(server.logFile, 'utf8')).split('\n').map((l) => l.length))).toBeLessThan(4096);
  });

  it.each([
    ['a FIFO', (file: string) => execFileSync('mkfifo', [file])],
    ['a symlink to /dev/zero', (file: string) => execFileSync('ln', ['-s', '/dev/zero', file])],
  ])('an updates.jsonl that is %s: the start serves, an upsert fails at once, SIGTERM exits 0', async (_what, make) => {
    make(logFile());
    const server = await spawnServer();
    const c = client(server.port);
    expect((await unary(c, 'GetIndexInfo', {})).version).toBe(version);
    const admin = adminClient(server.port);
    cleanups.push(async () => admin.close());
    // Bounded: before the fix the open for appending blocked forever (FIFO) and the call hung.
    const err = await adminUpsert(admin, [creator('new', unit(9))]).then(unexpected, (e: grpc.ServiceError) => e);
    expect(err.code).toBe(grpc.status.INTERNAL);
    expect(await server.stop(10_000)).toEqual({ code: 0, signal: null });
  });
});

/** For calls that must fail: a success is a test failure. */
function unexpected(): never {
  throw new Error('the call unexpectedly succeeded');
}
