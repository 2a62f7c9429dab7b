import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { CreatorProfile } from '../src/catalog/creator';
import { PROFILE_TEXT_TEMPLATE_VERSION } from '../src/catalog/profile-text';
import { HnswIndex, type HnswParams } from '../src/index/hnsw-index';
import { ANN_KIND, ARTIFACT_FILES, FORMAT_VERSION, LEXICAL_FILES, MANIFEST_FILE, describeFile, writeCurrent, type Manifest } from '../src/index/manifest';
import { FORMAT_VERSION as LEXICAL_FORMAT_VERSION } from '../src/lexical/index-codec';
import { LexicalIndex } from '../src/lexical/lexical-index';
import { withIndexDirLock } from '../src/index/index-lock';
import { mkdirp } from '../src/util/mkdirp';
import { measureRecall, type RecallTruth } from './recall';
import type { VectorMatrix } from './vector-matrix';
import { pruneVersions } from './retention';

export type BuildStage = 'read' | 'embed' | 'insert' | 'recall' | 'write';

export interface BuildHooks {
  onStage?(stage: BuildStage, total: number): void;
  onProgress?(stage: BuildStage, done: number): void;
  /** The stage's total is now known (the insert stage starts with an estimate while reading). */
  onTotal?(stage: BuildStage, total: number): void;
}

/** One creator's profile text (src/catalog/profile-text.ts) and language, for the lexical index. */
export interface ProfileDoc {
  text: string;
  language: string;
}

export class BuildError extends Error {
  override readonly name = 'BuildError';
}

export interface PublishInput {
  out: string;
  /** Row i of `matrix` is `profiles[i]`. */
  profiles: readonly CreatorProfile[];
  /**
   * The profile text of each creator (what the model embedded) and its language, parallel to
   * `profiles`: the lexical (BM25) index is built from it. Absent: a dense-only version.
   */
  texts?: readonly ProfileDoc[];
  /** The retrieval a request without one gets, and how hybrid fuses (default: dense without texts). */
  retrieval?: Manifest['retrieval'];
  /** A learned query adapter carried over from another version (its file and manifest block). */
  adapter?: { source: string; manifest: NonNullable<Manifest['adapter']> };
  matrix: VectorMatrix;
  model: Manifest['model'];
  vectorSource: Manifest['vectorSource'];
  params: HnswParams;
  /** Insert threads (default: every core); 1 builds the same graph (and bytes) every time. */
  threads?: number;
  minRecall: number;
  recallSample: number;
  input: Manifest['input'];
  publish: boolean;
  keep?: number;
  /** An index already built over `matrix` (label = row), e.g. while the input was being read. */
  prebuilt?: { ann: HnswIndex; insertSeconds: number };
  /** Precomputed exact answers of the recall check (see recallPlan); computed here otherwise. */
  recallTruth?: RecallTruth;
}

export interface PublishReport {
  version: string;
  dir: string;
  published: boolean;
  count: number;
  dims: number;
  recall: Manifest['recall'];
  /** Versions removed by retention. */
  pruned: string[];
  seconds: { insert: number; recall: number; write: number };
}

/**
 * HNSW build → recall@10 check (refuse below minRecall) → version dir written under a temp name
 * and renamed → CURRENT switched atomically → old versions pruned. A crash at any point leaves
 * CURRENT on a complete version.
 */
