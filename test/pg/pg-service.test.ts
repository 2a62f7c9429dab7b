/**
 * The service on PostgreSQL where only PostgreSQL can take it: a streaming replica serving reads
 * (a second server started here), the database restarting under load (UNAVAILABLE with a clear
 * message, NOT_SERVING, recovery by itself), and statement timeouts, deadlines and cancellation
 * reaching the SQL statement. Real servers from scripts/pg/local-pg.ts on free ports; no
 * assertion on wall-clock time beyond generous "does not hang" bounds.
 *
 * MATCH_PG_TESTS=off skips it.
 */
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { Client } from 'pg';
import { buildToPg } from '../../index-builder/build-to-pg';
import { startPrimary, startReplica, waitForReplication, type PgServer } from '../../scripts/pg/local-pg';
import type { MatchResponse__Output } from '../../src/contract/creatormatch/v1/MatchResponse';
import { REASON_METADATA_KEY } from '../../src/grpc/wire';
import { sqlOnce } from '../helpers/pg';
import { adminClient, adminUpsert, ADMIN_TOKEN, healthCheck, startServer, tempDir, unary, waitFor, writeJsonl, type Running } from '../helpers/server';
import { syntheticCreators } from '../helpers/synthetic';

const OFF = process.env.MATCH_PG_TESTS === 'off';
const describePg = OFF ? describe.skip : describe;

const DIMS = 16;
const ENV = { MATCH_ADMIN_TOKEN: ADMIN_TOKEN, MATCH_RELOAD_POLL_MS: '300', MATCH_PG_POOL_MAX: '4' };

async function publish(url: string, dir: string, n: number, seed: number): Promise<string> {
  const file = path.join(dir, `c-${seed}.jsonl`);
  await writeJsonl(file, syntheticCreators(n, DIMS, seed));
  return (await buildToPg({ input: file, out: path.join(dir, 'idx'), recallSample: 100, minRecall: 0.9 }, { url, minRecall: 0.8, recallSample: 20 })).version;
}

const info = (r: Running) => unary(r.client, 'GetIndexInfo', {});
const reasonOf = (err: grpc.ServiceError): string => String(err.metadata?.get(REASON_METADATA_KEY)[0] ?? '');
const query = syntheticCreators(1, DIMS, 99)[0]!.vector;

