/**
 * `npm run bench:service [-- --creators 100000 --ef 64 --seconds 8 --concurrency 1,4,16 --window 64 --no-write]` (`--quick`: 10k, 3 s rows)
 * The service over gRPC on loopback, through the public contract: the server runs as its own
 * process (`node dist/src/main.js` as the image runs it; BENCH_SERVER=tsx: the npm start path) over the corpus published with the
 * builder's publishVersion; a load generator (bench/lib/loadgen.ts, another process) keeps N
 * Match calls in flight, then offers half the peak rate open-loop for p99, then streams
 * BatchMatch with W items in flight, then filtered Match at ~10% and ~1% selectivity. References
 * measured in the same run: in-process hnswlib-node searchKnn (1 thread) on the same graph file,
 * and our engine in-process (HnswIndex.search, 8 in flight on the thread pool). Also the server's
 * RSS against the (vectors + graph) bytes of the index. BENCH_SERVER_NODE_OPTIONS passes Node/V8
 * flags to the server process only (A/B of runtime flags, e.g. --max-semi-space-size=4).
 */
import { readFileSync, statSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { CreatorProfile } from '../src/catalog/creator';
import { ARTIFACT_FILES } from '../src/index/manifest';
import {
  arg,
  argList,
  boxEnd,
  boxLine,
  boxStart,
  CACHE,
  commandLine,
  corpusFiles,
  creatorsArg,
  corpusDir,
  fmt,
  latencyStats,
  loadCorpus,
  MiB,
  procCpuSeconds,
  procMem,
  QUICK,
  recallAt,
  row,
  stamp,
  table,
  writeJson,
  writeSection,
} from './lib/common';
import { loadEngine, loadRawHnsw } from './lib/indexes';
import { publishBenchIndex } from './lib/publish';
import { histogramDelta, loadgen, serve, SERVER_COMMAND, serverMatchHistogram } from './lib/service-run';

const K = 10;

export const FILTERS = [
  { name: '~10% (4 languages)', spec: { include_nsfw: true, languages: ['fr', 'it', 'pt', 'ja'] }, keep: (p: CreatorProfile) => ['fr', 'it', 'pt', 'ja'].includes(p.language) },
  {
    name: '~1% (1 language x 8 categories)',
    spec: { include_nsfw: true, languages: ['fr'], categories: ['podcasts', 'crafts', 'fitness', 'education', 'history', 'games', 'photography', 'fiction'] },
    keep: (p: CreatorProfile) => p.language === 'fr' && ['podcasts', 'crafts', 'fitness', 'education', 'history', 'games', 'photography', 'fiction'].includes(p.category),
  },
];

/** Timed 1-thread loop over the queries (the in-process hnswlib-node reference). */
export function timeSingle(n: number, fn: (i: number) => ArrayLike<number>): { results: ArrayLike<number>[]; qps: number; p50: number; p99: number } {
  for (let i = 0; i < Math.min(50, n); i++) fn(i); // warm-up
  const results: ArrayLike<number>[] = [];
  const lat: number[] = [];
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const s = performance.now();
    results.push(fn(i));
    lat.push(performance.now() - s);
  }
  return { results, qps: n / ((performance.now() - t0) / 1000), ...latencyStats(lat) };
}

export interface ServiceRow {
  what: string;
  ef: number;
  inFlight: number | '-';
  filter: string;
  recall: number;
  qps: number;
  vsRef: string;
  p50: number;
  p99: number;
}

