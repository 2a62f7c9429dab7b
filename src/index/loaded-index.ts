import path from 'node:path';
import { Catalog } from '../catalog/catalog';
import { loadAnn } from './ann-backends';
import { ARTIFACT_FILES, readCurrent, readManifest, verifyFiles, type Manifest } from './manifest';
import type { VectorIndex } from './vector-index';
import { NativeHnswIndex } from './native-hnsw';
import { VectorMatrix } from './vector-matrix';
import { IndexVectors, type VectorStore } from './vector-store';

/** Everything the service needs from one published version, loaded and verified. */
export interface LoadedIndex {
  readonly version: string;
  readonly dir: string;
  readonly manifest: Manifest;
  readonly catalog: Catalog;
  readonly ann: VectorIndex;
  /**
   * Row access for the exact paths: the vectors inside the native HNSW index (one copy), or
   * vectors.f32 read into memory for indexes that cannot give them out (usearch).
   */
  readonly vectors: VectorStore;
}

export class IndexLoadError extends Error {
  override readonly name = 'IndexLoadError';
}

/** Loads DIR/<version> (default: the one CURRENT names), verifying checksums and shapes. */
export async function loadIndexVersion(indexDir: string, version?: string): Promise<LoadedIndex> {
  const chosen = version ?? (await readCurrent(indexDir));
  if (!chosen) throw new IndexLoadError(`no published index in ${indexDir} (no CURRENT file); run npm run index:build`);
  const dir = path.join(indexDir, chosen);
  try {
    const manifest = await readManifest(dir);
    if (manifest.version !== chosen) throw new Error(`manifest says version ${manifest.version}, directory is ${chosen}`);
    await verifyFiles(dir, manifest);
    // Read in chunks straight into the catalog's columns: no object per creator is kept.
    const catalog = await Catalog.readJsonLinesFile(path.join(dir, ARTIFACT_FILES.creators));
    if (catalog.labelCount !== manifest.count) throw new Error(`creators file has ${catalog.labelCount} rows, manifest says ${manifest.count}`);
    const ann = await loadAnn(manifest.ann.kind, path.join(dir, ARTIFACT_FILES.index), manifest.dims, manifest.ann);
    if (ann.size !== manifest.count) {
      ann.close();
      throw new Error(`HNSW index holds ${ann.size} points, manifest says ${manifest.count}`);
    }
    let vectors: VectorStore;
    try {
      vectors = ann instanceof NativeHnswIndex ? new IndexVectors(ann, manifest.count) : await VectorMatrix.readFile(path.join(dir, ARTIFACT_FILES.vectors), manifest.dims, manifest.count);
    } catch (err) {
      ann.close();
      throw err;
    }
    return { version: chosen, dir, manifest, catalog, ann, vectors };
  } catch (err) {
    throw new IndexLoadError(`index version ${chosen} in ${indexDir} is unusable: ${(err as Error).message}`, { cause: err });
  }
}

