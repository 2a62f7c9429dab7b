/**
 * Faults, with the service as a black box: damaged index files under a running service, a full
 * disk while building, SIGTERM under load (drain), SIGKILL and restart (acknowledged updates
 * survive). Indexes are built from synthetic vectors (no model) to keep this fast.
 */
import { spawn, spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { buildIndex } from '../../index-builder/build-index';
import { ROOT, startServerProcess, type ServerProcess } from '../../bench/load/server-process';
import type { CreatorMatcherClient } from '../../src/contract/creatormatch/v1/CreatorMatcher';
import { matcherClientConstructor } from '../../src/grpc/proto';
import { ARTIFACT_FILES, CURRENT_FILE, readCurrent, writeCurrent } from '../../src/index/manifest';
import { UPDATE_LOG_FILE } from '../../src/lifecycle/update-log';
import {
  ADMIN_TOKEN,
  adminClient,
  adminUnary,
  adminUpsert,
  batch,
  callError,
  healthCheck,
  startServer,
  tempDir,
  unary,
  waitFor,
  writeJsonl,
} from '../helpers/server';
import { syntheticCreators, type SyntheticCreator } from '../helpers/synthetic';

const DIMS = 16;
const ENV = { MATCH_ADMIN_TOKEN: ADMIN_TOKEN, MATCH_RELOAD_POLL_MS: '200', MATCH_METRICS_ADDR: 'off' }; // no fixed ports (metrics default 9464)

let dir: string;
let idx: string;
const cleanups: Array<() => Promise<unknown>> = [];
beforeEach(async () => {
  dir = await tempDir('creator-match-faults-');
  idx = path.join(dir, 'idx');
});
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
  await fs.rm(dir, { recursive: true, force: true });
});

async function build(creators: SyntheticCreator[], name = 'c.jsonl', out = idx, extra: Partial<Parameters<typeof buildIndex>[0]> = {}) {
  const file = path.join(dir, name);
  await writeJsonl(file, creators);
  return buildIndex({ input: file, out, recallSample: 100, minRecall: 0.9, ...extra });
}

function client(port: number): CreatorMatcherClient {
  const Client = matcherClientConstructor();
  const c = new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  cleanups.push(async () => c.close());
  return c;
}

async function spawnServer(env: Record<string, string> = {}): Promise<ServerProcess> {
  const s = await startServerProcess({ indexDir: idx, workDir: dir, env: { ...ENV, ...env } });
  cleanups.push(async () => {
    s.child.kill('SIGKILL');
    await s.exited;
  });
  return s;
}

const query = (seed: number) => ({ vector: { values: syntheticCreators(1, DIMS, seed)[0]!.vector }, k: 10 });

