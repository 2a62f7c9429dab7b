import os from 'node:os';
import type { FeatureExtractionPipeline } from '@huggingface/transformers';
import type { Embedder } from './embedder';
import { ModelError } from './errors';
import {
  assertLocalModel,
  modelRevision,
  poolingFromConfig,
  readLocalConfig,
  resolveModel,
  type EmbeddingDtype,
  type Pooling,
  type ResolvedModel,
} from './model-source';
import { resolveModelsDir } from './paths';
import { recordEmbeddingBatch } from '../telemetry/instruments';
import { abortError, defaultRunConcurrency, RunSlots } from './run-slots';

export interface TransformersEmbedderConfig {
  model: string | undefined;
  dtype: EmbeddingDtype;
  modelsDir: string | undefined;
  allowRemoteModels: boolean;
  batchSize: number;
  pooling: Pooling | undefined;
  threads: number | undefined;
  /** Sees every ONNX run (texts, seconds); default: the embedding batch metrics of this thread. */
  onBatch?: ((size: number, seconds: number) => void) | undefined;
}

/**
 * ONNX Runtime intra-op threads: all cores but one (1..4), leaving a core to the event loop that
 * tokenises and serves requests. On a busy 2-core machine a 2-thread pool with spinning workers
 * measured both slower and far noisier than 1 thread.
 */
export function defaultThreads(): number {
  return Math.max(1, Math.min(4, os.availableParallelism() - 1));
}

// transformers.js keeps its settings in a process-wide `env`; loads are serialised so that
// concurrent init() calls with different settings cannot interleave.
let loadQueue: Promise<unknown> = Promise.resolve();
function serialised<T>(fn: () => Promise<T>): Promise<T> {
  const run = loadQueue.then(fn, fn);
  loadQueue = run.catch(() => undefined);
  return run;
}

/** Embedder backed by a transformers.js feature-extraction pipeline (onnxruntime-node, CPU). */
export class TransformersEmbedder implements Embedder {
  readonly modelId: string;
  private readonly cfg: TransformersEmbedderConfig;
  private readonly source: ResolvedModel;
  private readonly modelsDir: string;
  private pipe: FeatureExtractionPipeline | undefined;
  private pooling: Pooling = 'mean';
  private initPromise: Promise<void> | undefined;
  private disposed = false;
  private _dims = 0;
  private _revision = '';
  private readonly slots = new RunSlots(defaultRunConcurrency());
  /** ONNX runs started (tests: cancelled calls must not add to it). */
  runsStarted = 0;

  constructor(cfg: TransformersEmbedderConfig) {
    if (!Number.isInteger(cfg.batchSize) || cfg.batchSize < 1) throw new RangeError(`batchSize must be a positive integer, got ${cfg.batchSize}`);
    if (cfg.threads !== undefined && (!Number.isInteger(cfg.threads) || cfg.threads < 1)) throw new RangeError(`threads must be a positive integer, got ${cfg.threads}`);
    if (cfg.dtype !== 'fp32' && cfg.dtype !== 'q8') throw new RangeError(`dtype must be 'fp32' or 'q8', got ${String(cfg.dtype)}`);
    this.cfg = cfg;
    this.modelsDir = resolveModelsDir(cfg.modelsDir);
    this.source = resolveModel(cfg.model, this.modelsDir);
    this.modelId = this.source.modelId;
  }

  get dims(): number {
    return this._dims;
  }

  get revision(): string {
    return this._revision;
  }

  get dtype(): EmbeddingDtype {
    return this.cfg.dtype;
  }

  init(): Promise<void> {
    if (this.disposed) return Promise.reject(new ModelError('EMBEDDER_NOT_READY', 'init() after dispose()'));
    this.initPromise ??= this.load().catch((err: unknown) => {
      this.initPromise = undefined; // allow a retry
      throw err;
    });
    return this.initPromise;
  }

