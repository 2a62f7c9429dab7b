import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { toProfile, type CreatorRecord } from '../src/catalog/creator';
import { PROFILE_TEXT_TEMPLATE_VERSION, profileText } from '../src/catalog/profile-text';
import { createEmbedder, DEFAULT_MODEL_ID, type EmbedderOptions } from '../src/embedding';
import { runReleaseGate, type ReleaseGateReport } from '../src/eval/gate';
import { HnswIndex } from '../src/index/hnsw-index';
import { ARTIFACT_FILES, FORMAT_VERSION, MANIFEST_FILE, describeFile, sha256File, writeCurrent, type Manifest } from '../src/index/manifest';
import { normalise, VectorMatrix } from '../src/index/vector-matrix';
import { InputError, readCreators, type InvalidLine } from './read-creators';
import { measureRecall } from './recall';

export interface BuildOptions {
  input: string;
  out: string;
  /** Model for embedding; with provided vectors, optionally names the model that made them. */
  model?: string;
  dtype?: 'fp32' | 'q8';
  modelsDir?: string;
  allowRemoteModels?: boolean;
  m?: number;
  efConstruction?: number;
  efSearch?: number;
  seed?: number;
  minRecall?: number;
  recallSample?: number;
  skipInvalid?: boolean;
  publish?: boolean;
  format?: 'jsonl' | 'csv';
  /** Release gate: evaluate on these fans against the published version before publishing. */
  evalFans?: string;
  /** Largest allowed drop of any served-model metric (absolute; default 0.01). */
  maxRegression?: number;
}

export type BuildStage = 'read' | 'embed' | 'insert' | 'recall' | 'write';

export interface BuildHooks {
  onStage?(stage: BuildStage, total: number): void;
  onProgress?(stage: BuildStage, done: number): void;
}

export interface BuildReport {
  version: string;
  dir: string;
  published: boolean;
  count: number;
  skipped: InvalidLine[];
  dims: number;
  modelId: string | null;
  recall: Manifest['recall'];
  seconds: { total: number; embed: number; insert: number; recall: number };
  /** With evalFans: the comparison with the version that was published. */
  gate?: ReleaseGateReport;
}

export class BuildError extends Error {
  override readonly name = 'BuildError';
}

/** The release gate refused to publish: the version is written, CURRENT is unchanged. */
export class ReleaseGateError extends BuildError {
  constructor(
    message: string,
    readonly gate: ReleaseGateReport,
  ) {
    super(message);
  }
}

const EMBED_CHUNK = 256;

export async function buildIndex(opts: BuildOptions, hooks: BuildHooks = {}): Promise<BuildReport> {
  const t0 = performance.now();
  const params = { m: opts.m ?? 16, efConstruction: opts.efConstruction ?? 200, efSearch: opts.efSearch ?? 64, randomSeed: opts.seed ?? 100 };
  const minRecall = opts.minRecall ?? 0.95;

  hooks.onStage?.('read', 0);
  const read = await readCreators(opts.input, opts.format);
  if (read.invalid.length > 0 && !opts.skipInvalid) {
    const shown = read.invalid.slice(0, 10).map((i) => `  line ${i.line}: ${i.reason}`).join('\n');
    throw new InputError(`${read.invalid.length} invalid line(s) in ${opts.input}:\n${shown}\n(use --skip-invalid to skip them)`, read.invalid);
  }
  const records = read.records;
  if (records.length === 0) throw new InputError(`no valid creators in ${opts.input}`);
  const withVectors = records.filter((r) => r.vector !== undefined).length;
  if (withVectors !== 0 && withVectors !== records.length) {
    const firstMissing = records.findIndex((r) => r.vector === undefined);
    const firstHas = records.findIndex((r) => r.vector !== undefined);
    const at = read.lineNumbers[withVectors < records.length / 2 ? firstHas : firstMissing];
    throw new InputError(`either all creators or none must carry a vector: ${withVectors} of ${records.length} do (see line ${at})`);
  }

  const tEmbed = performance.now();
  const { matrix, model } = withVectors > 0 ? providedVectors(records, read.lineNumbers, opts) : await embedRecords(records, opts, hooks);
  const embedSeconds = (performance.now() - tEmbed) / 1000;

  const tInsert = performance.now();
  hooks.onStage?.('insert', matrix.count);
  const ann = HnswIndex.build(matrix, params, (done) => hooks.onProgress?.('insert', done));
  const insertSeconds = (performance.now() - tInsert) / 1000;

  const tRecall = performance.now();
  hooks.onStage?.('recall', 0);
  const recall = measureRecall(ann, matrix, { k: 10, sampleSize: opts.recallSample ?? 500, ef: params.efSearch, seed: params.randomSeed });
  const recallSeconds = (performance.now() - tRecall) / 1000;
  if (recall.sampleSize > 0 && recall.value < minRecall) {
    ann.close();
    throw new BuildError(
      `recall@10 ${recall.value.toFixed(4)} is below --min-recall ${minRecall}; not published (raise --m, --ef-construction or --ef-search)`,
    );
  }

  hooks.onStage?.('write', 0);
  const version = newVersion();
  await fs.mkdir(opts.out, { recursive: true });
  const dir = path.join(opts.out, version);
  const tmpDir = path.join(opts.out, `.tmp-${version}`);
  await fs.mkdir(tmpDir);
  try {
    await ann.save(path.join(tmpDir, ARTIFACT_FILES.index));
    await matrix.writeFile(path.join(tmpDir, ARTIFACT_FILES.vectors));
    await fs.writeFile(path.join(tmpDir, ARTIFACT_FILES.creators), records.map((r) => JSON.stringify(toProfile(r))).join('\n') + '\n');
    const files: Manifest['files'] = {};
    for (const name of Object.values(ARTIFACT_FILES)) files[name] = await describeFile(path.join(tmpDir, name));
    const manifest: Manifest = {
      formatVersion: FORMAT_VERSION,
      version,
      builtAt: new Date().toISOString(),
      model,
      vectorSource: withVectors > 0 ? 'provided' : 'model',
      dims: matrix.dims,
      metric: 'cosine',
      normalized: true,
      count: matrix.count,
      ann: { kind: ann.kind, ...params },
      recall: { k: recall.k, sampleSize: recall.sampleSize, value: recall.value },
      profileTextTemplate: PROFILE_TEXT_TEMPLATE_VERSION,
      input: { file: path.basename(opts.input), sha256: await sha256File(opts.input), lines: read.lines, skipped: read.invalid.length },
      files,
    };
    await fs.writeFile(path.join(tmpDir, MANIFEST_FILE), JSON.stringify(manifest, null, 2) + '\n');
    await fsyncDir(tmpDir);
    await fs.rename(tmpDir, dir);
    await fsyncDir(opts.out);
  } catch (err) {
    await fs.rm(tmpDir, { recursive: true, force: true });
    throw err;
  } finally {
    ann.close();
  }
  const publish = opts.publish ?? true;
  let gate: ReleaseGateReport | undefined;
  if (opts.evalFans) {
    gate = await runReleaseGate(opts.out, version, {
      fans: opts.evalFans,
      maxRegression: opts.maxRegression ?? 0.01,
      candidateCreators: opts.input,
      ...(opts.modelsDir ? { modelsDir: opts.modelsDir } : {}),
    });
    if (!gate.ok && publish) {
      const worst = gate.result!.regressions.map((r) => `${r.metric} ${r.baseline.toFixed(4)} -> ${r.candidate.toFixed(4)} (-${r.drop.toFixed(4)})`).join(', ');
      throw new ReleaseGateError(
        `release gate: ${worst} on ${opts.evalFans} exceeds --max-regression ${gate.result!.maxRegression}; ` +
          `version ${version} was written to ${dir} but not published (CURRENT still names ${gate.baseline})`,
        gate,
      );
    }
  }
  if (publish) await writeCurrent(opts.out, version);

  return {
    version,
    dir,
    published: publish,
    count: matrix.count,
    skipped: read.invalid,
    dims: matrix.dims,
    modelId: model?.id ?? null,
    recall,
    ...(gate ? { gate } : {}),
    seconds: { total: (performance.now() - t0) / 1000, embed: embedSeconds, insert: insertSeconds, recall: recallSeconds },
  };
}