async function main(): Promise<void> {
  const box = boxStart();
  const creators = creatorsArg();
  const c = loadCorpus(corpusDir(creators));
  const dims = c.meta.dims;
  const efs = argList('ef', [64]);
  const seconds = arg('seconds', QUICK ? 3 : 8);
  const concurrencies = argList('concurrency', [1, 4, 16]);
  const window = arg('window', 64);
  const nq = Math.min(arg('queries', 1000), c.meta.queries);
  const published = await publishBenchIndex(c);
  const raw = await loadRawHnsw(c);
  const engine = await loadEngine(c);
  const arrays = Array.from({ length: nq }, (_, i) => Array.from(row(c.queries, dims, i)));
  const queries = Array.from({ length: nq }, (_, i) => row(c.queries, dims, i));

  // Filters on the catalog's own fields (include_nsfw everywhere, so "none" is truly unfiltered).
  const profiles = readFileSync(corpusFiles(c.dir).profiles, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as CreatorProfile);
  const truthFiles: string[] = [];
  const selectivity: number[] = [];
  for (const [fi, f] of FILTERS.entries()) {
    const allowed = profiles.flatMap((p, l) => (f.keep(p) ? [l] : []));
    selectivity.push(allowed.length / profiles.length);
    const t = new Int32Array(nq * K);
    for (let i = 0; i < nq; i++) (await engine.search(queries[i]!, K, 0, { labels: allowed })).forEach((h, j) => (t[i * K + j] = h.label));
    const file = path.join(CACHE, `truth-service-${creators}-filter${fi}-${nq}.i32`);
    await writeFile(file, new Uint8Array(t.buffer));
    truthFiles.push(file);
  }

  const indexBytes = statSync(path.join(published.dir, published.version, ARTIFACT_FILES.index)).size;
  const vectorBytes = c.meta.creators * dims * 4;
  const rows: ServiceRow[] = [];
  const memory: { ef: number; idleRss: number; afterRss: number; peakRss: number; indexBytes: number }[] = [];
  const summary: Record<string, number>[] = [];
  for (const ef of efs) {
    raw.setEf(Math.max(ef, K));
    const ref = timeSingle(nq, (i) => raw.searchKnn(arrays[i]!, K).neighbors);
    const refRecall = recallAt(ref.results, c.truth, c.meta.truthK, K);
    rows.push({ what: 'in-process hnswlib-node searchKnn, 1 thread (reference)', ef, inFlight: 1, filter: 'none', recall: refRecall, qps: ref.qps, vsRef: '1.00x', p50: ref.p50, p99: ref.p99 });
    // Our engine in-process: 8 searches in flight on the libuv pool (both cores, one index).
    {
      const results: ArrayLike<number>[] = new Array<ArrayLike<number>>(nq);
      const lat: number[] = [];
      let next = 0;
      const t0 = performance.now();
      await Promise.all(
        Array.from({ length: 8 }, async () => {
          while (next < nq) {
            const i = next++;
            const s = performance.now();
            results[i] = (await engine.search(queries[i]!, K, ef)).map((h) => h.label);
            lat.push(performance.now() - s);
          }
        }),
      );
      const qps = nq / ((performance.now() - t0) / 1000);
      rows.push({ what: 'in-process HnswIndex.search (our engine), 8 in flight', ef, inFlight: 8, filter: 'none', recall: recallAt(results, c.truth, c.meta.truthK, K), qps, vsRef: `${fmt(qps / ref.qps, 2)}x`, ...latencyStats(lat) });
    }
    // Metrics on (as in production) so the server's own latency histogram can be read beside the client's.
    const served = await serve(published.dir, { MATCH_EF_SEARCH: String(ef), MATCH_METRICS_ADDR: '127.0.0.1:0' });
    const { server } = served;
    const metricsPort = (await server.logs()).find((l) => l.msg === 'telemetry started')?.metrics_port as number | undefined;
    const histogram = (): Promise<Map<number, number>> => (metricsPort ? serverMatchHistogram(metricsPort) : Promise.resolve(new Map<number, number>()));
    const pid = server.child.pid!;
    try {
      const base = { addr: server.addr, k: K, nq, seconds, creators, filter: { include_nsfw: true } };
      await loadgen({ ...base, mode: 'match', concurrency: 1, seconds: 1 });
      const idle = procMem(pid);
      let peak = 0;
      let at4 = NaN;
      for (const n of concurrencies) {
        const r = await loadgen({ ...base, mode: 'match', concurrency: n });
        peak = Math.max(peak, r.qps);
        if (n === 4) at4 = r.qps;
        rows.push({ what: `Match over gRPC, ${n} in flight`, ef, inFlight: n, filter: 'none', recall: r.recall, qps: r.qps, vsRef: `${fmt(r.qps / ref.qps, 2)}x`, p50: r.p50, p99: r.p99 });
      }
      const h0 = await histogram();
      const half = await loadgen({ ...base, mode: 'rate', concurrency: 0, rate: Math.round(peak / 2) });
      const serverHalf = histogramDelta(h0, await histogram());
      rows.push({ what: `Match over gRPC, open loop at half peak (${Math.round(peak / 2)}/s)`, ef, inFlight: '-', filter: 'none', recall: half.recall, qps: half.qps, vsRef: `${fmt(half.qps / ref.qps, 2)}x`, p50: half.p50, p99: half.p99 });
      // The same rate with the load generator pinned to core 1 (taskset), so it does not run on the server's other core.
      const h1 = await histogram();
      const pinned = await loadgen({ ...base, mode: 'rate', concurrency: 0, rate: Math.round(peak / 2) }, '1');
      const serverPinned = histogramDelta(h1, await histogram());
      rows.push({ what: `Match over gRPC, open loop at half peak (${Math.round(peak / 2)}/s), load generator pinned to core 1`, ef, inFlight: '-', filter: 'none', recall: pinned.recall, qps: pinned.qps, vsRef: `${fmt(pinned.qps / ref.qps, 2)}x`, p50: pinned.p50, p99: pinned.p99 });
      const share5 = (h: ReturnType<typeof histogramDelta>): number => h.shareUnder.find(([b]) => b === 0.005)?.[1] ?? NaN;
      const cpu0 = procCpuSeconds(pid);
      const wall0 = performance.now();
      const b = await loadgen({ ...base, mode: 'batch', concurrency: window });
      // Cores the server used during the stream (includes the load generator's start-up: a slight underestimate).
      const cores = (procCpuSeconds(pid) - cpu0) / ((performance.now() - wall0) / 1000);
      rows.push({ what: `BatchMatch, 1 stream, ${window} in flight (server used ${fmt(cores, 2)} cores)`, ef, inFlight: window, filter: 'none', recall: b.recall, qps: b.qps, vsRef: `${fmt(b.qps / ref.qps, 2)}x`, p50: b.p50, p99: b.p99 });
      const filtered: number[] = [];
      for (const [fi, f] of FILTERS.entries()) {
        const r = await loadgen({ ...base, mode: 'match', concurrency: 4, filter: f.spec, ...(truthFiles[fi] ? { truthFile: truthFiles[fi] } : {}) });
        filtered.push(r.qps);
        rows.push({ what: `Match over gRPC, 4 in flight, filter ${f.name}${r.shortResults ? `, ${r.shortResults} short` : ''}`, ef, inFlight: 4, filter: `${(selectivity[fi]! * 100).toFixed(2)}%`, recall: r.recall, qps: r.qps, vsRef: `${fmt(r.qps / at4, 2)}x unfiltered`, p50: r.p50, p99: r.p99 });
      }
      const after = procMem(pid);
      memory.push({ ef, idleRss: idle.rss, afterRss: after.rss, peakRss: after.hwm, indexBytes });
      summary.push({ ef, refQps: ref.qps, peakQps: peak, peakRatio: peak / ref.qps, halfPeakP99: half.p99, halfPeakP99Pinned: pinned.p99, serverShare5ms: share5(serverHalf), serverShare5msPinned: share5(serverPinned), serverP99Bound: serverHalf.p99Bound * 1000, serverP99BoundPinned: serverPinned.p99Bound * 1000, batchItemsPerSec: b.qps, batchRatio: b.qps / ref.qps, batchCores: cores, batchPerCore: b.qps / ref.qps / Math.max(1, cores), filtered10Ratio: filtered[0]! / at4, filtered1Ratio: filtered[1]! / at4, rssRatio: after.rss / indexBytes, loadSeconds: served.loadSeconds });
    } finally {
      await server.stop();
    }
  }
  await engine.close();
  const end = boxEnd(box);

  const lines = [
    `### Service over gRPC (${stamp()} UTC)`,
    '',
    `Command: \`${commandLine('bench:service')}\`. ${boxLine(end)}`,
    '',
    `${c.meta.creators} creators x ${dims} dims, ${nq} fan-text query vectors cycled, k=${K}, ${seconds} s per row. Server: \`${SERVER_COMMAND}\` in its own process over a version published by the builder's publishVersion; ` +
      `load generator: another process (@grpc/grpc-js client) on the same cores. References: in-process hnswlib-node searchKnn (1 thread) on the same graph file, and our engine in-process, both measured in this run. Latencies are client-side round trips.`,
    '',
    ...table(
      ['what', 'ef', 'in flight', 'filter', 'recall@10', 'QPS', 'vs ref', 'p50 ms', 'p99 ms'],
      rows.map((r) => [r.what, r.ef, r.inFlight, r.filter, fmt(r.recall, 3), fmt(r.qps), r.vsRef, fmt(r.p50, 2), fmt(r.p99, 2)]),
      ['l', 'r', 'r', 'l', 'r', 'r', 'r', 'r', 'r'],
    ),
    '',
    ...summary.map(
      (s) =>
        `- ef ${s.ef}: service peak ${fmt(s.peakQps!)} QPS = **${fmt(s.peakRatio!, 2)}x** in-process hnswlib-node; p99 at half peak **${fmt(s.halfPeakP99!, 2)} ms** (load generator pinned to core 1: ${fmt(s.halfPeakP99Pinned!, 2)} ms); ` +
        `the server's own histogram at half peak: ${fmt(100 * s.serverShare5ms!, 1)}% of calls within 5 ms, p99 under the ${fmt(s.serverP99Bound!, 1)} ms bucket (pinned: ${fmt(100 * s.serverShare5msPinned!, 1)}%, under ${fmt(s.serverP99BoundPinned!, 1)} ms); ` +
        `BatchMatch ${fmt(s.batchRatio!, 2)}x one in-process thread on ${fmt(s.batchCores!, 2)} server cores = **${fmt(s.batchPerCore!, 2)}x per core used**; filtered 1% **${fmt(s.filtered1Ratio!, 2)}x** unfiltered; server up (index loaded) in ${fmt(s.loadSeconds!, 1)} s`,
    ),
    '',
    `Memory: (vectors + graph) = index.hnsw ${MiB(indexBytes)} MiB (of which vectors ${MiB(vectorBytes)} MiB). Server RSS from /proc (a provided-vector version: no model loaded).`,
    '',
    ...table(
      ['ef', 'RSS idle MiB', 'RSS after the load rows MiB', 'peak RSS MiB', 'vectors+graph MiB', 'RSS / (vectors+graph)'],
      memory.map((m) => [m.ef, MiB(m.idleRss), MiB(m.afterRss), MiB(m.peakRss), MiB(m.indexBytes), `${fmt(m.afterRss / m.indexBytes, 2)}x`]),
    ),
    '',
  ];
  await writeJson('service', { box: end, corpus: c.meta, seconds, rows, memory, summary });
  await writeSection('service', lines);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
