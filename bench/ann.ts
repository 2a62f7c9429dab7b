/**
 * `npm run bench:ann [-- --creators 100000 --ef 10,16,24,32,48,64,96,128,192,256,384,512 --queries 1000 --filter-ef 64 --rounds 5 --no-python --no-write]` (`--quick`: 10k)
 *
 * ANN quality and speed on a bench corpus (bench:corpus), recall@10 against exact search:
 *
 * - a **recall/QPS Pareto sweep** over ef: our engine (HnswIndex over the native addon: one query
 *   at a time, and 8 in flight on the thread pool = every core), in-process hnswlib-node searchKnn
 *   (the reference) on the very same graph file, Debian's python3-hnswlib (same file) and
 *   python3-faiss IndexHNSWFlat (its own graph at equal M / efConstruction), 1 thread and batches
 *   on every core;
 * - filters keeping 10% and 1% of creators: the bitset inside the traversal, exact search over
 *   the allowed labels, HnswSearch's plan (what Match runs), hnswlib-node's JS filter callback and
 *   faiss's IDSelector;
 * - exact search over everything: our engine's exact scan, faiss IndexFlatIP.
 *
 * Writes docs/bench/ann.json, the chart docs/bench/ann-pareto.svg and the report section.
 */
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import type { CompiledFilter } from '../src/catalog/catalog';
import { HnswSearch } from '../src/index/hnsw-search';
import { lineChart, writeChart } from './lib/charts';
import {
  arg,
  argList,
  boxEnd,
  boxLine,
  boxStart,
  commandLine,
  corpusDir,
  creatorsArg,
  flag,
  fmt,
  latencyStats,
  loadCorpus,
  median,
  PYTHON,
  recallAt,
  row,
  stamp,
  table,
  writeJson,
  writeSection,
  type Corpus,
} from './lib/common';
import { ensureHnsw, faissFile, loadEngine, loadRawHnsw, PARAMS } from './lib/indexes';

const K = 10;
const DEFAULT_EFS = [10, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512];

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

type Labels = ArrayLike<number>;

export interface Runner {
  lib: string;
  mode: string;
  threads: number;
  ef: number;
  filter: string;
  /** One query per call (awaited before the next)... */
  single: (i: number) => Labels | Promise<Labels>;
  /** ...or this many calls in flight over the round's slice (no per-call latency). */
  parallel?: number;
  recall: (results: Labels[]) => number;
}

/**
 * Interleaved rounds: round r runs every runner over the same slice of queries, so background
 * load hits all of them alike; QPS is the median over rounds and "vs ref" the median of the
 * per-round ratios to runners[0]. Latency percentiles pool all calls.
 */
export async function measure(runners: Runner[], nq: number, rounds: number): Promise<AnnRow[]> {
  const per = Math.floor(nq / rounds);
  const results = runners.map(() => new Array<Labels>(per * rounds));
  const qps = runners.map(() => [] as number[]);
  const lat = runners.map(() => [] as number[]);
  for (const r of runners) for (let i = 0; i < 20; i++) await r.single(i);
  for (let round = 0; round < rounds; round++) {
    const from = round * per;
    for (const [j, r] of runners.entries()) {
      const t0 = performance.now();
      if (r.parallel) {
        let next = from;
        await Promise.all(
          Array.from({ length: r.parallel }, async () => {
            while (next < from + per) {
              const i = next++;
              results[j]![i] = await r.single(i);
            }
          }),
        );
      } else {
        for (let i = from; i < from + per; i++) {
          const s = performance.now();
          results[j]![i] = await r.single(i);
          lat[j]!.push(performance.now() - s);
        }
      }
      qps[j]!.push(per / ((performance.now() - t0) / 1000));
    }
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
    ...(r.parallel ? {} : { p50_ms: latencyStats(lat[j]!).p50, p99_ms: latencyStats(lat[j]!).p99 }),
  }));
}

const FILTERS = [
  { name: '10%', mod: 10 },
  { name: '1%', mod: 100 },
];

