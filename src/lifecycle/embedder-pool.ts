import { createEmbedder, ThreadedEmbedder } from '../embedding';
import { CachingEmbedder, EmbeddingCache } from '../embedding/caching-embedder';
import type { Embedder } from '../embedding/embedder';

export interface ModelSpec {
  id: string;
  dtype: 'fp32' | 'q8';
}

export interface EmbedderPoolOptions {
  modelsDir?: string;
  allowRemoteModels: boolean;
  /**
   * Embedding cache entries shared by every model of the pool (MATCH_EMBED_CACHE_SIZE); 0 or
   * unset: no cache. Keys hold the model id, revision and dtype, so models never share entries.
   */
  cacheSize?: number;
  /**
   * Where each model runs: 'worker' (default) on a thread of its own (ThreadedEmbedder: model
   * runs and tokenisation off the serving thread), 'inline' on the serving thread.
   */
  thread?: 'worker' | 'inline';
  /** ONNX Runtime intra-op threads of each model session (MATCH_EMBED_ONNX_THREADS); default: cores - 1, 1..4. */
  onnxThreads?: number | undefined;
  /** For tests: how a model is opened (default createEmbedder). */
  create?: (spec: ModelSpec) => Embedder;
}

interface Entry {
  ready: Promise<Embedder>;
  refs: number;
}

/**
 * Shares one embedder per (model, dtype) between index versions: a hot swap to a version of the
 * same model reuses the loaded model, and a model is disposed when no version holds it. With a
 * cache size, each embedder handed out answers repeated texts from one bounded LRU
 * (CachingEmbedder), so callers (the matcher) do not change.
 */
export class EmbedderPool {
  private readonly entries = new Map<string, Entry>();
  private readonly cache: EmbeddingCache | undefined;

  constructor(private readonly options: EmbedderPoolOptions) {
    this.cache = options.cacheSize ? new EmbeddingCache(options.cacheSize) : undefined;
  }

  private open(spec: ModelSpec): Embedder {
    if (this.options.create) return this.options.create(spec);
    const options = {
      model: spec.id,
      dtype: spec.dtype,
      allowRemoteModels: this.options.allowRemoteModels,
      ...(this.options.modelsDir ? { modelsDir: this.options.modelsDir } : {}),
      ...(this.options.onnxThreads !== undefined ? { threads: this.options.onnxThreads } : {}),
    };
    return (this.options.thread ?? 'worker') === 'worker' ? new ThreadedEmbedder(options) : createEmbedder(options);
  }

  async acquire(spec: ModelSpec): Promise<Embedder> {
    const key = `${spec.id}\u0000${spec.dtype}`;
    let entry = this.entries.get(key);
    if (!entry) {
      const model = this.open(spec);
      const embedder = this.cache ? new CachingEmbedder(model, this.cache, spec.dtype) : model;
      const ready = embedder.init().then(
        () => embedder,
        async (err: unknown) => {
          this.entries.delete(key);
          await embedder.dispose();
          throw err;
        },
      );
      entry = { ready, refs: 0 };
      this.entries.set(key, entry);
    }
    entry.refs++;
    try {
      return await entry.ready;
    } catch (err) {
      entry.refs--;
      throw err;
    }
  }

  async release(embedder: Embedder, spec: ModelSpec): Promise<void> {
    const key = `${spec.id}\u0000${spec.dtype}`;
    const entry = this.entries.get(key);
    if (!entry || (await entry.ready) !== embedder) return;
    entry.refs--;
    if (entry.refs <= 0) {
      this.entries.delete(key);
      await embedder.dispose();
    }
  }

  async close(): Promise<void> {
    const all = [...this.entries.values()];
    this.entries.clear();
    this.cache?.clear();
    await Promise.all(all.map(async (e) => (await e.ready.catch(() => undefined))?.dispose()));
  }
}
