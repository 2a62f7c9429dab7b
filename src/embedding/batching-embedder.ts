import type { Embedder } from './embedder';

export interface MicroBatchOptions {
  /** How long the first queued call waits for company (ms); 0: none (an idle embedder runs a call at once). */
  windowMs: number;
  /** Most texts in one merged model call; larger calls go straight through. */
  maxBatch: number;
  /** Merged calls running at once; later calls queue (and merge) while they run. */
  maxInFlight: number;
}

interface Queued {
  texts: readonly string[];
  signal: AbortSignal | undefined;
  resolve(v: Float32Array[]): void;
  reject(err: unknown): void;
}

function abortError(signal: AbortSignal): unknown {
  if (signal.reason !== undefined) return signal.reason;
  const err = new Error('The embedding was aborted');
  err.name = 'AbortError';
  return err;
}

/**
 * Micro-batching: concurrent small embed calls (one text per Match) are merged into one call of
 * the wrapped embedder. A call waits at most `windowMs` for others (with 0 an idle embedder runs
 * it at once), and while `maxInFlight` merged calls run, new calls queue and go together in the
 * next one. Output order matches each caller's input; a caller that aborts
 * while queued is rejected at once and left out of the merged call.
 */
export class MicroBatchingEmbedder implements Embedder {
  private queue: Queued[] = [];
  private queuedTexts = 0;
  private timer: NodeJS.Timeout | NodeJS.Immediate | undefined;
  private running = 0;

  constructor(
    readonly inner: Embedder,
    private readonly opts: MicroBatchOptions,
  ) {
    if (!(opts.windowMs >= 0) || !Number.isInteger(opts.maxBatch) || opts.maxBatch < 1 || !Number.isInteger(opts.maxInFlight) || opts.maxInFlight < 1) {
      throw new RangeError('micro-batching needs windowMs >= 0 and positive integer maxBatch and maxInFlight');
    }
  }

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

  async dispose(): Promise<void> {
    this.clearTimer();
    const queued = this.queue;
    this.queue = [];
    this.queuedTexts = 0;
    await this.inner.dispose();
    // The inner embedder now refuses: queued callers get its error.
    for (const q of queued) this.inner.embed(q.texts).then(q.resolve, q.reject);
  }

  embed(texts: readonly string[], signal?: AbortSignal): Promise<Float32Array[]> {
    if (texts.length === 0) return Promise.resolve([]);
    if (signal?.aborted) return Promise.reject(abortError(signal));
    if (texts.length >= this.opts.maxBatch) return this.inner.embed(texts, signal);
    return new Promise<Float32Array[]>((resolve, reject) => {
      const q: Queued = { texts, signal, resolve, reject };
      this.queue.push(q);
      this.queuedTexts += texts.length;
      signal?.addEventListener(
        'abort',
        () => {
          const at = this.queue.indexOf(q);
          if (at < 0) return; // already in a merged call: its result is simply not used
          this.queue.splice(at, 1);
          this.queuedTexts -= q.texts.length;
          reject(abortError(signal));
        },
        { once: true },
      );
      // Idle with windowMs 0: go now (a lone call waits for nothing); busy: merge with what queues.
      if (this.queuedTexts >= this.opts.maxBatch || (this.opts.windowMs === 0 && this.running < this.opts.maxInFlight)) this.flush();
      else this.schedule();
    });
  }

  private schedule(): void {
    if (this.timer !== undefined || this.running >= this.opts.maxInFlight) return;
    this.timer = this.opts.windowMs > 0 ? setTimeout(() => this.fire(), this.opts.windowMs) : setImmediate(() => this.fire());
  }

  private clearTimer(): void {
    if (this.timer === undefined) return;
    if (this.opts.windowMs > 0) clearTimeout(this.timer as NodeJS.Timeout);
    else clearImmediate(this.timer as NodeJS.Immediate);
    this.timer = undefined;
  }

  private fire(): void {
    this.timer = undefined;
    this.flush();
  }

  private flush(): void {
    if (this.running >= this.opts.maxInFlight || this.queue.length === 0) return;
    this.clearTimer();
    const batch: Queued[] = [];
    let n = 0;
    while (this.queue.length > 0 && (batch.length === 0 || n + this.queue[0]!.texts.length <= this.opts.maxBatch)) {
      const q = this.queue.shift()!;
      batch.push(q);
      n += q.texts.length;
    }
    this.queuedTexts -= n;
    this.running++;
    const texts = batch.flatMap((q) => q.texts);
    this.inner
      .embed(texts)
      .then(
        (vectors) => {
          let at = 0;
          for (const q of batch) {
            q.resolve(vectors.slice(at, at + q.texts.length));
            at += q.texts.length;
          }
        },
        (err: unknown) => {
          for (const q of batch) q.reject(err);
        },
      )
      .finally(() => {
        this.running--;
        // What queued meanwhile goes now, together.
        if (this.queue.length > 0) this.flush();
      });
  }
}
