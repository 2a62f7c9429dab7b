import { EventEmitter } from 'node:events';
import net from 'node:net';
import { Pool, type PoolClient } from 'pg';
import { abortReason, MatchError, throwIfAborted } from '../errors/match-error';
import { remainingMs } from '../util/signal-deadline';

/** How the service talks to PostgreSQL (config: MATCH_PG_*). */
export interface PgSettings {
  /** The primary: LISTEN/NOTIFY, IndexAdmin writes, and reads unless readUrl is set. */
  url: string;
  /** A streaming replica for searches and version loads (optional). */
  readUrl?: string | undefined;
  /** Connections per pool (one pool for the primary, one for readUrl). */
  poolMax: number;
  /** Waiting for a connection (new or from the pool) longer than this is DATABASE_UNAVAILABLE. */
  connectTimeoutMs: number;
  /** Upper bound of any one search (the call's deadline lowers it). */
  statementTimeoutMs: number;
  /** Name the connections carry (pg_stat_activity.application_name). */
  applicationName?: string;
}

/** SQLSTATE classes and codes that mean "the database is not there" rather than "this query is wrong". */
const UNAVAILABLE_SQLSTATE = /^(08|57P0[1-4]|53300|53400|3D000|28P01|28000)/;
const UNAVAILABLE_ERRNO = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ECONNABORTED']);
const UNAVAILABLE_MESSAGE = /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|Connection ended unexpectedly|the database system is (starting up|shutting down|in recovery)/i;

/** Whether an error says the database cannot be reached (down, restarting, refusing, pool exhausted). */
export function isUnavailable(err: unknown): boolean {
  if (err instanceof MatchError) return err.code === 'DATABASE_UNAVAILABLE';
  const e = err as { code?: unknown; message?: unknown; errors?: unknown } | null;
  if (!e || typeof e !== 'object') return false;
  if (typeof e.code === 'string' && (UNAVAILABLE_ERRNO.has(e.code) || UNAVAILABLE_SQLSTATE.test(e.code))) return true;
  if (Array.isArray(e.errors) && e.errors.some(isUnavailable)) return true; // AggregateError of a multi-address connect
  return typeof e.message === 'string' && UNAVAILABLE_MESSAGE.test(e.message);
}

const sqlState = (err: unknown): string | undefined => {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
};

