/**
 * Hostile files under the real service (a child process, as `npm start` runs it): a bad published
 * version or CURRENT never keeps the service from starting or from stopping, a slow load is
 * bounded by MATCH_LOAD_TIMEOUT_MS and cut by SIGTERM, and a reload that arrives after shutdown
 * began never loads a version (item 5, item 10).
 *
 * Time bounds here are "does not hang" bounds, generous for a shared 2-core box: before the fixes
 * these starts never listened, and SIGTERM never ended the process.
 */
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import pino from 'pino';
import { buildIndex } from '../../index-builder/build-index';
import { startServerProcess, type ServerProcess } from '../../bench/load/server-process';
import type { CreatorMatcherClient } from '../../src/contract/creatormatch/v1/CreatorMatcher';
import { matcherClientConstructor } from '../../src/grpc/proto';
import { IndexManager } from '../../src/lifecycle/index-manager';
import { ARTIFACT_FILES, CURRENT_FILE, MANIFEST_FILE, writeCurrent, type Manifest } from '../../src/index/manifest';
import { ADMIN_TOKEN, adminClient, adminUnary, healthCheck, startServer, tempDir, unary, waitFor, writeJsonl } from '../helpers/server';
import { syntheticCreators } from '../helpers/synthetic';
import { ROOT } from '../helpers/child';

const DIMS = 16;
let dir: string;
let idx: string;
let good: string;
let bad: string;
const cleanups: Array<() => Promise<unknown>> = [];

beforeEach(async () => {
  dir = await tempDir('creator-match-svcfiles-');
  idx = path.join(dir, 'idx');
  await writeJsonl(path.join(dir, 'a.jsonl'), syntheticCreators(200, DIMS, 1));
  await writeJsonl(path.join(dir, 'b.jsonl'), syntheticCreators(150, DIMS, 2));
  good = (await buildIndex({ input: path.join(dir, 'a.jsonl'), out: idx, recallSample: 50, minRecall: 0.5 })).version;
  bad = (await buildIndex({ input: path.join(dir, 'b.jsonl'), out: idx, recallSample: 50, minRecall: 0.5 })).version; // CURRENT = bad
});
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
  await fs.rm(dir, { recursive: true, force: true });
});

async function spawnServer(env: Record<string, string> = {}): Promise<ServerProcess> {
  const s = await startServerProcess({ indexDir: idx, workDir: dir, env: { MATCH_ADMIN_TOKEN: ADMIN_TOKEN, MATCH_RELOAD_POLL_MS: '200', MATCH_METRICS_ADDR: 'off', ...env }, probe: true, readyTimeoutMs: 60_000 });
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

/** Makes the version's vectors.f32 a 64 GiB sparse file that the manifest agrees with: verifying it takes minutes. */
async function makeSlow(version: string): Promise<void> {
  const vdir = path.join(idx, version);
  await fs.truncate(path.join(vdir, ARTIFACT_FILES.vectors), 64 * 2 ** 30);
  const m = JSON.parse(await fs.readFile(path.join(vdir, MANIFEST_FILE), 'utf8')) as Manifest;
  m.files[ARTIFACT_FILES.vectors]!.bytes = 64 * 2 ** 30;
  await fs.writeFile(path.join(vdir, MANIFEST_FILE), JSON.stringify(m));
}

describe('a refused published version does not stop the start', () => {
  it('CURRENT names a version whose index.hnsw is a FIFO: it listens NOT_SERVING, then serves the version CURRENT names next', async () => {
    await fs.rm(path.join(idx, bad, ARTIFACT_FILES.index));
    execFileSync('mkfifo', [path.join(idx, bad, ARTIFACT_FILES.index)]);
    const server = await spawnServer();
    expect(await healthCheck(server.port)).toBe('NOT_SERVING');
    const c = client(server.port);
    await expect(unary(c, 'GetIndexInfo', {})).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE });
    expect((await server.logs()).some((l) => l.msg === 'index version refused; the previous version keeps serving' && l.version === bad)).toBe(true);
    await writeCurrent(idx, good);
    await waitFor(async () => (await healthCheck(server.port)) === 'SERVING', 20_000, 'the good version to serve');
    expect((await unary(c, 'GetIndexInfo', {})).version).toBe(good);
    expect(await server.stop(10_000)).toEqual({ code: 0, signal: null });
  });

  it('a CURRENT linked to /dev/zero: it listens NOT_SERVING, RSS stays flat over many polls, the refusal is logged once', async () => {
    await fs.rm(path.join(idx, CURRENT_FILE));
    await fs.symlink('/dev/zero', path.join(idx, CURRENT_FILE));
    const server = await spawnServer({ MATCH_RELOAD_POLL_MS: '50' });
    expect(await healthCheck(server.port)).toBe('NOT_SERVING');
    await new Promise((r) => setTimeout(r, 3000)); // ~60 polls
    const probes = await server.probes();
    expect(probes.length).toBeGreaterThan(1);
    expect(Math.max(...probes.map((p) => p.rss))).toBeLessThan(1024 * 2 ** 20);
    const refusals = (await server.logs()).filter((l) => l.msg === 'index version refused; the previous version keeps serving');
    expect(refusals.length).toBe(1);
    expect(JSON.stringify(refusals[0])).toMatch(/CURRENT is a symlink/);
    expect(await server.stop(10_000)).toEqual({ code: 0, signal: null });
  });
});

