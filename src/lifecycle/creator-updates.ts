import { setImmediate as nextTurn } from 'node:timers/promises';
import { toProfile, type CreatorRecord } from '../catalog/creator';
import { profileText } from '../catalog/profile-text';
import { MatchError } from '../errors/match-error';
import { shortId } from '../errors/echo';
import { validUpdateVector } from './apply-updates';
import type { IndexManager, Serving } from './index-manager';
import type { UpdateEntry } from './update-log';

export interface UpsertResult {
  created: number;
  updated: number;
  version: string;
}

export interface DeleteResult {
  deleted: number;
  notFound: string[];
  version: string;
}

function serving(manager: IndexManager): Serving {
  const s = manager.current;
  if (!s) throw new MatchError('INDEX_NOT_READY', 'no index is loaded yet; retry shortly');
  return s;
}

/**
 * Upserts creators into the serving version: embeds those without a vector with the version's own
 * model, makes them durable (the version's update log with fsync, or one SQL transaction on the
 * served table) and only then applies them in memory. All or nothing: one bad creator fails the
 * call before anything is written.
 */
export function upsertCreators(manager: IndexManager, records: readonly CreatorRecord[], signal?: AbortSignal): Promise<UpsertResult> {
  return manager.exclusive(async () => {
    const s = serving(manager);
    const dims = s.index.manifest.dims;
    records.forEach((r, i) => {
      if (r.vector !== undefined && r.vector.length !== dims) {
        throw new MatchError('INVALID_CREATOR', `creator #${i + 1} (${shortId(r.id)}): vector has ${r.vector.length} values, the index has ${dims} dimensions`);
      }
      if (r.vector === undefined && !s.embedder) {
        throw new MatchError('INVALID_CREATOR', `creator #${i + 1} (${shortId(r.id)}) has no vector, and this index has no model to embed it (it was built from provided vectors)`);
      }
    });
    const toEmbed = records.filter((r) => r.vector === undefined);
    const embedded = toEmbed.length > 0 ? await s.matcher.embedTexts(toEmbed.map(profileText), signal) : [];
    const byRecord = new Map(toEmbed.map((r, i) => [r, embedded[i]!]));
    const at = new Date().toISOString();
    // Every entry is checked before anything is logged: a logged entry always applies (and replays).
    // In slices that yield: 10k creators of 512 floats take a while to check and copy.
    const entries: UpdateEntry[] = [];
    for (let i = 0; i < records.length; i++) {
      const r = records[i]!;
      const v = validUpdateVector(r.vector ?? byRecord.get(r)!, dims);
      if (typeof v === 'string') throw new MatchError('INVALID_CREATOR', `creator #${i + 1} (${shortId(r.id)}): ${v}`);
      entries.push({ op: 'upsert', at, creator: toProfile(r), vector: Array.from(v), text: profileText(r) });
      if (i % 256 === 255) await nextTurn();
    }
    if (signal?.aborted) throw new MatchError('CANCELLED', 'call cancelled before the update was written');
    // Durable once written; applied (in slices: other calls run in between), then acknowledged.
    const { created } = await s.index.write(entries);
    s.matcher.invalidateShape();
    manager.emit('updated', { version: s.index.version, upserted: entries.length });
    return { created, updated: entries.length - created, version: s.index.version };
  });
}

/** Deletes creators from the serving version (durable first). Unknown ids are reported. */
export function deleteCreators(manager: IndexManager, ids: readonly string[]): Promise<DeleteResult> {
  return manager.exclusive(async () => {
    const s = serving(manager);
    const unique = [...new Set(ids)];
    const { notFound } = await s.index.write([{ op: 'delete', at: new Date().toISOString(), ids: unique }]);
    const deleted = unique.length - notFound.length;
    if (deleted > 0) {
      s.matcher.invalidateShape();
      manager.emit('updated', { version: s.index.version, deleted });
    }
    return { deleted, notFound, version: s.index.version };
  });
}
