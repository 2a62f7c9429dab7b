import { metrics } from '@opentelemetry/api';
import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { CachingEmbedder, EmbeddingCache, embeddingCacheKey, normaliseText } from '../../src/embedding/caching-embedder';
import { EmbedderPool } from '../../src/lifecycle/embedder-pool';
import { FakeEmbedder, settle } from './fake-embedder';

describe('EmbeddingCache', () => {
  it('is a bounded LRU: a hit refreshes an entry, an insert past capacity evicts the oldest', () => {
    const c = new EmbeddingCache(2);
    c.set('a', Float32Array.of(1));
    c.set('b', Float32Array.of(2));
    expect(c.get('a')).toEqual(Float32Array.of(1)); // a is now the most recent
    c.set('c', Float32Array.of(3));
    expect(c.get('b')).toBeUndefined();
    expect(c.get('a')).toBeDefined();
    expect(c.get('c')).toBeDefined();
    expect(c.size).toBe(2);
    expect(() => new EmbeddingCache(0)).toThrow(RangeError);
  });

  it('keys by model id, revision, dtype and the whitespace-collapsed text', () => {
    expect(normaliseText('  cook\t dumplings\n at home ')).toBe('cook dumplings at home');
    const k = embeddingCacheKey('m', 'r1', 'q8', 'cook  dumplings');
    expect(embeddingCacheKey('m', 'r1', 'q8', ' cook dumplings ')).toBe(k);
    expect(embeddingCacheKey('m', 'r2', 'q8', 'cook dumplings')).not.toBe(k);
    expect(embeddingCacheKey('m', 'r1', 'fp32', 'cook dumplings')).not.toBe(k);
    expect(embeddingCacheKey('other', 'r1', 'q8', 'cook dumplings')).not.toBe(k);
    expect(embeddingCacheKey('m', 'r1', 'q8', 'Cook dumplings')).not.toBe(k); // case is meaningful to the model
  });
});

describe('CachingEmbedder', () => {
  it('embeds a text once and answers repeats (whitespace variants too) from the cache, as copies', async () => {
    const inner = new FakeEmbedder();
    const e = new CachingEmbedder(inner, new EmbeddingCache(10), 'q8');
    const [a] = await e.embed(['cook  dumplings ']);
    expect(inner.calls).toEqual([['cook dumplings']]); // the model sees the normalised text
    a![0] = 999; // a caller changing its copy does not reach the cache
    const [b] = await e.embed(['cook dumplings']);
    expect(inner.calls).toHaveLength(1);
    expect(b).toEqual(FakeEmbedder.vector('cook dumplings'));
  });

  it('sends only the misses, once each, in one call, and keeps the caller order', async () => {
    const inner = new FakeEmbedder();
    const e = new CachingEmbedder(inner, new EmbeddingCache(10), 'q8');
    await e.embed(['b']);
    const out = await e.embed(['a', 'b', 'c', 'a']);
    expect(inner.calls).toEqual([['b'], ['a', 'c']]);
    expect(out).toEqual(['a', 'b', 'c', 'a'].map((t) => FakeEmbedder.vector(t)));
  });

  it('a new model revision misses', async () => {
    const inner = new FakeEmbedder();
    const e = new CachingEmbedder(inner, new EmbeddingCache(10), 'q8');
    await e.embed(['x']);
    inner.revision = 'r2';
    await e.embed(['x']);
    expect(inner.calls).toEqual([['x'], ['x']]);
  });

  it('a text another call is embedding is awaited, not embedded twice', async () => {
    const inner = new FakeEmbedder();
    inner.gated = true;
    const e = new CachingEmbedder(inner, new EmbeddingCache(10), 'q8');
    const first = e.embed(['hot text']);
    const second = e.embed(['hot text']);
    await settle();
    expect(inner.calls).toEqual([['hot text']]);
    inner.release();
    expect(await second).toEqual(await first);
  });

  it('when the call it waited for fails (its caller aborted), a waiter embeds the text itself', async () => {
    const inner = new FakeEmbedder();
    inner.gated = true;
    const e = new CachingEmbedder(inner, new EmbeddingCache(10), 'q8');
    const abort = new AbortController();
    const first = e.embed(['t'], abort.signal);
    const second = e.embed(['t']);
    await settle();
    abort.abort();
    inner.gated = false;
    inner.release();
    await expect(first).rejects.toThrow('aborted');
    expect(await second).toEqual([FakeEmbedder.vector('t')]);
    expect(inner.calls).toEqual([['t'], ['t']]);
  });

  it('does not cache failures', async () => {
    const inner = new FakeEmbedder();
    const e = new CachingEmbedder(inner, new EmbeddingCache(10), 'q8');
    inner.failNext = new Error('model down');
    await expect(e.embed(['y'])).rejects.toThrow('model down');
    expect(await e.embed(['y'])).toEqual([FakeEmbedder.vector('y')]);
    expect(inner.calls).toHaveLength(2);
  });

  it('counts hits and misses as OTel counters', async () => {
    const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
    const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 1_000_000 });
    const provider = new MeterProvider({ readers: [reader] });
    metrics.setGlobalMeterProvider(provider);
    try {
      const e = new CachingEmbedder(new FakeEmbedder(), new EmbeddingCache(10), 'q8');
      await e.embed(['a', 'b']);
      await e.embed(['a', 'a', 'c']);
      await reader.forceFlush();
      const points = new Map<string, number>();
      for (const rm of exporter.getMetrics())
        for (const sm of rm.scopeMetrics)
          for (const m of sm.metrics) for (const p of m.dataPoints) points.set(`${m.descriptor.name}{${String(p.attributes.model)}}`, p.value as number);
      expect(points.get('creator_match_embedding_cache_hits_total{fake/model}')).toBe(2);
      expect(points.get('creator_match_embedding_cache_misses_total{fake/model}')).toBe(3);
    } finally {
      metrics.disable();
      await provider.shutdown();
    }
  });
});

describe('EmbedderPool with a cache size', () => {
  it('hands out caching embedders sharing one cache; 0 means none', async () => {
    const models: FakeEmbedder[] = [];
    const create = (): FakeEmbedder => {
      const f = new FakeEmbedder();
      models.push(f);
      return f;
    };
    const pool = new EmbedderPool({ allowRemoteModels: false, cacheSize: 8, create });
    const e = await pool.acquire({ id: 'fake/model', dtype: 'q8' });
    expect(e).toBeInstanceOf(CachingEmbedder);
    await e.embed(['same']);
    await e.embed(['same']);
    expect(models[0]!.calls).toHaveLength(1);
    await pool.release(e, { id: 'fake/model', dtype: 'q8' });
    expect(models[0]!.disposed).toBe(true);
    await pool.close();

    const plain = new EmbedderPool({ allowRemoteModels: false, cacheSize: 0, create });
    const p = await plain.acquire({ id: 'fake/model', dtype: 'q8' });
    expect(p).toBeInstanceOf(FakeEmbedder);
    await plain.close();
  });
});
