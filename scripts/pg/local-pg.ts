/**
 * Local PostgreSQL servers (PostgreSQL 15 + pgvector >= 0.8, see engine.ts) for development, CI and
 * tests. Every server listens on 127.0.0.1 only, on a port the OS picked as free, with password
 * (scram-sha-256) authentication, no Unix socket, and fsync off (throw-away data; a clean or
 * immediate stop loses nothing unless the machine itself crashes).
 *
 * For tests:
 *   const primary = await startPrimary();            // own temp data dir and port
 *   const replica = await startReplica(primary.url); // streaming replica (pg_basebackup -R)
 *   await waitForReplication(primary.url, replica.url);
 *   await primary.restart();                         // stop + start the same data dir and port
 *   await replica.stop(); await primary.stop();      // stops and deletes the temp dirs
 * These need the engine installed (`npm run pg:start` once, as root) and throw a PgSetupError with
 * that fix otherwise. A server a test forgot to stop is stopped when the process exits.
 *
 * For `npm run pg:start` / `pg:stop`: startPersistent() / stopPersistent() keep one server in the
 * state dir MATCH_PG_HOME (default var/pg of the repository): data/, server.log, port, url.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, promises as fs } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { type Engine, ensureEngine, requireEngine } from './engine';
import { PgSetupError, checkServerCanUse, chownToServer, makeServerDir, repoRoot, run, serverEnv, serverUser } from './proc';

export const DEFAULT_USER = 'match';
export const DEFAULT_DATABASE = 'creator_match';

export type StopMode = 'smart' | 'fast' | 'immediate';

export interface PgServer {
  /** postgres://USER:PASS@127.0.0.1:PORT/DB */
  readonly url: string;
  readonly port: number;
  readonly role: 'primary' | 'replica';
  /** Folder holding data/ and server.log. */
  readonly home: string;
  readonly dataDir: string;
  readonly logFile: string;
  /** Stops the server (fast shutdown by default); a temp server's folder is deleted unless keep was set. */
  stop(opts?: { mode?: StopMode }): Promise<void>;
  /** Stops and starts the same data dir on the same port; optionally stays down for downMs first. */
  restart(opts?: { mode?: StopMode; downMs?: number }): Promise<void>;
  /** True while the postmaster runs. */
  running(): Promise<boolean>;
}

export interface StartOptions {
  /** Folder for data/ and server.log; default a new temp folder (deleted by stop() unless keep). */
  home?: string;
  keep?: boolean;
  /** Default: a free port the OS picks. */
  port?: number;
  database?: string;
  user?: string;
  password?: string;
  /** Extra postgresql.conf settings, e.g. { shared_buffers: '256MB' }. */
  settings?: Record<string, string | number | boolean>;
  log?: (line: string) => void;
}

const live = new Set<Cluster>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const c of live) c.stopSync();
  });
}

