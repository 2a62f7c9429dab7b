/**
 * `npm run bench:scale [-- --sizes 10000,100000 --seconds 8 --ef 64 --no-write]` (`--quick`: 10k only, short rows)
 * Long run, not CI: `npm run bench:scale -- --sizes 10000,100000,1000000` (the 1M corpus alone
 * takes over an hour to embed on 2 cores, then ~10 min to build and needs ~6 GiB of RAM); with
 * `--expand-from 100000` the 1M corpus is made from the 100k one without the model (minutes).
 *
 * At each catalog size: the corpus generator's creators embedded with the default model
 * (bench:corpus, cached), built and published with the builder's publishVersion (HNSW inserts on
 * every core, recall check, checksums, write), then served compiled (`node dist/src/main.js`, BENCH_SERVER=tsx for npm start's way):
 * build time, load time (spawn until the port listens with the index verified), RSS idle and
 * after the load rows, Match QPS at 1 and 16 in flight, p50/p99 and recall@10 against exact search.
 * Writes docs/bench/scale.json, the chart docs/bench/scale.svg and the report section.
 */
import { existsSync, statSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ARTIFACT_FILES, readCurrent } from '../src/index/manifest';
import { ensureCorpus, ensureExpandedCorpus } from './corpus';
import { lineChart, writeChart } from './lib/charts';
import { arg, argList, boxEnd, boxLine, boxStart, CACHE, commandLine, corpusDir, corpusFiles, fmt, loadCorpus, procMem, QUICK, stamp, table, writeJson, writeSection } from './lib/common';
import { PARAMS } from './lib/indexes';
import { publishProvided, readProfiles } from './lib/publish';
import { loadgen, serve, SERVER_COMMAND } from './lib/service-run';

const K = 10;

interface SizeRow {
  creators: number;
  buildSeconds: number;
  insertSeconds: number;
  buildRecall: number;
  indexMiB: number;
  loadSeconds: number;
  rssIdleMiB: number;
  rssAfterMiB: number;
  qps1: number;
  p50at1: number;
  p99at1: number;
  qps16: number;
  p50at16: number;
  p99at16: number;
  recall: number;
}