describePg('PostgreSQL backend: replicas, restarts, timeouts', () => {
  let primary: PgServer;
  let dir: string;
  const servers: Running[] = [];
  const serve = async (env: Record<string, string>): Promise<Running> => {
    const r = await startServer(path.join(dir, 'idx'), { ...ENV, ...env });
    servers.push(r);
    return r;
  };

  beforeAll(async () => {
    primary = await startPrimary();
    dir = await tempDir();
  });

  afterEach(async () => {
    for (const s of servers.splice(0)) await s.stop().catch(() => undefined);
  });

  afterAll(async () => {
    await primary?.stop();
  });

  describe('a streaming replica serving reads', () => {
    let replica: PgServer;
    beforeAll(async () => {
      await publish(primary.url, dir, 400, 1);
      replica = await startReplica(primary.url);
      await waitForReplication(primary.url, replica.url);
    });
    afterAll(async () => {
      await replica?.stop();
    });

    it('a second server reads from the replica, follows new versions and every server\'s writes', async () => {
      const onPrimary = await serve({ MATCH_PG_URL: primary.url });
      const onReplica = await serve({ MATCH_PG_URL: primary.url, MATCH_PG_READ_URL: replica.url });
      expect(await healthCheck(onReplica.port)).toBe('SERVING');
      const a = await unary(onPrimary.client, 'Match', { vector: { values: query }, k: 10 });
      const b = await unary(onReplica.client, 'Match', { vector: { values: query }, k: 10 });
      expect(b.index_version).toBe(a.index_version);
      expect(b.matches.map((m) => m.creator_id)).toEqual(a.matches.map((m) => m.creator_id));
      // Its searches run on the replica: its connections are there, and the replica is a standby.
      const onStandby = await sqlOnce<{ n: string; standby: boolean }>(replica.url, `SELECT count(*)::text AS n, pg_is_in_recovery() AS standby FROM pg_stat_activity WHERE application_name = 'creator-match'`);
      expect(onStandby[0]!.standby).toBe(true);
      expect(Number(onStandby[0]!.n)).toBeGreaterThan(0);

      // A new version published on the primary: NOTIFY there, the replica replays, the server follows.
      const v2 = await publish(primary.url, dir, 500, 2);
      await waitFor(async () => (await info(onReplica)).version === v2, 30_000, 'the replica-reading server to serve v2');
      expect((await info(onReplica)).creator_count).toBe('500');

      // Writes through either server reach the primary and show on both.
      const fresh = syntheticCreators(2, DIMS, 77);
      const adminA = adminClient(onPrimary.port);
      const adminB = adminClient(onReplica.port);
      try {
        await waitFor(async () => (await info(onPrimary)).version === v2, 30_000, 'the primary-reading server to serve v2');
        expect(await adminUpsert(adminA, [{ id: 'via-primary', category: 'music', language: 'en', vector: fresh[0]!.vector }])).toMatchObject({ created: 1 });
        expect(await adminUpsert(adminB, [{ id: 'via-replica-server', category: 'music', language: 'de', vector: fresh[1]!.vector }])).toMatchObject({ created: 1 });
        for (const s of [onPrimary, onReplica]) {
          await waitFor(async () => (await info(s)).creator_count === '502', 30_000, 'both upserts on every server');
          const top = async (v: number[]) => (await unary(s.client, 'Match', { vector: { values: v }, k: 1 })).matches[0]?.creator_id;
          await waitFor(async () => (await top(fresh[0]!.vector)) === 'via-primary' && (await top(fresh[1]!.vector)) === 'via-replica-server', 30_000, 'the new creators in searches');
          expect((await info(s)).languages).toContain('de');
        }
      } finally {
        adminA.close();
        adminB.close();
      }
    });

    it('a server whose only URL is the standby serves by polling, and refuses writes with UNAVAILABLE', async () => {
      const standbyOnly = await serve({ MATCH_PG_URL: replica.url });
      expect(await healthCheck(standbyOnly.port)).toBe('SERVING');
      await waitFor(() => standbyOnly.logs.some((l) => String(l.msg).includes('is a standby (no LISTEN there)')), 10_000, 'the standby to refuse LISTEN');
      const v3 = await publish(primary.url, dir, 450, 3);
      await waitFor(async () => (await info(standbyOnly)).version === v3, 30_000, 'the poll to pick up v3');
      const admin = adminClient(standbyOnly.port);
      try {
        const err = (await adminUpsert(admin, [{ id: 'nope', vector: query }]).catch((e: grpc.ServiceError) => e)) as grpc.ServiceError;
        expect(err.code).toBe(grpc.status.UNAVAILABLE);
        expect(reasonOf(err)).toBe('DATABASE_UNAVAILABLE');
        expect(err.details).toContain('read-only standby');
      } finally {
        admin.close();
      }
    });
  });

  describe('the database going away', () => {
    it('fails calls UNAVAILABLE with a clear message and NOT_SERVING while it is down, and recovers by itself', async () => {
      await publish(primary.url, dir, 300, 4);
      const running = await serve({ MATCH_PG_URL: primary.url });
      expect(await healthCheck(running.port)).toBe('SERVING');
      const failures: grpc.ServiceError[] = [];
      let ok = 0;
      let stop = false;
      const loop = async (): Promise<void> => {
        while (!stop) {
          try {
            const r = await unary(running.client, 'Match', { vector: { values: query }, k: 5 }, 10_000);
            if (r.matches.length === 5) ok++;
          } catch (err) {
            failures.push(err as grpc.ServiceError);
            await new Promise((r) => setTimeout(r, 20));
          }
        }
      };
      const loops = [loop(), loop()];
      const health: string[] = [];
      let late: Running | undefined;
      try {
        await waitFor(() => ok > 20, 20_000, 'load to start');
        // Down for a while: long enough to see it from outside.
        const restarted = primary.restart({ downMs: 4000 });
        await waitFor(async () => (await healthCheck(running.port)) === 'NOT_SERVING', 20_000, 'health NOT_SERVING while the database is down');
        health.push('NOT_SERVING');
        await waitFor(() => failures.length > 0, 20_000, 'a call to fail while the database is down');
        // A server started while the database is down waits NOT_SERVING instead of failing.
        late = await serve({ MATCH_PG_URL: primary.url });
        expect(await healthCheck(late.port)).toBe('NOT_SERVING');
        await restarted;
        await waitFor(async () => (await healthCheck(running.port)) === 'SERVING', 30_000, 'health SERVING again');
        await waitFor(async () => (await healthCheck(late!.port)) === 'SERVING', 30_000, 'the late server to serve');
        const before = ok;
        await waitFor(() => ok > before + 20, 20_000, 'calls to succeed again');
      } finally {
        stop = true;
        await Promise.all(loops);
      }
      expect(health).toEqual(['NOT_SERVING']);
      for (const f of failures) {
        // (code and details together, so a failure shows what the call got)
        expect(`${f.code} ${f.details}`).toMatch(new RegExp(`^${grpc.status.UNAVAILABLE} `));
        expect(['DATABASE_UNAVAILABLE', 'INDEX_NOT_READY']).toContain(reasonOf(f));
        if (reasonOf(f) === 'DATABASE_UNAVAILABLE') expect(f.details).toMatch(/^the database at 127\.0\.0\.1:\d+\/\S+ is unavailable \(.+\); retry shortly$/);
      }
      expect(failures.some((f) => reasonOf(f) === 'DATABASE_UNAVAILABLE')).toBe(true);
      expect(running.logs.some((l) => l.msg === 'index backend unreachable; calls fail UNAVAILABLE until it is back')).toBe(true);
      expect(running.logs.some((l) => l.msg === 'index backend reachable again')).toBe(true);
      const r = await unary(late.client, 'Match', { vector: { values: query }, k: 5 });
      expect(r.matches).toHaveLength(5);
    }, 180_000);
  });

  describe('timeouts and cancellation reach the SQL statement', () => {
    let table: string;
    let locker: Client;

    beforeAll(async () => {
      const version = await publish(primary.url, dir, 300, 5);
      table = (await sqlOnce<{ table_name: string }>(primary.url, `SELECT table_name FROM creator_match_versions WHERE version = $1`, [version]))[0]!.table_name;
      locker = new Client({ connectionString: primary.url });
      locker.on('error', () => undefined);
      await locker.connect();
    });
    afterAll(async () => {
      await locker?.end();
    });

    /** Holds an ACCESS EXCLUSIVE lock on the served table until `release` (searches block on it). */
    async function lockTable(): Promise<() => Promise<void>> {
      await locker.query('BEGIN');
      await locker.query(`LOCK TABLE "${table}" IN ACCESS EXCLUSIVE MODE`);
      return async () => void (await locker.query('ROLLBACK'));
    }

    // No poll: the served table is locked on purpose, and only the searches under test may wait on it.
    const NO_POLL = { MATCH_RELOAD_POLL_MS: '0' };

    /** Searches of the service still waiting on the lock (the statement was not cancelled). */
    const waiting = async (): Promise<number> =>
      Number((await sqlOnce<{ n: string }>(primary.url, `SELECT count(*)::text AS n FROM pg_stat_activity WHERE application_name = 'creator-match' AND state = 'active' AND wait_event_type = 'Lock'`))[0]!.n);

    const matchError = async (r: Running, deadlineMs: number): Promise<grpc.ServiceError> => {
      try {
        await unary(r.client, 'Match', { vector: { values: query }, k: 5 }, deadlineMs);
      } catch (err) {
        return err as grpc.ServiceError;
      }
      throw new Error('Match unexpectedly succeeded');
    };

    it('MATCH_PG_STATEMENT_TIMEOUT_MS bounds a search: DEADLINE_EXCEEDED, and the service goes on', async () => {
      const running = await serve({ ...NO_POLL, MATCH_PG_URL: primary.url, MATCH_PG_STATEMENT_TIMEOUT_MS: '300' });
      const release = await lockTable();
      try {
        const err = await matchError(running, 30_000);
        expect(err.code).toBe(grpc.status.DEADLINE_EXCEEDED);
        expect(reasonOf(err)).toBe('DEADLINE_EXCEEDED');
        expect(err.details).toContain('MATCH_PG_STATEMENT_TIMEOUT_MS=300');
        await waitFor(async () => (await waiting()) === 0, 10_000, 'no statement left waiting');
      } finally {
        await release();
      }
      expect(await healthCheck(running.port)).toBe('SERVING');
      expect((await unary(running.client, 'Match', { vector: { values: query }, k: 5 })).matches).toHaveLength(5);
    });

    it("the call's deadline cancels its statement", async () => {
      const running = await serve({ ...NO_POLL, MATCH_PG_URL: primary.url, MATCH_PG_STATEMENT_TIMEOUT_MS: '600000' });
      const release = await lockTable();
      try {
        const err = await matchError(running, 500);
        expect(err.code).toBe(grpc.status.DEADLINE_EXCEEDED);
        // statement_timeout was set from the deadline, and the abort sends a cancel request: nothing waits on.
        await waitFor(async () => (await waiting()) === 0, 10_000, 'the statement to be cancelled');
      } finally {
        await release();
      }
      expect((await unary(running.client, 'Match', { vector: { values: query }, k: 5 })).matches).toHaveLength(5);
    });

    it('a client cancelling the call cancels its statement', async () => {
      const running = await serve({ ...NO_POLL, MATCH_PG_URL: primary.url, MATCH_PG_STATEMENT_TIMEOUT_MS: '600000' });
      const release = await lockTable();
      try {
        const call = running.client.Match({ vector: { values: query }, k: 5 }, { deadline: Date.now() + 120_000 }, () => undefined);
        await waitFor(async () => (await waiting()) === 1, 10_000, 'the search to wait on the lock');
        call.cancel();
        await waitFor(async () => (await waiting()) === 0, 10_000, 'the statement to be cancelled');
        await waitFor(() => running.logs.some((l) => l.msg === 'match failed' && l.reason === 'CANCELLED'), 10_000, 'the call to end CANCELLED');
      } finally {
        await release();
      }
      const r: MatchResponse__Output = await unary(running.client, 'Match', { vector: { values: query }, k: 5 });
      expect(r.matches).toHaveLength(5);
    });
  });
});
