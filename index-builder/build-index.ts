import os from 'node:os';
import path from 'node:path';
import { toProfile, type CreatorRecord } from '../src/catalog/creator';
import { profileText } from '../src/catalog/profile-text';
import { createEmbedder, DEFAULT_MODEL_ID, type EmbedderOptions } from '../src/embedding';
import { prepareIfBundled } from '../tools/model/prepare-default-model';
import { runReleaseGate, type ReleaseGateReport } from '../tools/eval/gate';
import { writeCurrent, type Manifest } from '../src/index/manifest';
import { withIndexDirLock } from '../src/index/index-lock';
import { HnswIndex, type HnswParams } from '../src/index/hnsw-index';
import { normalise } from '../src/index/vectors';
import { VectorMatrix } from './vector-matrix';
import { DEFAULT_RETRIEVAL } from '../src/match/fusion-defaults';
import { BuildError, publishVersion, type BuildHooks, type PublishInput, type PublishReport } from './publish-version';
import type { InvalidLine } from '../src/catalog/creator-file';
import { ParallelEmbedder, embedWorkersDefault } from './parallel-embedder';
import { readCreatorsPipelined } from './read-pipelined';

export type { BuildHooks, BuildStage } from './publish-version';
export { BuildError, newVersion } from './publish-version';

export interface BuildOptions {
  input: string;
  out: string;
  /** Model for embedding; with provided vectors, optionally names the model that made them. */
  model?: string | undefined;
  dtype?: 'fp32' | 'q8' | undefined;
  modelsDir?: string | undefined;
  allowRemoteModels?: boolean | undefined;
  m?: number | undefined;
  efConstruction?: number | undefined;
  /** The retrieval served by default and the hybrid fusion (default: hybrid with DEFAULT_FUSION). */
  retrieval?: NonNullable<Manifest['retrieval']> | undefined;
  /** HNSW insert threads (default: every core); 1 makes the build reproducible byte for byte. */
  threads?: number | undefined;
  /** Threads that embed, each with its own model session (default: every core, at most 4, and at most one per two chunks of profiles; 1: this thread only). */
  embedWorkers?: number | undefined;
  /** ONNX Runtime intra-op threads per embedding thread (default: 1 with several embedding threads, else every core, at most 8). */
  embedThreads?: number | undefined;
  /** Chunks of profiles being embedded at once (default: one per embedding thread). */
  embedInFlight?: number | undefined;
  efSearch?: number | undefined;
  seed?: number | undefined;
  minRecall?: number | undefined;
  recallSample?: number | undefined;
  skipInvalid?: boolean | undefined;
  publish?: boolean | undefined;
  /** Keep this many newest versions (the published one always stays); default: keep all. */
  keep?: number | undefined;
  format?: 'jsonl' | 'csv' | undefined;
  /** CSV cell separator (default ','). */
  delimiter?: string | undefined;
  /** Release gate: evaluate on these fans against the published version before publishing. */
  evalFans?: string | undefined;
  /** Largest allowed drop of any served-model metric (absolute; default 0.01). */
  maxRegression?: number | undefined;
}

export interface BuildReport extends PublishReport {
  skipped: InvalidLine[];
  modelId: string | null;
  /**
   * read: until the input was parsed (with provided vectors the inserts overlap it). Embedded
   * input: embed = the embedding stage (model load excluded), insert = time the HNSW inserts were
   * busy (they overlap the embedding), insertTail = inserts still running after the last batch
   * was embedded, modelLoad = loading the model.
   */
  seconds: PublishReport['seconds'] & { total: number; embed: number; read: number; modelLoad?: number; insertTail?: number };
  /** Embedded input: how it was embedded. */
  embedding?: { workers: number; threads: number; inFlight: number; batchSize: number; textsPerSecond: number };
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

/** Profiles per embed call (sorted by length inside it) and per HNSW insert. */
const EMBED_CHUNK = 256;
/** Texts per ONNX run. */
const EMBED_BATCH = 32;

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
    const embedded = read.matrix ? undefined : await embedRecords(records, opts, params, hooks);
    const { matrix, model } = read.matrix ? { matrix: read.matrix, model: providedModel(opts) } : embedded!;
    const embedSeconds = embedded ? embedded.seconds.embed : (performance.now() - tEmbed) / 1000;
    if (embedded) prebuilt = { ann: embedded.ann, insertSeconds: embedded.seconds.insert };

