import { createHash } from 'node:crypto';
import type { ClientBase } from 'pg';

/**
 * The PostgreSQL layout of versioned indexes (one module owns every name):
 *
 * - creator_match_versions: one row per version (state 'loading' until validated, then 'ready'),
 *   its manifest as jsonb (kept whole, so fields added to the manifest later travel too), the
 *   name of its table, the next label an upsert gets and the sequence number of its last change.
 * - creator_match_v_<version>_<hash>: one table per version, row = creator label: id, live flag,
 *   normalised category and language (what filters compare), NSFW flag, the profile JSON line and
 *   the vector; an HNSW index (inner product on normalised vectors = cosine), B-trees on the
 *   filter columns, one live row per creator id. Built completely before anything points at it.
 * - creator_match_current: the published version per index name ('default', or an A/B variant);
 *   switched in one transaction that also NOTIFYs CURRENT_CHANNEL.
 * - creator_match_changes: IndexAdmin upserts/deletes per version in commit order (seq), so every
 *   serving process applies the same changes to its in-memory catalog; NOTIFY on CHANGES_CHANNEL.
 * - creator_match_artifacts: any other file the version directory lists in its manifest (e.g. a
 *   lexical index), as bytea with its sha256, so a server without the directory gets it too.
 */
export const VERSIONS_TABLE = 'creator_match_versions';
export const CURRENT_TABLE = 'creator_match_current';
export const CHANGES_TABLE = 'creator_match_changes';
export const ARTIFACTS_TABLE = 'creator_match_artifacts';
/** Payload: {"index": name, "version": version}. */
export const CURRENT_CHANNEL = 'creator_match_current';
/** Payload: {"version": version, "seq": last change}. */
export const CHANGES_CHANNEL = 'creator_match_changes';
export const DEFAULT_INDEX_NAME = 'default';

/** The table of a version: readable, lower case, unique (a hash of the exact name), under 63 bytes. */
export function versionTable(version: string): string {
  const readable = version.toLowerCase().replace(/[^a-z0-9]+/g, '_').slice(0, 36);
  const hash = createHash('sha256').update(version).digest('hex').slice(0, 8);
  return `creator_match_v_${readable}_${hash}`;
}

/** A quoted identifier (names are generated, this is belt and braces). */
export function ident(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

const SCHEMA = `
CREATE EXTENSION IF NOT EXISTS vector;
CREATE TABLE IF NOT EXISTS ${VERSIONS_TABLE} (
  version     text PRIMARY KEY,
  table_name  text NOT NULL UNIQUE,
  state       text NOT NULL CHECK (state IN ('loading', 'ready')),
  manifest    jsonb NOT NULL,
  dims        int NOT NULL,
  count       int NOT NULL,
  next_label  int NOT NULL,
  change_seq  bigint NOT NULL DEFAULT 0,
  hnsw_m      int NOT NULL,
  hnsw_ef_construction int NOT NULL,
  profiles_sha256 text NOT NULL,
  pg_recall   double precision,
  loaded_bytes bigint,
  created_at  timestamptz NOT NULL DEFAULT now(),
  ready_at    timestamptz,
  published_at timestamptz
);
CREATE TABLE IF NOT EXISTS ${CURRENT_TABLE} (
  index_name  text PRIMARY KEY,
  version     text NOT NULL REFERENCES ${VERSIONS_TABLE} (version),
  previous    text,
  switched_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS ${CHANGES_TABLE} (
  version text NOT NULL REFERENCES ${VERSIONS_TABLE} (version) ON DELETE CASCADE,
  seq     bigint NOT NULL,
  op      text NOT NULL CHECK (op IN ('upsert', 'delete')),
  label   int NOT NULL,
  at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (version, seq)
);
CREATE TABLE IF NOT EXISTS ${ARTIFACTS_TABLE} (
  version text NOT NULL REFERENCES ${VERSIONS_TABLE} (version) ON DELETE CASCADE,
  name    text NOT NULL,
  sha256  text NOT NULL,
  content bytea NOT NULL,
  PRIMARY KEY (version, name)
);
`;

/** Creates the shared tables if missing (publishers only; serving processes never write DDL). */
export async function ensureSchema(client: ClientBase): Promise<void> {
  await client.query('BEGIN');
  try {
    // Two publishers starting at once must not race on CREATE TABLE IF NOT EXISTS.
    await client.query(`SELECT pg_advisory_xact_lock(hashtext('creator_match_schema'))`);
    await client.query(SCHEMA);
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

/** The columns of a version table, in COPY order. */
export const VERSION_COLUMNS = ['label', 'creator_id', 'live', 'category_key', 'language_key', 'nsfw', 'profile', 'embedding'] as const;

/** Vectors up to this size are stored inline (STORAGE PLAIN): a row still fits in an 8 KB page. */
export const PLAIN_STORAGE_MAX_DIMS = 1536;

/**
 * A version table. Its vectors are stored inline (STORAGE PLAIN, not TOASTed out of line as
 * pgvector's default for vectors over 2 KB, i.e. above 508 dims): an exact query over the rows of a
 * filter reads each vector with its row (at 100k x 512: 0.9 ms instead of 7.5 for 1,000 rows).
 */
export function createVersionTableSql(table: string, dims: number): string {
  const plain = dims <= PLAIN_STORAGE_MAX_DIMS ? `; ALTER TABLE ${ident(table)} ALTER COLUMN embedding SET STORAGE PLAIN` : '';
  return `CREATE TABLE ${ident(table)} (
  label        int PRIMARY KEY,
  creator_id   text NOT NULL,
  live         boolean NOT NULL,
  category_key text NOT NULL,
  language_key text NOT NULL,
  nsfw         boolean NOT NULL,
  profile      json NOT NULL,
  embedding    vector(${dims}) NOT NULL
)${plain}`;
}

/** Index DDL run after the COPY (building an HNSW index over loaded rows is much faster than inserting into one). */
export function versionIndexesSql(table: string, m: number, efConstruction: number): string[] {
  const t = ident(table);
  return [
    `CREATE INDEX ${ident(`${table}_hnsw`)} ON ${t} USING hnsw (embedding vector_ip_ops) WITH (m = ${m | 0}, ef_construction = ${efConstruction | 0})`,
    `CREATE UNIQUE INDEX ${ident(`${table}_live_id`)} ON ${t} (creator_id) WHERE live`,
    `CREATE INDEX ${ident(`${table}_category`)} ON ${t} (category_key)`,
    `CREATE INDEX ${ident(`${table}_language`)} ON ${t} (language_key)`,
    `ANALYZE ${t}`,
  ];
}
