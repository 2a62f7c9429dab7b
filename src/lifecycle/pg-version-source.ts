import { createHash } from 'node:crypto';
import { Client, type Notification, type PoolClient } from 'pg';
import type { PgConfig } from '../config/config';
import { IndexLoadError } from '../index/load-error';
import { LEXICAL_FILES, manifestSchema, type Manifest } from '../index/manifest';
import { QueryAdapter } from '../index/query-adapter';
import { LexicalIndex } from '../lexical/lexical-index';
import { loadCatalog } from '../index/pg-catalog';
import { isUnavailable, PgDatabase, type PgSettings } from '../index/pg-database';
import { PgIndex } from './pg-index';
import { ARTIFACTS_TABLE, CHANGES_CHANNEL, CURRENT_CHANNEL, ident } from '../index/pg-schema';
import type { PgSearchOptions } from '../index/pg-search';
import { currentVersion, switchCurrent, versionRow, VersionSwitchError } from '../index/pg-versions';
import type { Logger } from '../logging/logger';
import { VersionRefusedError, type ServedIndex, type SourceEvents, type VersionSource } from './version-source';

export interface PgSourceOptions {
  settings: PgSettings;
  /** The creator_match_current row this server follows ('default', or an A/B variant's name). */
  indexName: string;
  search: PgSearchOptions;
  logger: Logger;
  /** Fallback poll of the published version and of changes (LISTEN can miss while reconnecting); 0 disables. */
  pollMs: number;
}

/** Probing an unreachable database: first retry after this, doubling up to PROBE_MAX_MS. */
const PROBE_MIN_MS = 200;
const PROBE_MAX_MS = 2000;
/** With reads on a replica, a notification is followed by re-checks while the replica replays the commit. */
const REPLICA_RECHECKS_MS = [50, 200, 500, 1000, 2500, 5000];

/**
 * Versions in PostgreSQL: creator_match_current names the published version of each index name,
 * each version is a validated table (see pg-schema.ts). Followed by LISTEN on the primary
 * (creator_match_current, creator_match_changes) plus a jittered poll; a standby cannot LISTEN, so
 * a server whose only URL is a standby relies on the poll, and one that reads from a replica
 * re-checks a few times after each notification until the replica has replayed it.
 *
 * Health: any query that finds the database gone (and a dropped LISTEN connection when reads go to
 * the primary) reports it down; a probe then runs with backoff until it answers, and reports it up
 * again, re-LISTENs and re-checks what changed meanwhile.
 */
export class PgVersionSource implements VersionSource {
  readonly db: PgDatabase;
  readonly pointer = 'creator_match_current row';
  private events: SourceEvents | undefined;
  private listener: Client | undefined;
  private listenRetry: NodeJS.Timeout | undefined;
  private listenDelay = PROBE_MIN_MS;
  private listenUnsupported = false;
  private pollTimer: NodeJS.Timeout | undefined;
  private probeTimer: NodeJS.Timeout | undefined;
  private probeDelay = PROBE_MIN_MS;
  private recheckTimers = new Set<NodeJS.Timeout>();
  private down: string | undefined;
  private closed = false;

  constructor(private readonly opts: PgSourceOptions) {
    this.db = new PgDatabase(opts.settings);
    this.db.on('unavailable', (reason: string, role: string) => {
      // With reads on a replica, the primary going away does not stop searches.
      if (role === 'read' || !opts.settings.readUrl) this.markDown(reason);
    });
  }

  get where(): string {
    return `PostgreSQL ${this.db.where} (index ${JSON.stringify(this.opts.indexName)})`;
  }

  /** Read from the database the searches read, so the version's table is there when it is named. */
  async current(): Promise<string | undefined> {
    try {
      return await currentVersion(this.db.read, this.opts.indexName);
    } catch (err) {
      this.db.noteFailure(err, 'read');
      throw this.db.translate(err);
    }
  }

  async assertExists(version: string): Promise<void> {
    const row = await versionRow(this.db.read, version).catch((err: unknown) => {
      if ((err as { code?: string }).code === '42P01') return undefined; // nothing was ever published
      this.db.noteFailure(err, 'read');
      throw this.db.translate(err);
    });
    if (!row) throw new VersionRefusedError('VERSION_NOT_FOUND', `no index version ${version} in ${this.where}`);
    if (row.state !== 'ready') throw new VersionRefusedError('VERSION_NOT_FOUND', `index version ${version} is still loading in ${this.where}`);
  }

