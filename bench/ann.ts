/**
 * `npm run bench:ann [-- --ef 16,32,64,128,256 --queries 1000 --filter-ef 64 --no-python --no-write]`
 * ANN quality/speed on the 100k x 512 corpus (bench:corpus): recall@10 against exact search, QPS
 * and p50/p99 per query, for in-process hnswlib-node (raw searchKnn and the service's HnswIndex
 * wrapper), usearch (f32, f16, i8; single queries and multi-threaded batches), and Debian's
 * python3-hnswlib (the same graph file) and python3-faiss (IndexHNSWFlat at equal M/efC,
 * IndexFlatIP exact), at 1 thread and all cores; also with filters keeping 10% and 1% of creators.
 * The reference is in-process hnswlib-node searchKnn at the same ef, measured in this run.
 */
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import type { HierarchicalNSW } from 'hnswlib-node';
import type { CompiledFilter } from '../src/catalog/catalog';
import { HnswIndex } from '../src/index/hnsw-index';
import { NativeHnswIndex } from '../src/index/native-hnsw';
import { bitsetOf } from '../src/index/vector-store';
import { UsearchIndex, type UsearchScalar } from '../src/index/usearch-index';
import { VectorMatrix } from '../src/index/vector-matrix';
import { filteredSearch } from '../src/match/filtered-search';
import { appendSection, arg, argList, cpuLine, flag, fmt, latencyStats, loadCorpus, PYTHON, recallAt, row, stamp, table, type Corpus } from './lib/common';
import { ensureHnsw, ensureUsearch, faissFile, loadRawHnsw, PARAMS } from './lib/indexes';

const K = 10;

export interface AnnRow {
  lib: string;
  mode: string;
  threads: number;
  ef: number;
  filter: string;
  recall: number;
  qps: number;
  p50_ms?: number;
  p99_ms?: number;
  /** QPS relative to the reference runner of the same group (median of per-round ratios). */
  ratio?: number;
}

/** Times one call per query; returns result label lists, QPS and latencies. */
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
  const total = (performance.now() - t0) / 1000;
  return { results, qps: n / total, ...latencyStats(lat) };
}

