import type { CreatorProfile } from '../catalog/creator';
import type { LoadedIndex } from '../index/loaded-index';
import { normalise } from '../index/vector-matrix';
import type { UpdateEntry } from './update-log';

/**
 * Applies an upsert in memory: the creator gets a new label (catalog, vectors, HNSW); a previous
 * version of it is retired and hidden from HNSW (markDelete, its slot reused by later adds).
 */
export function applyUpsert(index: LoadedIndex, creator: CreatorProfile, vector: Float32Array): { created: boolean } {
  const v = normalise(Float32Array.from(vector));
  if (!v || v.length !== index.manifest.dims) throw new Error(`vector for ${creator.id} must have ${index.manifest.dims} finite values and a non-zero norm`);
  const { label, replaced } = index.catalog.upsert(creator);
  const row = index.vectors.append(v);
  if (row !== label) throw new Error(`catalog label ${label} and vector row ${row} diverged`);
  if (replaced !== undefined) index.ann.remove(replaced);
  index.ann.add(v, label);
  return { created: replaced === undefined };
}

/** Deletes in memory; returns the ids that were not found. */
export function applyDelete(index: LoadedIndex, ids: readonly string[]): string[] {
  const missing: string[] = [];
  for (const id of ids) {
    const label = index.catalog.delete(id);
    if (label === undefined) missing.push(id);
    else index.ann.remove(label);
  }
  return missing;
}

/** Replays a version's update log after loading it. */
export function replay(index: LoadedIndex, entries: readonly UpdateEntry[]): void {
  for (const e of entries) {
    if (e.op === 'upsert') applyUpsert(index, e.creator, Float32Array.from(e.vector));
    else applyDelete(index, e.ids);
  }
}