  async publish(version: string): Promise<void> {
    const client = await this.db.connect('primary').catch((err: unknown) => {
      this.db.noteFailure(err, 'primary');
      throw this.db.translate(err, undefined, 'primary');
    });
    let broken: Error | undefined;
    try {
      if ((await currentVersion(client, this.opts.indexName)) === version) return;
      await switchCurrent(client, this.opts.indexName, version);
    } catch (err) {
      if (isUnavailable(err)) broken = err as Error;
      if (err instanceof VersionSwitchError) throw new VersionRefusedError('VERSION_NOT_FOUND', err.message);
      throw this.db.translate(err, undefined, 'primary');
    } finally {
      client.release(broken);
    }
  }

  /**
   * One REPEATABLE READ snapshot: the version row (must be 'ready'), its manifest, the table's
   * shape (row count, labels 0..n-1, a valid HNSW index) and the catalog with the profiles'
   * checksum; then a smoke query through the ANN path. Only then is it handed to the manager.
   */
  async load(version: string): Promise<ServedIndex> {
    let client;
    try {
      client = await this.db.connect('read');
    } catch (err) {
      this.db.noteFailure(err, 'read');
      throw this.db.translate(err);
    }
    let broken: Error | undefined;
    let index: PgIndex;
    try {
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      const row = await versionRow(client, version);
      if (!row) throw new IndexLoadError(`no version ${version} in creator_match_versions`, 'missing_files');
      if (row.state !== 'ready') throw new IndexLoadError(`version ${version} is still loading (state ${row.state})`, 'missing_files');
      const parsed = manifestSchema.safeParse(row.manifest);
      if (!parsed.success) {
        throw new IndexLoadError(`its manifest (creator_match_versions.manifest) is not valid: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`, 'manifest');
      }
      const manifest: Manifest = parsed.data;
      if (manifest.version !== version) throw new IndexLoadError(`manifest says version ${manifest.version}, the row is ${version}`, 'manifest');
      if (manifest.dims !== row.dims || manifest.count !== row.count) throw new IndexLoadError(`manifest (${manifest.count} x ${manifest.dims}) and version row (${row.count} x ${row.dims}) disagree`, 'manifest');
      const shape = (
        await client.query<{ rows: string; min: number | null; max: number | null; dims: number | null; valid: boolean | null }>(
          `SELECT (SELECT count(*) FROM ${ident(row.tableName)})::text AS rows, (SELECT min(label) FROM ${ident(row.tableName)}) AS min,
                  (SELECT max(label) FROM ${ident(row.tableName)}) AS max,
                  (SELECT atttypmod FROM pg_attribute WHERE attrelid = $1::regclass AND attname = 'embedding') AS dims,
                  (SELECT bool_and(i.indisvalid) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am a ON a.oid = c.relam WHERE i.indrelid = $1::regclass AND a.amname = 'hnsw') AS valid`,
          [row.tableName],
        )
      ).rows[0]!;
      const rows = Number(shape.rows);
      if (rows !== row.nextLabel || (rows > 0 && (shape.min !== 0 || shape.max !== rows - 1))) {
        throw new IndexLoadError(`${row.tableName} has ${rows} rows (labels ${shape.min}..${shape.max}); the version row says labels 0..${row.nextLabel - 1}`, 'shape');
      }
      if (shape.dims !== manifest.dims) throw new IndexLoadError(`${row.tableName}.embedding is vector(${shape.dims}), the manifest says ${manifest.dims} dims`, 'shape');
      if (shape.valid !== true) throw new IndexLoadError(`${row.tableName} has no valid HNSW index`, 'missing_files');
      const { catalog, profilesSha256 } = await loadCatalog(client, row.tableName, row.count, row.nextLabel);
      if (profilesSha256 !== row.profilesSha256) throw new IndexLoadError(`${row.tableName}: the profiles' checksum does not match the one recorded at publish (modified outside the service?)`, 'integrity');
      const extras = await loadExtras(client, manifest);
      await client.query('COMMIT');
      index = new PgIndex(this.db, version, manifest, catalog, row.tableName, row.changeSeq, this.opts.search, extras);
    } catch (err) {
      if (isUnavailable(err)) broken = err as Error;
      else await client.query('ROLLBACK').catch((e: Error) => (broken = e));
      this.db.noteFailure(err, 'read');
      if (err instanceof IndexLoadError || isUnavailable(err)) throw this.db.translate(err);
      throw new IndexLoadError(`loading from ${this.where} failed: ${(err as Error).message}`, 'other', { cause: err });
    } finally {
      client.release(broken);
    }
    await smokeTest(index);
    return index;
  }