    const published = await publishVersion(
      {
        out: opts.out,
        profiles: records.map(toProfile),
        texts: records.map((r) => ({ text: profileText(r), language: r.language })),
        retrieval: opts.retrieval ?? DEFAULT_RETRIEVAL,
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
      seconds: {
        ...published.seconds,
        total: (performance.now() - t0) / 1000,
        embed: embedSeconds,
        read: read.readSeconds,
        ...(embedded ? { modelLoad: embedded.seconds.modelLoad, insertTail: embedded.seconds.insertTail } : {}),
      },
      ...(embedded ? { embedding: embedded.embedding } : {}),
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
  await withIndexDirLock(opts.out, () => writeCurrent(opts.out, written.version));
  return gate;
}

/**
 * ONNX Runtime intra-op threads for a builder embedding on one thread: every core (at most 8). The
 * builder has no event loop to keep responsive, and the HNSW inserts that overlap the embedding
 * are a few percent of its work on text input (measured: docs/BENCHMARKS.md, "Builder on text
 * profiles"). With several embedding threads (the default) each session gets one.
 */
export function embedThreadsDefault(workers = 1): number {
  return workers > 1 ? 1 : Math.max(1, Math.min(8, os.availableParallelism()));
}

interface Embedded {
  matrix: VectorMatrix;
  model: Manifest['model'];
  ann: HnswIndex;
  seconds: { modelLoad: number; embed: number; insert: number; insertTail: number };
  embedding: { workers: number; threads: number; inFlight: number; batchSize: number; textsPerSecond: number };
}

/**
 * Embeds the profiles in chunks (length-sorted batches of 32 inside each) and inserts each chunk
 * into HNSW on the thread pool while the next chunk is embedded: the model and the graph work at
 * once, on every core. Inserts keep row order, so with one insert thread the graph is the one
 * buildHnsw makes from the same vectors.
 */
async function embedRecords(records: CreatorRecord[], opts: BuildOptions, params: HnswParams, hooks: BuildHooks): Promise<Embedded> {
  // A thread of its own loads the model (~1 s): by default only when each gets two chunks or more.
  const workers = opts.embedWorkers ?? Math.max(1, Math.min(embedWorkersDefault(), Math.floor(records.length / EMBED_CHUNK / 2)));
  const threads = opts.embedThreads ?? embedThreadsDefault(workers);
  const inFlight = opts.embedInFlight ?? workers;
  const embedderOptions: EmbedderOptions = { model: opts.model ?? DEFAULT_MODEL_ID, dtype: opts.dtype ?? 'q8', threads, batchSize: EMBED_BATCH };
  if (opts.modelsDir !== undefined) embedderOptions.modelsDir = opts.modelsDir;
  if (opts.allowRemoteModels !== undefined) embedderOptions.allowRemoteModels = opts.allowRemoteModels;
  await prepareIfBundled(embedderOptions.model, opts.modelsDir);
  const local = createEmbedder(embedderOptions);
  const embedder = workers > 1 ? new ParallelEmbedder(local, embedderOptions, workers - 1) : local;
  let ann: HnswIndex | undefined;
  let inserting: Promise<void> = Promise.resolve();
  try {
    const tLoad = performance.now();
    await embedder.init();
    const modelLoad = (performance.now() - tLoad) / 1000;
    const dims = embedder.dims;
    hooks.onStage?.('embed', records.length);
    const tEmbed = performance.now();
    const data = new Float32Array(records.length * dims);
    ann = HnswIndex.create(dims, params, records.length);
    const index = ann;
    let insertBusy = 0;
    /** The first insert's rejection, as it came (boxed: the reason itself may be any value). */
    let insertFailed: { reason: unknown } | undefined;
    // Up to `inFlight` chunks are being embedded at once (ONNX Runtime runs concurrent calls of one
    // session on its own threads); each is taken, and inserted, in row order.
    const take = (start: number, vectors: Float32Array[]): void => {
      vectors.forEach((v, i) => data.set(normalise(Float32Array.from(v)) ?? v, (start + i) * dims));
      hooks.onProgress?.('embed', start + vectors.length);
      const rows = data.subarray(start * dims, (start + vectors.length) * dims);
      const labels = Uint32Array.from({ length: vectors.length }, (_, i) => start + i);
      inserting = inserting.then(async () => {
        if (insertFailed) return;
        const t = performance.now();
        await index.insert(rows, labels, opts.threads).catch((err: unknown) => {
          insertFailed = { reason: err };
        });
        insertBusy += (performance.now() - t) / 1000;
      });
    };
    const window: { start: number; vectors: Promise<Float32Array[]> }[] = [];
    try {
      for (let start = 0; start < records.length; start += EMBED_CHUNK) {
        if (insertFailed) throw insertFailed.reason;
        const vectors = embedder.embed(records.slice(start, start + EMBED_CHUNK).map(profileText));
        vectors.catch(() => undefined); // awaited below, in order
        window.push({ start, vectors });
        if (window.length >= inFlight) {
          const next = window.shift()!;
          take(next.start, await next.vectors);
        }
      }
      while (window.length > 0) {
        const next = window.shift()!;
        take(next.start, await next.vectors);
      }
    } finally {
      await Promise.all(window.map((w) => w.vectors.catch(() => undefined)));
    }
    const embedSeconds = (performance.now() - tEmbed) / 1000;
    const tTail = performance.now();
    await inserting;
    if (insertFailed) throw insertFailed.reason;
    return {
      matrix: new VectorMatrix(dims, data),
      model: { id: embedder.modelId, revision: embedder.revision, dtype: embedderOptions.dtype ?? 'q8' },
      ann: index,
      seconds: { modelLoad, embed: embedSeconds, insert: insertBusy, insertTail: (performance.now() - tTail) / 1000 },
      embedding: { workers, threads, inFlight, batchSize: EMBED_BATCH, textsPerSecond: records.length / embedSeconds },
    };
  } catch (err) {
    await inserting.catch(() => undefined);
    await ann?.close();
    throw err;
  } finally {
    await embedder.dispose();
  }
}

/** Provided vectors carry no model unless the caller names the one that made them. */
function providedModel(opts: BuildOptions): Manifest['model'] {
  return opts.model ? { id: opts.model, revision: 'external', dtype: opts.dtype ?? 'q8' } : null;
}
