import path from 'node:path';
import { Catalog } from '../catalog/catalog';
import { HnswIndex } from './hnsw-index';
import { HnswSearch } from './hnsw-search';
import { loadNativeBinding } from './native-binding';
import { IndexLoadError, refusalReasonOf } from './load-error';
import { ARTIFACT_FILES, assertVersionName, LEXICAL_FILES, readCurrent, readManifest, verifyAndPinFiles, type Manifest, type VerifiedFiles } from './manifest';
import { LexicalIndex } from '../lexical/lexical-index';
import { readVersionAdapter, type QueryAdapter } from './query-adapter';
import { promises as fs } from 'node:fs';

/** Everything the service needs from one published version, loaded and verified. */
export interface LoadedIndex {
  readonly version: string;
  readonly dir: string;
  readonly manifest: Manifest;
  readonly catalog: Catalog;
  /** The HNSW graph and the creators' vectors (one copy, inside the native index). */
  readonly hnsw: HnswIndex;
  /** Filtered search over `hnsw` (what Matcher calls). */
  readonly search: HnswSearch;
  /** The BM25 index (versions built with hybrid retrieval). */
  readonly lexical: LexicalIndex | undefined;
  /** The learned query adapter (versions written by `npm run train`). */
  readonly adapter: QueryAdapter | undefined;
}

export { IndexLoadError };

/** Loads DIR/<version> (default: the one CURRENT names), verifying checksums and shapes; `signal` abandons it. */
export async function loadIndexVersion(indexDir: string, version?: string, signal?: AbortSignal): Promise<LoadedIndex> {
  const chosen = version ?? (await readCurrent(indexDir));
  if (!chosen) throw new IndexLoadError(`no published index in ${indexDir} (no CURRENT file); run npm run index:build`, 'missing_files');
  const dir = path.join(indexDir, chosen);
  let files: VerifiedFiles | undefined;
  try {
    // The addon sets the C heap's policy for large blocks when it loads (native-binding.ts,
    // heapPolicy): load it before the catalog and lexical files are read, so that their transient
    // buffers go back to the system once freed (a missing addon is this version's refusal, as before).
    loadNativeBinding();
    assertVersionName(chosen);
    const manifest = await readManifest(dir);
    if (manifest.version !== chosen) throw new IndexLoadError(`manifest says version ${manifest.version}, directory is ${chosen}`, 'manifest');
    // The checked files stay open: the catalog and the addon read those very files (files.path).
    files = await verifyAndPinFiles(dir, manifest, signal);
    const vectorBytes = manifest.files[ARTIFACT_FILES.vectors]?.bytes;
    if (vectorBytes !== manifest.count * manifest.dims * 4) {
      throw new IndexLoadError(`${ARTIFACT_FILES.vectors} has ${vectorBytes} bytes, but ${manifest.count} creators x ${manifest.dims} dims need ${manifest.count * manifest.dims * 4}`, 'shape');
    }
    // Read in chunks straight into the catalog's columns: no object per creator is kept.
    const catalog = await Catalog.readJsonLinesFile(files.path(ARTIFACT_FILES.creators)).catch((err: unknown) => {
      throw new IndexLoadError(`${ARTIFACT_FILES.creators}: ${(err as Error).message}`, 'integrity', { cause: err });
    });
    if (catalog.labelCount !== manifest.count) throw new IndexLoadError(`creators file has ${catalog.labelCount} rows, manifest says ${manifest.count}`, 'manifest');
    const hnsw = await HnswIndex.load(files.path(ARTIFACT_FILES.index), manifest.dims).catch((err: unknown) => {
      throw new IndexLoadError(`${ARTIFACT_FILES.index}: ${files!.unpin((err as Error).message)}`, 'integrity', { cause: err });
    });
    if (hnsw.size !== manifest.count || hnsw.slots !== manifest.count) {
      await hnsw.close();
      throw new IndexLoadError(`HNSW index holds ${hnsw.size} points, manifest says ${manifest.count}`, 'shape');
    }
    let lexical: LexicalIndex | undefined;
    if (manifest.lexical) {
      try {
        lexical = LexicalIndex.deserialize(await fs.readFile(files.path(LEXICAL_FILES.lexical)));
        if (lexical.size !== manifest.lexical.documents) throw new Error(`it holds ${lexical.size} documents, manifest says ${manifest.lexical.documents}`);
      } catch (err) {
        await hnsw.close();
        throw new IndexLoadError(`${LEXICAL_FILES.lexical}: ${(err as Error).message}`, 'integrity', { cause: err });
      }
    }
    const adapter = await readVersionAdapter(dir, manifest).catch(async (err: unknown) => {
      await hnsw.close();
      throw new IndexLoadError(`query adapter: ${(err as Error).message}`, 'integrity', { cause: err });
    });
    return { version: chosen, dir, manifest, catalog, hnsw, search: new HnswSearch(hnsw, manifest.count), lexical, adapter };
  } catch (err) {
    throw new IndexLoadError(`index version ${chosen} in ${indexDir} is unusable: ${(err as Error).message}`, refusalReasonOf(err), { cause: err });
  } finally {
    await files?.close();
  }
}