/** A free TCP port on 127.0.0.1, chosen by the OS. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

export function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

export function makeUrl(user: string, password: string, port: number, database: string): string {
  return `postgres://${encodeURIComponent(user)}:${encodeURIComponent(password)}@127.0.0.1:${port}/${encodeURIComponent(database)}`;
}

const confValue = (v: string | number | boolean): string => (typeof v === 'string' ? `'${v.replace(/'/g, "''")}'` : String(v));

class Cluster implements PgServer {
  port: number;
  readonly dataDir: string;
  readonly logFile: string;
  private stopped = false;

  constructor(
    readonly engine: Engine,
    readonly home: string,
    readonly role: 'primary' | 'replica',
    port: number,
    readonly user: string,
    readonly password: string,
    readonly database: string,
    private readonly removeOnStop: boolean,
  ) {
    this.port = port;
    this.dataDir = path.join(home, 'data');
    this.logFile = path.join(home, 'server.log');
  }

  get url(): string {
    return makeUrl(this.user, this.password, this.port, this.database);
  }

  private bin(tool: string): string {
    return path.join(this.engine.bindir, tool);
  }

  async running(): Promise<boolean> {
    if (!existsSync(this.dataDir)) return false;
    const r = await run(this.bin('pg_ctl'), ['status', '-D', this.dataDir], { asServer: true, env: serverEnv(this.home) });
    return r.code === 0;
  }

  /** pg_ctl start on this.port; when the port was taken meanwhile and retryPort, moves to a new free one. */
  async start(retryPort = true): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const r = await run(
        this.bin('pg_ctl'),
        ['start', '-D', this.dataDir, '-l', this.logFile, '-w', '-t', '90', '-s', '-o', `-p ${this.port}`],
        { asServer: true, env: serverEnv(this.home) },
      );
      if (r.code === 0) break;
      const logTail = await this.logTail();
      if (retryPort && attempt < 3 && /could not bind|Address already in use|could not create any TCP\/IP sockets/i.test(logTail)) {
        this.port = await freePort();
        continue;
      }
      const last = logTail.split('\n').filter((l) => /FATAL|ERROR|PANIC|LOG/.test(l)).pop() ?? (r.stderr.trim() || 'no log output');
      throw new PgSetupError(`the PostgreSQL server in ${this.dataDir} did not start: ${last.trim()}; fix: see ${this.logFile}`, logTail);
    }
    this.stopped = false;
    live.add(this);
    installExitHook();
  }

  async stopServer(mode: StopMode = 'fast'): Promise<void> {
    if (await this.running()) {
      await run(this.bin('pg_ctl'), ['stop', '-D', this.dataDir, '-m', mode, '-w', '-t', '90', '-s'], {
        asServer: true,
        env: serverEnv(this.home),
        failure: `could not stop the PostgreSQL server in ${this.dataDir}; fix: see ${this.logFile}`,
      });
    }
    live.delete(this);
  }

  async stop(opts: { mode?: StopMode } = {}): Promise<void> {
    if (this.stopped) return;
    await this.stopServer(opts.mode ?? 'fast');
    this.stopped = true;
    if (this.removeOnStop) await fs.rm(this.home, { recursive: true, force: true });
  }

  async restart(opts: { mode?: StopMode; downMs?: number } = {}): Promise<void> {
    await this.stopServer(opts.mode ?? 'fast');
    if (opts.downMs) await new Promise((r) => setTimeout(r, opts.downMs));
    // The same port, so clients reconnect to the URL they have.
    await this.start(false);
  }

  /** Last resort at process exit: an immediate stop, synchronously. */
  stopSync(): void {
    const u = serverUser();
    spawnSync(this.bin('pg_ctl'), ['stop', '-D', this.dataDir, '-m', 'immediate', '-s'], {
      env: serverEnv(this.home),
      stdio: 'ignore',
      ...(u.switches ? { uid: u.uid, gid: u.gid } : {}),
    });
    if (this.removeOnStop) spawnSync('rm', ['-rf', this.home], { stdio: 'ignore' });
  }

  async logTail(lines = 30): Promise<string> {
    const text = await fs.readFile(this.logFile, 'utf8').catch(() => '');
    return text.trim().split('\n').slice(-lines).join('\n');
  }
}

async function newTempHome(prefix: string): Promise<string> {
  const home = await fs.mkdtemp(path.join(os.tmpdir(), prefix));
  await chownToServer(home);
  await fs.chmod(home, 0o700);
  await checkServerCanUse(home);
  return home;
}

function settingsBlock(settings: Record<string, string | number | boolean>): string {
  const base: Record<string, string | number | boolean> = {
    listen_addresses: '127.0.0.1',
    unix_socket_directories: '',
    fsync: 'off',
    max_connections: 100,
    max_wal_senders: 10,
    wal_level: 'replica',
    hot_standby: 'on',
    wal_keep_size: '256MB',
    wal_retrieve_retry_interval: '200ms', // a replica reconnects quickly after its primary restarts
    log_line_prefix: '%m [%p] ',
    ...settings,
  };
  return `\n# creator-match local server (scripts/pg/local-pg.ts)\n${Object.entries(base)
    .map(([k, v]) => `${k} = ${confValue(v)}`)
    .join('\n')}\n`;
}

