import type { ClientBase } from 'pg';
import pgvector from 'pgvector';
import { normaliseKey } from '../catalog/creator';
import { MatchError } from '../errors/match-error';
import type { UpdateEntry } from './update-log';
import { CHANGES_CHANNEL, CHANGES_TABLE, VERSIONS_TABLE, ident } from '../index/pg-schema';

export interface PgWriteOutcome {
  created: number;
  notFound: string[];
  /** The version's change_seq after this transaction. */
  seq: number;
}

/**
 * IndexAdmin writes to a served version table, inside the caller's transaction (committed means
 * durable and acknowledged). The version row is locked first, so concurrent writers (several
 * servers) are serialised and labels and change numbers follow commit order:
 *
 * - upsert: the creators' live rows are retired, each creator gets a new row under the next label
 *   (a creator named twice in one call keeps its last row), and one 'upsert' change per creator;
 * - delete: the live rows of the ids are retired, one 'delete' change per retired label.
 *
 * Every serving process replays creator_match_changes in seq order onto its catalog, which
 * assigns the same labels; a NOTIFY on creator_match_changes tells them to.
 */
export async function writeEntries(client: ClientBase, version: string, table: string, entries: readonly UpdateEntry[]): Promise<PgWriteOutcome> {
  const locked = (
    await client.query<{ next_label: number; change_seq: string }>(`SELECT next_label, change_seq::text AS change_seq FROM ${VERSIONS_TABLE} WHERE version = $1 FOR UPDATE`, [version])
  ).rows[0];
  if (!locked) throw new MatchError('VERSION_NOT_FOUND', `index version ${version} is no longer in the database (pruned?); reload the index`);
  let next = locked.next_label;
  let seq = Number(locked.change_seq);
  let created = 0;
  const notFound: string[] = [];
  const t = ident(table);
  const start = seq;
  const upserts = entries.filter((e): e is Extract<UpdateEntry, { op: 'upsert' }> => e.op === 'upsert');
  if (upserts.length > 0 && upserts.length !== entries.length) throw new Error('writeEntries: upserts and deletes go in separate calls');

  for (const e of entries) {
    if (e.op === 'delete') {
      const ids = [...new Set(e.ids)];
      const retired = (await client.query<{ label: number; creator_id: string }>(`UPDATE ${t} SET live = false WHERE live AND creator_id = ANY($1::text[]) RETURNING label, creator_id`, [ids])).rows;
      const found = new Set(retired.map((r) => r.creator_id));
      notFound.push(...ids.filter((id) => !found.has(id)));
      retired.sort((a, b) => a.label - b.label);
      const seqs = retired.map(() => ++seq);
      if (retired.length > 0) {
        await client.query(`INSERT INTO ${CHANGES_TABLE} (version, seq, op, label) SELECT $1, s, 'delete', l FROM unnest($2::bigint[], $3::int[]) AS x(s, l)`, [version, seqs, retired.map((r) => r.label)]);
      }
    }
  }
  if (upserts.length > 0) {
    const ids = upserts.map((u) => u.creator.id);
    const before = new Set((await client.query<{ creator_id: string }>(`UPDATE ${t} SET live = false WHERE live AND creator_id = ANY($1::text[]) RETURNING creator_id`, [[...new Set(ids)]])).rows.map((r) => r.creator_id));
    const lastIndex = new Map(ids.map((id, i) => [id, i]));
    const seen = new Set(before);
    const labels: number[] = [];
    const seqs: number[] = [];
    upserts.forEach((u) => {
      if (!seen.has(u.creator.id)) created++;
      seen.add(u.creator.id);
      labels.push(next++);
      seqs.push(++seq);
    });
    await client.query(
      `INSERT INTO ${t} (label, creator_id, live, category_key, language_key, nsfw, profile, embedding)
       SELECT l, i, v, c, g, n, p::json, e::vector FROM unnest($1::int[], $2::text[], $3::bool[], $4::text[], $5::text[], $6::bool[], $7::text[], $8::text[]) AS x(l, i, v, c, g, n, p, e)`,
      [
        labels,
        ids,
        upserts.map((_u, i) => lastIndex.get(ids[i]!) === i),
        upserts.map((u) => normaliseKey(u.creator.category)),
        upserts.map((u) => normaliseKey(u.creator.language)),
        upserts.map((u) => !!u.creator.is_nsfw),
        upserts.map((u) => JSON.stringify(u.creator)),
        upserts.map((u): string => pgvector.toSql(u.vector) as string),
      ],
    );
    await client.query(`INSERT INTO ${CHANGES_TABLE} (version, seq, op, label) SELECT $1, s, 'upsert', l FROM unnest($2::bigint[], $3::int[]) AS x(s, l)`, [version, seqs, labels]);
  }
  if (seq !== start) {
    await client.query(`UPDATE ${VERSIONS_TABLE} SET next_label = $2, change_seq = $3 WHERE version = $1`, [version, next, seq]);
    await client.query(`SELECT pg_notify($1, $2)`, [CHANGES_CHANNEL, JSON.stringify({ version, seq })]);
  }
  return { created, notFound, seq };
}
