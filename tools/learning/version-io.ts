/**
 * Every contact of the learning tools with the index layer, in one place: reading a version's
 * manifest, vectors and creators; writing a new version (the base version's files plus an
 * adapter); switching CURRENT. The index layer is being redesigned; adapt this file, not its users.
 */
import { copyFile, mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { constants as fsConstants } from 'node:fs';
import path from 'node:path';
import { fsyncDir, newVersion } from '../../index-builder/publish-version';
import { UPDATE_LOG_FILE } from '../../src/lifecycle/update-log';
import {
  ARTIFACT_FILES,
  MANIFEST_FILE,
  describeFile,
  readCurrent,
  readManifest,
  verifyFiles,
  writeCurrent,
  type AdapterManifest,
  type Manifest,
} from '../../src/index/manifest';
import { VectorMatrix } from '../../index-builder/vector-matrix';
import { normalise, normalisedMean } from '../../src/index/vectors';
import { loadIndexVersion } from '../../src/index/loaded-index';
import { createEmbedder, type Embedder } from '../../src/embedding';
import { Matcher } from '../../src/match/matcher';
import { readVersionAdapter, type QueryAdapter } from '../../src/index/query-adapter';
import { prepareIfBundled } from '../model/prepare-default-model';

export { readCurrent };
export type { AdapterManifest, Manifest };

/** What the learning tools need of a creator (a row of creators.jsonl). */
export interface CreatorRow {
  id: string;
  name: string;
  category: string;
  language: string;
  tags: string[];
  isNsfw: boolean;
}

/** One index version, read and verified (checksums of every listed file). */
export interface VersionData {
  indexDir: string;
  version: string;
  dir: string;
  manifest: Manifest;
  dims: number;
  count: number;
  /** count × dims, row-major, L2-normalised; row = label. */
  vectors: Float32Array;
  /** Label → creator. */
  creators: CreatorRow[];
  labelOf: ReadonlyMap<string, number>;
  /** The version's own query adapter, if its manifest has one. */
  adapter: QueryAdapter | undefined;
}

/** Resolves the version (default: the one CURRENT names) without reading it. */
export async function resolveVersion(indexDir: string, version?: string): Promise<string> {
  const chosen = version ?? (await readCurrent(indexDir));
  if (!chosen) throw new Error(`no published index in ${indexDir} (no CURRENT file); build one with npm run index:build or pass a version`);
  return chosen;
}

export async function readVersion(indexDir: string, version?: string): Promise<VersionData> {
  const chosen = await resolveVersion(indexDir, version);
  const dir = path.join(indexDir, chosen);
  try {
    const manifest = await readManifest(dir);
    if (manifest.version !== chosen) throw new Error(`manifest says version ${manifest.version}, directory is ${chosen}`);
    await verifyFiles(dir, manifest);
    const matrix = await VectorMatrix.readFile(path.join(dir, ARTIFACT_FILES.vectors), manifest.dims, manifest.count);
    const creators = parseCreatorRows(await readFile(path.join(dir, ARTIFACT_FILES.creators), 'utf8'), ARTIFACT_FILES.creators);
    if (creators.length !== manifest.count) throw new Error(`creators file has ${creators.length} rows, manifest says ${manifest.count}`);
    const labelOf = new Map<string, number>();
    creators.forEach((c, label) => labelOf.set(c.id, label));
    const adapter = await readVersionAdapter(dir, manifest);
    return { indexDir, version: chosen, dir, manifest, dims: manifest.dims, count: manifest.count, vectors: matrix.data, creators, labelOf, adapter };
  } catch (err) {
    throw new Error(`index version ${chosen} in ${indexDir} is unusable: ${(err as Error).message}`, { cause: err });
  }
}

/** Only the creators of a version (no vectors), e.g. for reports. */
export async function readVersionCreators(indexDir: string, version?: string): Promise<{ version: string; manifest: Manifest; creators: CreatorRow[] }> {
  const chosen = await resolveVersion(indexDir, version);
  const dir = path.join(indexDir, chosen);
  try {
    const manifest = await readManifest(dir);
    const creators = parseCreatorRows(await readFile(path.join(dir, ARTIFACT_FILES.creators), 'utf8'), ARTIFACT_FILES.creators);
    return { version: chosen, manifest, creators };
  } catch (err) {
    throw new Error(`index version ${chosen} in ${indexDir} is unusable: ${(err as Error).message}`, { cause: err });
  }
}

function parseCreatorRows(text: string, source: string): CreatorRow[] {
  const rows: CreatorRow[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!;
    if (!raw.trim()) continue;
    let p: Record<string, unknown>;
    try {
      p = JSON.parse(raw) as Record<string, unknown>;
    } catch (err) {
      throw new Error(`${source} line ${i + 1}: ${(err as Error).message}`, { cause: err });
    }
    if (typeof p.id !== 'string') throw new Error(`${source} line ${i + 1}: no id`);
    rows.push({
      id: p.id,
      name: typeof p.name === 'string' ? p.name : '',
      category: typeof p.category === 'string' ? p.category : '',
      language: typeof p.language === 'string' ? p.language : '',
      tags: Array.isArray(p.tags) ? p.tags.filter((t): t is string => typeof t === 'string') : [],
      isNsfw: p.is_nsfw === true,
    });
  }
  return rows;
}

/** Row `label` of the version's vectors (a view). */
export function rowOf(v: Pick<VersionData, 'vectors' | 'dims'>, label: number): Float32Array {
  return v.vectors.subarray(label * v.dims, (label + 1) * v.dims);
}

export const ADAPTER_FILE = 'adapter.f32';

export interface WrittenVersion {
  version: string;
  dir: string;
  manifest: Manifest;
  /** Extra files copied besides the manifest's (the base version's update log). */
  copiedUpdateLog: boolean;
}

/**
 * Writes a new version into `out`: a copy of the base version's files (its own adapter, if any,
 * left out), `adapter.f32`, and a manifest listing every file with sha256 and size plus the
 * `adapter` block. Written under a temporary name and renamed, like the builder does; CURRENT is
 * not touched (see `publishVersion`).
 */
export async function writeAdaptedVersion(
  base: Pick<VersionData, 'dir' | 'manifest'>,
  out: string,
  adapter: QueryAdapter,
  block: Omit<AdapterManifest, 'file' | 'format' | 'dims' | 'rank'>,
  /** The retrieval the new version serves (default: the base version's). */
  retrieval?: Manifest['retrieval'],
): Promise<WrittenVersion> {
  const version = newVersion();
  await mkdir(out, { recursive: true });
  const tmpDir = path.join(out, `.tmp-${version}`);
  const dir = path.join(out, version);
  await mkdir(tmpDir);
  try {
    const files: Manifest['files'] = {};
    const baseAdapterFile = base.manifest.adapter?.file;
    for (const name of Object.keys(base.manifest.files)) {
      if (name === baseAdapterFile) continue;
      // A copy-on-write clone where the filesystem has them, a plain copy otherwise.
      await copyFile(path.join(base.dir, name), path.join(tmpDir, name), fsConstants.COPYFILE_FICLONE);
      files[name] = await describeFile(path.join(tmpDir, name));
      const expected = base.manifest.files[name]!;
      if (files[name].sha256 !== expected.sha256) throw new Error(`${name} changed while it was copied from ${base.dir}`);
    }
    let copiedUpdateLog = false;
    const log = path.join(base.dir, UPDATE_LOG_FILE);
    if (await stat(log).then(() => true, () => false)) {
      await copyFile(log, path.join(tmpDir, UPDATE_LOG_FILE));
      copiedUpdateLog = true;
    }
    await writeFile(path.join(tmpDir, ADAPTER_FILE), adapter.toBuffer());
    files[ADAPTER_FILE] = await describeFile(path.join(tmpDir, ADAPTER_FILE));
    const manifest: Manifest = {
      ...base.manifest,
      version,
      builtAt: new Date().toISOString(),
      files,
      adapter: { file: ADAPTER_FILE, format: 'identity-plus-low-rank', dims: adapter.dims, rank: adapter.rank, ...block },
      ...(retrieval ? { retrieval } : {}),
    };
    await writeFile(path.join(tmpDir, MANIFEST_FILE), JSON.stringify(manifest, null, 2) + '\n');
    // Read back through the same checks the service runs before it serves a version.
    await verifyFiles(tmpDir, await readManifest(tmpDir));
    await fsyncDir(tmpDir);
    await rename(tmpDir, dir);
    await fsyncDir(out);
    return { version, dir, manifest, copiedUpdateLog };
  } catch (err) {
    await rm(tmpDir, { recursive: true, force: true });
    throw new Error(`could not write a version into ${out}; nothing was published: ${(err as Error).message}`, { cause: err });
  }
}

/** Points DIR/CURRENT at a version (atomically). */
export async function publishVersion(indexDir: string, version: string): Promise<void> {
  await writeCurrent(indexDir, version);
}

/**
 * Embeds texts with the version's own model (as the service does: same model id and dtype, the
 * vectors L2-normalised). Creates and disposes the embedder unless one is given.
 */
export async function embedWithModelOf(manifest: Manifest, texts: readonly string[], opts: { embedder?: Embedder; modelsDir?: string; onProgress?: (done: number) => void } = {}): Promise<Float32Array[]> {
  if (texts.length === 0) return [];
  if (!manifest.model) throw new Error(`index version ${manifest.version} has no model (provided vectors), so interest texts cannot be embedded; use like_creators queries`);
  const own = opts.embedder === undefined;
  if (own) await prepareIfBundled(manifest.model.id, opts.modelsDir);
  const embedder = opts.embedder ?? createEmbedder({ model: manifest.model.id, dtype: manifest.model.dtype, ...(opts.modelsDir ? { modelsDir: opts.modelsDir } : {}) });
  try {
    const out: Float32Array[] = [];
    const chunk = 512;
    for (let i = 0; i < texts.length; i += chunk) {
      const vs = await embedder.embed(texts.slice(i, i + chunk));
      for (const v of vs) out.push(normalise(Float32Array.from(v)) ?? Float32Array.from(v));
      opts.onProgress?.(Math.min(texts.length, i + chunk));
    }
    return out;
  } finally {
    if (own) await embedder.dispose();
  }
}

/** A version opened for searching the way the service serves it (HNSW + exact filtering). */
export interface Serving {
  version: string;
  manifest: Manifest;
  adapter: QueryAdapter | undefined;
  /** Normalised mean of some creators' vectors (unknown ids are skipped); undefined if none is known. */
  likeVector(ids: readonly string[]): Promise<Float32Array | undefined>;
  /** Top k creator ids for a query vector (dense, as liked-creators queries are served), without NSFW creators and without `exclude`. */
  search(vector: Float32Array, k: number, exclude: readonly string[]): Promise<string[]>;
  /**
   * Top k creator ids for an interest text as the service answers it (the version's default
   * retrieval mode, its adapter applied), `vector` being the model's embedding of `text`.
   */
  searchText(text: string, vector: Float32Array, k: number): Promise<string[]>;
  close(): Promise<void>;
}

export async function openServing(indexDir: string, version?: string): Promise<Serving> {
  const index = await loadIndexVersion(indexDir, version);
  try {
    const adapter = await readVersionAdapter(index.dir, index.manifest);
    // Text queries go through the served path with their embedding computed beforehand.
    const embedded = new Map<string, Float32Array>();
    const precomputed: Embedder = {
      modelId: index.manifest.model?.id ?? '',
      revision: 'precomputed',
      dims: index.manifest.dims,
      init: () => Promise.resolve(),
      embed: (texts) =>
        Promise.resolve(
          texts.map((t) => {
            const v = embedded.get(t);
            if (!v) throw new Error(`no embedding for ${JSON.stringify(t.slice(0, 40))}`);
            return v;
          }),
        ),
      dispose: () => Promise.resolve(),
    };
    const matcher = new Matcher(index, { embedder: precomputed }, { exactMaxCandidates: 'auto', maxRerankWork: Number.MAX_SAFE_INTEGER });
    const noFilter = (exclude: readonly string[]) => ({ excludeIds: [...exclude], categories: [], languages: [], includeNsfw: false, minScore: undefined });
    return {
      version: index.version,
      manifest: index.manifest,
      adapter,
      async likeVector(ids) {
        const labels = ids.map((id) => index.catalog.labelOf(id)).filter((l): l is number => l !== undefined);
        if (labels.length === 0) return undefined;
        const rows = await index.hnsw.vectors(labels);
        return normalisedMean(rows.filter((r): r is Float32Array => r !== undefined), index.manifest.dims);
      },
      async search(vector, k, exclude) {
        const r = await matcher.match({
          requestId: '',
          fanId: '',
          query: { kind: 'vector', vector },
          k,
          filter: noFilter(exclude),
          includeProfile: false,
          retrieval: 'dense',
          explain: false,
        });
        return r.matches.map((m) => m.creatorId);
      },
      async searchText(text, vector, k) {
        embedded.set(text, vector);
        try {
          const r = await matcher.match({ requestId: '', fanId: '', query: { kind: 'text', text }, k, filter: noFilter([]), includeProfile: false, retrieval: 'default', explain: false });
          return r.matches.map((m) => m.creatorId);
        } finally {
          embedded.delete(text);
        }
      },
      close() {
        return index.hnsw.close();
      },
    };
  } catch (err) {
    await index.hnsw.close();
    throw err;
  }
}