export interface Runner {
  lib: string;
  mode: string;
  threads: number;
  ef: number;
  filter: string;
  /** One query per call... */
  single?: (i: number) => ArrayLike<number>;
  /** ...or all of [from, to) in one call. */
  batch?: (from: number, to: number) => ArrayLike<number>[];
  recall: (results: ArrayLike<number>[]) => number;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/**
 * Interleaved rounds: round r runs every runner over the same slice of queries, so background
 * load hits all of them alike; QPS is the median over rounds and "vs ref" the median of the
 * per-round ratios to runners[0]. Latency percentiles pool all single calls.
 */
export function measure(runners: Runner[], nq: number, rounds: number): AnnRow[] {
  const per = Math.floor(nq / rounds);
  const results = runners.map(() => new Array<ArrayLike<number>>(per * rounds));
  const qps = runners.map(() => [] as number[]);
  const lat = runners.map(() => [] as number[]);
  for (const r of runners) {
    if (r.single) for (let i = 0; i < 20; i++) r.single(i);
    else r.batch!(0, 20);
  }
  for (let round = 0; round < rounds; round++) {
    const from = round * per;
    runners.forEach((r, j) => {
      const t0 = performance.now();
      if (r.single) {
        for (let i = from; i < from + per; i++) {
          const s = performance.now();
          results[j]![i] = r.single(i);
          lat[j]!.push(performance.now() - s);
        }
      } else {
        r.batch!(from, from + per).forEach((x, i) => (results[j]![from + i] = x));
      }
      qps[j]!.push(per / ((performance.now() - t0) / 1000));
    });
  }
  return runners.map((r, j) => ({
    lib: r.lib,
    mode: r.mode,
    threads: r.threads,
    ef: r.ef,
    filter: r.filter,
    recall: r.recall(results[j]!),
    qps: median(qps[j]!),
    ratio: median(qps[j]!.map((x, round) => x / qps[0]![round]!)),
    ...(r.single ? { p50_ms: latencyStats(lat[j]!).p50, p99_ms: latencyStats(lat[j]!).p99 } : {}),
  }));
}

const FILTERS = [
  { name: '10%', mod: 10 },
  { name: '1%', mod: 100 },
];

function modFilter(n: number, mod: number, enumerate: boolean): CompiledFilter {
  const allows = (label: number): boolean => label % mod === 0;
  const all: number[] = [];
  for (let l = 0; l < n; l += mod) all.push(l);
  return { allows, candidates: enumerate ? all : undefined, estimatedAllowed: all.length };
}

async function main(): Promise<void> {
  const c: Corpus = loadCorpus();
  const { dims } = c.meta;
  const nq = Math.min(arg('queries', 1000), c.meta.queries);
  const efs = argList('ef', [16, 32, 64, 128, 256]);
  const filterEfs = argList('filter-ef', [64]);
  const threadsAll = os.cpus().length;
  const queries = Array.from({ length: nq }, (_, i) => row(c.queries, dims, i));
  const arrays = queries.map((q) => Array.from(q));
  const truth = c.truth;
  const rows: AnnRow[] = [];
  const add = (r: AnnRow): void => {
    rows.push(r);
    process.stderr.write(`${r.lib} | ${r.mode} | t${r.threads} ef${r.ef} ${r.filter}: recall ${r.recall.toFixed(3)} qps ${r.qps.toFixed(0)}\n`);
  };
  const recall = (res: ArrayLike<number>[]): number => recallAt(res, truth, c.meta.truthK, K);

  const built = await ensureHnsw(c);
  const raw: HierarchicalNSW = await loadRawHnsw(c);
  const wrapped = await HnswIndex.load(built.file, dims);
  const native = await NativeHnswIndex.load(built.file, dims);
  const matrix = new VectorMatrix(dims, c.vectors);
  const scalars: UsearchScalar[] = ['f32', 'f16', 'i8'];
  const usFiles = new Map(scalars.map((s) => [s, ensureUsearch(c, s, threadsAll).file]));
  // The npm binding fixes ef per native index: one memory-mapped view per (scalar, ef).
  const usAt = (s: UsearchScalar, ef: number): UsearchIndex => UsearchIndex.load(usFiles.get(s)!, dims, { ...PARAMS, efSearch: Math.max(ef, K) }, { scalar: s, view: true });

  const rounds = arg('rounds', 5);
  const labelsOf = (hits: { label: number }[]): number[] => hits.map((h) => h.label);
  for (const ef of efs) {
    const views = scalars.map((sc) => [sc, usAt(sc, ef)] as const);
    const runners: Runner[] = [
      { lib: 'hnswlib-node', mode: 'searchKnn (reference)', threads: 1, ef, filter: 'none', single: (i) => (raw.setEf(Math.max(ef, K)), raw.searchKnn(arrays[i]!, K).neighbors), recall },
      { lib: 'hnswlib-node', mode: 'HnswIndex.search (builder wrapper)', threads: 1, ef, filter: 'none', single: (i) => labelsOf(wrapped.search(queries[i]!, K, ef)), recall },
      { lib: 'native addon (same file)', mode: 'NativeHnswIndex.search, sync (service index)', threads: 1, ef, filter: 'none', single: (i) => labelsOf(native.search(queries[i]!, K, ef)), recall },
    ];
    for (const [sc, u] of views) {
      runners.push({ lib: `usearch ${sc}`, mode: 'search, 1 query/call', threads: 1, ef, filter: 'none', single: (i) => labelsOf(u.search(queries[i]!, K, ef)), recall });
      for (const th of [1, threadsAll]) {
        runners.push({ lib: `usearch ${sc}`, mode: 'searchBatch (a round\'s queries in 1 call)', threads: th, ef, filter: 'none', batch: (a, b) => u.searchBatch(queries.slice(a, b), K, ef, th).map(labelsOf), recall });
      }
    }
    for (const r of measure(runners, nq, rounds)) add(r);
    for (const [, u] of views) u.close();
  }

  // Filters: allowed = label % mod == 0 (uniform, independent of the vectors).
  for (const f of FILTERS) {
    const allowed: number[] = [];
    for (let l = 0; l < c.meta.creators; l += f.mod) allowed.push(l);
    const ftruth = new Int32Array(nq * K);
    queries.forEach((q, i) => matrix.search(q, K, allowed).forEach((h, j) => (ftruth[i * K + j] = h.label)));
    const frecall = (res: ArrayLike<number>[]): number => recallAt(res, ftruth, K, K);
    const bits = bitsetOf(c.meta.creators, (l) => l % f.mod === 0);
    const allowedU32 = Uint32Array.from(allowed);
    for (const ef of filterEfs) {
      const u = usAt('f32', ef);
      const post = modFilter(c.meta.creators, f.mod, false);
      const exact = modFilter(c.meta.creators, f.mod, true);
      const runners: Runner[] = [
        { lib: 'hnswlib-node', mode: 'searchKnn, unfiltered (reference)', threads: 1, ef, filter: 'none', single: (i) => (raw.setEf(Math.max(ef, K)), raw.searchKnn(arrays[i]!, K).neighbors), recall },
        { lib: 'hnswlib-node', mode: 'searchKnn + JS filter callback', threads: 1, ef, filter: f.name, single: (i) => (raw.setEf(Math.max(ef, K)), raw.searchKnn(arrays[i]!, K, (label) => label % f.mod === 0).neighbors), recall: frecall },
        { lib: 'hnswlib-node', mode: 'filteredSearch: over-fetch + post-filter', threads: 1, ef, filter: f.name, single: (i) => labelsOf(filteredSearch(queries[i]!, K, post, wrapped, matrix, { ef, minScore: undefined }).hits), recall: frecall },
        { lib: 'usearch f32', mode: 'filteredSearch: over-fetch + post-filter', threads: 1, ef, filter: f.name, single: (i) => labelsOf(filteredSearch(queries[i]!, K, post, u, matrix, { ef, minScore: undefined }).hits), recall: frecall },
        { lib: 'exact (native, usearch exactSearch)', mode: 'filteredSearch: exact over enumerated candidates', threads: 1, ef, filter: f.name, single: (i) => labelsOf(filteredSearch(queries[i]!, K, exact, wrapped, matrix, { ef, minScore: undefined }).hits), recall: frecall },
        { lib: 'native addon', mode: 'bitset filter inside the HNSW traversal', threads: 1, ef, filter: f.name, single: (i) => labelsOf(native.searchWith(queries[i]!, K, ef, { bitset: bits, nbits: c.meta.creators })), recall: frecall },
        { lib: 'native addon', mode: 'exact over enumerated candidates, vectors read in place', threads: 1, ef, filter: f.name, single: (i) => labelsOf(native.searchWith(queries[i]!, K, 0, { labels: allowedU32 })), recall: frecall },
      ];
      for (const r of measure(runners, nq, rounds)) add(r);
      u.close();
    }
  }
  raw.setEf(64);
  const exactRunners: Runner[] = [
    { lib: 'hnswlib-node', mode: 'searchKnn (reference)', threads: 1, ef: 64, filter: 'none', single: (i) => raw.searchKnn(arrays[i]!, K).neighbors, recall },
    { lib: 'VectorMatrix (JS)', mode: 'exact scan', threads: 1, ef: 0, filter: 'none', single: (i) => labelsOf(matrix.search(queries[i]!, K)), recall },
  ];
  for (const r of measure(exactRunners, Math.min(nq, 100), rounds).slice(1)) add(r);

  // The service's path: searches on the libuv thread pool with N in flight (all cores, one index).
  for (const ef of filterEfs) {
    raw.setEf(Math.max(ef, K));
    const ref = measure([{ lib: 'hnswlib-node', mode: 'searchKnn (reference)', threads: 1, ef, filter: 'none', single: (i) => raw.searchKnn(arrays[i]!, K).neighbors, recall }], nq, rounds)[0]!;
    for (const inFlight of [1, 2, 4, 8]) {
      const results = new Array<ArrayLike<number>>(nq);
      let next = 0;
      const t0 = performance.now();
      await Promise.all(
        Array.from({ length: inFlight }, async () => {
          while (next < nq) {
            const i = next++;
            results[i] = labelsOf(await native.searchAsync(queries[i]!, K, ef));
          }
        }),
      );
      const qps = nq / ((performance.now() - t0) / 1000);
      add({ lib: 'native addon', mode: `searchAsync on the thread pool, ${inFlight} in flight`, threads: Math.min(inFlight, threadsAll), ef, filter: 'none', recall: recall(results), qps, ratio: qps / ref.qps });
    }
  }
  native.close();

  if (!flag('no-python')) {
    const cfg = {
      vectors: path.join(c.dir, 'vectors.f32'),
      queries: path.join(c.dir, 'queries.f32'),
      truth: path.join(c.dir, 'truth.i32'),
      dims,
      k: K,
      efs,
      threads: [1, threadsAll],
      hnsw_index: built.file,
      faiss_hnsw: true,
      faiss_index: faissFile(c),
      m: PARAMS.m,
      ef_construction: PARAMS.efConstruction,
      filters: FILTERS,
      filter_efs: filterEfs,
      flat: true,
      nq,
      truth_k: c.meta.truthK,
    };
    const py = spawnSync(PYTHON, [path.join(__dirname, 'py', 'ann.py'), JSON.stringify(cfg)], { encoding: 'utf8', maxBuffer: 64 << 20, stdio: ['ignore', 'pipe', 'inherit'] });
    if (py.status !== 0) throw new Error(`bench/py/ann.py failed (${py.status})`);
    for (const line of py.stdout.split('\n').filter(Boolean)) add(JSON.parse(line) as AnnRow);
  }

  const ref = new Map(rows.filter((r) => r.mode === 'searchKnn (reference)').map((r) => [r.ef, r.qps]));
  const refAt = (ef: number): number => ref.get(ef) ?? ref.get(64) ?? NaN;
  const order = (r: AnnRow): string => `${r.filter === 'none' ? 0 : r.filter === '10%' ? 1 : 2}-${String(r.ef).padStart(4, '0')}`;
  const sorted = [...rows].sort((a, b) => order(a).localeCompare(order(b)));
  const lines = [
    `### ANN recall/speed — ${stamp()} UTC`,
    '',
    `${cpuLine()}. Corpus: ${c.meta.creators} creators x ${dims} dims (default model ${c.meta.dtype}, normalised), ${nq} fan-text queries, k=${K}, ground truth by exact search. ` +
      `HNSW M=${PARAMS.m}, efConstruction=${PARAMS.efConstruction} for every library (python3-hnswlib loads the very graph hnswlib-node built). ` +
      `JS rows run in ${arg('rounds', 5)} interleaved rounds over the same query slices; QPS is the median round, "vs ref" the median per-round ratio to in-process hnswlib-node searchKnn at the same ef (filtered rows: to unfiltered searchKnn at that ef). ` +
      `Python rows run after the JS rows (one process, not interleaved): their "vs ref" divides by the JS reference's median. Batch rows: QPS of one call over a round's queries (no per-query latency).`,
    '',
    ...table(
      ['library', 'mode', 'threads', 'ef', 'filter', 'recall@10', 'QPS', 'vs ref', 'p50 ms', 'p99 ms'],
      sorted.map((r) => [r.lib, r.mode, r.threads, r.ef || '-', r.filter, fmt(r.recall, 3), fmt(r.qps), r.ratio !== undefined ? `${fmt(r.ratio, 2)}x` : r.ef ? `${fmt(r.qps / refAt(r.ef), 2)}x` : `${fmt(r.qps / refAt(64), 2)}x (vs ef 64)`, r.p50_ms === undefined ? '-' : fmt(r.p50_ms, 3), r.p99_ms === undefined ? '-' : fmt(r.p99_ms, 3)]),
      ['l', 'l', 'r', 'r', 'l', 'r', 'r', 'r', 'r', 'r'],
    ),
    '',
  ];
  await appendSection('ANN recall and speed', lines);
  wrapped.close();
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