  watch(events: SourceEvents): void {
    if (this.closed || this.events) return;
    this.events = events;
    if (this.down) {
      events.health(false, this.down);
      this.scheduleProbe();
    }
    this.listen();
    this.schedulePoll();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const t of [this.pollTimer, this.probeTimer, this.listenRetry, ...this.recheckTimers]) if (t) clearTimeout(t);
    const l = this.listener;
    this.listener = undefined;
    await l?.end().catch(() => undefined);
    await this.db.close();
  }

  // ---------------------------------------------------------------------------------------------

  private markDown(reason: string): void {
    if (this.closed) return;
    const wasUp = this.down === undefined;
    this.down = reason;
    if (wasUp) {
      this.events?.health(false, reason);
      this.probeDelay = PROBE_MIN_MS;
      if (this.events) this.scheduleProbe();
    }
  }

  private scheduleProbe(): void {
    if (this.closed || this.probeTimer) return;
    this.probeTimer = setTimeout(() => {
      this.probeTimer = undefined;
      void this.probe();
    }, this.probeDelay).unref();
    this.probeDelay = Math.min(PROBE_MAX_MS, this.probeDelay * 2);
  }

  /** SELECT 1 on the read pool; when it answers, the database is back. */
  private async probe(): Promise<void> {
    if (this.closed || this.down === undefined) return;
    try {
      await this.db.read.query('SELECT 1');
    } catch (err) {
      this.down = isUnavailable(err) ? this.down : String((err as Error).message);
      this.scheduleProbe();
      return;
    }
    this.down = undefined;
    this.events?.health(true);
    if (!this.listener) this.listen();
    this.events?.changed(); // whatever was published or written while it was away
  }

  private schedulePoll(): void {
    if (this.closed || this.opts.pollMs <= 0) return;
    const jittered = this.opts.pollMs * (0.8 + Math.random() * 0.4);
    this.pollTimer = setTimeout(() => {
      if (this.down === undefined) this.events?.changed();
      this.schedulePoll();
    }, jittered).unref();
  }

  /** A dedicated connection to the primary that LISTENs; reconnects with backoff. */
  private listen(): void {
    if (this.closed || this.listener || this.listenUnsupported) return;
    const client = new Client({ connectionString: this.opts.settings.url, connectionTimeoutMillis: this.opts.settings.connectTimeoutMs, application_name: `${this.opts.settings.applicationName ?? 'creator-match'}-listen`, keepAlive: true });
    this.listener = client;
    let failed = false;
    const fail = (err: unknown): void => {
      if (failed || this.closed) return;
      failed = true;
      if (this.listener === client) this.listener = undefined;
      client.end().catch(() => undefined);
      if ((err as { code?: string }).code === '25006' || /during recovery/i.test(String((err as Error).message))) {
        this.listenUnsupported = true;
        this.opts.logger.warn({ where: this.where }, 'MATCH_PG_URL is a standby (no LISTEN there); following versions by polling MATCH_RELOAD_POLL_MS');
        return;
      }
      if (!this.opts.settings.readUrl) this.db.noteFailure(isUnavailable(err) ? err : Object.assign(new Error(`LISTEN connection lost: ${(err as Error).message}`), { code: '08006' }), 'primary');
      this.listenRetry = setTimeout(() => {
        this.listenRetry = undefined;
        this.listen();
      }, this.listenDelay).unref();
      this.listenDelay = Math.min(PROBE_MAX_MS, this.listenDelay * 2);
    };
    client.on('error', fail);
    client.on('end', () => fail(Object.assign(new Error('connection ended'), { code: '08006' })));
    client.on('notification', (n: Notification) => this.onNotification(n));
    client
      .connect()
      .then(() => client.query(`LISTEN ${CURRENT_CHANNEL}; LISTEN ${CHANGES_CHANNEL}`))
      .then(() => {
        this.listenDelay = PROBE_MIN_MS;
        // Anything published while not listening.
        this.events?.changed();
      })
      .catch(fail);
  }

  private onNotification(n: Notification): void {
    if (n.channel === CURRENT_CHANNEL) {
      const payload = safeJson(n.payload);
      if (payload && typeof payload.index === 'string' && payload.index !== this.opts.indexName) return;
    }
    this.events?.changed();
    if (this.opts.settings.readUrl) {
      // The replica may not have replayed the commit yet: look again shortly.
      for (const ms of REPLICA_RECHECKS_MS) {
        const t = setTimeout(() => {
          this.recheckTimers.delete(t);
          if (this.down === undefined) this.events?.changed();
        }, ms).unref();
        this.recheckTimers.add(t);
      }
    }
  }
}