function bitsetOf(n: number, allows: (label: number) => boolean): Uint8Array {
  const bits = new Uint8Array((n + 7) >> 3);
  for (let l = 0; l < n; l++) if (allows(l)) bits[l >> 3]! |= 1 << (l & 7);
  return bits;
}

/** A uniform filter (label % mod == 0), independent of the vectors, as the catalog compiles one. */
function modFilter(n: number, mod: number, enumerate: boolean): CompiledFilter {
  const all: number[] = [];
  for (let l = 0; l < n; l += mod) all.push(l);
  return {
    spec: { excludeIds: [], categories: [], languages: [], includeNsfw: true },
    excludedLabels: [],
    allows: (label) => label % mod === 0,
    candidates: enumerate ? all : undefined,
    estimatedAllowed: all.length,
    bitset: (count) => bitsetOf(count, (l) => l % mod === 0),
  };
}

async function main(): Promise<void> {
  const box = boxStart();
  const c: Corpus = loadCorpus(corpusDir(creatorsArg()));
  const { dims } = c.meta;
  const n = c.meta.creators;
  const nq = Math.min(arg('queries', 1000), c.meta.queries);
  const efs = argList('ef', DEFAULT_EFS);
  const filterEfs = argList('filter-ef', [64]);
  const rounds = arg('rounds', 5);
  const threadsAll = os.cpus().length;
  const queries = Array.from({ length: nq }, (_, i) => row(c.queries, dims, i));
  const arrays = queries.map((q) => Array.from(q));
  const rows: AnnRow[] = [];
  const add = (r: AnnRow): void => {
    rows.push(r);
    process.stderr.write(`${r.lib} | ${r.mode} | t${r.threads} ef${r.ef} ${r.filter}: recall ${r.recall.toFixed(3)} qps ${r.qps.toFixed(0)}\n`);
  };
  const recall = (res: Labels[]): number => recallAt(res, c.truth, c.meta.truthK, K);
  const labels = (hits: { label: number }[]): number[] => hits.map((h) => h.label);

  const built = await ensureHnsw(c);
  const raw = await loadRawHnsw(c);
  const engine = await loadEngine(c);

  // Pareto sweep, 1 thread: our engine one query at a time against hnswlib-node, interleaved.
  for (const ef of efs) {
    const runners: Runner[] = [
      { lib: 'hnswlib-node', mode: 'searchKnn (reference)', threads: 1, ef, filter: 'none', single: (i) => (raw.setEf(Math.max(ef, K)), raw.searchKnn(arrays[i]!, K).neighbors), recall },
      { lib: 'our engine', mode: 'HnswIndex.search, 1 in flight', threads: 1, ef, filter: 'none', single: async (i) => labels(await engine.search(queries[i]!, K, ef)), recall },
      // Every core: 8 searches in flight on the libuv pool over the one index.
      { lib: 'our engine', mode: 'HnswIndex.search, 8 in flight', threads: threadsAll, ef, filter: 'none', parallel: 8, single: async (i) => labels(await engine.search(queries[i]!, K, ef)), recall },
    ];
    for (const r of await measure(runners, nq, rounds)) add(r);
  }

  // Filters: allowed = label % mod == 0 (uniform, independent of the vectors).
  for (const f of FILTERS) {
    const allowed: number[] = [];
    for (let l = 0; l < n; l += f.mod) allowed.push(l);
    const ftruth = new Int32Array(nq * K);
    for (let i = 0; i < nq; i++) (await engine.search(queries[i]!, K, 0, { labels: allowed })).forEach((h, j) => (ftruth[i * K + j] = h.label));
    const frecall = (res: Labels[]): number => recallAt(res, ftruth, K, K);
    const bits = bitsetOf(n, (l) => l % f.mod === 0);
    const loose = new HnswSearch(engine, n);
    const post = modFilter(n, f.mod, false);
    const exact = modFilter(n, f.mod, true);
    for (const ef of filterEfs) {
      const runners: Runner[] = [
        { lib: 'hnswlib-node', mode: 'searchKnn, unfiltered (reference)', threads: 1, ef, filter: 'none', single: (i) => (raw.setEf(Math.max(ef, K)), raw.searchKnn(arrays[i]!, K).neighbors), recall },
        { lib: 'hnswlib-node', mode: 'searchKnn + JS filter callback', threads: 1, ef, filter: f.name, single: (i) => (raw.setEf(Math.max(ef, K)), raw.searchKnn(arrays[i]!, K, (label) => label % f.mod === 0).neighbors), recall: frecall },
        { lib: 'our engine', mode: 'bitset filter inside the traversal', threads: 1, ef, filter: f.name, single: async (i) => labels(await engine.search(queries[i]!, K, ef, { bitset: bits })), recall: frecall },
        { lib: 'our engine', mode: 'exact over the allowed labels (vectors read in place)', threads: 1, ef, filter: f.name, single: async (i) => labels(await engine.search(queries[i]!, K, 0, { labels: allowed })), recall: frecall },
        { lib: 'our engine', mode: 'HnswSearch plan, filter not enumerated', threads: 1, ef, filter: f.name, single: async (i) => labels((await loose.search(queries[i]!, { k: K, ef, filter: post })).hits), recall: frecall },
        { lib: 'our engine', mode: 'HnswSearch plan, candidates enumerated', threads: 1, ef, filter: f.name, single: async (i) => labels((await loose.search(queries[i]!, { k: K, ef, filter: exact })).hits), recall: frecall },
      ];
      for (const r of await measure(runners, nq, rounds)) add(r);
    }
  }
  // Exact over every creator.
  raw.setEf(64);
  const exactRunners: Runner[] = [
    { lib: 'hnswlib-node', mode: 'searchKnn (reference)', threads: 1, ef: 64, filter: 'none', single: (i) => raw.searchKnn(arrays[i]!, K).neighbors, recall },
    { lib: 'our engine', mode: 'exact scan of every creator', threads: 1, ef: 0, filter: 'none', single: async (i) => labels(await engine.search(queries[i]!, K, 0, { exact: true })), recall },
  ];
  for (const r of (await measure(exactRunners, Math.min(nq, 200), rounds)).slice(1)) add(r);
  await engine.close();

  let faissBuildSeconds: number | undefined;
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
    const py = spawnSync(PYTHON, [path.join(__dirname, 'py', 'ann.py'), JSON.stringify(cfg)], { encoding: 'utf8', maxBuffer: 64 << 20, stdio: ['ignore', 'pipe', 'pipe'] });
    process.stderr.write(py.stderr ?? '');
    if (py.status !== 0) throw new Error(`bench/py/ann.py failed (${py.status}): install python3-hnswlib python3-faiss python3-numpy`);
    faissBuildSeconds = (JSON.parse(/\{"faiss_build_s".*\}/.exec(py.stderr ?? '')?.[0] ?? '{}') as { faiss_build_s?: number }).faiss_build_s;
    for (const line of py.stdout.split('\n').filter(Boolean)) add(JSON.parse(line) as AnnRow);
  }
  const end = boxEnd(box);

  // The reference of each ef: in-process hnswlib-node searchKnn, 1 thread.
  const ref = new Map(rows.filter((r) => r.mode === 'searchKnn (reference)').map((r) => [r.ef, r.qps]));
  const refAt = (ef: number): number => ref.get(ef) ?? ref.get(64) ?? NaN;
  const vsRef = (r: AnnRow): string => (r.ratio !== undefined ? `${fmt(r.ratio, 2)}x` : r.ef ? `${fmt(r.qps / refAt(r.ef), 2)}x` : `${fmt(r.qps / refAt(64), 2)}x (vs ef 64)`);
  const series = (r: AnnRow): string => `${r.lib}${r.mode.includes('8 in flight') || r.mode.includes('batch') ? `, ${r.threads} threads` : ', 1 thread'}`;
  const sweep = rows.filter((r) => r.filter === 'none' && r.ef > 0 && !r.mode.includes('unfiltered'));
  const pareto = sweep.map((r) => ({ series: series(r), ef: r.ef, recall: Number(r.recall.toFixed(4)), qps: Math.round(r.qps) }));
  await writeChart(
    'ann-pareto',
    lineChart({
      title: `recall@10 vs QPS, ${n.toLocaleString('en')} x ${dims} (M ${PARAMS.m}, efC ${PARAMS.efConstruction}; points are ef ${efs[0]}..${efs[efs.length - 1]})`,
      values: pareto,
      x: { field: 'recall', title: 'recall@10' },
      y: { field: 'qps', title: 'queries per second (log)', log: true },
      series: 'series',
      order: 'ef',
    }),
  );
  // Recall of the engine is read off the sweep: the first ef at which recall@10 >= 0.95.
  const first95 = (lib: string, mode: string): AnnRow | undefined => sweep.filter((r) => r.lib === lib && r.mode === mode).sort((a, b) => a.ef - b.ef).find((r) => r.recall >= 0.95);
  const atBar = [
    ['our engine', 'HnswIndex.search, 1 in flight'],
    ['our engine', 'HnswIndex.search, 8 in flight'],
    ['hnswlib-node', 'searchKnn (reference)'],
    ['python3-hnswlib', 'knn_query, 1 query/call'],
    ['python3-hnswlib', 'knn_query, batch'],
    ['python3-faiss IndexHNSWFlat', 'search, 1 query/call'],
    ['python3-faiss IndexHNSWFlat', 'search, batch'],
  ].flatMap(([lib, mode]) => {
    const r = first95(lib!, mode!);
    return r ? [[`${lib}, ${mode}`, r.threads, r.ef, fmt(r.recall, 3), fmt(r.qps), r.p50_ms === undefined ? '-' : fmt(r.p50_ms, 3)]] : [];
  });

  const order = (r: AnnRow): string => `${r.filter === 'none' ? 0 : r.filter === '10%' ? 1 : 2}-${String(r.ef).padStart(4, '0')}`;
  const sorted = [...rows].sort((a, b) => order(a).localeCompare(order(b)));
  const lines = [
    `### ANN recall and speed (${stamp()} UTC)`,
    '',
    `Command: \`${commandLine('bench:ann')}\`. ${boxLine(end)}`,
    '',
    `Corpus: ${n} creators x ${dims} dims (default model ${c.meta.dtype}, normalised), ${nq} fan-text queries, k=${K}, ground truth by exact search. ` +
      `HNSW M=${PARAMS.m}, efConstruction=${PARAMS.efConstruction} for every library; our engine, hnswlib-node and python3-hnswlib search the very same graph file; faiss builds its own${faissBuildSeconds ? ` (${fmt(faissBuildSeconds, 0)} s on ${threadsAll} threads)` : ''}. ` +
      `1-thread JS rows run in ${rounds} interleaved rounds over the same query slices; QPS is the median round, "vs ref" the median per-round ratio to in-process hnswlib-node searchKnn at the same ef (filtered rows: to unfiltered searchKnn). ` +
      `"8 in flight" rows run in the same rounds with 8 searches outstanding on the thread pool (every core). Python rows run after the JS rows (not interleaved); their "vs ref" divides by the reference's median; their batch rows are one call over all queries on every core.`,
    '',
    'The first ef reaching recall@10 ≥ 0.95, per library:',
    '',
    ...table(['library, mode', 'threads', 'ef', 'recall@10', 'QPS', 'p50 ms'], atBar),
    '',
    `![recall/QPS Pareto](bench/ann-pareto.svg)`,
    '',
    '<details><summary>All rows</summary>',
    '',
    ...table(
      ['library', 'mode', 'threads', 'ef', 'filter', 'recall@10', 'QPS', 'vs ref', 'p50 ms', 'p99 ms'],
      sorted.map((r) => [r.lib, r.mode, r.threads, r.ef || '-', r.filter, fmt(r.recall, 3), fmt(r.qps), vsRef(r), r.p50_ms === undefined ? '-' : fmt(r.p50_ms, 3), r.p99_ms === undefined ? '-' : fmt(r.p99_ms, 3)]),
      ['l', 'l', 'r', 'r', 'l', 'r', 'r', 'r', 'r', 'r'],
    ),
    '',
    '</details>',
    '',
  ];
  await writeJson('ann', { box: end, corpus: c.meta, params: PARAMS, efs, rows, faissBuildSeconds });
  await writeSection('ann', lines);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
