import path from 'node:path';
import { toProfile, type CreatorRecord } from '../src/catalog/creator';
import { profileText } from '../src/catalog/profile-text';
import { createEmbedder, DEFAULT_MODEL_ID, type EmbedderOptions } from '../src/embedding';
import { prepareIfBundled } from '../tools/model/prepare-default-model';
import { runReleaseGate, type ReleaseGateReport } from '../tools/eval/gate';
import { writeCurrent, type Manifest } from '../src/index/manifest';
import { HnswIndex } from '../src/index/hnsw-index';
import { normalise } from '../src/index/vectors';
import { VectorMatrix } from './vector-matrix';
import { DEFAULT_FUSION } from '../src/match/fusion-defaults';
import { BuildError, publishVersion, type BuildHooks, type PublishInput, type PublishReport } from './publish-version';
import type { InvalidLine } from '../src/catalog/creator-file';
import { readCreatorsPipelined } from './read-pipelined';

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
  /** The retrieval served by default and the hybrid fusion (default: hybrid with DEFAULT_FUSION). */
  retrieval?: NonNullable<Manifest['retrieval']>;
  /** HNSW insert threads (default: every core); 1 makes the build reproducible byte for byte. */
  threads?: number;
  efSearch?: number;
  seed?: number;
  minRecall?: number;
  recallSample?: number;
  skipInvalid?: boolean;
  publish?: boolean;
  /** Keep this many newest versions (the published one always stays); default: keep all. */
  keep?: number;
  format?: 'jsonl' | 'csv';
  /** CSV cell separator (default ','). */
  delimiter?: string;
  /** Release gate: evaluate on these fans against the published version before publishing. */
  evalFans?: string;
  /** Largest allowed drop of any served-model metric (absolute; default 0.01). */
  maxRegression?: number;
}

export interface BuildReport extends PublishReport {
  skipped: InvalidLine[];
  modelId: string | null;
  /** read: until the input was parsed (with provided vectors the inserts overlap it). */
  seconds: PublishReport['seconds'] & { total: number; embed: number; read: number };
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
  const recallSample = opts.recallSample ?? 500;

  hooks.onStage?.('read', 0);
  // Provided vectors go into HNSW (on every core) while the worker parses the rest of the input.
  let hnsw: HnswIndex | undefined;
  let tInsert = 0;
  const read = await readCreatorsPipelined(opts.input, {
    ...(opts.format ? { format: opts.format } : {}),
    ...(opts.delimiter ? { delimiter: opts.delimiter } : {}),
    ...(opts.skipInvalid ? { skipInvalid: true } : {}),
    recall: { k: 10, sampleSize: recallSample, seed: params.randomSeed },
    insert: {
      start(dims, capacity) {
        tInsert = performance.now();
        hooks.onStage?.('insert', capacity);
        hnsw = HnswIndex.create(dims, params, capacity);
      },
      rows: (first, vectors) => hnsw!.insert(vectors, Uint32Array.from({ length: vectors.length / hnsw!.dims }, (_, i) => first + i), opts.threads),
      progress: (done) => hooks.onProgress?.('insert', done),
    },
  });
  try {
    const records = read.records;
    let prebuilt: PublishInput['prebuilt'];
    if (hnsw) {
      hooks.onTotal?.('insert', read.matrix!.count);
      hooks.onProgress?.('insert', read.matrix!.count);
      prebuilt = { ann: hnsw, insertSeconds: (performance.now() - tInsert) / 1000 };
    }

    const recallTruth = await read.truth;
    await read.close();

    const tEmbed = performance.now();
    const { matrix, model } = read.matrix ? { matrix: read.matrix, model: providedModel(opts) } : await embedRecords(records, opts, hooks);
    const embedSeconds = (performance.now() - tEmbed) / 1000;

    const published = await publishVersion(
      {
        out: opts.out,
        profiles: records.map(toProfile),
        texts: records.map((r) => ({ text: profileText(r), language: r.language })),
        retrieval: opts.retrieval ?? { default: 'hybrid', fusion: DEFAULT_FUSION, chosenBy: 'default' },
        matrix,
        model,
        vectorSource: read.matrix ? 'provided' : 'model',
        params,
        ...(opts.threads !== undefined ? { threads: opts.threads } : {}),
        minRecall,
        recallSample,
        input: { file: path.basename(opts.input), sha256: read.sha256, lines: read.lines, skipped: read.invalid.length },
        // With a release gate, CURRENT is switched below, after the gate passes.
        publish: (opts.publish ?? true) && !opts.evalFans,
        ...(opts.keep !== undefined ? { keep: opts.keep } : {}),
        ...(prebuilt ? { prebuilt } : {}),
        ...(recallTruth ? { recallTruth } : {}),
      },
      hooks,
    );
    const gate = opts.evalFans ? await releaseGate(opts, published) : undefined;
    return {
      ...published,
      ...(gate ? { gate, published: opts.publish ?? true } : {}),
      skipped: read.invalid,
      modelId: model?.id ?? null,
      seconds: { ...published.seconds, total: (performance.now() - t0) / 1000, embed: embedSeconds, read: read.readSeconds },
    };
  } finally {
    await read.close();
  }
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
    const modes = `served mode ${gate.baselineReport!.retrieval.default} -> ${gate.candidateReport.retrieval.default}`;
    throw new ReleaseGateError(
      `release gate (${modes}): ${drops} on ${opts.evalFans} exceeds --max-regression ${gate.result!.maxRegression}; ` +
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
  await prepareIfBundled(embedderOptions.model, opts.modelsDir);
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

/** Provided vectors carry no model unless the caller names the one that made them. */
function providedModel(opts: BuildOptions): Manifest['model'] {
  return opts.model ? { id: opts.model, revision: 'external', dtype: opts.dtype ?? 'q8' } : null;
}