async function embedRecords(records: CreatorRecord[], opts: BuildOptions, hooks: BuildHooks): Promise<{ matrix: VectorMatrix; model: Manifest['model'] }> {
  const embedderOptions: EmbedderOptions = { model: opts.model ?? DEFAULT_MODEL_ID, dtype: opts.dtype ?? 'q8' };
  if (opts.modelsDir !== undefined) embedderOptions.modelsDir = opts.modelsDir;
  if (opts.allowRemoteModels !== undefined) embedderOptions.allowRemoteModels = opts.allowRemoteModels;
  const embedder = createEmbedder(embedderOptions);
  try {
    await embedder.init();
    hooks.onStage?.('embed', records.length);
    const data = new Float32Array(records.length * embedder.dims);
    for (let start = 0; start < records.length; start += EMBED_CHUNK) {
      const chunk = records.slice(start, start + EMBED_CHUNK);
      const vectors = await embedder.embed(chunk.map(profileText));
      vectors.forEach((v, i) => data.set(normalise(Float32Array.from(v)) ?? v, (start + i) * embedder.dims));
      hooks.onProgress?.('embed', start + chunk.length);
    }
    return {
      matrix: new VectorMatrix(embedder.dims, data),
      model: { id: embedder.modelId, revision: embedder.revision, dtype: embedderOptions.dtype ?? 'q8' },
    };
  } finally {
    await embedder.dispose();
  }
}

function providedVectors(records: CreatorRecord[], lineNumbers: number[], opts: BuildOptions): { matrix: VectorMatrix; model: Manifest['model'] } {
  const dims = records[0]!.vector!.length;
  const data = new Float32Array(records.length * dims);
  records.forEach((r, i) => {
    const v = r.vector!;
    if (v.length !== dims) throw new InputError(`line ${lineNumbers[i]}: vector has ${v.length} values, the first line has ${dims}`);
    const normalised = normalise(Float32Array.from(v));
    if (!normalised) throw new InputError(`line ${lineNumbers[i]}: vector has zero norm (cosine is undefined)`);
    data.set(normalised, i * dims);
  });
  // Provided vectors carry no model unless the caller names the one that made them.
  const model = opts.model ? { id: opts.model, revision: 'external', dtype: opts.dtype ?? 'q8' } : null;
  return { matrix: new VectorMatrix(dims, data), model };
}

/** Sortable, unique: 20261125T170102123Z-3f9a1c. */
export function newVersion(now = new Date()): string {
  return `${now.toISOString().replace(/[-:]/g, '').replace('.', '')}-${randomBytes(3).toString('hex')}`;
}

async function fsyncDir(dir: string): Promise<void> {
  const handle = await fs.open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
