import path from 'node:path';
import { toProfile, type CreatorRecord } from '../src/catalog/creator';
import { profileText } from '../src/catalog/profile-text';
import { createEmbedder, DEFAULT_MODEL_ID, type EmbedderOptions } from '../src/embedding';
import { runReleaseGate, type ReleaseGateReport } from '../src/eval/gate';
import { sha256File, writeCurrent, type Manifest } from '../src/index/manifest';
import { normalise, VectorMatrix } from '../src/index/vector-matrix';
import { BuildError, publishVersion, type BuildHooks, type PublishReport } from './publish-version';
import { InputError, readCreators, type InvalidLine } from './read-creators';

export type { BuildHooks, BuildStage } from './publish-version';
export { BuildError, newVersion } from './publish-version';

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
  /** Keep this many newest versions (the published one always stays); default: keep all. */
  keep?: number;
  format?: 'jsonl' | 'csv';
  /** Release gate: evaluate on these fans against the published version before publishing. */
  evalFans?: string;
  /** Largest allowed drop of any served-model metric (absolute; default 0.01). */
  maxRegression?: number;
}

export interface BuildReport extends PublishReport {
  skipped: InvalidLine[];
  modelId: string | null;
  seconds: PublishReport['seconds'] & { total: number; embed: number };
  /** With evalFans: the comparison with the version that was published. */
  gate?: ReleaseGateReport;
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

  const published = await publishVersion(
    {
      out: opts.out,
      profiles: records.map(toProfile),
      matrix,
      model,
      vectorSource: withVectors > 0 ? 'provided' : 'model',
      params,
      minRecall,
      recallSample: opts.recallSample ?? 500,
      input: { file: path.basename(opts.input), sha256: await sha256File(opts.input), lines: read.lines, skipped: read.invalid.length },
      // With a release gate, CURRENT is switched below, after the gate passes.
      publish: (opts.publish ?? true) && !opts.evalFans,
      ...(opts.keep !== undefined ? { keep: opts.keep } : {}),
    },
    hooks,
  );
  const gate = opts.evalFans ? await releaseGate(opts, published) : undefined;
  return {
    ...published,
    ...(gate ? { gate, published: opts.publish ?? true } : {}),
    skipped: read.invalid,
    modelId: model?.id ?? null,
    seconds: { ...published.seconds, total: (performance.now() - t0) / 1000, embed: embedSeconds },
  };
}

/** Evaluates the written version against the published one; publishes it only without regression. */
async function releaseGate(opts: BuildOptions, written: PublishReport): Promise<ReleaseGateReport> {
  const gate = await runReleaseGate(opts.out, written.version, {
    fans: opts.evalFans!,
    maxRegression: opts.maxRegression ?? 0.01,
    candidateCreators: opts.input,
    ...(opts.modelsDir ? { modelsDir: opts.modelsDir } : {}),
  });
  if (!(opts.publish ?? true)) return gate;
  if (!gate.ok) {
    const drops = gate.result!.regressions.map((r) => `${r.metric} ${r.baseline.toFixed(4)} -> ${r.candidate.toFixed(4)} (-${r.drop.toFixed(4)})`).join(', ');
    throw new ReleaseGateError(
      `release gate: ${drops} on ${opts.evalFans} exceeds --max-regression ${gate.result!.maxRegression}; ` +
        `version ${written.version} was written to ${written.dir} but not published (CURRENT still names ${gate.baseline}); ` +
        `to publish it anyway: npm run index:rollback -- --out ${opts.out} --to ${written.version}`,
      gate,
    );
  }
  await writeCurrent(opts.out, written.version);
  return gate;
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