async function main(): Promise<void> {
  const box = boxStart();
  const sizes = argList('sizes', QUICK ? [10_000] : [10_000, 100_000]);
  const seconds = arg('seconds', QUICK ? 3 : 8);
  const ef = arg('ef', 64);
  // Sizes above --expand-from N are made from the N corpus without the model (ensureExpandedCorpus).
  const expandFrom = arg('expand-from', 0);
  const expanded = sizes.filter((s) => expandFrom > 0 && s > expandFrom);
  const rows: SizeRow[] = [];
  for (const creators of sizes) {
    if (expanded.includes(creators)) await ensureExpandedCorpus(creators, expandFrom);
    else await ensureCorpus({ creators });
    const c = loadCorpus(corpusDir(creators));
    // Build and publish a fresh version (not the cached bench graph): the builder's own path.
    const out = path.join(CACHE, `scale-index-${creators}`);
    await rm(out, { recursive: true, force: true });
    const profiles = await readProfiles(corpusFiles(c.dir).profiles);
    const t0 = performance.now();
    const report = await publishProvided(out, profiles, c.meta.dims, c.vectors, 'bench-corpus');
    const buildSeconds = (performance.now() - t0) / 1000;
    process.stderr.write(`${creators}: built in ${buildSeconds.toFixed(1)} s (${JSON.stringify(report.seconds)}), recall@10 ${report.recall.value.toFixed(3)}\n`);
    const version = (await readCurrent(out))!;
    const indexBytes = statSync(path.join(out, version, ARTIFACT_FILES.index)).size;
    const served = await serve(out, { MATCH_EF_SEARCH: String(ef) });
    const { server } = served;
    try {
      const base = { addr: server.addr, k: K, nq: c.meta.queries, seconds, creators, filter: { include_nsfw: true } };
      await loadgen({ ...base, mode: 'match', concurrency: 1, seconds: 1 });
      const idle = procMem(server.child.pid!);
      const one = await loadgen({ ...base, mode: 'match', concurrency: 1 });
      const many = await loadgen({ ...base, mode: 'match', concurrency: 16 });
      const after = procMem(server.child.pid!);
      rows.push({
        creators,
        buildSeconds,
        insertSeconds: report.seconds.insert,
        buildRecall: report.recall.value,
        indexMiB: indexBytes / 2 ** 20,
        loadSeconds: served.loadSeconds,
        rssIdleMiB: idle.rss / 2 ** 20,
        rssAfterMiB: after.rss / 2 ** 20,
        qps1: one.qps,
        p50at1: one.p50,
        p99at1: one.p99,
        qps16: many.qps,
        p50at16: many.p50,
        p99at16: many.p99,
        recall: many.recall,
      });
      process.stderr.write(`${creators}: ${JSON.stringify(rows[rows.length - 1])}\n`);
    } finally {
      await server.stop();
    }
    if (!existsSync(out)) throw new Error(`${out} vanished`);
    await rm(out, { recursive: true, force: true });
  }
  const end = boxEnd(box);
  const long = rows.flatMap((r) => [
    { creators: r.creators, metric: 'build s (publishVersion, every core)', value: Number(r.buildSeconds.toFixed(2)) },
    { creators: r.creators, metric: 'load s (spawn to serving)', value: Number(r.loadSeconds.toFixed(2)) },
    { creators: r.creators, metric: 'RSS MiB after the load rows', value: Math.round(r.rssAfterMiB) },
    { creators: r.creators, metric: 'Match QPS, 16 in flight', value: Math.round(r.qps16) },
    { creators: r.creators, metric: 'p99 ms, 1 in flight', value: Number(r.p99at1.toFixed(2)) },
    { creators: r.creators, metric: 'recall@10 (ef 64)', value: Number(r.recall.toFixed(4)) },
  ]);
  await writeChart(
    'scale',
    lineChart({
      title: `creator-match at ${sizes.map((s) => s.toLocaleString('en')).join(' / ')} creators (512-d, M ${PARAMS.m}, efC ${PARAMS.efConstruction}, ef ${ef}; ${os.cpus().length} cores)`,
      values: long,
      x: { field: 'creators', title: 'creators (log)', log: true },
      y: { field: 'value', title: '' },
      series: 'metric',
      facet: 'metric',
      width: 240,
      height: 160,
    }),
  );
  const lines = [
    `### Scale: 10k → 100k${sizes.includes(1_000_000) ? ' → 1M' : ''} creators (${stamp()} UTC)`,
    '',
    `Command: \`${commandLine('bench:scale')}\`. ${boxLine(end)}`,
    '',
    `Each size: the generated corpus (bench:corpus, default model q8, 512-d${expanded.length ? `; ${expanded.map((s) => s.toLocaleString('en')).join(', ')}: the ${expandFrom.toLocaleString('en')} corpus expanded without the model, its vectors plus copies with Gaussian noise of norm 0.5, renormalised, and the generator's profiles (bench/corpus.ts, ensureExpandedCorpus)` : ''}) published by the builder's publishVersion (HNSW M ${PARAMS.m}, efC ${PARAMS.efConstruction} on every core, recall check on 200, write), then served by \`${SERVER_COMMAND}\` (ef ${ef}); ${seconds} s per load row, 1,000 fan queries by vector, k = ${K}; recall@10 against exact search (numpy).`,
    '',
    ...table(
      ['creators', 'build s', 'insert s', 'index MiB', 'load s', 'RSS idle MiB', 'RSS after MiB', 'RSS after / index', 'QPS, 1 in flight', 'p50 / p99 ms', 'QPS, 16 in flight', 'p50 / p99 ms', 'recall@10'],
      rows.map((r) => [r.creators, fmt(r.buildSeconds, 1), fmt(r.insertSeconds, 1), fmt(r.indexMiB, 0), fmt(r.loadSeconds, 1), fmt(r.rssIdleMiB, 0), fmt(r.rssAfterMiB, 0), `${fmt(r.rssAfterMiB / r.indexMiB, 2)}x`, fmt(r.qps1), `${fmt(r.p50at1, 2)} / ${fmt(r.p99at1, 2)}`, fmt(r.qps16), `${fmt(r.p50at16, 2)} / ${fmt(r.p99at16, 2)}`, fmt(r.recall, 3)]),
    ),
    '',
    '![scale](bench/scale.svg)',
    '',
  ];
  await writeJson('scale', { box: end, sizes, ef, params: PARAMS, seconds, expandFrom: expandFrom || null, expanded, rows });
  await writeSection('scale', lines);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
