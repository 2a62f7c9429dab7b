/**
 * One conformance suite, two backends: `describeBackends(title, (b) => { ... })` runs the same
 * tests against the in-memory index (version directories) and against PostgreSQL + pgvector
 * (a local server from scripts/pg/local-pg.ts, one per test file, on a free port).
 *
 * `b()` is the backend of the running block: it builds and publishes versions (a directory
 * always; with PostgreSQL also loaded, validated and switched there: index:build --pg), starts
 * the real service serving them, rolls back, lists versions. `b().fresh()` starts over with an
 * empty index directory and (PostgreSQL) a new database, for tests that need their own.
 *
 * MATCH_PG_TESTS=off runs the in-memory backend only.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import { buildIndex, type BuildOptions } from '../../index-builder/build-index';
import { buildToPg } from '../../index-builder/build-to-pg';
import { listPg, rollbackPg } from '../../index-builder/pg-publish';
import { readCurrent } from '../../src/index/manifest';
import { currentVersion } from '../../src/index/pg-versions';
import { rollback } from '../../index-builder/rollback';
import { listVersions } from '../../index-builder/retention';
import { startPrimary, type PgServer } from '../../scripts/pg/local-pg';
import { startServer, tempDir, writeJsonl, type Running } from './server';

export type BackendName = 'memory' | 'postgres';

export const PG_TESTS_OFF = process.env.MATCH_PG_TESTS === 'off';
export const BACKENDS: readonly BackendName[] = PG_TESTS_OFF ? ['memory'] : ['memory', 'postgres'];

export interface BuildResult {
  version: string;
  pruned: string[];
}

export interface Backend {
  readonly name: BackendName;
  /** The index directory (every build writes its version there too). */
  readonly idx: string;
  /** Scratch folder of the current test (inputs). */
  readonly dir: string;
  /** The database URL (postgres backend). */
  readonly url: string | undefined;
  /** The local PostgreSQL server (postgres backend), for restarts and replicas. */
  readonly server: PgServer | undefined;
  /** Builds a version from rows (creators) and publishes it (unless publish: false). */
  build(rows: readonly object[], opts?: Partial<BuildOptions> & { file?: string }): Promise<BuildResult>;
  /** Builds from an existing input file. */
  buildFile(input: string, opts?: Partial<BuildOptions>): Promise<BuildResult>;
  /** Starts the service on 127.0.0.1:0 over this backend. */
  start(env?: Record<string, string>): Promise<Running>;
  /** The environment that points a service at this backend. */
  env(): Record<string, string>;
  /** index:rollback (to the previous version, or `to`). */
  rollback(to?: string): Promise<{ from: string | undefined; to: string }>;
  /** The versions kept, oldest first. */
  versions(): Promise<string[]>;
  /** The published version (DIR/CURRENT, or the database's creator_match_current). */
  current(): Promise<string | undefined>;
  /** A new empty index directory and (postgres) database. */
  fresh(): Promise<void>;
}

class BackendImpl implements Backend {
  dir = '';
  idx = '';
  url: string | undefined;
  server: PgServer | undefined;
  private databases = 0;
  private readonly dirs: string[] = [];

  constructor(readonly name: BackendName) {}

  async setup(): Promise<void> {
    if (this.name === 'postgres') this.server = await startPrimary();
    await this.fresh();
  }

  async teardown(): Promise<void> {
    await this.server?.stop();
    for (const d of this.dirs) await fs.rm(d, { recursive: true, force: true });
  }

  async fresh(): Promise<void> {
    this.dir = await tempDir();
    this.dirs.push(this.dir);
    this.idx = path.join(this.dir, 'idx');
    if (this.server) {
      const name = `conformance_${++this.databases}`;
      const admin = new Client({ connectionString: this.server.url });
      await admin.connect();
      try {
        await admin.query(`CREATE DATABASE ${name}`);
      } finally {
        await admin.end();
      }
      const u = new URL(this.server.url);
      u.pathname = `/${name}`;
      this.url = u.toString();
    }
  }

  async build(rows: readonly object[], opts: Partial<BuildOptions> & { file?: string } = {}): Promise<BuildResult> {
    const { file, ...rest } = opts;
    const input = path.join(this.dir, file ?? `c-${Date.now()}-${Math.random().toString(36).slice(2)}.jsonl`);
    await writeJsonl(input, [...rows]);
    return this.buildFile(input, rest);
  }

  async buildFile(input: string, opts: Partial<BuildOptions> = {}): Promise<BuildResult> {
    const options: BuildOptions = { input, out: this.idx, recallSample: 100, minRecall: 0.9, ...opts };
    if (this.name === 'memory') return buildIndex(options);
    // The test catalogs are small: the recall gate is the in-memory build's; ef_construction 64 as in production.
    return buildToPg(options, { url: this.url!, minRecall: 0.8, recallSample: 20 });
  }

  env(): Record<string, string> {
    return this.url ? { MATCH_PG_URL: this.url, MATCH_PG_POOL_MAX: '4' } : {};
  }

  start(env: Record<string, string> = {}): Promise<Running> {
    return startServer(this.idx, { ...this.env(), ...env });
  }

  async rollback(to?: string): Promise<{ from: string | undefined; to: string }> {
    if (this.name === 'memory') return rollback(this.idx, to);
    return rollbackPg(this.url!, to);
  }

  async current(): Promise<string | undefined> {
    if (this.name === 'memory') return readCurrent(this.idx);
    const c = new Client({ connectionString: this.url! });
    await c.connect();
    try {
      return await currentVersion(c, 'default');
    } finally {
      await c.end();
    }
  }

  async versions(): Promise<string[]> {
    if (this.name === 'memory') return listVersions(this.idx);
    return (await listPg(this.url!)).map((v) => v.version);
  }
}

/**
 * `describe.each` over BACKENDS: `fn` gets the backend of its block (set up in beforeAll: the
 * PostgreSQL server and a first database and directory; torn down in afterAll).
 */
export function describeBackends(title: string, fn: (backend: () => Backend) => void): void {
  describe.each(BACKENDS)(`${title} [%s]`, (name) => {
    const backend = new BackendImpl(name);
    beforeAll(() => backend.setup(), 120_000);
    afterAll(() => backend.teardown(), 120_000);
    fn(() => backend);
  });
}
