import type { CompiledFilter } from '../catalog/catalog';
import type { SearchHit } from '../index/top-k';
import type { VectorMatrix } from '../index/vector-matrix';

/** One live ANN search, as seen by the matcher. */
export interface SearchSample {
  query: Float32Array;
  k: number;
  filter: CompiledFilter;
  hits: readonly SearchHit[];
  vectors: VectorMatrix;
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
  onResult?(r: RecallResult): void;
  random?: () => number;
}

/**
 * Online recall monitor: re-runs a sample of live ANN searches with exact search over the same
 * filter, off the request path (setImmediate, one at a time, bounded queue dropped when busy), and
 * keeps recall@k per variant and index version.
 */
export class RecallMonitor {
  private readonly queue: Array<{ variant: string; version: string; sample: SearchSample }> = [];
  private readonly stats = new Map<string, { samples: number; sum: number; dropped: number }>();
  private scheduled = false;
  private closed = false;

  constructor(private readonly opts: RecallMonitorOptions) {}

  /** Called on the request path: O(1), never blocks. */
  offer(variant: string, version: string, sample: SearchSample): void {
    if (this.closed || this.opts.sampleRate <= 0 || (this.opts.random ?? Math.random)() >= this.opts.sampleRate) return;
    if (this.queue.length >= this.opts.queueSize) {
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

  /** One exact search per turn of the event loop, so request handling interleaves. */
  private drain(): void {
    const item = this.queue.shift();
    if (!item) {
      this.scheduled = false;
      return;
    }
    const { query, k, filter, hits, vectors } = item.sample;
    const exact = vectors.search(query, k, undefined, filter.allows);
    if (exact.length > 0) {
      const got = new Set(hits.map((h) => h.label));
      const recall = exact.filter((h) => got.has(h.label)).length / exact.length;
      const e = this.entry(item.variant, item.version);
      e.samples++;
      e.sum += recall;
      this.opts.onResult?.({ variant: item.variant, version: item.version, k, recall });
    }
    setImmediate(() => this.drain());
  }
}