function safeJson(text: string | undefined): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(text ?? '');
    return v && typeof v === 'object' ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** A live creator's own vector, searched through the ANN path, must find itself. */
async function smokeTest(index: PgIndex): Promise<void> {
  const live = index.catalog.liveLabels();
  if (live.length === 0) return;
  const probe = live[Math.floor(live.length / 2)]!;
  const [row] = await index.search.vectors([probe]);
  if (!row) throw new IndexLoadError(`smoke query failed: no vector for creator ${index.catalog.idOf(probe)}`, 'shape');
  const filter = index.catalog.compile({ excludeIds: [], categories: [], languages: [], includeNsfw: true });
  const { hits } = await index.search.search(row, { k: 1, ef: Math.max(index.manifest.ann.efSearch, 10), filter });
  const hit = hits[0];
  if (!hit || hit.score < 0.99) {
    throw new IndexLoadError(`smoke query failed: creator ${index.catalog.idOf(probe)}'s own vector scored ${hit?.score.toFixed(4) ?? 'nothing'} in the HNSW index of ${index.table}`, 'shape');
  }
}

/** The source for one served index name from the service's configuration (MATCH_PG_*). */
export function pgSourceFromConfig(pg: PgConfig, indexName: string, pollMs: number, logger: Logger): PgVersionSource {
  return new PgVersionSource({
    settings: { url: pg.url, readUrl: pg.readUrl, poolMax: pg.poolMax, connectTimeoutMs: pg.connectTimeoutMs, statementTimeoutMs: pg.statementTimeoutMs },
    indexName,
    search: { exactBelow: pg.exactBelow, iterativeScan: pg.iterativeScan, maxScanTuples: pg.maxScanTuples },
    logger,
    pollMs,
  });
}

/** A file the manifest lists, from creator_match_artifacts, checked against the manifest's sha256. */
async function artifact(client: PoolClient, manifest: Manifest, name: string): Promise<Buffer> {
  const r = (await client.query<{ content: Buffer }>(`SELECT content FROM ${ARTIFACTS_TABLE} WHERE version = $1 AND name = $2`, [manifest.version, name])).rows[0];
  if (!r) throw new IndexLoadError(`${name} (listed in the manifest) is not in ${ARTIFACTS_TABLE}`, 'missing_files');
  if (createHash('sha256').update(r.content).digest('hex') !== manifest.files[name]?.sha256) throw new IndexLoadError(`${name} in ${ARTIFACTS_TABLE}: checksum mismatch`, 'integrity');
  return r.content;
}

/** The version's lexical (BM25) index and query adapter, when its manifest has them. */
async function loadExtras(client: PoolClient, manifest: Manifest): Promise<{ lexical?: LexicalIndex; adapter?: QueryAdapter }> {
  const out: { lexical?: LexicalIndex; adapter?: QueryAdapter } = {};
  if (manifest.lexical) {
    const lexical = LexicalIndex.deserialize(await artifact(client, manifest, LEXICAL_FILES.lexical));
    if (lexical.size !== manifest.lexical.documents) throw new IndexLoadError(`${LEXICAL_FILES.lexical} holds ${lexical.size} documents, the manifest says ${manifest.lexical.documents}`, 'integrity');
    out.lexical = lexical;
  }
  if (manifest.adapter) {
    const block = manifest.adapter;
    const adapter = QueryAdapter.parse(await artifact(client, manifest, block.file), manifest.dims, block.file);
    if (adapter.rank !== block.rank) throw new IndexLoadError(`${block.file} has rank ${adapter.rank}, the manifest says ${block.rank}`, 'integrity');
    out.adapter = adapter;
  }
  return out;
}
