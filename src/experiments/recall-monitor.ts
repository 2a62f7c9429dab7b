import type { CompiledFilter } from '../catalog/catalog';
import type { SearchIndex } from '../index/search-index';
import type { SearchHit } from '../index/top-k';

/** One live ANN search, as seen by the matcher. */
export interface SearchSample {
  query: Float32Array;
  k: number;
  filter: CompiledFilter;
  hits: readonly SearchHit[];
  /** The version's search index (for the exact re-run). */
  search: SearchIndex;
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
  /** Bucket size: CPU milliseconds that may be spent in a burst (default 250). */
  burstMs?: number;
  onResult?(r: RecallResult): void;
  random?: () => number;
}

/**
 * Online recall monitor: re-runs a sample of live ANN searches with exact search over the same
 * filter, off the request path, and keeps recall@k per variant and index version. The exact scan
 * (tens of milliseconds on a large catalog) runs on the thread pool like any search, one at a
 * time, within a CPU budget (a token bucket refilled at `cpuBudget` ms per ms, charged with each
 * scan's duration); samples over the budget or the queue are dropped and counted.
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

  /** One exact re-run at a time, on the thread pool; the next starts when it is done. */
  private drain(): void {
    const item = this.queue.shift();
    if (!item || this.closed) {
      this.scheduled = false;
      return;
    }
    const { query, k, filter, hits, search } = item.sample;
    const started = performance.now();
    search
      .search(query, { k, ef: 0, filter, exact: true })
      .then(
        ({ hits: exact }) => {
          if (exact.length === 0) return;
          const got = new Set(hits.map((h) => h.label));
          const recall = exact.filter((h) => got.has(h.label)).length / exact.length;
          const e = this.entry(item.variant, item.version);
          e.samples++;
          e.sum += recall;
          this.opts.onResult?.({ variant: item.variant, version: item.version, k, recall });
        },
        // The sample's index version was swapped out and closed while the sample waited: its
        // recall can no longer be measured, so it counts as dropped.
        () => void this.entry(item.variant, item.version).dropped++,
      )
      .finally(() => {
        this.tokens -= performance.now() - started;
        setImmediate(() => this.drain());
      });
  }
}