describe('profiles of the wrong shape', () => {
  it.each([
    ['a name that is an object', { name: { a: 1 } }],
    ['tags that are numbers', { tags: [1, 2] }],
    ['is_nsfw "yes"', { is_nsfw: 'yes' }],
    ['an id of 100k characters', { id: 'x'.repeat(100_000) }],
  ])('a creators.jsonl row with %s (checksums fixed up) is refused, not served', async (_what, edit) => {
    const vdir = path.join(idx, bad);
    const lines = (await fs.readFile(path.join(vdir, ARTIFACT_FILES.creators), 'utf8')).split('\n');
    lines[3] = JSON.stringify({ ...JSON.parse(lines[3]!), ...edit });
    const text = lines.join('\n');
    await fs.writeFile(path.join(vdir, ARTIFACT_FILES.creators), text);
    const m = JSON.parse(await fs.readFile(path.join(vdir, MANIFEST_FILE), 'utf8')) as Manifest;
    m.files[ARTIFACT_FILES.creators] = { sha256: createHash('sha256').update(text).digest('hex'), bytes: Buffer.byteLength(text) };
    await fs.writeFile(path.join(vdir, MANIFEST_FILE), JSON.stringify(m));
    const running = await startServer(idx);
    cleanups.push(() => running.stop());
    expect(await healthCheck(running.port)).toBe('NOT_SERVING');
    const refusal = running.logs.find((l) => l.msg === 'index version refused; the previous version keeps serving');
    expect(JSON.stringify(refusal)).toMatch(/creators\.jsonl line 4: /);
  });
});

describe('vectors the addon accepts but cannot score', () => {
  it('an index.hnsw vector of huge finite values (checksums fixed up) is refused, not served with NaN scores', async () => {
    const vdir = path.join(idx, bad);
    const file = path.join(vdir, ARTIFACT_FILES.index);
    const bytes = await fs.readFile(file);
    const perElement = Number(bytes.readBigUInt64LE(24));
    const offsetData = Number(bytes.readBigUInt64LE(40));
    const labelOffset = Number(bytes.readBigUInt64LE(32));
    const count = Number(bytes.readBigUInt64LE(16));
    // An element whose label is not among the rows cross-checked against vectors.f32 (src/index/cross-check.ts).
    const sampled = new Set(Array.from({ length: Math.min(32, count) }, (_, i) => Math.floor(((i + 0.5) * count) / Math.min(32, count))));
    const element = Array.from({ length: count }, (_, e) => e).find((e) => !sampled.has(Number(bytes.readBigUInt64LE(96 + e * perElement + labelOffset))))!;
    const label = Number(bytes.readBigUInt64LE(96 + element * perElement + labelOffset));
    for (let d = 0; d < DIMS; d++) bytes.writeFloatLE(d % 2 ? 3.4e38 : -3.4e38, 96 + element * perElement + offsetData + 4 * d);
    await fs.writeFile(file, bytes);
    const m = JSON.parse(await fs.readFile(path.join(vdir, MANIFEST_FILE), 'utf8')) as Manifest;
    m.files[ARTIFACT_FILES.index] = { sha256: createHash('sha256').update(bytes).digest('hex'), bytes: bytes.length };
    await fs.writeFile(path.join(vdir, MANIFEST_FILE), JSON.stringify(m));
    const running = await startServer(idx);
    cleanups.push(() => running.stop());
    expect(await healthCheck(running.port)).toBe('NOT_SERVING');
    const refusal = running.logs.find((l) => l.msg === 'index version refused; the previous version keeps serving');
    expect(JSON.stringify(refusal)).toMatch(new RegExp(`index\\.hnsw holds a vector of norm² .* for label ${label} `));
  });
});

