import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { status } from '@grpc/grpc-js';
import { buildIndex } from '../../index-builder/build-index';
import { listVersions } from '../../index-builder/retention';
import { updateIndex } from '../../index-builder/update-index';
import { loadIndexVersion } from '../../src/index/loaded-index';
import { ARTIFACT_FILES, readCurrent, verifyFiles, writeCurrent } from '../../src/index/manifest';
import { describeBackends } from '../helpers/backends';
import { syntheticCreators, type SyntheticCreator } from '../helpers/synthetic';
import {
  adminClient,
  adminUnary,
  adminUpsert,
  ADMIN_TOKEN,
  callError,
  healthCheck,
  startServer,
  tempDir,
  unary,
  unaryError,
  waitFor,
  writeJsonl,
  type Running,
} from '../helpers/server';

const DIMS = 16;
const ROOT = path.resolve(__dirname, '..', '..');
const ENV = { MATCH_ADMIN_TOKEN: ADMIN_TOKEN, MATCH_RELOAD_POLL_MS: '200' };

let dir: string;
let idx: string;
beforeEach(async () => {
  dir = await tempDir();
  idx = path.join(dir, 'idx');
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

async function build(creators: SyntheticCreator[], name = 'c.jsonl', extra: Partial<Parameters<typeof buildIndex>[0]> = {}) {
  const file = path.join(dir, name);
  await writeJsonl(file, creators);
  return buildIndex({ input: file, out: idx, recallSample: 100, minRecall: 0.9, ...extra });
}

const info = (r: Running) => unary(r.client, 'GetIndexInfo', {});

// The same lifecycle on both backends: in memory (version directories) and PostgreSQL (version tables).
describeBackends('lifecycle', (backend) => {
  beforeEach(() => backend().fresh());
  const build = (creators: SyntheticCreator[], opts: Parameters<ReturnType<typeof backend>['build']>[1] = {}) => backend().build(creators, opts);

  it('serves a rebuilt version under continuous load with zero failed calls and health SERVING', async () => {
    const v1 = await build(syntheticCreators(600, DIMS, 1));
    const running = await backend().start(ENV);
    const queries = syntheticCreators(50, DIMS, 9).map((c) => c.vector);
    const versionsSeen = new Set<string>();
    const failures: unknown[] = [];
    let stop = false;
    let calls = 0;
    const loop = async (): Promise<void> => {
      while (!stop) {
        try {
          const res = await unary(running.client, 'Match', { vector: { values: queries[calls % queries.length]! }, k: 10 });
          if (res.matches.length !== 10) failures.push(new Error(`got ${res.matches.length} matches`));
          versionsSeen.add(res.index_version);
          calls++;
        } catch (err) {
          failures.push(err);
        }
      }
    };
    const health: string[] = [];
    const healthLoop = async (): Promise<void> => {
      while (!stop) {
        health.push(await healthCheck(running.port));
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    const loops = [loop(), loop(), loop(), healthLoop()];
    try {
      await waitFor(() => calls > 50, 20_000, 'load to start');
      const v2 = await build(syntheticCreators(800, DIMS, 2), { file: 'c2.jsonl' });
      await waitFor(async () => (await info(running)).version === v2.version, 20_000, 'the new version to serve');
      const after = calls;
      await waitFor(() => calls > after + 50, 20_000, 'calls on the new version');
      stop = true;
      await Promise.all(loops);
      expect(failures).toEqual([]);
      expect([...versionsSeen].sort()).toEqual([v1.version, v2.version].sort());
      expect(new Set(health)).toEqual(new Set(['SERVING']));
      expect((await info(running)).creator_count).toBe('800');
    } finally {
      stop = true;
      await Promise.all(loops);
      await running.stop();
    }
  });

  it('rolls back with the command and with ReloadIndex, and keeps the last N versions', async () => {
    const v1 = await build(syntheticCreators(200, DIMS, 1));
    const v2 = await build(syntheticCreators(250, DIMS, 2));
    const running = await backend().start(ENV);
    const admin = adminClient(running.port);
    try {
      expect((await info(running)).version).toBe(v2.version);
      expect(await backend().rollback()).toEqual({ from: v2.version, to: v1.version });
      await waitFor(async () => (await info(running)).version === v1.version, 20_000, 'rollback to serve');
      const r = await adminUnary(admin, 'ReloadIndex', { version: v2.version });
      expect(r).toEqual({ version: v2.version, previous_version: v1.version, changed: true });
      expect(await backend().current()).toBe(v2.version);
      expect((await adminUnary(admin, 'ReloadIndex', {})).changed).toBe(false);
      expect((await callError(adminUnary(admin, 'ReloadIndex', { version: 'nope' }))).code).toBe(status.NOT_FOUND);
      const v3 = await build(syntheticCreators(260, DIMS, 3), { file: 'c3.jsonl', keep: 2 });
      expect(await backend().versions()).toEqual([v2.version, v3.version]);
      expect(v3.pruned).toEqual([v1.version]);
    } finally {
      admin.close();
      await running.stop();
    }
  });

  it('upserts and deletes through IndexAdmin, visible at once and durable across a restart', async () => {
    const creators = syntheticCreators(300, DIMS, 4);
    const v1 = await build(creators);
    let running = await backend().start(ENV);
    const fresh = syntheticCreators(302, DIMS, 77).slice(300);
    const admin = adminClient(running.port);
    try {
      const created = { id: 'new-creator', name: 'New', category: 'cooking', language: 'de', tags: ['x'], vector: fresh[0]!.vector };
      const replaced = { ...creators[5]!, vector: fresh[1]!.vector, category: 'music' };
      const r = await adminUpsert(admin, [created, replaced]);
      expect(r).toEqual({ upserted: 2, created: 1, updated: 1, index_version: v1.version });
      const byNew = await unary(running.client, 'Match', { vector: { values: fresh[0]!.vector }, k: 1, include_profile: true });
      expect(byNew.matches[0]).toMatchObject({ creator_id: 'new-creator', profile: { category: 'cooking', language: 'de' } });
      const byReplaced = await unary(running.client, 'Match', { vector: { values: fresh[1]!.vector }, k: 1, include_profile: true });
      expect(byReplaced.matches[0]).toMatchObject({ creator_id: creators[5]!.id, profile: { category: 'music' } });
      const oldVector = await unary(running.client, 'Match', { vector: { values: creators[5]!.vector }, k: 300, filter: { include_nsfw: true } });
      expect(oldVector.matches.filter((m: { creator_id: string }) => m.creator_id === creators[5]!.id)).toHaveLength(1);

      const d = await adminUnary(admin, 'DeleteCreators', { ids: [creators[7]!.id, 'ghost'] });
      expect(d).toEqual({ deleted: 1, not_found: ['ghost'], index_version: v1.version });
      const after = await unary(running.client, 'Match', { vector: { values: creators[7]!.vector }, k: 5 });
      expect(after.matches.map((m: { creator_id: string }) => m.creator_id)).not.toContain(creators[7]!.id);
      expect((await unaryError(running.client, 'Match', { like_creators: { ids: [creators[7]!.id] } })).code).toBe(status.NOT_FOUND);
      expect((await info(running)).creator_count).toBe('300');
      expect((await info(running)).languages).toContain('de');
    } finally {
      admin.close();
      await running.stop();
    }
    running = await backend().start(ENV);
    try {
      const again = await unary(running.client, 'Match', { vector: { values: fresh[0]!.vector }, k: 1 });
      expect(again.matches[0]!.creator_id).toBe('new-creator');
      const gone = await unary(running.client, 'Match', { vector: { values: creators[7]!.vector }, k: 5 });
      expect(gone.matches.map((m: { creator_id: string }) => m.creator_id)).not.toContain(creators[7]!.id);
      expect((await info(running)).creator_count).toBe('300');
    } finally {
      await running.stop();
    }
  });

  it('refuses admin calls without the right token, and rejects bad creators without applying any', async () => {
    await build(syntheticCreators(100, DIMS, 4));
    const running = await backend().start(ENV);
    const admin = adminClient(running.port);
    try {
      const none = await callError(adminUnary(admin, 'DeleteCreators', { ids: ['cr_000001'] }, null));
      expect(none.code).toBe(status.UNAUTHENTICATED);
      expect(none.details).toContain('authorization: Bearer');
      const wrong = await callError(adminUnary(admin, 'ReloadIndex', {}, 'wrong-token-wrong-token'));
      expect(wrong.code).toBe(status.UNAUTHENTICATED);
      const bad = await callError(adminUpsert(admin, [{ id: 'ok-1', vector: new Array(DIMS).fill(0.1) }, { id: 'bad', vector: [1, 2] }]));
      expect(bad.code).toBe(status.INVALID_ARGUMENT);
      expect(bad.details).toContain('bad');
      const noVector = await callError(adminUpsert(admin, [{ id: 'text-only', about: 'no vector' }]));
      expect(noVector.details).toContain('no model');
      const probe = await unary(running.client, 'Match', { vector: { values: new Array(DIMS).fill(0.1) }, k: 100 });
      expect(probe.matches.map((m: { creator_id: string }) => m.creator_id)).not.toContain('ok-1');
      expect(running.logs.some((l) => JSON.stringify(l).includes(ADMIN_TOKEN))).toBe(false);
    } finally {
      admin.close();
      await running.stop();
    }
  });

  it('is not served at all without MATCH_ADMIN_TOKEN', async () => {
    await build(syntheticCreators(50, DIMS, 4), { file: 'c.jsonl', minRecall: 0 });
    const running = await backend().start({});
    const admin = adminClient(running.port);
    try {
      expect((await callError(adminUnary(admin, 'ReloadIndex', {}))).code).toBe(status.UNIMPLEMENTED);
    } finally {
      admin.close();
      await running.stop();
    }
  });

});

describe('hot swap (version directories)', () => {
  it.each([
    ['a corrupt vectors file', async (v: string) => {
      const f = path.join(idx, v, ARTIFACT_FILES.vectors);
      const buf = await fs.readFile(f);
      buf[100] = buf[100]! ^ 0xff;
      await fs.writeFile(f, buf);
    }, /checksum mismatch/],
    ['a truncated HNSW file', async (v: string) => {
      const f = path.join(idx, v, ARTIFACT_FILES.index);
      const buf = await fs.readFile(f);
      await fs.writeFile(f, buf.subarray(0, buf.length / 2));
    }, /index.hnsw has \d+ bytes, manifest says/],
    ['a half-written version (no manifest)', async (v: string) => {
      await fs.rm(path.join(idx, v, 'manifest.json'));
    }, /manifest/],
  ])('refuses %s, keeps serving the old version and reports the refusal', async (_name, damage, reason) => {
    const v1 = await build(syntheticCreators(300, DIMS, 1));
    const running = await startServer(idx, ENV);
    try {
      const v2 = await build(syntheticCreators(300, DIMS, 3), 'c2.jsonl', { publish: false });
      await damage(v2.version);
      await writeCurrent(idx, v2.version);
      await waitFor(async () => (await info(running)).last_refused_version === v2.version, 20_000, 'the refusal');
      const i = await info(running);
      expect(i.version).toBe(v1.version);
      expect(i.last_refused_reason).toMatch(reason);
      expect(running.logs.some((l) => l.msg === 'index version refused; the previous version keeps serving' && l.version === v2.version)).toBe(true);
      const res = await unary(running.client, 'Match', { vector: { values: syntheticCreators(1, DIMS, 1)[0]!.vector } });
      expect(res.index_version).toBe(v1.version);
      expect(await healthCheck(running.port)).toBe('SERVING');
      const admin = adminClient(running.port);
      const err = await callError(adminUnary(admin, 'ReloadIndex', { version: v2.version }));
      expect(err.code).toBe(status.FAILED_PRECONDITION);
      admin.close();
    } finally {
      await running.stop();
    }
  });
});

describe('incremental updates (version directories)', () => {
  it('index:update publishes a compacted version with the service updates and new changes, and the service swaps to it', async () => {
    const creators = syntheticCreators(200, DIMS, 6);
    await build(creators);
    const running = await startServer(idx, ENV);
    const admin = adminClient(running.port);
    try {
      await adminUnary(admin, 'DeleteCreators', { ids: [creators[0]!.id] });
      const extra = syntheticCreators(205, DIMS, 66).slice(200).map((c, i) => ({ ...c, id: `added-${i}` }));
      const upsertFile = path.join(dir, 'upserts.jsonl');
      await writeJsonl(upsertFile, extra);
      const r = await updateIndex({ out: idx, upsertFile, deleteIds: [creators[1]!.id, 'ghost'] });
      expect(r).toMatchObject({ count: 203, upserted: 5, deleted: 1, notFound: ['ghost'] });
      await waitFor(async () => (await info(running)).version === r.version, 20_000, 'the compacted version');
      const loaded = await loadIndexVersion(idx, r.version);
      await verifyFiles(loaded.dir, loaded.manifest);
      expect(loaded.catalog.labelOf(creators[0]!.id)).toBeUndefined();
      expect(loaded.catalog.labelOf('added-3')).toBeDefined();
      await loaded.hnsw.close();
      const res = await unary(running.client, 'Match', { vector: { values: extra[2]!.vector }, k: 1, filter: { include_nsfw: true } });
      expect(res.matches[0]!.creator_id).toBe('added-2');
    } finally {
      admin.close();
      await running.stop();
    }
  });
});

describe('crash safety', () => {
  it('kill -9 of the builder at any point leaves CURRENT on a complete, loadable version', async () => {
    const v1 = await build(syntheticCreators(200, DIMS, 1));
    const big = path.join(dir, 'big.jsonl');
    await writeJsonl(big, syntheticCreators(20000, 48, 5));
    for (const delayMs of [1500, 3000, 4500]) {
      // node itself (with tsx's loader), so SIGKILL hits the builder and not a wrapper process.
      const child = spawn(process.execPath, ['--import', 'tsx', 'index-builder/cli.ts', '--input', big, '--out', idx, '--min-recall', '0', '--no-progress'], {
        cwd: ROOT,
        stdio: 'ignore',
      });
      const exited = new Promise((r) => child.once('exit', r));
      await new Promise((r) => setTimeout(r, delayMs));
      child.kill('SIGKILL'); // a no-op if the build already finished
      await exited;
      const current = await readCurrent(idx);
      expect(current).toBeDefined();
      const loaded = await loadIndexVersion(idx);
      await verifyFiles(loaded.dir, loaded.manifest);
      expect([200, 20000]).toContain(loaded.manifest.count);
      await loaded.hnsw.close();
    }
    // No half-written version is ever left behind CURRENT: every complete version dir verifies.
    for (const v of await listVersions(idx)) {
      const loaded = await loadIndexVersion(idx, v);
      await verifyFiles(loaded.dir, loaded.manifest);
      await loaded.hnsw.close();
    }
    const running = await startServer(idx, ENV);
    try {
      expect([v1.version, await readCurrent(idx)]).toContain((await info(running)).version);
    } finally {
      await running.stop();
    }
  }, 180_000);
});
