import os from 'node:os';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { CreatorProfile } from '../catalog/creator';
import { profileText } from '../catalog/profile-text';
import type { LoadedIndex } from '../index/loaded-index';
import { normalise, vectorProblem } from '../index/vectors';
import type { UpdateEntry } from './update-log';

/** Creators applied between yields to the event loop (other calls run in between). */
const APPLY_SLICE = 256;
/** From this many upserts in one call on, new points go into HNSW in bulk (on several threads). */
export const BULK_UPSERTS = 64;
/**
 * Rows per native insert call of a bulk apply on a serving index: an insert holds the index's
 * write lock (searches wait), so a serving index gets small ones and searches run in between.
 */
const SERVING_INSERT_ROWS = 16;

export interface ApplyOptions {
  /** Insert threads of a bulk apply (default: all cores but one, leaving one to the requests). */
  insertThreads?: number;
  /** Rows per native insert call (default SERVING_INSERT_ROWS; larger when nothing is searching yet). */
  insertRows?: number;
}

/**
 * Applies an upsert in memory: the creator gets a new label (catalog, HNSW); a previous version
 * of it is retired and hidden from HNSW (markDelete; its slot is reused by later upserts).
 * The vector must have been checked (validUpdateVector) before it was logged.
 */
export async function applyUpsert(index: LoadedIndex, creator: CreatorProfile, vector: Float32Array, text?: string): Promise<{ created: boolean }> {
  const v = validUpdateVector(vector, index.manifest.dims);
  if (typeof v === 'string') throw new Error(`creator ${creator.id.slice(0, 80)}: ${v}`);
  const { label, replaced } = index.catalog.upsert(creator);
  index.search.labelCount = index.catalog.labelCount;
  if (replaced !== undefined) await index.hnsw.remove([replaced]);
  await index.hnsw.upsert(v, label);
  if (index.lexical) {
    if (replaced !== undefined) index.lexical.remove(replaced);
    // Without the logged text (older logs), what the catalog keeps: name, category and tags.
    index.lexical.add(label, text ?? profileText({ ...creator, about: '' }), creator.language);
  }
  return { created: replaced === undefined };
}

/** Deletes in memory; returns the ids that were not found. */
export async function applyDelete(index: LoadedIndex, ids: readonly string[]): Promise<string[]> {
  const missing: string[] = [];
  const removed: number[] = [];
  for (const id of ids) {
    const label = index.catalog.delete(id);
    if (label === undefined) missing.push(id);
    else removed.push(label);
  }
  await index.hnsw.remove(removed);
  for (const label of removed) index.lexical?.remove(label);
  return missing;
}

/**
 * Applies update entries (checked before they were logged, or by readUpdates) in slices that yield
 * to the event loop; `onApplied` sees each one. Large batches (a 10k-creator UpsertCreators, the
 * replay of a long update log) go into HNSW in bulk: see applyInBulk.
 */
export async function applyEntries(
  index: LoadedIndex,
  entries: readonly UpdateEntry[],
  onApplied?: (e: UpdateEntry, created: boolean) => void,
  opts: ApplyOptions = {},
): Promise<void> {
  let upserts = 0;
  for (const e of entries) if (e.op === 'upsert') upserts++;
  if (upserts >= BULK_UPSERTS) return applyInBulk(index, entries, onApplied, opts);
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i]!;
    let created = false;
    if (e.op === 'upsert') created = (await applyUpsert(index, e.creator, Float32Array.from(e.vector), e.text)).created;
    else await applyDelete(index, e.ids);
    onApplied?.(e, created);
    if (i % APPLY_SLICE === APPLY_SLICE - 1) await nextTurn();
  }
}

/**
 * The same result as applying the entries one by one, with the HNSW work done in a few native
 * calls on several threads instead of one thread-pool round trip per creator:
 *
 * 1. the labels each upsert will get are known in advance (the catalog appends one per upsert),
 *    so a pass over the batch finds the points that survive it (an upsert replaced later in the
 *    same batch never goes into HNSW) and the old points it retires;
 * 2. the survivors are inserted under those labels (searches cannot return them yet: every hit is
 *    checked against the catalog, which does not know these labels until step 3);
 * 3. the catalog applies the entries in order, in slices that yield (label by label as predicted);
 * 4. the retired old points are marked deleted (the catalog already hides them).
 *
 * Deleted slots are not reused by a bulk apply (they are by later single upserts and compaction):
 * at most one slot per logged upsert, as with the update log itself.
 */
async function applyInBulk(index: LoadedIndex, entries: readonly UpdateEntry[], onApplied: ((e: UpdateEntry, created: boolean) => void) | undefined, opts: ApplyOptions): Promise<void> {
  const { catalog, hnsw } = index;
  const dims = index.manifest.dims;
  const base = catalog.labelCount;
  const overlay = new Map<string, number | undefined>();
  const labelOf = (id: string): number | undefined => (overlay.has(id) ? overlay.get(id) : catalog.labelOf(id));
  const survivors = new Map<number, Float32Array>();
  const retired: number[] = [];
  const retire = (label: number): void => {
    if (label >= base) survivors.delete(label);
    else retired.push(label);
  };
  let next = base;
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i]!;
    if (e.op === 'upsert') {
      const v = validUpdateVector(e.vector, dims);
      if (typeof v === 'string') throw new Error(`creator ${e.creator.id.slice(0, 80)}: ${v}`);
      const old = labelOf(e.creator.id);
      if (old !== undefined) retire(old);
      overlay.set(e.creator.id, next);
      survivors.set(next++, v);
    } else {
      for (const id of e.ids) {
        const old = labelOf(id);
        if (old === undefined) continue;
        retire(old);
        overlay.set(id, undefined);
      }
    }
    if (i % APPLY_SLICE === APPLY_SLICE - 1) await nextTurn();
  }
  const labels = [...survivors.keys()];
  const threads = opts.insertThreads ?? Math.max(1, os.availableParallelism() - 1);
  const rowsPerCall = opts.insertRows ?? SERVING_INSERT_ROWS;
  for (let start = 0; start < labels.length; start += rowsPerCall) {
    const chunk = labels.slice(start, start + rowsPerCall);
    const rows = new Float32Array(chunk.length * dims);
    chunk.forEach((label, j) => rows.set(survivors.get(label)!, j * dims));
    await hnsw.insert(rows, Uint32Array.from(chunk), threads);
  }
  let expected = base;
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i]!;
    let created = false;
    if (e.op === 'upsert') {
      const { label, replaced } = catalog.upsert(e.creator);
      if (label !== expected++) throw new Error(`bulk apply: creator ${e.creator.id.slice(0, 80)} got label ${label}, expected ${expected - 1}`);
      created = replaced === undefined;
    } else {
      for (const id of e.ids) catalog.delete(id);
    }
    index.search.labelCount = catalog.labelCount;
    onApplied?.(e, created);
    if (i % APPLY_SLICE === APPLY_SLICE - 1) await nextTurn();
  }
  for (let start = 0; start < retired.length; start += 4096) await hnsw.remove(retired.slice(start, start + 4096));
}

/** The normalised vector for an update, or why it cannot be used (checked before anything is logged). */
export function validUpdateVector(vector: ArrayLike<number>, dims: number): Float32Array | string {
  const problem = vectorProblem(vector, dims);
  if (problem) return problem;
  const v = normalise(Float32Array.from(vector));
  return v ?? 'vector has zero norm (or overflows float32)';
}
