import type { ClientBase } from 'pg';
import { ARTIFACTS_TABLE, CHANGES_TABLE, CURRENT_CHANNEL, CURRENT_TABLE, VERSIONS_TABLE, ident } from './pg-schema';

/** A row of creator_match_versions. */
export interface VersionRow {
  version: string;
  tableName: string;
  state: 'loading' | 'ready';
  manifest: unknown;
  dims: number;
  count: number;
  nextLabel: number;
  changeSeq: number;
  hnswM: number;
  hnswEfConstruction: number;
  profilesSha256: string;
  pgRecall: number | null;
  loadedBytes: number | null;
  createdAt: Date;
  readyAt: Date | null;
  publishedAt: Date | null;
}

const COLUMNS = `version, table_name, state, manifest, dims, count, next_label, change_seq::text AS change_seq, hnsw_m, hnsw_ef_construction,
  profiles_sha256, pg_recall, loaded_bytes::text AS loaded_bytes, created_at, ready_at, published_at`;

function toRow(r: Record<string, unknown>): VersionRow {
  return {
    version: r.version as string,
    tableName: r.table_name as string,
    state: r.state as VersionRow['state'],
    manifest: r.manifest,
    dims: r.dims as number,
    count: r.count as number,
    nextLabel: r.next_label as number,
    changeSeq: Number(r.change_seq),
    hnswM: r.hnsw_m as number,
    hnswEfConstruction: r.hnsw_ef_construction as number,
    profilesSha256: r.profiles_sha256 as string,
    pgRecall: (r.pg_recall as number | null) ?? null,
    loadedBytes: r.loaded_bytes === null || r.loaded_bytes === undefined ? null : Number(r.loaded_bytes),
    createdAt: r.created_at as Date,
    readyAt: (r.ready_at as Date | null) ?? null,
    publishedAt: (r.published_at as Date | null) ?? null,
  };
}

/** Whether the shared tables exist yet (nothing was ever published when they do not). */
export async function schemaExists(client: Pick<ClientBase, 'query'>): Promise<boolean> {
  const r = await client.query<{ t: string | null }>(`SELECT to_regclass('${CURRENT_TABLE}')::text AS t`);
  return r.rows[0]?.t != null;
}

export async function versionRow(client: Pick<ClientBase, 'query'>, version: string): Promise<VersionRow | undefined> {
  const r = await client.query(`SELECT ${COLUMNS} FROM ${VERSIONS_TABLE} WHERE version = $1`, [version]);
  return r.rows[0] ? toRow(r.rows[0] as Record<string, unknown>) : undefined;
}

/** Every version, oldest first (names sort by build time). */
export async function listVersionRows(client: Pick<ClientBase, 'query'>): Promise<VersionRow[]> {
  if (!(await schemaExists(client))) return [];
  const r = await client.query(`SELECT ${COLUMNS} FROM ${VERSIONS_TABLE} ORDER BY version`);
  return r.rows.map((row) => toRow(row as Record<string, unknown>));
}

/** The version published under `indexName`, or undefined. */
export async function currentVersion(client: Pick<ClientBase, 'query'>, indexName: string): Promise<string | undefined> {
  if (!(await schemaExists(client))) return undefined;
  const r = await client.query<{ version: string }>(`SELECT version FROM ${CURRENT_TABLE} WHERE index_name = $1`, [indexName]);
  return r.rows[0]?.version;
}

export class VersionSwitchError extends Error {
  override readonly name = 'VersionSwitchError';
}

/**
 * The atomic switch: in one transaction, lock the version row (it must be 'ready'), point
 * creator_match_current at it (remembering the previous one), stamp it published and NOTIFY the
 * servers. Commit makes all of it visible at once; the notification is delivered only on commit.
 * Returns the version that was published before.
 */
export async function switchCurrent(client: ClientBase, indexName: string, version: string): Promise<string | undefined> {
  await client.query('BEGIN');
  try {
    const row = (await client.query<{ state: string }>(`SELECT state FROM ${VERSIONS_TABLE} WHERE version = $1 FOR UPDATE`, [version])).rows[0];
    if (!row) throw new VersionSwitchError(`no version ${version} in ${VERSIONS_TABLE}`);
    if (row.state !== 'ready') throw new VersionSwitchError(`version ${version} is still ${row.state}; only validated versions can be published`);
    const before = (await client.query<{ version: string }>(`SELECT version FROM ${CURRENT_TABLE} WHERE index_name = $1 FOR UPDATE`, [indexName])).rows[0]?.version;
    await client.query(
      `INSERT INTO ${CURRENT_TABLE} (index_name, version, previous, switched_at) VALUES ($1, $2, NULL, now())
       ON CONFLICT (index_name) DO UPDATE SET previous = ${CURRENT_TABLE}.version, version = EXCLUDED.version, switched_at = now()`,
      [indexName, version],
    );
    await client.query(`UPDATE ${VERSIONS_TABLE} SET published_at = now() WHERE version = $1`, [version]);
    await client.query(`SELECT pg_notify($1, $2)`, [CURRENT_CHANNEL, JSON.stringify({ index: indexName, version })]);
    await client.query('COMMIT');
    return before;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

/** Versions published under any index name (never dropped by retention). */
export async function publishedVersions(client: Pick<ClientBase, 'query'>): Promise<Set<string>> {
  if (!(await schemaExists(client))) return new Set();
  const r = await client.query<{ version: string }>(`SELECT version FROM ${CURRENT_TABLE}`);
  return new Set(r.rows.map((x) => x.version));
}

/**
 * Drops a version: its table, changes and artifacts, and its row, in one transaction. A version
 * still published is refused (the foreign key of creator_match_current). lock_timeout bounds the
 * wait for queries still running on the table.
 */
export async function dropVersion(client: ClientBase, version: string, lockTimeoutMs = 10_000): Promise<void> {
  await client.query('BEGIN');
  try {
    await client.query(`SET LOCAL lock_timeout = ${lockTimeoutMs | 0}`);
    const row = (await client.query<{ table_name: string }>(`SELECT table_name FROM ${VERSIONS_TABLE} WHERE version = $1 FOR UPDATE`, [version])).rows[0];
    if (row) {
      await client.query(`DELETE FROM ${CHANGES_TABLE} WHERE version = $1`, [version]);
      await client.query(`DELETE FROM ${ARTIFACTS_TABLE} WHERE version = $1`, [version]);
      await client.query(`DELETE FROM ${VERSIONS_TABLE} WHERE version = $1`, [version]);
      await client.query(`DROP TABLE IF EXISTS ${ident(row.table_name)}`);
    }
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}