/** initdb + start + create the database (the caller runs verifyVector). */
async function initPrimary(engine: Engine, home: string, opts: StartOptions, removeOnStop: boolean): Promise<Cluster> {
  const user = opts.user ?? DEFAULT_USER;
  const password = opts.password ?? randomBytes(18).toString('base64url');
  const database = opts.database ?? DEFAULT_DATABASE;
  const pwfile = path.join(home, 'initdb.pw');
  await fs.writeFile(pwfile, `${password}\n`, { mode: 0o600 });
  await chownToServer(pwfile);
  const dataDir = path.join(home, 'data');
  try {
    await run(
      path.join(engine.bindir, 'initdb'),
      ['-D', dataDir, '-U', user, `--pwfile=${pwfile}`, '--auth=scram-sha-256', '-E', 'UTF8', '--no-locale', '--no-sync', '--no-instructions'],
      { asServer: true, env: serverEnv(home), failure: `initdb ${dataDir} failed` },
    );
  } finally {
    await fs.rm(pwfile, { force: true });
  }
  await fs.appendFile(path.join(dataDir, 'postgresql.conf'), settingsBlock(opts.settings ?? {}));
  const cluster = new Cluster(engine, home, 'primary', opts.port ?? (await freePort()), user, password, database, removeOnStop);
  await cluster.start(opts.port === undefined);
  try {
    if (database !== 'postgres') {
      const admin = new Client({ connectionString: makeUrl(user, password, cluster.port, 'postgres') });
      await admin.connect();
      try {
        await admin.query(`CREATE DATABASE "${database.replace(/"/g, '""')}"`);
      } finally {
        await admin.end();
      }
    }
  } catch (err) {
    await cluster.stopServer('immediate').catch(() => {});
    throw err;
  }
  return cluster;
}

/**
 * CREATE EXTENSION vector in the URL's database (updating an older one) and check that this server
 * has pgvector's iterative HNSW scans; returns the extension version.
 */
export async function verifyVector(url: string): Promise<string> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    await c.query('CREATE EXTENSION IF NOT EXISTS vector');
    const available = (await c.query<{ default_version: string }>(`SELECT default_version FROM pg_available_extensions WHERE name = 'vector'`)).rows[0]?.default_version;
    let installed = (await c.query<{ extversion: string }>(`SELECT extversion FROM pg_extension WHERE extname = 'vector'`)).rows[0]?.extversion;
    if (available && installed !== available) {
      await c.query('ALTER EXTENSION vector UPDATE');
      installed = available;
    }
    await c.query(`SELECT '[1,2,3]'::vector`); // loads vector.so, which defines the hnsw.* settings
    await c.query('SET hnsw.iterative_scan = relaxed_order');
    const shown = Object.values((await c.query<Record<string, string>>('SHOW hnsw.iterative_scan')).rows[0] ?? {})[0];
    if (shown !== 'relaxed_order') throw new PgSetupError(`this server's pgvector (${installed}) has no hnsw.iterative_scan; fix: run \`npm run pg:start\` to install pgvector >= 0.8`);
    return String(installed);
  } catch (err) {
    if (err instanceof PgSetupError) throw err;
    throw new PgSetupError(`pgvector does not work on ${redact(url)}: ${(err as Error).message}; fix: run \`npm run pg:start\` to install pgvector >= 0.8`);
  } finally {
    await c.end();
  }
}

export const redact = (url: string): string => url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');

/** A new primary in its own temp folder (or opts.home) on a free port. */
export async function startPrimary(opts: StartOptions = {}): Promise<PgServer> {
  const engine = await requireEngine();
  const temp = !opts.home;
  const home = opts.home ?? (await newTempHome('creator-match-pg-'));
  try {
    if (!temp) {
      await makeServerDir(home);
      await checkServerCanUse(home);
    }
    const cluster = await initPrimary(engine, home, opts, temp && !opts.keep);
    try {
      await verifyVector(cluster.url);
    } catch (err) {
      await cluster.stopServer('immediate').catch(() => {});
      throw err;
    }
    return cluster;
  } catch (err) {
    if (temp && !opts.keep) await fs.rm(home, { recursive: true, force: true }).catch(() => {});
    throw err;
  }
}