/** host:port/database of a URL, without credentials (for messages). */
export function describeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || '5432'}${u.pathname}`;
  } catch {
    return '(unparsable MATCH_PG_URL)';
  }
}

/** One line about a driver error, without anything a caller should not see. */
function shortReason(err: unknown): string {
  const e = err as { code?: unknown; message?: unknown } | null;
  const code = typeof e?.code === 'string' ? e.code : '';
  const message = typeof e?.message === 'string' ? e.message.split('\n')[0]!.slice(0, 160) : String(err);
  return code && !message.includes(code) ? `${code}: ${message}` : message;
}

export type PoolRole = 'primary' | 'read';

const GUARDED = Symbol('creator-match.pg.error-listener');

/**
 * The service's PostgreSQL connections: a pool on the primary and, with a read URL, one on a
 * streaming replica. Turns driver errors into the service's errors (DATABASE_UNAVAILABLE,
 * DEADLINE_EXCEEDED, CANCELLED), bounds every search by the call's deadline (statement_timeout)
 * and cancels the running statement when the call is cancelled.
 *
 * Emits 'unavailable' (reason) whenever a query finds the database gone; the version source
 * turns that into health and probes until it is back.
 */
export class PgDatabase extends EventEmitter {
  readonly primary: Pool;
  readonly read: Pool;
  private closed = false;

  constructor(readonly settings: PgSettings) {
    super();
    const pool = (url: string): Pool => {
      const p = new Pool({
        connectionString: url,
        max: settings.poolMax,
        connectionTimeoutMillis: settings.connectTimeoutMs,
        idleTimeoutMillis: 30_000,
        application_name: settings.applicationName ?? 'creator-match',
        keepAlive: true,
      });
      // An idle connection that breaks (server restart) is dropped by the pool; without a listener it would crash the process.
      p.on('error', (err) => this.noteFailure(err, p === this.primary ? 'primary' : 'read'));
      return p;
    };
    this.primary = pool(settings.url);
    this.read = settings.readUrl ? pool(settings.readUrl) : this.primary;
  }

  /** "127.0.0.1:5432/creator_match" (plus the replica's when reads go there). */
  get where(): string {
    const p = describeUrl(this.settings.url);
    return this.settings.readUrl ? `${p} (reads: ${describeUrl(this.settings.readUrl)})` : p;
  }

  pool(role: PoolRole): Pool {
    return role === 'primary' ? this.primary : this.read;
  }

  /** Says so to listeners ('unavailable', reason, role) when a failure means the database went away. */
  noteFailure(err: unknown, role: PoolRole = 'read'): void {
    if (isUnavailable(err) && !this.closed) this.emit('unavailable', shortReason(err), this.read === this.primary ? 'read' : role);
  }

  /** The error callers see for a driver error (with `signal`, aborts win). */
  translate(err: unknown, signal?: AbortSignal, role: PoolRole = 'read'): unknown {
    if (signal?.aborted) return abortReason(signal);
    if (err instanceof MatchError) return err;
    if (sqlState(err) === '57014') {
      return new MatchError('DEADLINE_EXCEEDED', `the database query did not finish in time (the call's deadline, or MATCH_PG_STATEMENT_TIMEOUT_MS=${this.settings.statementTimeoutMs}); it was cancelled`, { cause: err });
    }
    if (sqlState(err) === '25006') {
      return new MatchError('DATABASE_UNAVAILABLE', `the database at ${describeUrl(this.settings.url)} is a read-only standby; IndexAdmin writes need MATCH_PG_URL to name the primary`, { cause: err });
    }
    if (isUnavailable(err)) {
      const url = role === 'read' && this.settings.readUrl ? this.settings.readUrl : this.settings.url;
      return new MatchError('DATABASE_UNAVAILABLE', `the database at ${describeUrl(url)} is unavailable (${shortReason(err)}); retry shortly`, { cause: err });
    }
    return err;
  }

  /** A pooled connection; gives up (and hands the connection back later) when `signal` fires first. */
  async connect(role: PoolRole, signal?: AbortSignal): Promise<PoolClient> {
    throwIfAborted(signal);
    const pending = this.pool(role)
      .connect()
      .then((c) => {
        // A checked-out connection that breaks between statements emits 'error' on the client:
        // unhandled, that would end the process. The statement in flight (if any) fails by itself.
        const marked = c as PoolClient & { [GUARDED]?: true };
        if (!marked[GUARDED]) {
          marked[GUARDED] = true;
          c.on('error', (err) => this.noteFailure(err, role));
        }
        return c;
      });
    if (!signal) return pending;
    return new Promise<PoolClient>((resolve, reject) => {
      const onAbort = (): void => {
        pending.then((c) => c.release(), () => undefined);
        reject(abortReason(signal));
      };
      signal.addEventListener('abort', onAbort, { once: true });
      pending.then(
        (c) => {
          signal.removeEventListener('abort', onAbort);
          if (signal.aborted) c.release();
          else resolve(c);
        },
        (err: unknown) => {
          signal.removeEventListener('abort', onAbort);
          // Keep the driver's error as it is (its code says whether the database is gone): an
          // `instanceof Error` test fails for errors from another realm, and a wrapper drops the code.
          reject(typeof err === 'object' && err !== null ? (err as Error) : new Error(String(err)));
        },
      );
    });
  }

  /**
   * Runs `fn` in one read-only transaction on the read pool, with statement_timeout set to the
   * smaller of MATCH_PG_STATEMENT_TIMEOUT_MS and what is left of the call's deadline, and
   * `settings` as SET LOCAL. When `signal` fires, the running statement is cancelled (a cancel
   * request to its backend) and the connection is discarded, so a late cancel can never hit
   * another caller's statement.
   */
  async readTransaction<T>(signal: AbortSignal | undefined, settings: Record<string, string | number>, fn: (client: PoolClient) => Promise<T>): Promise<T> {
    return this.withReadClient(signal, async (client) => {
      await client.query(`BEGIN READ ONLY; ${setLocal(this.timeoutFor(signal), settings)}`);
      try {
        const result = await fn(client);
        await client.query('COMMIT');
        return result;
      } catch (err) {
        if (!isUnavailable(err)) await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      }
    });
  }

  /** statement_timeout for a call: MATCH_PG_STATEMENT_TIMEOUT_MS, lowered to what is left of its deadline. */
  private timeoutFor(signal: AbortSignal | undefined): number {
    const left = remainingMs(signal);
    return Math.max(1, Math.ceil(Math.min(this.settings.statementTimeoutMs, left ?? Infinity)));
  }

  /**
   * A read-pool connection for `fn`, errors translated; when `signal` fires, the running statement
   * is cancelled (a cancel request to its backend) and the connection is discarded afterwards, so a
   * late cancel can never hit another caller's statement.
   */
  private async withReadClient<T>(signal: AbortSignal | undefined, fn: (client: PoolClient) => Promise<T>): Promise<T> {
    let client: PoolClient;
    try {
      client = await this.connect('read', signal);
    } catch (err) {
      this.noteFailure(err);
      throw this.translate(err, signal);
    }
    let discard: Error | undefined;
    const onAbort = (): void => {
      discard ??= new Error('statement cancelled: connection discarded');
      void cancelBackend(client);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      return await fn(client);
    } catch (err) {
      if (isUnavailable(err)) discard ??= err as Error;
      this.noteFailure(err);
      throw this.translate(err, signal);
    } finally {
      signal?.removeEventListener('abort', onAbort);
      client.release(discard);
    }
  }

  /**
   * One statement on the read pool in one round trip: `SET LOCAL statement_timeout` (the smaller of
   * MATCH_PG_STATEMENT_TIMEOUT_MS and what is left of the call's deadline), `settings` as SET LOCAL,
   * then `sql`, as one simple-protocol query (its implicit transaction scopes the settings). `sql`
   * must have its values inlined as safe literals. Cancelled with `signal`, like readTransaction.
   */
  read1<R extends Record<string, unknown>>(signal: AbortSignal | undefined, settings: Record<string, string | number>, sql: string): Promise<R[]> {
    return this.withReadClient(signal, async (client) => {
      const results = (await client.query(`${setLocal(this.timeoutFor(signal), settings)}; ${sql}`)) as unknown as Array<{ rows: R[] }>;
      return results[results.length - 1]!.rows;
    });
  }

  /** Runs `fn` in a read-write transaction on the primary (IndexAdmin writes); rolls back on error. */
  async writeTransaction<T>(fn: (client: PoolClient) => Promise<T>): Promise<T> {
    let client: PoolClient;
    try {
      client = await this.connect('primary');
    } catch (err) {
      this.noteFailure(err, 'primary');
      throw this.translate(err, undefined, 'primary');
    }
    let discard: Error | undefined;
    try {
      await client.query('BEGIN');
      const result = await fn(client);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      if (isUnavailable(err)) discard = err as Error;
      else await client.query('ROLLBACK').catch((e: Error) => (discard = e));
      this.noteFailure(err, 'primary');
      throw this.translate(err, undefined, 'primary');
    } finally {
      client.release(discard);
    }
  }

  /** One statement on a pool, errors translated (and noted). */
  async query<R extends Record<string, unknown>>(role: PoolRole, text: string, values: unknown[] = []): Promise<R[]> {
    try {
      return (await this.pool(role).query<R>(text, values)).rows;
    } catch (err) {
      this.noteFailure(err, role);
      throw this.translate(err, undefined, role);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([this.primary.end(), ...(this.read !== this.primary ? [this.read.end()] : [])]).catch(() => undefined);
  }
}

