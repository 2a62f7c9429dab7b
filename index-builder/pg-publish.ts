import { createHash } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Client } from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import pgvector from 'pgvector';
import { normaliseKey, type CreatorProfile } from '../src/catalog/creator';
import { HnswIndex } from '../src/index/hnsw-index';
import { ARTIFACT_FILES, MANIFEST_FILE, readManifest, verifyFiles, type Manifest } from '../src/index/manifest';
import { loadCatalog } from '../src/index/pg-catalog';
import { ARTIFACTS_TABLE, DEFAULT_INDEX_NAME, VERSIONS_TABLE, createVersionTableSql, ensureSchema, ident, versionIndexesSql, versionTable } from '../src/index/pg-schema';
import { dropVersion, listVersionRows, publishedVersions, switchCurrent, versionRow } from '../src/index/pg-versions';
import { mulberry32 } from '../src/util/mulberry32';
import { copyHeader, copyTrailer, copyTuple, CopyBinaryParser, vectorFieldToLE } from './pg-copy';

export class PgPublishError extends Error {
  override readonly name = 'PgPublishError';
}

export interface PgLoadOptions {
  /** postgres://… of the primary. */
  url: string;
  /** The creator_match_current row to switch (default 'default'). */
  indexName?: string;
  /** Switch the served version once loaded and validated (default true). */
  publish?: boolean;
  /** pgvector HNSW parameters; default: the manifest's m, and ef_construction min(manifest, 64) (pgvector's default; its build is single-pass and slower than ours). */
  m?: number;
  efConstruction?: number;
  /** Refuse to mark the version ready below this recall@10 of the PostgreSQL index (default 0.9). */
  minRecall?: number;
  /** Creators used as recall queries against the exact answer (default 50). */
  recallSample?: number;
  seed?: number;
  /** maintenance_work_mem for the HNSW build (default: enough for the graph to fit, at least 64MB). */
  maintenanceWorkMem?: string;
  /** Parallel workers for the index build (default: cores - 1, at most 7). */
  parallelWorkers?: number;
  /** After publishing, keep this many newest versions (plus every published one). */
  keep?: number;
  log?: (msg: string, fields?: Record<string, unknown>) => void;
}

export interface PgLoadReport {
  version: string;
  table: string;
  count: number;
  dims: number;
  /** Already in the database (ready): not loaded again. */
  reused: boolean;
  published: boolean;
  previous: string | undefined;
  recall: { k: number; sampleSize: number; value: number };
  hnsw: { m: number; efConstruction: number };
  /** On disk in PostgreSQL: heap (rows, TOAST) and indexes (HNSW, B-trees). */
  bytes: { heap: number; hnsw: number; otherIndexes: number; total: number };
  seconds: { copy: number; index: number; validate: number; switch: number; total: number };
  pruned: string[];
}

/** Rows per chunk read from vectors.f32 while streaming the COPY. */
const CHUNK_ROWS = 1024;

/**
 * Loads a version directory (as written by index:build) into PostgreSQL and, unless told not to,
 * publishes it there:
 *
 * 1. the directory is verified (manifest, every checksum) before the database is touched;
 * 2. a creator_match_versions row in state 'loading' is committed (a session advisory lock on the
 *    version marks the load as alive; a stale row of a crashed load is dropped);
 * 3. in one transaction: CREATE TABLE, binary COPY of creators.jsonl + vectors.f32 (row = label),
 *    then the HNSW index, the B-trees and ANALYZE; a crash rolls all of it back;
 * 4. validation: row count and labels, the vectors read back byte for byte against vectors.f32's
 *    sha256, the profiles read back (as a server loads them) against creators.jsonl's sha256, a
 *    smoke query (a creator's own vector finds itself) and recall@10 of the HNSW index against the
 *    exact answer; other files the manifest lists are stored in creator_match_artifacts;
 * 5. state 'ready', then the switch: one transaction on creator_match_current plus NOTIFY.
 *
 * Servers only ever follow creator_match_current, which only points at 'ready' versions, so
 * nobody sees a half-loaded version.
 */