describe('slow loads are bounded', () => {
  it('MATCH_LOAD_TIMEOUT_MS: a reload that takes too long is refused, the old version keeps serving, admin calls go on', async () => {
    await writeCurrent(idx, good);
    await makeSlow(bad);
    const server = await spawnServer({ MATCH_LOAD_TIMEOUT_MS: '1500' });
    const admin = adminClient(server.port);
    cleanups.push(async () => admin.close());
    const err = await adminUnary(admin, 'ReloadIndex', { version: bad }).then(unexpected, (e: grpc.ServiceError) => e);
    expect(err.code).toBe(grpc.status.FAILED_PRECONDITION);
    expect(err.details).toMatch(/took longer than 1500 ms/);
    const c = client(server.port);
    expect((await unary(c, 'GetIndexInfo', {})).version).toBe(good);
    expect(await adminUnary(admin, 'ReloadIndex', { version: good })).toMatchObject({ version: good, changed: false });
    expect(await server.stop(10_000)).toEqual({ code: 0, signal: null });
  });

  it('SIGTERM during a slow startup load: the process exits 0 within seconds and never listens', async () => {
    await makeSlow(bad);
    const log = path.join(dir, 'slow-start.log');
    const fd = await fs.open(log, 'w');
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: ROOT,
      stdio: ['ignore', fd.fd, fd.fd],
      env: { ...process.env, MATCH_INDEX_DIR: idx, MATCH_GRPC_ADDR: '127.0.0.1:0', MATCH_AUTO_BUILD_SAMPLE: 'false', MATCH_METRICS_ADDR: 'off', LOG_LEVEL: 'info' },
    });
    await fd.close();
    const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    cleanups.push(async () => child.kill('SIGKILL'));
    const lines = async () => (await fs.readFile(log, 'utf8')).split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
    await waitFor(async () => (await lines()).some((l) => l.msg === 'loading index version' && l.version === bad), 60_000, 'the startup load to begin');
    await new Promise((r) => setTimeout(r, 500));
    const t = Date.now();
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    const result = await exited;
    clearTimeout(timer);
    expect({ ...result, within: Date.now() - t < 15_000 }).toEqual({ code: 0, signal: null, within: true });
    const msgs = (await lines()).map((l) => l.msg);
    expect(msgs).toContain('bye');
    expect(msgs).not.toContain('gRPC server listening');
    expect(msgs).not.toContain('index version now serving');
  });
});

describe('shutdown', () => {
  it('a reload that reaches the manager after close() began never loads a version', async () => {
    await writeCurrent(idx, good);
    const logger = pino({ level: 'silent' });
    const manager = new IndexManager({ indexDir: idx, logger, matcher: { exactMaxCandidates: 'auto', maxRerankWork: 200_000 }, models: { allowRemoteModels: false }, pollMs: 0 });
    const loaded: unknown[] = [];
    manager.on('loaded', (e) => loaded.push(e));
    const closing = manager.close();
    const late = await manager.reload(undefined, 'watch').catch((e: Error) => e);
    await closing;
    expect(late).toBeInstanceOf(Error);
    expect(loaded).toEqual([]);
    expect(manager.current).toBeUndefined();
  });
});

/** For calls that must fail: a success is a test failure. */
function unexpected(): never {
  throw new Error('the call unexpectedly succeeded');
}