function quoteSetting(v: string): string {
  return `'${v.replace(/'/g, "''")}'`;
}

function setLocal(timeoutMs: number, settings: Record<string, string | number>): string {
  return Object.entries({ statement_timeout: timeoutMs, ...settings })
    .map(([k, v]) => {
      if (!/^[a-z_][a-z0-9_.]*$/.test(k)) throw new Error(`bad setting name ${k}`);
      return `SET LOCAL ${k} = ${typeof v === 'number' ? String(Math.trunc(v)) : quoteSetting(v)}`;
    })
    .join('; ');
}

/**
 * Asks the server to cancel what `client`'s backend is running: PostgreSQL's CancelRequest on a
 * new connection (16 bytes: length, 80877102, backend pid, secret key). Best effort.
 */
export function cancelBackend(client: PoolClient): Promise<void> {
  const key = client as unknown as { processID?: number; secretKey?: number };
  if (typeof key.processID !== 'number' || typeof key.secretKey !== 'number') return Promise.resolve();
  return new Promise((resolve) => {
    const socket = net.connect({ host: client.host, port: client.port });
    const done = (): void => {
      socket.destroy();
      resolve();
    };
    socket.setTimeout(2000, done);
    socket.once('error', done);
    socket.once('close', done);
    socket.once('connect', () => {
      const msg = Buffer.alloc(16);
      msg.writeInt32BE(16, 0);
      msg.writeInt32BE(80877102, 4);
      msg.writeInt32BE(key.processID!, 8);
      msg.writeInt32BE(key.secretKey! | 0, 12);
      socket.end(msg);
    });
  });
}
