import type { CompiledFilter } from '../catalog/catalog';
import { TopK, type SearchHit } from '../index/top-k';
import type { VectorStore } from '../index/vector-store';

/** One live ANN search, as seen by the matcher. */
export interface SearchSample {
  query: Float32Array;
  k: number;
  filter: CompiledFilter;
  hits: readonly SearchHit[];
  vectors: VectorStore;
}

export interface RecallResult {
  variant: string;
  version: string;
  k: number;
  recall: number;
}

export interface RecallStats {
  samples: number;
  /** Mean recall@k over all samples of this variant and version. */
  mean: number;
  dropped: number;
}

export interface RecallMonitorOptions {
  /** Fraction of ANN searches re-run exactly, in [0, 1]. */
  sampleRate: number;
  /** Pending re-runs kept at most; more are dropped (and counted). */
  queueSize: number;
  /** Share of one core the exact re-runs may use on average (default 0.05); over it, samples are dropped. */
  cpuBudget?: number;
  /** Rows scored per event-loop turn (default 2048: about a millisecond at 512 dims). */
  chunkRows?: number;
  /** Bucket size: CPU milliseconds that may be spent in a burst (default 250). */
  burstMs?: number;
  onResult?(r: RecallResult): void;
  random?: () => number;
}

/**
 * Online recall monitor: re-runs a sample of live ANN searches with exact search over the same
 * filter, off the request path, and keeps recall@k per variant and index version. An exact scan of
 * a large catalog takes tens of milliseconds, so it is split into chunks of `chunkRows` rows, one
 * per event-loop turn (requests interleave; no long stall), and limited by a CPU budget (a token
 * bucket refilled at `cpuBudget` ms per ms); samples over the budget or the queue are dropped and
 * counted.
 */
export class RecallMonitor {
  private readonly queue: Array<{ variant: string; version: string; sample: SearchSample }> = [];
  private readonly stats = new Map<string, { samples: number; sum: number; dropped: number }>();
  private scheduled = false;
  private closed = false;
  /** CPU milliseconds the monitor may still spend (token bucket). */
  private tokens: number;
  private refilledAt = performance.now();
  private readonly maxTokens: number;

  constructor(private readonly opts: RecallMonitorOptions) {
    this.maxTokens = opts.burstMs ?? 250;
    this.tokens = this.maxTokens;
  }

  private refill(): void {
    const now = performance.now();
    this.tokens = Math.min(this.maxTokens, this.tokens + (now - this.refilledAt) * (this.opts.cpuBudget ?? 0.05));
    this.refilledAt = now;
  }

  /** Called on the request path: O(1), never blocks. */
  offer(variant: string, version: string, sample: SearchSample): void {
    if (this.closed || this.opts.sampleRate <= 0 || (this.opts.random ?? Math.random)() >= this.opts.sampleRate) return;
    this.refill();
    if (this.queue.length >= this.opts.queueSize || this.tokens <= 0) {
      this.entry(variant, version).dropped++;
      return;
    }
    this.queue.push({ variant, version, sample: { ...sample, query: sample.query.slice() } });
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.drain());
    }
  }

  statsFor(variant: string, version: string): RecallStats {
    const e = this.stats.get(`${variant}\u0000${version}`);
    return { samples: e?.samples ?? 0, mean: e && e.samples > 0 ? e.sum / e.samples : 0, dropped: e?.dropped ?? 0 };
  }

  /** Resolves once the queue is empty (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.queue.length > 0 || this.scheduled) await new Promise((r) => setImmediate(r));
  }

  close(): void {
    this.closed = true;
    this.queue.length = 0;
  }

  private entry(variant: string, version: string) {
    const key = `${variant}\u0000${version}`;
    let e = this.stats.get(key);
    if (!e) this.stats.set(key, (e = { samples: 0, sum: 0, dropped: 0 }));
    return e;
  }

  /** Scores `chunkRows` rows per turn of the event loop, so request handling interleaves. */
  private drain(): void {
    const item = this.queue.shift();
    if (!item) {
      this.scheduled = false;
      return;
    }
    const { query, k, filter, hits, vectors } = item.sample;
    const top = new TopK(k);
    const chunk = this.opts.chunkRows ?? 2048;
    const step = (from: number): void => {
      if (this.closed) {
        this.scheduled = false;
        return;
      }
      const started = performance.now();
      try {
        vectors.scanRange(top, query, from, from + chunk, filter.allows);
      } catch {
        // The sample's index version was swapped out and closed (native memory freed) while the
        // sample waited: its recall can no longer be measured, so it counts as dropped.
        this.entry(item.variant, item.version).dropped++;
        setImmediate(() => this.drain());
        return;
      } finally {
        this.tokens -= performance.now() - started;
      }
      if (from + chunk < vectors.count) {
        setImmediate(() => step(from + chunk));
        return;
      }
      const exact = top.sorted();
      if (exact.length > 0) {
        const got = new Set(hits.map((h) => h.label));
        const recall = exact.filter((h) => got.has(h.label)).length / exact.length;
        const e = this.entry(item.variant, item.version);
        e.samples++;
        e.sum += recall;
        this.opts.onResult?.({ variant: item.variant, version: item.version, k, recall });
      }
      setImmediate(() => this.drain());
    };
    step(0);
  }
}
