import { createHash } from 'node:crypto';
import type { ClientBase } from 'pg';
import { Catalog } from '../catalog/catalog';
import type { CreatorProfile } from '../catalog/creator';
import { IndexLoadError } from './load-error';
import { CHANGES_TABLE, ident } from './pg-schema';

/** Rows read per round trip while loading a catalog. */
const PAGE = 20_000;

export interface LoadedCatalog {
  catalog: Catalog;
  /** sha256 of the base rows' profile JSON lines (labels below `count`), joined like creators.jsonl. */
  profilesSha256: string;
}

/**
 * The in-memory catalog of a version table, in label order: each row is upserted (a creator
 * upserted again retires its earlier label, as in the service), then rows whose live flag is off
 * and that no later row replaced are retired (deletes). Labels come out as in the table, which
 * every check below confirms. Run it in the snapshot that also read the version's change_seq.
 */
export async function loadCatalog(client: ClientBase, table: string, baseCount: number, nextLabel: number): Promise<LoadedCatalog> {
  const catalog = new Catalog([]);
  const hash = createHash('sha256');
  const dead: number[] = [];
  for (let from = 0; from < nextLabel; from += PAGE) {
    const rows = (
      await client.query<{ label: number; live: boolean; profile: string }>(
        `SELECT label, live, profile::text AS profile FROM ${ident(table)} WHERE label >= $1 AND label < $2 ORDER BY label`,
        [from, Math.min(nextLabel, from + PAGE)],
      )
    ).rows;
    for (const row of rows) {
      const expected = catalog.labelCount;
      if (row.label !== expected) throw new IndexLoadError(`${table} has no row for label ${expected} (next is ${row.label}): labels must run from 0 without gaps`, 'shape');
      if (row.label < baseCount) hash.update(`${row.profile}\n`);
      const profile = parseProfile(row.profile, row.label, table);
      const { label } = catalog.upsert(profile);
      if (label !== row.label) throw new IndexLoadError(`${table}: label ${row.label} loaded as ${label}`, 'shape');
      if (!row.live) dead.push(row.label);
    }
  }
  if (catalog.labelCount !== nextLabel) throw new IndexLoadError(`${table} has ${catalog.labelCount} rows, its version row says ${nextLabel} labels`, 'shape');
  if (baseCount === 0) hash.update('\n');
  for (const label of dead) if (catalog.isLive(label)) catalog.delete(catalog.idOf(label));
  return { catalog, profilesSha256: hash.digest('hex') };
}

function parseProfile(text: string, label: number, table: string): CreatorProfile {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new IndexLoadError(`${table} label ${label}: profile is not JSON: ${(err as Error).message}`, 'integrity', { cause: err });
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value) || typeof (value as { id?: unknown }).id !== 'string') {
    throw new IndexLoadError(`${table} label ${label}: profile is not a creator object with a string id`, 'integrity');
  }
  return value as CreatorProfile;
}

export interface ChangeRow {
  seq: number;
  op: 'upsert' | 'delete';
  label: number;
  profile: string;
}

/** Changes of `version` after `seq`, in commit order, with the profile of the row each names. */
export async function changesSince(client: Pick<ClientBase, 'query'>, version: string, table: string, seq: number): Promise<ChangeRow[]> {
  const rows = (
    await client.query<{ seq: string; op: 'upsert' | 'delete'; label: number; profile: string }>(
      `SELECT c.seq::text AS seq, c.op, c.label, t.profile::text AS profile FROM ${CHANGES_TABLE} c JOIN ${ident(table)} t ON t.label = c.label WHERE c.version = $1 AND c.seq > $2 ORDER BY c.seq`,
      [version, seq],
    )
  ).rows;
  return rows.map((r) => ({ seq: Number(r.seq), op: r.op, label: r.label, profile: r.profile }));
}

/**
 * Applies changes to a catalog exactly as the database applied them: an upsert appends the next
 * label (retiring the creator's earlier one), a delete retires a label. Throws when a label does
 * not come out as the table says (the catalog no longer mirrors the table: reload the version).
 */
export function applyChanges(catalog: Catalog, changes: readonly ChangeRow[], table: string): void {
  for (const c of changes) {
    if (c.op === 'upsert') {
      const { label } = catalog.upsert(parseProfile(c.profile, c.label, table));
      if (label !== c.label) throw new IndexLoadError(`change ${c.seq} of ${table}: label ${c.label} applied as ${label}; the catalog no longer mirrors the table`, 'shape');
    } else if (catalog.isLive(c.label)) {
      catalog.delete(catalog.idOf(c.label));
    }
  }
}
