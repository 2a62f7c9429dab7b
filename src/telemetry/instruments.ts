import { metrics, type Attributes, type BatchObservableCallback, type Counter, type Histogram, type Meter, type MeterProvider, type ObservableGauge } from '@opentelemetry/api';
import { INSTRUMENTATION_SCOPE, METRICS } from './names';

// Only @opentelemetry/api here: without a started SDK every instrument is a no-op.

const SECONDS_FAST = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const SECONDS_SLOW = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];
const COUNTS = [0, 1, 5, 10, 20, 50, 100, 200, 500, 1000];
const RATIOS = [0.001, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 0.9, 1];
const RECALL = [0.5, 0.7, 0.8, 0.85, 0.9, 0.95, 0.98, 0.99, 1];
const BATCH = [1, 2, 4, 8, 16, 32, 64, 128, 256];

export interface Instruments {
  meter: Meter;
  rpcRequests: Counter;
  rpcDuration: Histogram;
  batchItems: Counter;
  searches: Counter;
  exactFallbacks: Counter;
  resultsReturned: Histogram;
  filterSelectivity: Histogram;
  embeddingBatchDuration: Histogram;
  embeddingBatchSize: Histogram;
  embeddingCacheHits: Counter;
  embeddingCacheMisses: Counter;
  indexLoadDuration: Histogram;
  indexLoadRefusals: Counter;
  onlineRecall: Histogram;
  indexGauges: { info: ObservableGauge; creators: ObservableGauge; dims: ObservableGauge; bytes: ObservableGauge; builtAt: ObservableGauge; recall: ObservableGauge };
}

function create(meter: Meter): Instruments {
  const counter = (m: (typeof METRICS)[keyof typeof METRICS]): Counter => meter.createCounter(m.name, { description: m.help, unit: m.unit });
  const histogram = (m: (typeof METRICS)[keyof typeof METRICS], buckets: number[]): Histogram =>
    meter.createHistogram(m.name, { description: m.help, unit: m.unit, advice: { explicitBucketBoundaries: buckets } });
  const gauge = (m: (typeof METRICS)[keyof typeof METRICS]): ObservableGauge => meter.createObservableGauge(m.name, { description: m.help, unit: m.unit });
  gauge(METRICS.processRss).addCallback((result) => result.observe(process.memoryUsage.rss()));
  return {
    meter,
    rpcRequests: counter(METRICS.rpcRequests),
    rpcDuration: histogram(METRICS.rpcDuration, SECONDS_FAST),
    batchItems: counter(METRICS.batchItems),
    searches: counter(METRICS.searches),
    exactFallbacks: counter(METRICS.exactFallbacks),
    resultsReturned: histogram(METRICS.resultsReturned, COUNTS),
    filterSelectivity: histogram(METRICS.filterSelectivity, RATIOS),
    embeddingBatchDuration: histogram(METRICS.embeddingBatchDuration, SECONDS_FAST),
    embeddingBatchSize: histogram(METRICS.embeddingBatchSize, BATCH),
    embeddingCacheHits: counter(METRICS.embeddingCacheHits),
    embeddingCacheMisses: counter(METRICS.embeddingCacheMisses),
    indexLoadDuration: histogram(METRICS.indexLoadDuration, SECONDS_SLOW),
    indexLoadRefusals: counter(METRICS.indexLoadRefusals),
    onlineRecall: histogram(METRICS.onlineRecall, RECALL),
    indexGauges: {
      info: gauge(METRICS.indexInfo),
      creators: gauge(METRICS.indexCreators),
      dims: gauge(METRICS.indexDims),
      bytes: gauge(METRICS.indexBytes),
      builtAt: gauge(METRICS.indexBuiltAt),
      recall: gauge(METRICS.indexBuildRecall),
    },
  };
}

let cached: { provider: MeterProvider; instruments: Instruments } | undefined;

/**
 * The instruments of the globally registered meter provider. Created on first use and again
 * whenever the global provider changes (the SDK starts after modules are loaded; tests start
 * and stop it), so modules may call this on every request at the cost of one global lookup.
 */
