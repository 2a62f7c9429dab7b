import os from 'node:os';
import { ThreadedEmbedder, type Embedder, type EmbedderOptions } from '../src/embedding';

/** Threads that embed when the builder embeds profiles: every core, at most 4. */
export function embedWorkersDefault(): number {
  return Math.max(1, Math.min(4, os.availableParallelism()));
}

interface Member {
  pending: number;
  ready: boolean;
  embedder: Embedder;
}

/**
 * The builder's embedder on several cores: the in-process embedder plus `extra` embedding threads
 * (ThreadedEmbedder), each with its own model session, every chunk going to whichever is least
 * busy. Tokenisation (JavaScript) and the ONNX runs of different chunks then run on different
 * cores: two one-thread sessions embed about 1.3x what one session with two intra-op threads does
 * (docs/BENCHMARKS.md, "Builder on text profiles"). The other threads load their model while this
 * thread loads its own; a missing or broken model fails as it does with one thread (this thread's
 * error), and they take chunks once loaded. A thread that fails fails the build.
 */
export class ParallelEmbedder implements Embedder {
  private readonly members: Member[];
  private readonly threads: ThreadedEmbedder[] = [];
  private failure: Error | undefined;
  private started = false;
  /** embed() calls answered by this thread and by the other threads. */
  readonly calls = { local: 0, workers: 0 };

  constructor(
    private readonly local: Embedder,
    private readonly options: EmbedderOptions,
    private readonly extra: number,
  ) {
    if (!Number.isInteger(extra) || extra < 0) throw new RangeError(`extra threads must be a non-negative integer, got ${extra}`);
    this.members = [{ pending: 0, ready: true, embedder: local }];
  }

  get modelId(): string {
    return this.local.modelId;
  }

  get revision(): string {
    return this.local.revision;
  }

  get dims(): number {
    return this.local.dims;
  }

  /** Embedding threads started besides this one (they may still be loading their model). */
  get workerCount(): number {
    return this.threads.length;
  }

  async init(): Promise<void> {
    // The other threads load their model while this thread loads its own (a core each).
    if (!this.started) {
      this.started = true;
      for (let i = 0; i < this.extra; i++) {
        const thread = new ThreadedEmbedder({ ...this.options, dtype: this.options.dtype ?? 'q8' });
        const member: Member = { pending: 0, ready: false, embedder: thread };
        this.threads.push(thread);
        this.members.push(member);
        thread.init().then(
          () => (member.ready = true),
          (err: unknown) => (this.failure ??= err instanceof Error ? err : new Error(String(err))),
        );
      }
    }
    try {
      await this.local.init();
    } catch (err) {
      await Promise.all(this.threads.map((t) => t.dispose()));
      throw err;
    }
  }

  async embed(texts: readonly string[]): Promise<Float32Array[]> {
    if (this.failure) throw this.failure;
    if (!this.started) await this.init();
    // The least busy member that is ready; on a tie another thread, which leaves this one to the caller.
    let best = this.members[0]!;
    for (const m of this.members.slice(1)) if (m.ready && m.pending <= best.pending) best = m;
    if (best.embedder === this.local) this.calls.local++;
    else this.calls.workers++;
    best.pending++;
    try {
      return await best.embedder.embed(texts);
    } finally {
      best.pending--;
    }
  }

  async dispose(): Promise<void> {
    await Promise.all(this.threads.map((t) => t.dispose()));
    await this.local.dispose();
  }
}
