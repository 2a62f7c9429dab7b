import type { Embedder } from '../../src/embedding/embedder';

/**
 * A deterministic Embedder for the wrapper tests: a text's vector is derived from its characters;
 * every call to embed() is recorded; `gate` (when set) holds each call until released.
 */
export class FakeEmbedder implements Embedder {
  readonly modelId = 'fake/model';
  revision = 'r1';
  readonly dims = 4;
  readonly calls: string[][] = [];
  disposed = false;
  failNext: Error | undefined;
  private gates: Array<() => void> = [];
  gated = false;

  async init(): Promise<void> {}

  async embed(texts: readonly string[], signal?: AbortSignal): Promise<Float32Array[]> {
    if (this.disposed) throw new Error('disposed');
    this.calls.push([...texts]);
    if (this.gated) await new Promise<void>((resolve) => this.gates.push(resolve));
    if (signal?.aborted) throw Object.assign(new Error('aborted'), { name: 'AbortError' });
    if (this.failNext) {
      const err = this.failNext;
      this.failNext = undefined;
      throw err;
    }
    return texts.map((t) => FakeEmbedder.vector(t));
  }

  /** Releases every call held by the gate. */
  release(): void {
    const g = this.gates;
    this.gates = [];
    for (const r of g) r();
  }

  get waiting(): number {
    return this.gates.length;
  }

  static vector(text: string): Float32Array {
    let h = 0;
    for (const ch of text) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
    return Float32Array.from([text.length, h % 97, (h >> 8) % 89, 1]);
  }

  async dispose(): Promise<void> {
    this.disposed = true;
  }
}

/** Lets pending promise callbacks and immediates run. */
export const settle = (): Promise<void> => new Promise((r) => setImmediate(r));
