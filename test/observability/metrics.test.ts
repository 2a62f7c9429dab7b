import { promises as fs } from 'node:fs';
import path from 'node:path';
import { metrics } from '@opentelemetry/api';
import { batch, unary, unaryError } from '../helpers/server';
import { METRICS } from '../../src/telemetry/names';
import { find, httpGet, parsePrometheus, startObservedServer, syntheticIndex, type ObservedServer, type Sample } from './helpers';

// Real calls against the real server, then a scrape of the Prometheus endpoint.
const N = 400;
const SERVICE = 'creatormatch.v1.CreatorMatcher';
const FAN_ID = 'fan-secret-4242';
const REQUEST_ID = 'req-unique-9191';

let idx: Awaited<ReturnType<typeof syntheticIndex>>;
let server: ObservedServer;
let samples: Sample[];
let text: string;

beforeAll(async () => {
  idx = await syntheticIndex(N);
  // Every HNSW search is re-checked by the online recall monitor.
  server = await startObservedServer(idx.indexDir, {}, { MATCH_RECALL_SAMPLE_RATE: '1' });
  const c = idx.creators;
  for (let i = 0; i < 3; i++) await unary(server.client, 'Match', { request_id: REQUEST_ID, fan_id: FAN_ID, vector: { values: c[i]!.vector }, k: 5 });
  // A rare language: an enumerated candidate list, searched exactly.
  await unary(server.client, 'Match', { request_id: REQUEST_ID, fan_id: FAN_ID, vector: { values: c[3]!.vector }, k: 3, filter: { languages: ['xx'] } });
  await unaryError(server.client, 'Match', { request_id: REQUEST_ID, fan_id: FAN_ID, vector: { values: [1, 2, 3] } });
  await unaryError(server.client, 'Match', { like_creators: { ids: ['ghost'] } });
  await unary(server.client, 'GetIndexInfo', {});
  await batch(server.client, [
    { request_id: 'b1', vector: { values: c[5]!.vector }, k: 2 },
    { request_id: 'b2', vector: { values: [1] } },
  ]);
  const scrape = await httpGet(server.telemetry.metricsPort!, '/metrics');
  expect(scrape.status).toBe(200);
  expect(scrape.contentType).toContain('text/plain');
  text = scrape.body;
  samples = parsePrometheus(text);
  if (process.env.DUMP_METRICS) console.log(text);
});

afterAll(async () => {
  await server?.stop();
  if (idx) await fs.rm(idx.dir, { recursive: true, force: true });
});

const value = (name: string, labels: Record<string, string>): number => {
  const found = find(samples, name, labels);
  if (found.length !== 1) throw new Error(`expected one ${name} ${JSON.stringify(labels)}, found ${found.length}`);
  return found[0]!.value;
};

