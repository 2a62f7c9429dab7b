import os from 'node:os';

/**
 * ONNX runs in flight at once, per embedder. Calls beyond it wait in a FIFO queue, and a call
 * cancelled (or past its deadline) while it waits leaves the queue without running: thousands of
 * text queries dropped by their client cost nothing. Earlier, every call started its run at once,
 * and runs cannot be cancelled once started.
 */
export function defaultRunConcurrency(): number {
  return Math.max(1, Math.min(4, os.availableParallelism()));
}

/** A counting semaphore whose waiters leave the queue when their signal aborts. */
export class RunSlots {
  private free: number;
  private readonly waiting: Array<{ grant: () => void }> = [];

  constructor(size: number) {
    this.free = size;
  }

  acquire(signal: AbortSignal | undefined): Promise<() => void> {
    const release = (): void => {
      const next = this.waiting.shift();
      if (next) next.grant();
      else this.free++;
    };
    if (this.free > 0 && this.waiting.length === 0) {
      this.free--;
      return Promise.resolve(once(release));
    }
    return new Promise((resolve, reject) => {
      const waiter = {
        grant: (): void => {
          signal?.removeEventListener('abort', onAbort);
          resolve(once(release));
        },
      };
      const onAbort = (): void => {
        const i = this.waiting.indexOf(waiter);
        if (i >= 0) this.waiting.splice(i, 1);
        reject(abortError(signal!));
      };
      if (signal?.aborted) return reject(abortError(signal));
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(waiter);
    });
  }

  /** Calls waiting for a slot. */
  get queued(): number {
    return this.waiting.length;
  }
}

function once(fn: () => void): () => void {
  let done = false;
  return () => {
    if (!done) {
      done = true;
      fn();
    }
  };
}

/**
 * Why `signal` aborted: its reason, passed on as is, or an AbortError when it has none. Typed
 * Error (AbortSignal types its reason `any`): what aborts an embedding gives one, a DOMException
 * from src/grpc/call-signal.ts or AbortController's default.
 */
export function abortError(signal: AbortSignal): Error {
  if (signal.reason !== undefined) return signal.reason as Error;
  const err = new Error('The embedding was aborted');
  err.name = 'AbortError';
  return err;
}