describe('index files damaged under a running service', () => {
  it('keeps serving from memory with health SERVING, and refuses to reload the damaged version', async () => {
    const v1 = await build(syntheticCreators(300, DIMS, 1));
    const v2 = await build(syntheticCreators(400, DIMS, 2), 'c2.jsonl');
    const running = await startServer(idx, ENV);
    cleanups.push(() => running.stop());
    const admin = adminClient(running.port);
    cleanups.push(async () => admin.close());
    const v2Dir = path.join(idx, v2.version);
    // Corrupt one file, delete two others, and touch CURRENT (same version) to wake the watcher.
    const vectors = await fs.readFile(path.join(v2Dir, ARTIFACT_FILES.vectors));
    vectors.fill(0x7f, 0, 4096);
    await fs.writeFile(path.join(v2Dir, ARTIFACT_FILES.vectors), vectors);
    await fs.rm(path.join(v2Dir, ARTIFACT_FILES.index));
    await fs.rm(path.join(v2Dir, ARTIFACT_FILES.creators));
    await writeCurrent(idx, v2.version);
    await new Promise((r) => setTimeout(r, 700)); // several polls of CURRENT

    for (let i = 0; i < 30; i++) {
      const res = await unary(running.client, 'Match', query(100 + i));
      expect(res.matches).toHaveLength(10);
      expect(res.index_version).toBe(v2.version);
    }
    const like = await unary(running.client, 'Match', { like_creators: { ids: ['cr_000003'] }, k: 5 });
    expect(like.matches).toHaveLength(5);
    const streamed = await batch(running.client, [query(1), query(2), { interest_text: 'x' }]);
    expect(streamed.map((r) => Boolean(r.error))).toEqual([false, false, true]); // no model: text is refused in-band
    expect(await healthCheck(running.port)).toBe('SERVING');
    expect((await unary(running.client, 'GetIndexInfo', {})).version).toBe(v2.version);

    // Away to the intact v1 and back: the damaged v2 is refused, v1 keeps serving, CURRENT stays on v1.
    expect(await adminUnary(admin, 'ReloadIndex', { version: v1.version })).toMatchObject({ version: v1.version, changed: true });
    const refused = await callError(adminUnary(admin, 'ReloadIndex', { version: v2.version }));
    expect(refused.code).toBe(grpc.status.FAILED_PRECONDITION);
    expect(refused.details).toContain(v2.version);
    const info = await unary(running.client, 'GetIndexInfo', {});
    expect(info).toMatchObject({ version: v1.version, last_refused_version: v2.version });
    expect(info.last_refused_reason).toMatch(/ENOENT|checksum|bytes/);
    expect(await readCurrent(idx)).toBe(v1.version);
    expect((await unary(running.client, 'Match', query(7))).index_version).toBe(v1.version);
    expect(await healthCheck(running.port)).toBe('SERVING');
  });

  it('with the whole served version directory removed, queries go on and updates are refused (never acknowledged)', async () => {
    const v1 = await build(syntheticCreators(300, DIMS, 1));
    const running = await startServer(idx, ENV);
    cleanups.push(() => running.stop());
    const admin = adminClient(running.port);
    cleanups.push(async () => admin.close());
    await fs.rm(path.join(idx, v1.version), { recursive: true });
    const fresh = syntheticCreators(1, DIMS, 55)[0]!;
    const err = await callError(adminUpsert(admin, [{ ...fresh, id: 'while-deleted' }]));
    expect(err.code).toBe(grpc.status.INTERNAL);
    const probe = await unary(running.client, 'Match', { vector: { values: fresh.vector }, k: 1, filter: { include_nsfw: true } });
    expect(probe.matches[0]!.creator_id).not.toBe('while-deleted'); // not applied in memory either
    expect(probe.index_version).toBe(v1.version);
    expect(await healthCheck(running.port)).toBe('SERVING');
  });
});

/**
 * A small filesystem for the index dir: a tmpfs mount when permitted (root), else a per-file size
 * limit (RLIMIT_FSIZE, `ulimit -f`) on the builder process, which fails its writes with EFBIG.
 */
