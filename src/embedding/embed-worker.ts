/**
 * The worker side of ThreadedEmbedder (threaded-embedder.ts): one embedder, with its own ONNX
 * Runtime session, on its own thread. Texts in; flat vectors out (the buffer transferred, not
 * copied) with the timing of each ONNX run, which the owning thread records as metrics.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createEmbedder, type EmbedderOptions } from './index';
import { ModelError } from './errors';

export type ToEmbedWorker = { type: 'embed'; id: number; texts: string[] } | { type: 'close' };

/** A failure as it crosses the thread boundary: a ModelError keeps its code. */
export interface WorkerFailure {
  message: string;
  code?: ModelError['code'];
}

export type FromEmbedWorker =
  | { type: 'ready'; dims: number; revision: string }
  | { type: 'failed'; failure: WorkerFailure }
  | { type: 'done'; id: number; data: Float32Array; count: number; batches: Array<[number, number]> }
  | { type: 'error'; id: number; failure: WorkerFailure }
  | { type: 'closed' };

export const toFailure = (err: unknown): WorkerFailure => (err instanceof ModelError ? { message: err.message, code: err.code } : { message: err instanceof Error ? err.message : String(err) });

function serve(port: NonNullable<typeof parentPort>, options: EmbedderOptions): void {
  // Runs finish one at a time on this thread (ONNX Runtime's run is synchronous): each call's
  // batches are the ones its own ONNX runs report.
  let batches: Array<[number, number]> = [];
  const embedder = createEmbedder({ ...options, onBatch: (size, seconds) => batches.push([size, seconds]) });
  const post = (msg: FromEmbedWorker, transfer: ArrayBuffer[] = []): void => port.postMessage(msg, transfer);
  embedder.init().then(
    () => post({ type: 'ready', dims: embedder.dims, revision: embedder.revision }),
    (err: unknown) => post({ type: 'failed', failure: toFailure(err) }),
  );
  let queue: Promise<void> = Promise.resolve();
  port.on('message', (msg: ToEmbedWorker) => {
    if (msg.type === 'close') {
      void queue.then(() => embedder.dispose()).finally(() => {
        post({ type: 'closed' });
        port.close();
      });
      return;
    }
    // One call at a time, in arrival order: the batch timings above belong to it.
    queue = queue.then(async () => {
      batches = [];
      try {
        const vectors = await embedder.embed(msg.texts);
        const dims = embedder.dims;
        const data = new Float32Array(vectors.length * dims);
        vectors.forEach((v, i) => data.set(v, i * dims));
        post({ type: 'done', id: msg.id, data, count: vectors.length, batches }, [data.buffer]);
      } catch (err) {
        post({ type: 'error', id: msg.id, failure: toFailure(err) });
      }
    });
  });
}

if (parentPort) serve(parentPort, workerData as EmbedderOptions);
