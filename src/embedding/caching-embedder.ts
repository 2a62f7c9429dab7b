import type { Embedder } from './embedder';
import { recordEmbeddingCache } from '../telemetry/instruments';

/** The text as the request validator leaves it: whitespace runs collapsed to one space, trimmed. */
export function normaliseText(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/** Cache key: model id + revision + dtype + normalised text (NUL-separated: no part contains NUL after validation). */
export function embeddingCacheKey(modelId: string, revision: string, dtype: string, text: string): string {
  return `${modelId}\u0000${revision}\u0000${dtype}\u0000${normaliseText(text)}`;
}

/**
 * A bounded LRU of embeddings (a Map in recency order: a hit moves its key to the end, an insert
 * past the capacity evicts the oldest). One cache may serve several models: the key holds the
 * model id, revision and dtype.
 */
export class EmbeddingCache {
  private readonly entries = new Map<string, Float32Array>();

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`cache capacity must be a positive integer, got ${capacity}`);
  }

  get size(): number {
    return this.entries.size;
  }

  get(key: string): Float32Array | undefined {
    const v = this.entries.get(key);
    if (v !== undefined) {
      this.entries.delete(key);
      this.entries.set(key, v);
    }
    return v;
  }

  set(key: string, vector: Float32Array): void {
    this.entries.delete(key);
    this.entries.set(key, vector);
    while (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
  }

  clear(): void {
    this.entries.clear();
  }
}

/**
 * An Embedder that answers repeated texts from an EmbeddingCache. Misses go to the wrapped
 * embedder in one call (repeats within a call are embedded once), as their normalised text, so a
 * cached vector is exactly what embedding that text gives. A text already being embedded by
 * another call is awaited rather than embedded twice. Callers get copies: nothing they do to a
 * vector reaches the cache. Hits and misses are counted (creator_match_embedding_cache_*_total).
 */
export class CachingEmbedder implements Embedder {
  private readonly pending = new Map<string, Promise<Float32Array>>();

  constructor(
    readonly inner: Embedder,
    private readonly cache: EmbeddingCache,
    private readonly dtype: string,
  ) {}

  get modelId(): string {
    return this.inner.modelId;
  }

  get revision(): string {
    return this.inner.revision;
  }

  get dims(): number {
    return this.inner.dims;
  }

  init(): Promise<void> {
    return this.inner.init();
  }

  dispose(): Promise<void> {
    this.pending.clear();
    return this.inner.dispose();
  }

  async embed(texts: readonly string[], signal?: AbortSignal): Promise<Float32Array[]> {
    if (texts.length === 0) return [];
    return this.lookup(texts, signal, true);
  }

  private async lookup(texts: readonly string[], signal: AbortSignal | undefined, count: boolean): Promise<Float32Array[]> {
    const out = new Array<Float32Array>(texts.length);
    const keys = texts.map((t) => embeddingCacheKey(this.modelId, this.revision, this.dtype, t));
    const waits: { i: number; p: Promise<Float32Array> }[] = [];
    /** key -> positions, for the keys this call embeds itself. */
    const mine = new Map<string, number[]>();
    let hits = 0;
    keys.forEach((key, i) => {
      const cached = this.cache.get(key);
      if (cached) {
        out[i] = cached.slice();
        hits++;
        return;
      }
      const pending = this.pending.get(key);
      if (pending) {
        waits.push({ i, p: pending });
        hits++;
        return;
      }
      const at = mine.get(key);
      if (at) at.push(i);
      else mine.set(key, [i]);
    });
    if (count) recordEmbeddingCache(this.modelId, hits, texts.length - hits);

    if (mine.size > 0) {
      const own = [...mine.keys()];
      const batch = this.inner.embed(
        own.map((k) => normaliseText(texts[mine.get(k)![0]!]!)),
        signal,
      );
      own.forEach((key, j) => {
        const p = batch.then((vs) => vs[j]!);
        p.catch(() => undefined); // a waiter handles it; no unhandled rejection from the copy kept here
        this.pending.set(key, p);
      });
      try {
        const vectors = await batch;
        own.forEach((key, j) => {
          this.cache.set(key, vectors[j]!);
          for (const i of mine.get(key)!) out[i] = vectors[j]!.slice();
        });
      } finally {
        for (const key of own) this.pending.delete(key);
      }
    }
    for (const w of waits) {
      try {
        out[w.i] = (await w.p).slice();
      } catch (err) {
        // Another call's embedding failed (its caller aborted, say): embed this text ourselves.
        if (signal?.aborted) throw err;
        out[w.i] = (await this.lookup([texts[w.i]!], signal, false))[0]!;
      }
    }
    return out;
  }
}
