import path from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { profileProblem } from '../catalog/catalog';
import { IndexLoadError } from './load-error';
import type { LoadedIndex } from './loaded-index';
import { ARTIFACT_FILES } from './manifest';
import { openRegularFile } from './safe-files';

/** Rows of vectors.f32 compared with the index (spread evenly over the labels). */
const SAMPLE_ROWS = 32;

/**
 * vectors.f32 against the vectors stored in index.hnsw, on a sample of rows: both files passed
 * their checksums, but a manifest can pair files that do not belong together (a graph from one
 * build, vectors from another). Each sampled row must match its label's vector in the index, be
 * finite and have unit norm. Reads only those rows (bounded), through a regular-file open.
 */
export async function crossCheckVectors(index: LoadedIndex, signal?: AbortSignal): Promise<void> {
  const { dims, count } = index.manifest;
  if (count === 0) return;
  const rowBytes = dims * 4;
  const file = await openRegularFile(path.join(index.dir, ARTIFACT_FILES.vectors), ARTIFACT_FILES.vectors);
  try {
    if (file.size !== count * rowBytes) {
      throw new IndexLoadError(`${ARTIFACT_FILES.vectors} has ${file.size} bytes, ${count} x ${dims} float32 need ${count * rowBytes}`, 'shape');
    }
    const n = Math.min(SAMPLE_ROWS, count);
    const labels = Array.from({ length: n }, (_, i) => Math.floor(((i + 0.5) * count) / n));
    const stored = await index.hnsw.vectors(labels);
    const buf = Buffer.alloc(rowBytes);
    for (let i = 0; i < n; i++) {
      signal?.throwIfAborted();
      const label = labels[i]!;
      const { bytesRead } = await file.handle.read(buf, 0, rowBytes, label * rowBytes);
      if (bytesRead !== rowBytes) throw new IndexLoadError(`${ARTIFACT_FILES.vectors} ended inside row ${label}`, 'shape');
      const row = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + rowBytes));
      const inIndex = stored[i];
      let sq = 0;
      let diff = 0;
      for (let d = 0; d < dims; d++) {
        const x = row[d]!;
        if (!Number.isFinite(x)) throw new IndexLoadError(`${ARTIFACT_FILES.vectors} row ${label} has a non-finite value`, 'shape');
        sq += x * x;
        if (inIndex) diff = Math.max(diff, Math.abs(x - inIndex[d]!));
      }
      if (Math.abs(sq - 1) > 1e-3) throw new IndexLoadError(`${ARTIFACT_FILES.vectors} row ${label} is not normalised (norm² ${sq.toFixed(4)})`, 'shape');
      if (!inIndex) throw new IndexLoadError(`${ARTIFACT_FILES.index} has no vector for label ${label}, which ${ARTIFACT_FILES.vectors} has`, 'shape');
      if (diff > 1e-5) throw new IndexLoadError(`${ARTIFACT_FILES.vectors} row ${label} differs from the vector ${ARTIFACT_FILES.index} holds for it (the files are from different builds?)`, 'shape');
    }
  } finally {
    await file.handle.close();
  }
}

/**
 * Every profile of the catalog has the fields and types of a CreatorProfile (string id of at most
 * 256 characters, string name/category/language, string tags, boolean is_nsfw). Ids are checked for
 * every row; rows the catalog stored compactly have the right types by construction, so only the
 * others are decoded and checked (none, for a version the builder wrote). In slices that yield.
 */
export async function checkCatalogProfiles(index: LoadedIndex, signal?: AbortSignal): Promise<void> {
  const { catalog } = index;
  const allCompact = catalog.storageStats().compactRows === catalog.labelCount;
  for (let label = 0; label < catalog.labelCount; label++) {
    const id = catalog.idOf(label);
    const problem = id.length > 256 ? `id ${JSON.stringify(id.slice(0, 80))}… is longer than 256 characters` : allCompact ? undefined : profileProblem(catalog.profile(label) as unknown as Record<string, unknown>);
    if (problem) throw new IndexLoadError(`${ARTIFACT_FILES.creators} line ${label + 1}: ${problem}`, 'integrity');
    if (label % 1024 === 1023) {
      signal?.throwIfAborted();
      await nextTurn();
    }
  }
}

/** Rows read from the index per native call by checkIndexVectors. */
const NORM_CHECK_ROWS = 2048;

/**
 * Every vector stored in index.hnsw is finite and unit-norm (the builder stores normalised
 * vectors; the addon's loader checks finiteness only). A vector of huge values would turn every
 * score it takes part in into NaN. One pass over the vectors, read in chunks on the thread pool,
 * checked in slices that yield.
 */
export async function checkIndexVectors(index: LoadedIndex, signal?: AbortSignal): Promise<void> {
  const { dims } = index.manifest;
  const labels = index.catalog.labelCount;
  for (let start = 0; start < labels; start += NORM_CHECK_ROWS) {
    signal?.throwIfAborted();
    const chunk = Array.from({ length: Math.min(NORM_CHECK_ROWS, labels - start) }, (_, i) => start + i);
    const rows = await index.hnsw.vectors(chunk);
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i];
      if (!row) continue; // not live (deleted in the file: refused elsewhere)
      let sq = 0;
      for (let d = 0; d < dims; d++) sq += row[d]! * row[d]!;
      if (!(Math.abs(sq - 1) <= 1e-3)) throw new IndexLoadError(`${ARTIFACT_FILES.index} holds a vector of norm² ${sq} for label ${chunk[i]} (vectors must be normalised)`, 'shape');
    }
    await nextTurn();
  }
}