export async function publishVersion(p: PublishInput, hooks: BuildHooks = {}): Promise<PublishReport> {
  const tInsert = performance.now();
  if (!p.prebuilt) hooks.onStage?.('insert', p.matrix.count);
  const ann = p.prebuilt?.ann ?? (await buildHnsw(p.matrix, p.params, p.threads, (done) => hooks.onProgress?.('insert', done)));
  const insertSeconds = p.prebuilt?.insertSeconds ?? (performance.now() - tInsert) / 1000;
  try {
    const tRecall = performance.now();
    hooks.onStage?.('recall', 0);
    await ann.fit();
    const recall = await measureRecall(ann, p.matrix, { k: 10, sampleSize: p.recallSample, ef: p.params.efSearch, seed: p.params.randomSeed }, p.recallTruth);
    const recallSeconds = (performance.now() - tRecall) / 1000;
    if (recall.sampleSize > 0 && recall.value < p.minRecall) {
      throw new BuildError(
        `recall@10 ${recall.value.toFixed(4)} is below --min-recall ${p.minRecall}; not published (raise --m, --ef-construction or --ef-search)`,
      );
    }
    hooks.onStage?.('write', 0);
    const tWrite = performance.now();
    const version = newVersion();
    await mkdirp(p.out); // not fs.mkdir recursive: it never returns under /proc
    const dir = path.join(p.out, version);
    const tmpDir = path.join(p.out, `.tmp-${version}`);
    await fs.mkdir(tmpDir);
    try {
      await ann.save(path.join(tmpDir, ARTIFACT_FILES.index));
      await p.matrix.writeFile(path.join(tmpDir, ARTIFACT_FILES.vectors));
      await fs.writeFile(path.join(tmpDir, ARTIFACT_FILES.creators), p.profiles.map((c) => JSON.stringify(c)).join('\n') + '\n');
      const lexical = p.texts ? await writeLexical(tmpDir, p.texts) : undefined;
      if (p.adapter) await fs.copyFile(p.adapter.source, path.join(tmpDir, p.adapter.manifest.file));
      const files: Manifest['files'] = {};
      const names = [...Object.values(ARTIFACT_FILES), ...(lexical ? Object.values(LEXICAL_FILES) : []), ...(p.adapter ? [p.adapter.manifest.file] : [])];
      for (const name of names) files[name] = await describeFile(path.join(tmpDir, name));
      const manifest: Manifest = {
        formatVersion: FORMAT_VERSION,
        version,
        builtAt: new Date().toISOString(),
        model: p.model,
        vectorSource: p.vectorSource,
        dims: p.matrix.dims,
        metric: 'cosine',
        normalized: true,
        count: p.matrix.count,
        ann: { kind: ANN_KIND, ...p.params },
        recall: { k: recall.k, sampleSize: recall.sampleSize, value: recall.value },
        profileTextTemplate: PROFILE_TEXT_TEMPLATE_VERSION,
        input: p.input,
        ...(lexical ? { lexical } : {}),
        ...(lexical && p.retrieval ? { retrieval: p.retrieval } : {}),
        ...(p.adapter ? { adapter: p.adapter.manifest } : {}),
        files,
      };
      await fs.writeFile(path.join(tmpDir, MANIFEST_FILE), JSON.stringify(manifest, null, 2) + '\n');
      await fsyncDir(tmpDir);
    } catch (err) {
      await fs.rm(tmpDir, { recursive: true, force: true });
      throw new BuildError(`could not write version ${version} in ${p.out}; nothing was published and CURRENT is unchanged: ${(err as Error).message}`, { cause: err });
    }
    // Rename, publish and prune under the index-dir lock: a concurrent builder's prune cannot
    // remove this version before CURRENT names it (src/index/index-lock.ts).
    const pruned = await withIndexDirLock(p.out, async () => {
      try {
        await fs.rename(tmpDir, dir);
        await fsyncDir(p.out);
      } catch (err) {
        await fs.rm(tmpDir, { recursive: true, force: true });
        throw new BuildError(`could not write version ${version} in ${p.out}; nothing was published and CURRENT is unchanged: ${(err as Error).message}`, { cause: err });
      }
      if (p.publish) await writeCurrent(p.out, version);
      return p.keep !== undefined ? pruneVersions(p.out, p.keep) : [];
    });
    const writeSeconds = (performance.now() - tWrite) / 1000;
    return {
      version,
      dir,
      published: p.publish,
      count: p.matrix.count,
      dims: p.matrix.dims,
      recall: { k: recall.k, sampleSize: recall.sampleSize, value: recall.value },
      pruned,
      seconds: { insert: insertSeconds, recall: recallSeconds, write: writeSeconds },
    };
  } finally {
    await ann.close();
  }
}

/** Builds the BM25 index over the profile texts (label = row) and writes it with the texts. */
async function writeLexical(dir: string, texts: readonly ProfileDoc[]): Promise<NonNullable<Manifest['lexical']>> {
  const lexical = LexicalIndex.build(texts.map((t, label) => ({ label, text: t.text, language: t.language })));
  await fs.writeFile(path.join(dir, LEXICAL_FILES.lexical), lexical.serialize());
  await fs.writeFile(path.join(dir, LEXICAL_FILES.texts), texts.map((t) => JSON.stringify(t)).join('\n') + (texts.length ? '\n' : ''));
  return { documents: lexical.size, formatVersion: LEXICAL_FORMAT_VERSION };
}

/** Rows inserted per native call (the progress bar moves between calls). */
const INSERT_CHUNK = 4096;

/** An HNSW index over every row of `matrix` (label = row), inserted on `threads` threads. */
export async function buildHnsw(matrix: VectorMatrix, params: HnswParams, threads?: number, onProgress?: (done: number) => void): Promise<HnswIndex> {
  const index = HnswIndex.create(matrix.dims, params, matrix.count);
  try {
    for (let start = 0; start < matrix.count; start += INSERT_CHUNK) {
      const end = Math.min(matrix.count, start + INSERT_CHUNK);
      const labels = Uint32Array.from({ length: end - start }, (_, i) => start + i);
      await index.insert(matrix.data.subarray(start * matrix.dims, end * matrix.dims), labels, threads);
      onProgress?.(end);
    }
    return index;
  } catch (err) {
    await index.close();
    throw err;
  }
}

/** Sortable, unique: 20261125T170102123Z-3f9a1c. */
export function newVersion(now = new Date()): string {
  return `${now.toISOString().replace(/[-:]/g, '').replace('.', '')}-${randomBytes(3).toString('hex')}`;
}

export async function fsyncDir(dir: string): Promise<void> {
  const handle = await fs.open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