async function smallDisk(kib: number): Promise<{ mode: 'tmpfs' | 'ulimit'; out: string; wrap: (cmd: string[]) => string[] }> {
  const mnt = path.join(dir, 'mnt');
  await fs.mkdir(mnt);
  const r = process.platform === 'linux' ? spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${kib}k`, 'tmpfs', mnt], { stdio: 'ignore' }) : undefined;
  if (r?.status === 0) {
    cleanups.push(async () => spawnSync('umount', ['-l', mnt]));
    return { mode: 'tmpfs', out: path.join(mnt, 'idx'), wrap: (cmd) => cmd };
  }
  return { mode: 'ulimit', out: path.join(mnt, 'idx'), wrap: (cmd) => ['bash', '-c', `ulimit -f ${kib}; exec "$@"`, 'bash', ...cmd] };
}

function runBuilder(argv: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(argv[0]!, argv.slice(1), { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}

describe('disk full while building', () => {
  it('the builder fails with a clear message; CURRENT, the served version and the directory stay intact', async () => {
    // 2000 creators × 64 dims: index.hnsw ~800 KB, vectors.f32 500 KB; 300 creators: ~120 KB + 75 KB.
    const disk = await smallDisk(600);
    const small = path.join(dir, 'small.jsonl');
    await writeJsonl(small, syntheticCreators(200, 64, 1));
    const node = [process.execPath, '--import', 'tsx', 'index-builder/cli.ts', '--out', disk.out, '--min-recall', '0', '--no-progress'];
    const first = await runBuilder(disk.wrap([...node, '--input', small]));
    expect(first).toMatchObject({ code: 0 });
    const v1 = (await readCurrent(disk.out))!;
    idx = disk.out;
    const running = await startServer(idx, ENV);
    cleanups.push(() => running.stop());

    const inputs = {
      // does not fit anywhere: fails in index.hnsw, which hnswlib would have left truncated and unreported
      big: syntheticCreators(2000, 64, 2),
      // tmpfs only (a per-file limit cannot split them): index.hnsw fits, vectors.f32 does not
      ...(disk.mode === 'tmpfs' ? { medium: syntheticCreators(900, 64, 3) } : {}),
    };
    for (const [name, creators] of Object.entries(inputs)) {
      const file = path.join(dir, `${name}.jsonl`);
      await writeJsonl(file, creators);
      const r = await runBuilder(disk.wrap([...node, '--input', file]));
      expect({ name, code: r.code }).toEqual({ name, code: 1 });
      expect(r.stderr).toMatch(/index:build failed: could not write version \S+ in .*; nothing was published and CURRENT is unchanged: /);
      expect(r.stderr).toMatch(disk.mode === 'tmpfs' ? /ENOSPC|not written completely/ : /EFBIG|not written completely/);
      expect(await readCurrent(idx)).toBe(v1);
      expect((await fs.readdir(idx)).sort()).toEqual([CURRENT_FILE, v1].sort()); // no half version, no temp dir or file
    }
    expect((await unary(running.client, 'Match', { vector: { values: syntheticCreators(1, 64, 5)[0]!.vector }, k: 10 })).index_version).toBe(v1);
    expect(await healthCheck(running.port)).toBe('SERVING');
    expect((await unary(running.client, 'GetIndexInfo', {})).last_refused_version).toBe('');
    expect(['tmpfs', 'ulimit']).toContain(disk.mode);
  });

  it('a per-file size limit (EFBIG) is caught too: hnswlib leaves index.hnsw truncated without an error, the builder reads it back', async () => {
    const v1 = await build(syntheticCreators(200, 64, 1));
    const file = path.join(dir, 'big.jsonl');
    await writeJsonl(file, syntheticCreators(2000, 64, 2));
    const cmd = [process.execPath, '--import', 'tsx', 'index-builder/cli.ts', '--out', idx, '--min-recall', '0', '--no-progress', '--input', file];
    const r = await runBuilder(['bash', '-c', 'ulimit -f 600; exec "$@"', 'bash', ...cmd]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/could not write version \S+ .*nothing was published and CURRENT is unchanged: .*index\.hnsw was not written completely/);
    expect(await readCurrent(idx)).toBe(v1.version);
    expect((await fs.readdir(idx)).sort()).toEqual([CURRENT_FILE, v1.version].sort());
  });


  it('an admin update that hits a full disk is refused, not applied and leaves no torn line; the next one is durable', async () => {
    const disk = await smallDisk(400);
    if (disk.mode !== 'tmpfs') return; // needs a shared full filesystem under the running service (root)
    idx = disk.out;
    const v1 = await build(syntheticCreators(200, DIMS, 1));
    let running = await startServer(idx, ENV);
    cleanups.push(() => running.stop());
    let admin = adminClient(running.port);
    cleanups.push(async () => admin.close());
    const filler = path.join(path.dirname(idx), 'filler');
    const { bavail, bsize } = await fs.statfs(idx);
    await fs.writeFile(filler, Buffer.alloc(Math.max(0, Number(bavail) * Number(bsize) - 4096)));
    const batchOf = (prefix: string, seed: number) => syntheticCreators(60, DIMS, seed).map((c, i) => ({ ...c, id: `${prefix}-${i}` }));
    const err = await callError(adminUpsert(admin, batchOf('nospace', 8)));
    expect(err.code).toBe(grpc.status.INTERNAL);
    const log = path.join(idx, v1.version, UPDATE_LOG_FILE);
    const text = await fs.readFile(log, 'utf8').catch(() => '');
    expect(text === '' || text.endsWith('\n')).toBe(true); // rolled back: no torn line
    await expect(unary(running.client, 'Match', { like_creators: { ids: ['nospace-0'] }, k: 1 })).rejects.toMatchObject({ code: grpc.status.NOT_FOUND });
    expect(await healthCheck(running.port)).toBe('SERVING');

    await fs.rm(filler);
    const ok = batchOf('later', 9);
    await adminUpsert(admin, ok);
    admin.close();
    await running.stop();
    running = await startServer(idx, ENV);
    admin = adminClient(running.port);
    await expectDurable(running.client, { upserted: new Map(ok.map((c) => [c.id, c.vector])), deleted: new Set() });
    await expect(unary(running.client, 'Match', { like_creators: { ids: ['nospace-0'] }, k: 1 })).rejects.toMatchObject({ code: grpc.status.NOT_FOUND });
  });
});

describe('SIGTERM under load', () => {
  it('drains: calls in flight complete, later calls fail fast with UNAVAILABLE, exit 0 within the grace period', async () => {
    await build(syntheticCreators(3000, DIMS, 1));
    const GRACE_MS = 8000;
    const server = await spawnServer({ MATCH_SHUTDOWN_GRACE_MS: String(GRACE_MS) });
    const c = client(server.port);
    const ids = syntheticCreators(3000, DIMS, 1).map((x) => x.id);
    let sigtermAt = Infinity;
    let drainSeenAt = Infinity;
    const hardStop = Date.now() + 40_000;
    const outcomes: Array<{ started: number; ended: number; code: grpc.status | -1 }> = [];
    const one = (i: number): Promise<void> =>
      new Promise((resolve) => {
        const started = Date.now();
        const req = i % 3 === 0 ? { like_creators: { ids: [ids[i % 3000]!] }, k: 50 } : { ...query(i), k: 100, filter: { categories: ['music'] } };
        try {
          c.Match(req, { deadline: Date.now() + 10_000 }, (err: grpc.ServiceError | null) => {
            outcomes.push({ started, ended: Date.now(), code: err ? err.code : grpc.status.OK });
            resolve();
          });
        } catch {
          outcomes.push({ started, ended: Date.now(), code: -1 }); // the client was closed (test over)
          resolve();
        }
      });
    let n = 0;
    const loop = async (): Promise<void> => {
      // bounded: stops 2 s after the drain was seen, and after 20,000 calls at most
      while (n < 20_000 && Date.now() < Math.min(drainSeenAt + 2000, hardStop)) await one(n++);
    };
    // Slow streams: one item every 25 ms for 2 s, so they are surely in flight when SIGTERM comes.
    const slowStream = (s: number): Promise<{ responses: number; error?: grpc.ServiceError }> =>
      new Promise((resolve) => {
        const call = c.BatchMatch({ deadline: Date.now() + 20_000 });
        let responses = 0;
        call.on('data', (r: { error: unknown }) => {
          if (!r.error) responses++;
        });
        call.on('error', (error: grpc.ServiceError) => {
          clearInterval(timer);
          resolve({ responses, error });
        });
        call.on('end', () => resolve({ responses }));
        let sent = 0;
        const timer = setInterval(() => {
          call.write({ request_id: `s${s}-${sent}`, ...query(s * 1000 + sent) });
          if (++sent === 80) {
            clearInterval(timer);
            call.end();
          }
        }, 25);
      });
    const loops = Array.from({ length: 24 }, loop);
    await waitFor(() => outcomes.length > 300, 20_000, 'load');
    const streams = [1, 2, 3, 4].map(slowStream);
    await new Promise((r) => setTimeout(r, 400));
    sigtermAt = Date.now();
    server.child.kill('SIGTERM');
    let exitedAt = Infinity;
    void server.exited.then(() => (exitedAt = Date.now()));
    await waitFor(async () => exitedAt < Infinity || (await server.logs()).some((l) => l.msg === 'shutting down'), 5000, 'the drain to begin');
    drainSeenAt = Date.now();
    const streamResults = await Promise.all(streams);
    await Promise.all(loops);
    const exit = await server.exited;
    const exitMs = Date.now() - sigtermAt;

    // Streams in flight at SIGTERM finished normally with all 80 answers.
    expect(streamResults).toEqual([1, 2, 3, 4].map(() => ({ responses: 80 })));
    const before = outcomes.filter((o) => o.started < sigtermAt);
    const after = outcomes.filter((o) => o.started > drainSeenAt);
    expect(before.length).toBeGreaterThan(300);
    expect(before.filter((o) => o.code !== grpc.status.OK)).toEqual([]);
    // New calls after the drain began: UNAVAILABLE, fast (no hang until the deadline).
    expect(after.length).toBeGreaterThan(0);
    expect(new Set(after.map((o) => grpc.status[o.code]))).toEqual(new Set(['UNAVAILABLE']));
    expect(Math.max(...after.map((o) => o.ended - o.started))).toBeLessThan(2000);
    // Nothing in the race window failed otherwise.
    expect(outcomes.filter((o) => o.code !== grpc.status.OK && o.code !== grpc.status.UNAVAILABLE)).toEqual([]);
    expect(exit).toEqual({ code: 0, signal: null });
    expect(exitMs).toBeLessThan(GRACE_MS);
    const logs = await server.logs();
    expect(logs.find((l) => l.msg === 'gRPC server stopped')).toMatchObject({ graceful: true });
    expect(logs.some((l) => l.msg === 'bye')).toBe(true);
  });
});

describe('SIGTERM when the grace period runs out', () => {
  it('cuts a stream that never ends once MATCH_SHUTDOWN_GRACE_MS has passed, logs graceful: false and exits 0', async () => {
    await build(syntheticCreators(500, DIMS, 2));
    const GRACE_MS = 1500;
    const server = await spawnServer({ MATCH_SHUTDOWN_GRACE_MS: String(GRACE_MS) });
    const c = client(server.port);
    // A BatchMatch stream the client keeps open (never calls end()): the drain cannot finish.
    const call = c.BatchMatch({ deadline: Date.now() + 60_000 });
    let answered = 0;
    call.on('data', (r: { error: unknown }) => {
      if (!r.error) answered++;
    });
    const ended = new Promise<{ code: number }>((resolve) => {
      call.on('error', (err: grpc.ServiceError) => resolve({ code: err.code }));
      call.on('end', () => resolve({ code: grpc.status.OK }));
    });
    for (let i = 0; i < 5; i++) call.write({ request_id: `g${i}`, ...query(i) });
    await waitFor(() => answered === 5, 10_000, 'the first answers');
    const sigtermAt = Date.now();
    server.child.kill('SIGTERM');
    const exit = await server.exited;
    const exitMs = Date.now() - sigtermAt;
    const outcome = await ended;

    expect(exit).toEqual({ code: 0, signal: null });
    expect(exitMs).toBeGreaterThanOrEqual(GRACE_MS);
    expect(exitMs).toBeLessThan(GRACE_MS + 5000);
    // The client learns the stream was cut (not OK), and got every answer it was sent before.
    expect(outcome.code).not.toBe(grpc.status.OK);
    expect(answered).toBe(5);
    const logs = await server.logs();
    expect(logs.find((l) => l.msg === 'gRPC server stopped')).toMatchObject({ graceful: false });
    expect(logs.some((l) => l.msg === 'bye')).toBe(true);
  });
});

describe('SIGKILL and restart', () => {
  it('serves the same version, and every acknowledged upsert and delete survives', async () => {
    const creators = syntheticCreators(500, DIMS, 4);
    const v1 = await build(creators);
    let server = await spawnServer();
    const acked = { upserted: new Map<string, number[]>(), deleted: new Set<string>() };
    const fresh = syntheticCreators(3000, DIMS, 99);
    let stop = false;
    let calls = 0;
    const admin = adminClient(server.port);
    cleanups.push(async () => admin.close());
    const upsertLoop = async (w: number): Promise<void> => {
      for (let i = w; !stop && i < 3000; i += 2) {
        const c = { ...fresh[i]!, id: `new-${i}` };
        calls++;
        try {
          await adminUpsert(admin, [c]);
          acked.upserted.set(c.id, c.vector);
        } catch {
          return; // killed: this one was not acknowledged
        }
      }
    };
    const deleteLoop = async (): Promise<void> => {
      for (let i = 0; !stop && i < 400; i++) {
        calls++;
        try {
          await adminUnary(admin, 'DeleteCreators', { ids: [creators[i]!.id] });
          acked.deleted.add(creators[i]!.id);
        } catch {
          return;
        }
      }
    };
    const loops = [upsertLoop(0), upsertLoop(1), deleteLoop()];
    await waitFor(() => acked.upserted.size > 40 && acked.deleted.size > 20, 20_000, 'acknowledged updates');
    server.child.kill('SIGKILL');
    expect(await server.exited).toEqual({ code: null, signal: 'SIGKILL' });
    stop = true;
    await Promise.all(loops);
    admin.close();

    server = await spawnServer();
    const c = client(server.port);
    expect((await unary(c, 'GetIndexInfo', {})).version).toBe(v1.version);
    await expectDurable(c, acked);

    // A crash in the middle of an append leaves a torn last line. It is skipped on load, and it must
    // not swallow the next acknowledged update either.
    server.child.kill('SIGKILL');
    await server.exited;
    await fs.appendFile(path.join(idx, v1.version, UPDATE_LOG_FILE), '{"op":"upsert","at":"2026-11-25T00:00:00.000Z","creator":{"id":"torn');
    server = await spawnServer();
    expect((await server.logs()).some((l) => String(l.msg).startsWith('ignoring a torn last line'))).toBe(true);
    const admin2 = adminClient(server.port);
    cleanups.push(async () => admin2.close());
    await adminUpsert(admin2, [{ ...fresh[2999]!, id: 'after-torn' }]);
    acked.upserted.set('after-torn', fresh[2999]!.vector);
    server.child.kill('SIGKILL');
    await server.exited;
    server = await spawnServer();
    const c2 = client(server.port);
    expect((await unary(c2, 'GetIndexInfo', {})).version).toBe(v1.version);
    await expectDurable(c2, acked);
    expect((await server.logs()).some((l) => String(l.msg).startsWith('ignoring a torn last line'))).toBe(false);
    expect(calls).toBeGreaterThan(60);
  });
});

async function expectDurable(c: CreatorMatcherClient, acked: { upserted: Map<string, number[]>; deleted: Set<string> }): Promise<void> {
  const ids = [...acked.upserted.keys()];
  for (let i = 0; i < ids.length; i += 500) {
    // like_creators answers NOT_FOUND naming any unknown id
    await expect(unary(c, 'Match', { like_creators: { ids: ids.slice(i, i + 500) }, k: 1 })).resolves.toBeDefined();
  }
  for (const [id, vector] of acked.upserted) {
    const res = await unary(c, 'Match', { vector: { values: vector }, k: 1, filter: { include_nsfw: true } });
    expect({ id, top: res.matches[0]!.creator_id }).toEqual({ id, top: id });
  }
  for (const id of acked.deleted) {
    const err = await callError(unary(c, 'Match', { like_creators: { ids: [id] }, k: 1 }), `Match like_creators [${id}] (deleted)`);
    expect({ id, code: err.code }).toEqual({ id, code: grpc.status.NOT_FOUND });
  }
}