/** A streaming replica of primaryUrl (pg_basebackup -R: standby.signal + primary_conninfo), in its own temp folder and port. */
export async function startReplica(primaryUrl: string, opts: Omit<StartOptions, 'user' | 'password'> = {}): Promise<PgServer> {
  const engine = await requireEngine();
  const u = new URL(primaryUrl);
  const user = decodeURIComponent(u.username);
  const password = decodeURIComponent(u.password);
  const database = opts.database ?? (decodeURIComponent(u.pathname.slice(1)) || DEFAULT_DATABASE);
  const temp = !opts.home;
  const home = opts.home ?? (await newTempHome('creator-match-pg-replica-'));
  try {
    if (!temp) {
      await makeServerDir(home);
      await checkServerCanUse(home);
    }
    const dataDir = path.join(home, 'data');
    await run(
      path.join(engine.bindir, 'pg_basebackup'),
      ['-D', dataDir, '-h', u.hostname, '-p', u.port || '5432', '-U', user, '-X', 'stream', '-c', 'fast', '-R', '--no-sync', '-w'],
      {
        asServer: true,
        env: serverEnv(home, { PGPASSWORD: password, PGAPPNAME: 'creator-match-replica' }),
        failure: `pg_basebackup from ${redact(primaryUrl)} failed; fix: check that the primary runs and allows replication connections`,
      },
    );
    if (opts.settings) await fs.appendFile(path.join(dataDir, 'postgresql.conf'), settingsBlock(opts.settings));
    const cluster = new Cluster(engine, home, 'replica', opts.port ?? (await freePort()), user, password, database, temp && !opts.keep);
    await cluster.start(opts.port === undefined);
    return cluster;
  } catch (err) {
    if (temp && !opts.keep) await fs.rm(home, { recursive: true, force: true }).catch(() => {});
    throw err;
  }
}

/** Restarts a server from startPrimary/startReplica (stop + start, same data dir and port). */
export function restart(server: PgServer, opts?: { mode?: StopMode; downMs?: number }): Promise<void> {
  return server.restart(opts);
}

/** Waits until the replica has replayed everything the primary had written when this was called. */
export async function waitForReplication(primaryUrl: string, replicaUrl: string, timeoutMs = 30000): Promise<void> {
  const p = new Client({ connectionString: primaryUrl });
  await p.connect();
  let target: string;
  try {
    target = (await p.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn')).rows[0]!.lsn;
  } finally {
    await p.end();
  }
  const r = new Client({ connectionString: replicaUrl });
  await r.connect();
  try {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const row = (await r.query<{ done: boolean; at: string }>('SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn AS done, pg_last_wal_replay_lsn()::text AS at', [target])).rows[0]!;
      if (row.done) return;
      if (Date.now() > deadline) throw new Error(`replica ${redact(replicaUrl)} did not reach LSN ${target} within ${timeoutMs} ms (at ${row.at})`);
      await new Promise((res) => setTimeout(res, 50));
    }
  } finally {
    await r.end();
  }
}

// ---------------------------------------------------------------------------------------------
// The one persistent server of `npm run pg:start` / `pg:stop`

export const stateHome = (): string => path.resolve(process.env.MATCH_PG_HOME || path.join(repoRoot(), 'var', 'pg'));

interface PersistentState {
  port: number;
  user: string;
  password: string;
  database: string;
}

async function readState(home: string): Promise<PersistentState | undefined> {
  const text = await fs.readFile(path.join(home, 'state.json'), 'utf8').catch(() => undefined);
  return text ? (JSON.parse(text) as PersistentState) : undefined;
}

