import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { recordEmbeddingBatch } from '../telemetry/instruments';
import type { FromEmbedWorker, ToEmbedWorker, WorkerFailure } from './embed-worker';
import type { Embedder } from './embedder';
import { ModelError } from './errors';
import { createEmbedder, type EmbedderOptions } from './index';
import type { EmbeddingDtype } from './model-source';
import { abortError, RunSlots } from './run-slots';

/** Calls handed to the thread at once: one running and one queued there, so it never idles for a round trip. */
const IN_THREAD = 2;
/** How long dispose() waits for the thread to release its session before terminating it. */
const CLOSE_TIMEOUT_MS = 5000;

const fromFailure = (f: WorkerFailure): Error => (f.code ? new ModelError(f.code, f.message) : new Error(f.message));

type Call = { resolve: (vectors: Float32Array[]) => void; reject: (err: Error) => void };

/**
 * An Embedder whose model runs on a worker thread of its own (embed-worker.ts), with its own ONNX
 * Runtime session. ONNX Runtime's Node binding runs a session synchronously on the calling thread,
 * so an embedder in the serving thread stops the event loop (gRPC, searches, other requests) for
 * every model run and tokenisation; here they run on another core.
 *
 * Same contract as the in-thread embedder: calls wait in this thread's queue, and a call cancelled
 * while it waits leaves without running; errors keep their ModelError code; the embedding batch
 * metrics are recorded here from the thread's timings. If the thread dies, its calls fail and the
 * next call starts a new one. `dispose()` lets the calls in the thread finish, then ends it.
 */
export class ThreadedEmbedder implements Embedder {
  readonly modelId: string;
  readonly dtype: EmbeddingDtype;
  private worker: Worker | undefined;
  private loading: Promise<void> | undefined;
  private closing: Promise<void> | undefined;
  private disposed = false;
  private _dims = 0;
  private _revision = '';
  private readonly calls = new Map<number, Call>();
  private nextId = 0;
  private readonly slots = new RunSlots(IN_THREAD);
  /** embed() calls accepted and not finished: dispose() lets them finish first. */
  private readonly active = new Set<Promise<unknown>>();
  /** Calls handed to the thread (tests: a call cancelled while it waits must not add to it). */
  posted = 0;

  constructor(private readonly options: Omit<EmbedderOptions, 'onBatch'> & { dtype: EmbeddingDtype }) {
    // Validates the options and resolves the model id here, as the in-thread embedder would (nothing is loaded).
    const probe = createEmbedder(options);
    this.modelId = probe.modelId;
    this.dtype = probe.dtype;
  }

  get dims(): number {
    return this._dims;
  }

  get revision(): string {
    return this._revision;
  }

  init(): Promise<void> {
    if (this.disposed) return Promise.reject(new ModelError('EMBEDDER_NOT_READY', 'init() after dispose()'));
    this.loading ??= this.start().catch((err: unknown) => {
      this.loading = undefined; // allow a retry
      throw err;
    });
    return this.loading;
  }

  private start(): Promise<void> {
    // Under tsx (npm start, ts-jest) the thread runs embed-worker.ts through tsx's require hook;
    // compiled, the embed-worker.js next to this file. The parent's preloads stay in the parent.
    const ts = path.extname(__filename) === '.ts';
    const file = path.join(__dirname, ts ? 'embed-worker.ts' : 'embed-worker.js');
    const worker = new Worker(file, { workerData: this.options, execArgv: ts ? ['--require', require.resolve('tsx/cjs')] : [] });
    this.worker = worker;
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      const settle = (err?: Error): void => {
        if (settled) return;
        settled = true;
        if (err) reject(err);
        else resolve();
      };
      worker.on('message', (msg: FromEmbedWorker) => {
        if (msg.type === 'ready') {
          this._dims = msg.dims;
          this._revision = msg.revision;
          settle();
        } else if (msg.type === 'failed') {
          settle(fromFailure(msg.failure));
          this.lost(worker, fromFailure(msg.failure));
          void worker.terminate();
        } else if (msg.type === 'done' || msg.type === 'error') {
          const call = this.calls.get(msg.id);
          if (!call) return;
          this.calls.delete(msg.id);
          if (msg.type === 'error') return call.reject(fromFailure(msg.failure));
          for (const [size, seconds] of msg.batches) recordEmbeddingBatch(this.modelId, size, seconds);
          const dims = msg.data.length / Math.max(1, msg.count);
          call.resolve(Array.from({ length: msg.count }, (_, i) => msg.data.slice(i * dims, (i + 1) * dims)));
        }
      });
      worker.on('error', (err) => {
        const failure = new ModelError('MODEL_LOAD_FAILED', `the embedding thread failed: ${err.message}`, { cause: err });
        settle(failure);
        this.lost(worker, failure);
      });
      worker.on('exit', (code) => {
        const failure = new ModelError('EMBEDDER_NOT_READY', `the embedding thread exited (code ${code})`);
        settle(failure);
        this.lost(worker, failure);
      });
    });
  }

  /** The thread is gone: its calls fail, and (unless disposed) the next call starts a new one. */
  private lost(worker: Worker, err: Error): void {
    if (this.worker !== worker) return;
    this.worker = undefined;
    this.loading = undefined;
    for (const call of this.calls.values()) call.reject(err);
    this.calls.clear();
  }

  embed(texts: readonly string[], signal?: AbortSignal): Promise<Float32Array[]> {
    if (texts.length === 0) return Promise.resolve([]);
    if (signal?.aborted) return Promise.reject(abortError(signal));
    if (this.disposed) return Promise.reject(new ModelError('EMBEDDER_NOT_READY', 'embed() after dispose()'));
    const call = this.run(texts, signal);
    this.active.add(call);
    const forget = (): void => void this.active.delete(call);
    call.then(forget, forget);
    return call;
  }

  private async run(texts: readonly string[], signal: AbortSignal | undefined): Promise<Float32Array[]> {
    if (!this.worker) await this.init();
    // Waits for a place in the thread; leaves the queue (nothing runs) when cancelled meanwhile.
    const release = await this.slots.acquire(signal);
    try {
      if (signal?.aborted) throw abortError(signal);
      const worker = this.worker;
      if (!worker) throw new ModelError('EMBEDDER_NOT_READY', 'the embedding thread stopped; retry');
      const id = this.nextId++;
      const reply = new Promise<Float32Array[]>((resolve, reject) => this.calls.set(id, { resolve, reject }));
      this.posted++;
      worker.postMessage({ type: 'embed', id, texts: [...texts] } satisfies ToEmbedWorker);
      return await reply;
    } finally {
      release();
    }
  }

  /** Idempotent: calls accepted before it finish, then the thread releases its session and ends. */
  dispose(): Promise<void> {
    this.disposed = true;
    this.closing ??= (async () => {
      await this.loading?.catch(() => undefined);
      await Promise.allSettled([...this.active]);
      const worker = this.worker;
      if (!worker) return;
      const ended = new Promise<void>((resolve) => {
        worker.once('exit', () => resolve());
        worker.on('message', (msg: FromEmbedWorker) => msg.type === 'closed' && resolve());
      });
      worker.postMessage({ type: 'close' } satisfies ToEmbedWorker);
      const timer = setTimeout(() => void worker.terminate(), CLOSE_TIMEOUT_MS);
      await ended;
      clearTimeout(timer);
      await worker.terminate();
    })();
    return this.closing;
  }
}