export function instruments(): Instruments {
  const provider = metrics.getMeterProvider();
  if (cached?.provider !== provider) cached = { provider, instruments: create(provider.getMeter(INSTRUMENTATION_SCOPE)) };
  return cached.instruments;
}

export const isExactStrategy = (strategy: string): boolean => strategy.startsWith('exact_');

/** One finished search: strategy, results and filter selectivity. */
export function recordSearch(s: { strategy: string; results: number; selectivity: number; indexVersion: string }): void {
  const m = instruments();
  const byVersion: Attributes = { strategy: s.strategy, index_version: s.indexVersion };
  m.searches.add(1, byVersion);
  if (isExactStrategy(s.strategy)) m.exactFallbacks.add(1, byVersion);
  m.resultsReturned.record(s.results, { strategy: s.strategy });
  m.filterSelectivity.record(Math.max(0, Math.min(1, s.selectivity)), { strategy: s.strategy });
}

/** One embedding model run over `size` texts. */
export function recordEmbeddingBatch(model: string, size: number, seconds: number): void {
  const m = instruments();
  m.embeddingBatchDuration.record(seconds, { model });
  m.embeddingBatchSize.record(size, { model });
}

/** One embed call through the embedding cache: texts served from it and texts it had to embed. */
export function recordEmbeddingCache(model: string, hits: number, misses: number): void {
  const m = instruments();
  if (hits > 0) m.embeddingCacheHits.add(hits, { model });
  if (misses > 0) m.embeddingCacheMisses.add(misses, { model });
}

/** One live search re-run exactly by the online recall monitor: its recall@k. */
export function recordOnlineRecall(variant: string, indexVersion: string, recall: number): void {
  instruments().onlineRecall.record(recall, { variant, index_version: indexVersion });
}

/** One BatchMatch item answered in-band with this status code name ('OK' or the error's). */
export function recordBatchItem(code: string): void {
  instruments().batchItems.add(1, { code });
}

/** What the index gauges report about a served version. */
export interface ServedIndex {
  /** A/B variant serving it ('default' without an experiment). */
  variant: string;
  version: string;
  modelId: string;
  creators: number;
  dims: number;
  bytes: number;
  /** ISO timestamp from the manifest. */
  builtAt: string;
  /** recall@k measured at build time. */
  buildRecall: number;
}

/**
 * Index state of one service instance: the gauges report what `current()` returns at scrape time
 * (the version served now, with incremental updates), and load/refusal events are counted.
 * close() unregisters the gauges' callback.
 */
export class IndexMetrics {
  private registered: { meter: Meter; callback: BatchObservableCallback; gauges: ObservableGauge[] } | undefined;

  constructor(private readonly current: () => ServedIndex[]) {
    const m = instruments();
    const g = m.indexGauges;
    const callback: BatchObservableCallback = (result) => {
      for (const s of this.current()) {
        const v = { index_version: s.version, variant: s.variant };
        result.observe(g.info, 1, { ...v, model_id: s.modelId });
        result.observe(g.creators, s.creators, v);
        result.observe(g.dims, s.dims, v);
        result.observe(g.bytes, s.bytes, v);
        result.observe(g.recall, s.buildRecall, v);
        const built = Date.parse(s.builtAt);
        if (Number.isFinite(built)) result.observe(g.builtAt, built / 1000, v);
      }
    };
    const gauges = Object.values(g);
    m.meter.addBatchObservableCallback(callback, gauges);
    this.registered = { meter: m.meter, callback, gauges };
  }

  /** A version was loaded and is now served. */
  loaded(seconds: number): void {
    instruments().indexLoadDuration.record(seconds, { outcome: 'loaded' });
  }

  /** A version was refused (unusable files, wrong model, ...); `reason` is a short snake_case word. */
  refused(reason: string, seconds?: number): void {
    const m = instruments();
    m.indexLoadRefusals.add(1, { reason });
    if (seconds !== undefined) m.indexLoadDuration.record(seconds, { outcome: 'refused' });
  }

  close(): void {
    if (this.registered) this.registered.meter.removeBatchObservableCallback(this.registered.callback, this.registered.gauges);
    this.registered = undefined;
  }
}
