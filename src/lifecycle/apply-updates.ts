import { setImmediate as nextTurn } from 'node:timers/promises';
import type { CreatorProfile } from '../catalog/creator';
import { profileText } from '../catalog/profile-text';
import type { LoadedIndex } from '../index/loaded-index';
import { normalise } from '../index/vectors';
import type { UpdateEntry } from './update-log';

/** Creators applied between yields to the event loop (other calls run in between). */
const APPLY_SLICE = 256;

/**
 * Applies an upsert in memory: the creator gets a new label (catalog, HNSW); a previous version
 * of it is retired and hidden from HNSW (markDelete; its slot is reused by later upserts).
 * The vector must have been checked (validUpdateVector) before it was logged.
 */
export async function applyUpsert(index: LoadedIndex, creator: CreatorProfile, vector: Float32Array, text?: string): Promise<{ created: boolean }> {
  const v = validUpdateVector(vector, index.manifest.dims);
  if (typeof v === 'string') throw new Error(`creator ${creator.id}: ${v}`);
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

/** Applies update entries in slices that yield to the event loop; `onApplied` sees each one. */
export async function applyEntries(index: LoadedIndex, entries: readonly UpdateEntry[], onApplied?: (e: UpdateEntry, created: boolean) => void): Promise<void> {
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i]!;
    let created = false;
    if (e.op === 'upsert') created = (await applyUpsert(index, e.creator, Float32Array.from(e.vector), e.text)).created;
    else await applyDelete(index, e.ids);
    onApplied?.(e, created);
    if (i % APPLY_SLICE === APPLY_SLICE - 1) await nextTurn();
  }
}

/** The normalised vector for an update, or why it cannot be used (checked before anything is logged). */
export function validUpdateVector(vector: ArrayLike<number>, dims: number): Float32Array | string {
  if (vector.length !== dims) return `vector has ${vector.length} values, the index has ${dims} dimensions`;
  for (let i = 0; i < vector.length; i++) if (!Number.isFinite(vector[i])) return `vector[${i}] is not a finite number`;
  const v = normalise(Float32Array.from(vector));
  return v ?? 'vector has zero norm (or overflows float32)';
}