describe('Prometheus /metrics after real calls', () => {
  it('counts requests per method and status code name', () => {
    const rpc = METRICS.rpcRequests.name;
    expect(value(rpc, { service: SERVICE, method: 'Match', code: 'OK' })).toBe(4);
    expect(value(rpc, { service: SERVICE, method: 'Match', code: 'INVALID_ARGUMENT' })).toBe(1);
    expect(value(rpc, { service: SERVICE, method: 'Match', code: 'NOT_FOUND' })).toBe(1);
    expect(value(rpc, { service: SERVICE, method: 'GetIndexInfo', code: 'OK' })).toBe(1);
    expect(value(rpc, { service: SERVICE, method: 'BatchMatch', code: 'OK' })).toBe(1);
    for (const s of find(samples, rpc)) expect(Object.keys(s.labels).sort()).toEqual(['code', 'method', 'service']);
  });

  it('has a latency histogram with the same labels, in seconds', () => {
    const name = METRICS.rpcDuration.name;
    expect(text).toContain(`# TYPE ${name} histogram`);
    const labels = { service: SERVICE, method: 'Match', code: 'OK' };
    expect(value(`${name}_count`, labels)).toBe(4);
    expect(value(`${name}_bucket`, { ...labels, le: '+Inf' })).toBe(4);
    const buckets = find(samples, `${name}_bucket`, labels);
    expect(buckets.map((b) => b.labels.le)).toEqual(expect.arrayContaining(['0.001', '0.01', '0.1', '1', '+Inf']));
    // Cumulative buckets never decrease.
    const counts = buckets.map((b) => b.value);
    expect([...counts].sort((a, b) => a - b)).toEqual(counts);
    const sum = value(`${name}_sum`, labels);
    expect(sum).toBeGreaterThan(0);
    expect(value(`${name}_count`, { ...labels, code: 'INVALID_ARGUMENT' })).toBe(1);
  });

  it('records strategies, exact fallbacks, results and filter selectivity', () => {
    const v = idx.version;
    // 3 Match + 1 batch item with only the default NSFW filter: HNSW, over-fetched a little;
    // the rare-language filter: exact search over its candidates.
    expect(value(METRICS.searches.name, { strategy: 'ann_overfetch', index_version: v })).toBe(4);
    expect(value(METRICS.searches.name, { strategy: 'exact_candidates', index_version: v })).toBe(1);
    expect(value(METRICS.exactFallbacks.name, { strategy: 'exact_candidates', index_version: v })).toBe(1);
    expect(find(samples, METRICS.exactFallbacks.name, { strategy: 'ann_overfetch' })).toHaveLength(0);
    expect(value(`${METRICS.resultsReturned.name}_sum`, { strategy: 'ann_overfetch' })).toBe(3 * 5 + 2);
    expect(value(`${METRICS.resultsReturned.name}_sum`, { strategy: 'exact_candidates' })).toBe(3);
    const sel = find(samples, `${METRICS.filterSelectivity.name}_bucket`, { strategy: 'exact_candidates', le: '0.05' });
    expect(sel[0]!.value).toBe(1);
  });

  it('records online recall of sampled HNSW searches per variant and version', () => {
    const count = value(`${METRICS.onlineRecall.name}_count`, { variant: 'default', index_version: idx.version });
    expect(count).toBeGreaterThanOrEqual(1);
    expect(value(`${METRICS.onlineRecall.name}_sum`, { variant: 'default', index_version: idx.version }) / count).toBeGreaterThan(0.8);
  });

  it('counts BatchMatch items by in-band status', () => {
    expect(value(METRICS.batchItems.name, { code: 'OK' })).toBe(1);
    expect(value(METRICS.batchItems.name, { code: 'INVALID_ARGUMENT' })).toBe(1);
  });

  it('reports the served index version, size and load time', () => {
    expect(value(METRICS.indexInfo.name, { index_version: idx.version, model_id: '' })).toBe(1);
    expect(value(METRICS.indexCreators.name, { index_version: idx.version })).toBe(N);
    expect(value(METRICS.indexDims.name, { index_version: idx.version })).toBe(16);
    expect(value(METRICS.indexBytes.name, { index_version: idx.version })).toBeGreaterThan(N * 16 * 4);
    expect(value(METRICS.indexBuiltAt.name, { index_version: idx.version })).toBeGreaterThan(1.7e9);
    expect(value(METRICS.indexBuildRecall.name, { index_version: idx.version })).toBeGreaterThanOrEqual(0.95);
    expect(value(`${METRICS.indexLoadDuration.name}_count`, { outcome: 'loaded' })).toBe(1);
    expect(value(METRICS.indexInfo.name, { index_version: idx.version })).toBe(1);
    expect(find(samples, METRICS.indexInfo.name)[0]!.labels.variant).toBe('default');
  });

  it('never uses a fan id or request id as a label', () => {
    expect(text).not.toContain(FAN_ID);
    expect(text).not.toContain(REQUEST_ID);
    for (const s of samples) {
      expect(s.labels).not.toHaveProperty('fan_id');
      expect(s.labels).not.toHaveProperty('request_id');
    }
  });

  it('every metric is prefixed, and those the service defines are all documented in names.ts', () => {
    const own = new Set(samples.map((s) => s.name.replace(/_(bucket|sum|count)$/, '')).filter((n) => n.startsWith('creator_match_')));
    const known = new Set(Object.values(METRICS).map((m) => m.name as string));
    for (const n of own) expect(known).toContain(n);
  });

  it('exports Node runtime metrics (event loop, GC, heap, RSS), and the first scrape logs no error', async () => {
    // The runtime instrumentation reports event-loop delay only once its histogram holds 5 samples
    // (one per 10 ms tick the loop gets to run) since the previous collection: a first scrape on a
    // loaded machine can come before that, so later scrapes (up to 5 s) may supply it.
    let all = samples;
    for (let i = 0; i < 50 && !all.some((s) => s.name.startsWith('nodejs_eventloop_delay_p99')); i++) {
      await new Promise((r) => setTimeout(r, 100));
      all = [...all, ...parsePrometheus((await httpGet(server.telemetry.metricsPort!, '/metrics')).body)];
    }
    for (const name of ['nodejs_eventloop_delay_p99', 'nodejs_eventloop_utilization', 'v8js_memory_heap_used']) {
      expect(all.some((s) => s.name.startsWith(name))).toBe(true);
    }
    expect(find(samples, METRICS.processRss.name)[0]!.value).toBeGreaterThan(10 * 1024 * 1024);
    expect(server.logs.filter((l) => (l.level as number) >= 50)).toEqual([]);
  });

  it('answers 404 off the metrics path', async () => {
    expect((await httpGet(server.telemetry.metricsPort!, '/')).status).toBe(404);
  });
});

describe('index refusals', () => {
  it('counts a refused version by reason, and keeps reporting the version still served', async () => {
    const bad = path.join(idx.indexDir, 'copy-with-wrong-manifest');
    await fs.cp(path.join(idx.indexDir, idx.version), bad, { recursive: true });
    await expect(server.app.manager.reload('copy-with-wrong-manifest')).rejects.toThrow(/refused/);
    const after = parsePrometheus((await httpGet(server.telemetry.metricsPort!, '/metrics')).body);
    expect(find(after, METRICS.indexLoadRefusals.name, { reason: 'manifest' }).map((s) => s.value)).toEqual([1]);
    expect(find(after, METRICS.indexInfo.name).map((s) => s.labels.index_version)).toEqual([idx.version]);
  });
});

describe('shutdown', () => {
  it('closes /metrics and unregisters the global meter provider, idempotently', async () => {
    const port = server.telemetry.metricsPort!;
    const before = metrics.getMeterProvider();
    await server.stop();
    await server.telemetry.shutdown();
    // Nothing answers any more (refused, or reset while the listener winds down).
    await expect(httpGet(port, '/metrics')).rejects.toThrow(/ECONNREFUSED|ECONNRESET|socket hang up/);
    expect(metrics.getMeterProvider()).not.toBe(before);
    expect(server.logs.map((l) => l.msg)).toEqual(expect.arrayContaining(['telemetry started', 'gRPC server stopped']));
  });
});