async function writeState(home: string, s: PersistentState): Promise<void> {
  const file = path.join(home, 'state.json');
  await fs.writeFile(file, `${JSON.stringify(s, null, 2)}\n`, { mode: 0o600 });
  await fs.writeFile(path.join(home, 'port'), `${s.port}\n`);
  await fs.writeFile(path.join(home, 'url'), `${makeUrl(s.user, s.password, s.port, s.database)}\n`, { mode: 0o600 });
}

export interface PersistentResult {
  url: string;
  home: string;
  /** 'reused' (already running), 'started' (existing data dir), 'created' (new data dir). */
  action: 'reused' | 'started' | 'created';
  engine: Engine;
}

/** `npm run pg:start`: installs the engine if needed, then reuses, starts or creates the server in stateHome(). */
export async function startPersistent(log: (line: string) => void = () => {}): Promise<PersistentResult> {
  const home = stateHome();
  const engine = await ensureEngine({ log });
  serverUser(log); // after the install: Debian's postgresql-common creates the user postgres itself
  await makeServerDir(home);
  await checkServerCanUse(home);
  const state = await readState(home);
  const hasData = existsSync(path.join(home, 'data', 'PG_VERSION'));
  if (state && hasData) {
    const cluster = new Cluster(engine, home, 'primary', state.port, state.user, state.password, state.database, false);
    let action: PersistentResult['action'] = 'reused';
    if (!(await cluster.running())) {
      if (!(await portIsFree(state.port))) {
        cluster.port = await freePort();
        log(`port ${state.port} is taken now; moving to ${cluster.port}`);
      }
      await cluster.start();
      action = 'started';
    }
    if (cluster.port !== state.port) await writeState(home, { ...state, port: cluster.port });
    await verifyVector(cluster.url);
    live.delete(cluster); // a persistent server outlives this process
    return { url: cluster.url, home, action, engine };
  }
  if (hasData || existsSync(path.join(home, 'data'))) {
    throw new PgSetupError(`${path.join(home, 'data')} exists but ${path.join(home, 'state.json')} does not; fix: npm run pg:stop -- --purge (deletes that data), then npm run pg:start`);
  }
  log(`creating a PostgreSQL ${engine.pgVersion} data dir in ${path.join(home, 'data')}`);
  const cluster = await initPrimary(engine, home, {}, false);
  live.delete(cluster); // a persistent server outlives this process
  await writeState(home, { port: cluster.port, user: cluster.user, password: cluster.password, database: cluster.database });
  await verifyVector(cluster.url);
  return { url: cluster.url, home, action: 'created', engine };
}

export interface StopResult {
  home: string;
  wasRunning: boolean;
  purged: boolean;
}

/** `npm run pg:stop`: fast shutdown of the server in stateHome(); purge also deletes the state dir. */
export async function stopPersistent(opts: { purge?: boolean } = {}): Promise<StopResult> {
  const home = stateHome();
  let wasRunning = false;
  if (existsSync(path.join(home, 'data', 'PG_VERSION'))) {
    const engine = await requireEngine();
    const state = (await readState(home)) ?? { port: 0, user: DEFAULT_USER, password: '', database: DEFAULT_DATABASE };
    const cluster = new Cluster(engine, home, 'primary', state.port, state.user, state.password, state.database, false);
    wasRunning = await cluster.running();
    await cluster.stopServer('fast');
  }
  if (opts.purge) await fs.rm(home, { recursive: true, force: true });
  return { home, wasRunning, purged: !!opts.purge };
}

/** The URL of the running persistent server, or undefined. */
export async function persistentStatus(): Promise<{ url?: string; home: string; running: boolean }> {
  const home = stateHome();
  const state = await readState(home);
  if (!state || !existsSync(path.join(home, 'data', 'PG_VERSION'))) return { home, running: false };
  const engine = await requireEngine();
  const cluster = new Cluster(engine, home, 'primary', state.port, state.user, state.password, state.database, false);
  const running = await cluster.running();
  return { home, running, ...(running ? { url: cluster.url } : {}) };
}