  private async load(): Promise<void> {
    assertLocalModel(this.source, this.cfg.allowRemoteModels);
    const pipe = await serialised(async () => {
      const { env, pipeline } = await import('@huggingface/transformers');
      env.allowLocalModels = true;
      env.localModelPath = this.modelsDir;
      env.allowRemoteModels = this.cfg.allowRemoteModels;
      env.cacheDir = this.modelsDir; // downloads land where the offline lookup finds them next time
      try {
        const threads = this.cfg.threads ?? defaultThreads();
        return await pipeline('feature-extraction', this.source.pipelineName, {
          dtype: this.cfg.dtype,
          device: 'cpu',
          session_options: {
            intraOpNumThreads: threads,
            interOpNumThreads: 1,
            // Idle pool threads must not spin: they would compete with the JS thread for the cores.
            extra: { session: { intra_op: { allow_spinning: '0' } } },
          },
        });
      } catch (err) {
        throw new ModelError('MODEL_LOAD_FAILED', `Loading embedding model "${this.modelId}" (${this.cfg.dtype}) failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
      }
    });
    try {
      const config = (pipe.model as { config?: unknown }).config ?? readLocalConfig(this.source);
      this.pooling = this.cfg.pooling ?? poolingFromConfig(config) ?? (this.source.kind === 'bundled' ? 'cls' : 'mean');
      this.pipe = pipe;
      const [probe] = await this.run(['dimension probe']);
      this._dims = probe!.length;
      this._revision = await modelRevision(this.source, this.cfg.dtype);
      if (this.disposed) await this.release();
    } catch (err) {
      await this.release();
      throw err instanceof ModelError ? err : new ModelError('MODEL_LOAD_FAILED', `Embedding model "${this.modelId}" failed its first run: ${String(err)}`, { cause: err });
    }
  }

  async embed(texts: readonly string[], signal?: AbortSignal): Promise<Float32Array[]> {
    if (texts.length === 0) return [];
    if (signal?.aborted) throw abortError(signal);
    if (!this.pipe) {
      if (this.disposed) throw new ModelError('EMBEDDER_NOT_READY', 'embed() after dispose()');
      await this.init();
    }
    // Length-sorted batches keep padding (and wasted attention work) small.
    const order = texts.map((_, i) => i).sort((a, b) => texts[a]!.length - texts[b]!.length);
    const out = new Array<Float32Array>(texts.length);
    for (let start = 0; start < order.length; start += this.cfg.batchSize) {
      if (signal?.aborted) throw abortError(signal);
      const idx = order.slice(start, start + this.cfg.batchSize);
      // Waits for a run slot; leaves the queue (no run) when the call is cancelled meanwhile.
      const release = await this.slots.acquire(signal);
      let vectors: Float32Array[];
      try {
        if (signal?.aborted) throw abortError(signal);
        const batchStarted = performance.now();
        vectors = await this.run(idx.map((i) => texts[i]!));
        const seconds = (performance.now() - batchStarted) / 1000;
        if (this.cfg.onBatch) this.cfg.onBatch(idx.length, seconds);
        else recordEmbeddingBatch(this.modelId, idx.length, seconds);
      } finally {
        release();
      }
      idx.forEach((i, j) => (out[i] = vectors[j]!));
    }
    return out;
  }

  private async run(batch: string[]): Promise<Float32Array[]> {
    const pipe = this.pipe;
    if (!pipe) throw new ModelError('EMBEDDER_NOT_READY', 'the embedder was disposed');
    this.runsStarted++;
    const tensor = await pipe(batch, { pooling: this.pooling, normalize: true });
    const [rows, dims] = tensor.dims as [number, number];
    if (rows !== batch.length) throw new Error(`pipeline returned ${rows} rows for ${batch.length} texts`);
    const data = tensor.data as Float32Array;
    const result = Array.from({ length: rows }, (_, r) => Float32Array.from(data.subarray(r * dims, (r + 1) * dims)));
    tensor.dispose();
    return result;
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    await this.release();
  }

  private async release(): Promise<void> {
    const pipe = this.pipe;
    this.pipe = undefined;
    if (pipe) await pipe.dispose();
  }
}