export async function loadVersionIntoPg(indexDir: string, version: string, opts: PgLoadOptions): Promise<PgLoadReport> {
  const t0 = performance.now();
  const log = opts.log ?? (() => undefined);
  const dir = path.join(indexDir, version);
  const manifest = await readManifest(dir);
  if (manifest.version !== version) throw new PgPublishError(`${dir}: manifest says version ${manifest.version}`);
  const manifestJson: unknown = JSON.parse(await fs.readFile(path.join(dir, MANIFEST_FILE), 'utf8'));
  await verifyFiles(dir, manifest);
  const indexName = opts.indexName ?? DEFAULT_INDEX_NAME;
  const m = opts.m ?? manifest.ann.m;
  const efConstruction = opts.efConstruction ?? Math.min(manifest.ann.efConstruction, 64);
  const table = versionTable(version);

  const client = new Client({ connectionString: opts.url, application_name: 'creator-match-index-builder' });
  await client.connect();
  client.on('error', () => undefined); // reported by the query that fails
  try {
    await client.query('SET statement_timeout = 0');
    await ensureSchema(client);
    const seconds = { copy: 0, index: 0, validate: 0, switch: 0, total: 0 };
    let reused = false;
    let recall: PgLoadReport['recall'] = { k: 10, sampleSize: 0, value: 1 };
    await claimVersion(client, version);
    const existing = await versionRow(client, version);
    if (existing?.state === 'ready') {
      reused = true;
      recall = { k: 10, sampleSize: 0, value: existing.pgRecall ?? 1 };
      log('version already loaded; not loading it again', { version, table: existing.tableName });
    } else {
      if (existing) {
        log('dropping a stale, half-loaded copy of this version (a crashed load)', { version });
        await dropVersion(client, version);
      }
      await client.query(
        `INSERT INTO ${VERSIONS_TABLE} (version, table_name, state, manifest, dims, count, next_label, hnsw_m, hnsw_ef_construction, profiles_sha256)
         VALUES ($1, $2, 'loading', $3, $4, $5, $5, $6, $7, '')`,
        [version, table, JSON.stringify(manifestJson), manifest.dims, manifest.count, m, efConstruction],
      );
      try {
        const loaded = await copyAndIndex(client, dir, manifest, table, { m, efConstruction, workMem: opts.maintenanceWorkMem, workers: opts.parallelWorkers, seed: opts.seed ?? 100, sample: opts.recallSample ?? 50, log });
        seconds.copy = loaded.copySeconds;
        seconds.index = loaded.indexSeconds;
        const tValidate = performance.now();
        log('validating', { version, table });
        const profilesSha256 = await validateTable(client, dir, manifest, table);
        recall = await measurePgRecall(client, dir, manifest, table, loaded.samples);
        if (recall.sampleSize > 0 && recall.value < (opts.minRecall ?? 0.9)) {
          throw new PgPublishError(`recall@10 of the PostgreSQL HNSW index is ${recall.value.toFixed(4)}, below ${opts.minRecall ?? 0.9}; not marked ready (raise --pg-ef-construction or --ef-search)`);
        }
        await storeArtifacts(client, dir, manifest, version);
        await client.query(
          `UPDATE ${VERSIONS_TABLE} SET state = 'ready', ready_at = now(), profiles_sha256 = $2, pg_recall = $3, loaded_bytes = pg_total_relation_size($4::regclass) WHERE version = $1`,
          [version, profilesSha256, recall.value, table],
        );
        seconds.validate = (performance.now() - tValidate) / 1000;
      } catch (err) {
        // Nothing half-loaded stays behind: the table (if the COPY transaction committed) and the row go.
        await dropVersion(client, version).catch(() => undefined);
        throw err;
      }
    }
    const tableName = existing?.state === 'ready' ? existing.tableName : table;
    let previous: string | undefined;
    const publish = opts.publish ?? true;
    if (publish) {
      const tSwitch = performance.now();
      previous = await switchCurrent(client, indexName, version);
      seconds.switch = (performance.now() - tSwitch) / 1000;
      log('published', { version, index: indexName, previous: previous ?? null });
    }
    const pruned = publish && opts.keep !== undefined ? await prunePgVersions(client, opts.keep) : [];
    const bytes = await tableBytes(client, tableName);
    seconds.total = (performance.now() - t0) / 1000;
    return { version, table: tableName, count: manifest.count, dims: manifest.dims, reused, published: publish, previous, recall, hnsw: { m, efConstruction }, bytes, seconds, pruned };
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Session advisory lock on the version: one loader at a time; a 'loading' row without it is stale. */
async function claimVersion(client: Client, version: string): Promise<void> {
  const ok = (await client.query<{ ok: boolean }>(`SELECT pg_try_advisory_lock(hashtext('creator_match_version'), hashtext($1)) AS ok`, [version])).rows[0]?.ok;
  if (!ok) throw new PgPublishError(`another process is loading version ${version} into this database right now`);
}

interface Sample {
  label: number;
  vector: Float32Array;
}

async function copyAndIndex(
  client: Client,
  dir: string,
  manifest: Manifest,
  table: string,
  o: { m: number; efConstruction: number; workMem: string | undefined; workers: number | undefined; seed: number; sample: number; log: NonNullable<PgLoadOptions['log']> },
): Promise<{ copySeconds: number; indexSeconds: number; samples: Sample[] }> {
  const { count, dims } = manifest;
  const rand = mulberry32(o.seed);
  const wanted = new Set<number>();
  while (wanted.size < Math.min(o.sample, count)) wanted.add(Math.floor(rand() * count));
  const samples: Sample[] = [];
  await client.query('BEGIN');
  try {
    const tCopy = performance.now();
    await client.query(createVersionTableSql(table, dims));
    o.log('copying creators and vectors', { table, count, dims });
    const rows = async function* (): AsyncGenerator<Buffer> {
      yield copyHeader();
      const lines = createInterface({ input: createReadStream(path.join(dir, ARTIFACT_FILES.creators), 'utf8'), crlfDelay: Infinity })[Symbol.asyncIterator]();
      const vectors = await fs.open(path.join(dir, ARTIFACT_FILES.vectors), 'r');
      try {
        const rowBytes = dims * 4;
        const chunk = Buffer.alloc(rowBytes * CHUNK_ROWS);
        let label = 0;
        while (label < count) {
          const n = Math.min(CHUNK_ROWS, count - label);
          const { bytesRead } = await vectors.read(chunk, 0, n * rowBytes, label * rowBytes);
          if (bytesRead !== n * rowBytes) throw new PgPublishError(`${ARTIFACT_FILES.vectors} ends at row ${label + bytesRead / rowBytes}, the manifest says ${count}`);
          const out: Buffer[] = [];
          for (let i = 0; i < n; i++, label++) {
            let line: IteratorResult<string>;
            do line = await lines.next();
            while (!line.done && line.value === '');
            if (line.done) throw new PgPublishError(`${ARTIFACT_FILES.creators} has ${label} creators, the manifest says ${count}`);
            const p = JSON.parse(line.value) as CreatorProfile;
            const vectorLE = chunk.subarray(i * rowBytes, (i + 1) * rowBytes);
            if (wanted.has(label)) samples.push({ label, vector: new Float32Array(Uint8Array.from(vectorLE).buffer) });
            out.push(copyTuple({ label, creatorId: p.id, live: true, categoryKey: normaliseKey(String(p.category ?? '')), languageKey: normaliseKey(String(p.language ?? '')), nsfw: !!p.is_nsfw, profileJson: line.value, vectorLE }));
          }
          yield Buffer.concat(out);
        }
      } finally {
        await vectors.close();
      }
      yield copyTrailer();
    };
    const copy = client.query(copyFrom(`COPY ${ident(table)} (label, creator_id, live, category_key, language_key, nsfw, profile, embedding) FROM STDIN (FORMAT binary)`));
    await pipeline(Readable.from(rows()), copy);
    const copySeconds = (performance.now() - tCopy) / 1000;
    const tIndex = performance.now();
    // The HNSW build is fast only while the graph fits in maintenance_work_mem.
    const needMb = Math.ceil((count * (dims * 4 * 1.3 + o.m * 2 * 8 + 64)) / 2 ** 20) + 64;
    await client.query(`SET LOCAL maintenance_work_mem = '${o.workMem ?? `${Math.max(64, needMb)}MB`}'`);
    await client.query(`SET LOCAL max_parallel_maintenance_workers = ${o.workers ?? Math.max(0, Math.min(7, os.availableParallelism() - 1))}`);
    o.log('building the HNSW index', { table, m: o.m, efConstruction: o.efConstruction });
    for (const sql of versionIndexesSql(table, o.m, o.efConstruction)) await client.query(sql);
    await client.query('COMMIT');
    return { copySeconds, indexSeconds: (performance.now() - tIndex) / 1000, samples };
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

/**
 * Reads the table back: labels 0..count-1, every vector byte for byte (sha256 of vectors.f32) and
 * every profile the way a server loads them (sha256 of creators.jsonl). Returns the profiles' sha256.
 */
async function validateTable(client: Client, dir: string, manifest: Manifest, table: string): Promise<string> {
  const stats = (await client.query<{ n: string; min: number | null; max: number | null }>(`SELECT count(*)::text AS n, min(label) AS min, max(label) AS max FROM ${ident(table)}`)).rows[0]!;
  if (Number(stats.n) !== manifest.count || (manifest.count > 0 && (stats.min !== 0 || stats.max !== manifest.count - 1))) {
    throw new PgPublishError(`${table} holds ${stats.n} rows (labels ${stats.min}..${stats.max}); ${manifest.count} were loaded`);
  }
  const hash = createHash('sha256');
  const parser = new CopyBinaryParser();
  let rows = 0;
  parser.on('data', (fields: Array<Buffer | null>) => {
    hash.update(vectorFieldToLE(fields[0]!));
    rows++;
  });
  await pipeline(client.query(copyTo(`COPY (SELECT embedding FROM ${ident(table)} ORDER BY label) TO STDOUT (FORMAT binary)`)), parser);
  const vectorsSha = hash.digest('hex');
  if (rows !== manifest.count || vectorsSha !== manifest.files[ARTIFACT_FILES.vectors]!.sha256) {
    throw new PgPublishError(`the vectors read back from ${table} differ from ${path.join(dir, ARTIFACT_FILES.vectors)} (sha256 ${vectorsSha.slice(0, 12)}…, ${rows} rows)`);
  }
  await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  try {
    const { profilesSha256 } = await loadCatalog(client, table, manifest.count, manifest.count);
    if (profilesSha256 !== manifest.files[ARTIFACT_FILES.creators]!.sha256) {
      throw new PgPublishError(`the profiles read back from ${table} differ from ${path.join(dir, ARTIFACT_FILES.creators)} (one JSON object per line, \\n line ends, no blank lines expected)`);
    }
    await client.query('COMMIT');
    return profilesSha256;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

/** recall@10 of the PostgreSQL HNSW index (served settings) against the exact answer of the version's own index; plus the smoke query. */
async function measurePgRecall(client: Client, dir: string, manifest: Manifest, table: string, samples: Sample[]): Promise<PgLoadReport['recall']> {
  const k = Math.min(10, manifest.count);
  if (samples.length === 0 || k === 0) return { k: 10, sampleSize: 0, value: 1 };
  const exact = await HnswIndex.load(path.join(dir, ARTIFACT_FILES.index), manifest.dims);
  let overlap = 0;
  try {
    for (const s of samples) {
      const truth = new Set((await exact.search(s.vector, k, 0, { exact: true })).map((h) => h.label));
      await client.query(`BEGIN READ ONLY; SET LOCAL hnsw.ef_search = ${Math.min(1000, manifest.ann.efSearch)}; SET LOCAL hnsw.iterative_scan = relaxed_order`);
      const got = (await client.query<{ label: number; d: number }>(`SELECT label, embedding <#> $1 AS d FROM ${ident(table)} WHERE live ORDER BY embedding <#> $1 LIMIT ${k}`, [pgvector.toSql(Array.from(s.vector))])).rows;
      await client.query('COMMIT');
      if (s === samples[0] && !(got[0] && -got[0].d >= 0.99)) {
        throw new PgPublishError(`smoke query failed: creator label ${s.label}'s own vector scored ${got[0] ? (-got[0].d).toFixed(4) : 'nothing'} in the HNSW index of ${table}`);
      }
      overlap += got.filter((r) => truth.has(r.label)).length;
    }
  } finally {
    await exact.close();
  }
  return { k: 10, sampleSize: samples.length, value: overlap / (samples.length * k) };
}

/** Files the manifest lists besides the three the table holds (a lexical index, ...): stored as bytea. */
async function storeArtifacts(client: Client, dir: string, manifest: Manifest, version: string): Promise<void> {
  const known = new Set<string>([ARTIFACT_FILES.index, ARTIFACT_FILES.vectors, ARTIFACT_FILES.creators]);
  for (const [name, entry] of Object.entries(manifest.files)) {
    if (known.has(name)) continue;
    const content = await fs.readFile(path.join(dir, name));
    const sha = createHash('sha256').update(content).digest('hex');
    if (sha !== entry.sha256) throw new PgPublishError(`${name} changed while loading (checksum mismatch)`);
    await client.query(`INSERT INTO ${ARTIFACTS_TABLE} (version, name, sha256, content) VALUES ($1, $2, $3, $4)`, [version, name, sha, content]);
  }
}

async function tableBytes(client: Client, table: string): Promise<PgLoadReport['bytes']> {
  const r = (
    await client.query<{ heap: string; hnsw: string; indexes: string; total: string }>(
      `SELECT pg_table_size($1::regclass)::text AS heap, pg_relation_size($2::regclass)::text AS hnsw,
              pg_indexes_size($1::regclass)::text AS indexes, pg_total_relation_size($1::regclass)::text AS total`,
      [table, `${table}_hnsw`],
    )
  ).rows[0]!;
  return { heap: Number(r.heap), hnsw: Number(r.hnsw), otherIndexes: Number(r.indexes) - Number(r.hnsw), total: Number(r.total) };
}

/**
 * Keeps the `keep` newest ready versions plus every published one; drops the rest, and stale
 * 'loading' rows (no loader holds their lock). Returns the dropped versions.
 */
export async function prunePgVersions(client: Client, keep: number): Promise<string[]> {
  if (!Number.isInteger(keep) || keep < 1) throw new RangeError('--keep must be at least 1');
  const rows = await listVersionRows(client);
  const published = await publishedVersions(client);
  const ready = rows.filter((r) => r.state === 'ready').map((r) => r.version);
  const kept = new Set([...ready.slice(-keep), ...published]);
  const removed: string[] = [];
  for (const r of rows) {
    if (kept.has(r.version)) continue;
    if (r.state === 'loading') {
      const free = (await client.query<{ ok: boolean }>(`SELECT pg_try_advisory_lock(hashtext('creator_match_version'), hashtext($1)) AS ok`, [r.version])).rows[0]?.ok;
      if (!free) continue; // a load in progress
      await dropVersion(client, r.version);
      await client.query(`SELECT pg_advisory_unlock(hashtext('creator_match_version'), hashtext($1))`, [r.version]);
    } else {
      await dropVersion(client, r.version);
    }
    removed.push(r.version);
  }
  return removed;
}

export interface PgRollbackResult {
  from: string | undefined;
  to: string;
}

/** Points the index name at `to` (default: the newest ready version older than the current one), atomically. */
export async function rollbackPg(url: string, to?: string, indexName = DEFAULT_INDEX_NAME): Promise<PgRollbackResult> {
  const client = new Client({ connectionString: url, application_name: 'creator-match-index-ops' });
  await client.connect();
  try {
    const rows = (await listVersionRows(client)).filter((r) => r.state === 'ready');
    const current = (await client.query<{ version: string }>(`SELECT version FROM creator_match_current WHERE index_name = $1`, [indexName]).catch(() => ({ rows: [] as Array<{ version: string }> }))).rows[0]?.version;
    let target = to;
    if (!target) {
      const older = rows.filter((r) => current === undefined || r.version < current);
      target = older[older.length - 1]?.version;
      if (!target) throw new PgPublishError(`no ready version older than ${current ?? '(none)'} in the database; available: ${rows.map((r) => r.version).join(', ') || 'none'}`);
    } else if (!rows.some((r) => r.version === target)) {
      throw new PgPublishError(`no ready version ${target} in the database; available: ${rows.map((r) => r.version).join(', ') || 'none'}`);
    }
    const from = await switchCurrent(client, indexName, target);
    return { from, to: target };
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** `index:prune --pg`: a connection of its own around prunePgVersions. */
export async function prunePg(url: string, keep: number): Promise<string[]> {
  const client = new Client({ connectionString: url, application_name: 'creator-match-index-ops' });
  await client.connect();
  try {
    return await prunePgVersions(client, keep);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** `index:list --pg`: versions with their state, counts, recall and size, and what is published. */
export async function listPg(url: string): Promise<Array<{ version: string; state: string; count: number; labels: number; changes: number; recall: number | null; bytes: number | null; published: string[] }>> {
  const client = new Client({ connectionString: url, application_name: 'creator-match-index-ops' });
  await client.connect();
  try {
    const rows = await listVersionRows(client);
    const current = rows.length ? (await client.query<{ index_name: string; version: string }>(`SELECT index_name, version FROM creator_match_current`)).rows : [];
    return rows.map((r) => ({
      version: r.version,
      state: r.state,
      count: r.count,
      labels: r.nextLabel,
      changes: r.changeSeq,
      recall: r.pgRecall,
      bytes: r.loadedBytes,
      published: current.filter((c) => c.version === r.version).map((c) => c.index_name),
    }));
  } finally {
    await client.end().catch(() => undefined);
  }
}
