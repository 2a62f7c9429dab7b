import { createEmbedder } from '../embedding';
import type { Embedder } from '../embedding/embedder';

export interface ModelSpec {
  id: string;
  dtype: 'fp32' | 'q8';
}

interface Entry {
  ready: Promise<Embedder>;
  refs: number;
}

/**
 * Shares one embedder per (model, dtype) between index versions: a hot swap to a version of the
 * same model reuses the loaded model, and a model is disposed when no version holds it.
 */
export class EmbedderPool {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly options: { modelsDir?: string; allowRemoteModels: boolean }) {}

  async acquire(spec: ModelSpec): Promise<Embedder> {
    const key = `${spec.id}\u0000${spec.dtype}`;
    let entry = this.entries.get(key);
    if (!entry) {
      const embedder = createEmbedder({
        model: spec.id,
        dtype: spec.dtype,
        allowRemoteModels: this.options.allowRemoteModels,
        ...(this.options.modelsDir ? { modelsDir: this.options.modelsDir } : {}),
      });
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
    await Promise.all(all.map(async (e) => (await e.ready.catch(() => undefined))?.dispose()));
  }
}
