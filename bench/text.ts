/**
 * `npm run bench:text [-- --creators 100000 --seconds 8 --rounds 5 --per 100 --onnx-threads N --no-service --no-write]` (`--quick`: 10k, short rows;
 * `--onnx-threads`: the reference's and the served model's intra-op threads, default the service's)
 *
 * The text path: Match by interest_text against the raw transformers.js pipeline.
 *
 * 1. In process, interleaved rounds over the same distinct fan texts: the raw pipeline one text
 *    per call (the reference: same model, dtype q8, same intra-op threads and session options as
 *    the service), and the service's TransformersEmbedder one text per call at 1 and 8 in flight.
 *    (Micro-batching concurrent texts into one model run was measured here and removed: see
 *    docs/BENCHMARKS.md, "Text path".)
 * 2. Over gRPC (the service in its own process, bench/lib/service-run.ts, serving the corpus published with its model):
 *    Match by distinct texts (no cache hit possible) at 1 and 8 in flight, by 8 repeated ("hot")
 *    texts with the embedding cache on and off, and by vector, so a cached text can be compared
 *    with a vector query.
 * 3. Over gRPC, long texts: ~100-word interest texts (bench/lib/long-profiles.ts: the generator's
 *    creator bios, lengthened) in the default mode and dense-only, against the raw pipeline on
 *    the same long texts: where the model's cost dominates, as for fans who describe themselves.
 *
 * Writes docs/bench/text.json and the report section.
 */
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createEmbedder } from '../src/embedding';
import { defaultThreads } from '../src/embedding/transformers-embedder';
import { arg, boxEnd, boxLine, boxStart, CACHE, commandLine, corpusDir, corpusFiles, creatorsArg, flag, fmt, latencyStats, loadCorpus, median, QUICK, stamp, table, writeJson, writeSection } from './lib/common';
import { longProfiles } from './lib/long-profiles';
import { rawPipeline } from './lib/raw-pipeline';
import { publishBenchIndex } from './lib/publish';
import { loadgen, serve } from './lib/service-run';

const K = 10;

interface Runner {
  name: string;
  inFlight: number;
  call: (text: string) => Promise<unknown>;
}

interface InProcessRow {
  name: string;
  inFlight: number;
  qps: number;
  ratio: number;
  p50: number;
  p99: number;
}

/** Interleaved rounds; round r gives every runner the same slice of texts. */
async function measure(runners: Runner[], texts: string[], rounds: number, per: number): Promise<InProcessRow[]> {
  const qps = runners.map(() => [] as number[]);
  const lat = runners.map(() => [] as number[]);
  for (const r of runners) for (let i = 0; i < 16; i++) await r.call(`${texts[i]!} (warm-up)`);
  for (let round = 0; round < rounds; round++) {
    const slice = texts.slice((round * per) % texts.length, ((round * per) % texts.length) + per);
    for (const [j, r] of runners.entries()) {
      let next = 0;
      const t0 = performance.now();
      await Promise.all(
        Array.from({ length: r.inFlight }, async () => {
          while (next < slice.length) {
            const t = slice[next++]!;
            const s = performance.now();
            await r.call(t);
            lat[j]!.push(performance.now() - s);
          }
        }),
      );
      qps[j]!.push(slice.length / ((performance.now() - t0) / 1000));
    }
  }
  return runners.map((r, j) => ({ name: r.name, inFlight: r.inFlight, qps: median(qps[j]!), ratio: median(qps[j]!.map((x, i) => x / qps[0]![i]!)), ...latencyStats(lat[j]!) }));
}

async function main(): Promise<void> {
  const box = boxStart();
  const creators = creatorsArg();
  const c = loadCorpus(corpusDir(creators));
  const texts = readFileSync(corpusFiles(c.dir).fans, 'utf8').split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { interest_text: string }).interest_text);
  const rounds = arg('rounds', QUICK ? 3 : 5);
  const per = Math.min(texts.length, arg('per', QUICK ? 48 : 120));
  const seconds = arg('seconds', QUICK ? 4 : 8);
  // The reference and the service run the same ONNX thread count (the service through MATCH_EMBED_ONNX_THREADS).
  const threads = arg('onnx-threads', defaultThreads());
  const passes = arg('passes', QUICK ? 2 : 3);

  // 1. In process.
  const raw = await rawPipeline({ threads });
  const plain = createEmbedder({ dtype: 'q8', threads });
  await plain.init();
  const runners: Runner[] = [
    { name: 'raw transformers.js pipeline, 1 text per call (reference)', inFlight: 1, call: (t) => raw.embed([t]) },
    { name: 'TransformersEmbedder (the service embedder), 1 text per call', inFlight: 1, call: (t) => plain.embed([t]) },
    { name: 'TransformersEmbedder, 1 text per call', inFlight: 8, call: (t) => plain.embed([t]) },
  ];
  const inProcess = await measure(runners, texts, rounds, per);
  for (const r of inProcess) process.stderr.write(`${r.name}, ${r.inFlight} in flight: ${r.qps.toFixed(0)}/s (${r.ratio.toFixed(2)}x), p50 ${r.p50.toFixed(2)} p99 ${r.p99.toFixed(2)}\n`);
  await plain.dispose();
  const refQps = inProcess[0]!.qps;

  // 2. Over gRPC.
  const service: { name: string; cache: string; inFlight: number; recall: number; qps: number; ratio: number; p50: number; p99: number }[] = [];
  const refPasses: number[] = [];
  const longRefPasses: number[] = [];
  /** The raw pipeline for `secs` seconds (one text per call, cycling over `set`): texts/s. */
  const refFor = async (secs: number, set: readonly string[]): Promise<number> => {
    let n = 0;
    const t0 = performance.now();
    while (performance.now() - t0 < secs * 1000) await raw.embed([set[n++ % set.length]!]);
    return n / ((performance.now() - t0) / 1000);
  };
  const longTexts = longProfiles(arg('long', QUICK ? 200 : 1000), 100).map((p) => p.about);
  const longWords = median(longTexts.map((t) => t.split(/\s+/).filter(Boolean).length));
  if (!flag('no-service')) {
    const published = await publishBenchIndex(c, { withModel: true });
    // Rows alternate within `passes` passes (median QPS, median p50/p99), so drifting load hits them alike.
    const run = async (
      env: Record<string, string>,
      cache: string,
      rows: { name: string; inFlight: number; texts?: 'distinct' | 'hot'; retrieval?: string }[],
      set: { texts: readonly string[]; file?: string; refs: number[] } = { texts, refs: refPasses },
    ): Promise<void> => {
      const { server } = await serve(published.dir, { MATCH_EMBED_ONNX_THREADS: String(threads), ...env });
      try {
        const base = { addr: server.addr, k: K, nq: set.texts.length, seconds: seconds / passes, creators, filter: { include_nsfw: true }, ...(set.file ? { textsFile: set.file } : {}) };
        const got = rows.map(() => [] as { qps: number; p50: number; p99: number; recall: number; ratio: number }[]);
        // Distinct texts stay distinct across the rows and passes on this server: each load starts past the passes sent before it.
        let nextPass = 0;
        for (let pass = 0; pass < passes; pass++) {
          // The reference in this pass, in process while the server idles: ratios are per pass.
          const ref = await refFor(seconds / passes, set.texts);
          set.refs.push(ref);
          for (const [j, r] of rows.entries()) {
            const distinct = r.texts === 'distinct' ? { firstPass: nextPass } : {};
            const res = await loadgen({ ...base, mode: 'match', concurrency: r.inFlight, ...(r.texts ? { texts: r.texts, hotSet: 8 } : {}), ...distinct, ...(r.retrieval ? { retrieval: r.retrieval } : {}) });
            if (r.texts === 'distinct') nextPass += Math.ceil(res.calls / set.texts.length) + 1;
            got[j]!.push({ ...res, ratio: res.qps / ref });
          }
        }
        rows.forEach((r, j) => {
          const g = got[j]!;
          const row = { name: r.name, cache, inFlight: r.inFlight, recall: median(g.map((x) => x.recall)), qps: median(g.map((x) => x.qps)), ratio: median(g.map((x) => x.ratio)), p50: median(g.map((x) => x.p50)), p99: median(g.map((x) => x.p99)) };
          service.push(row);
          process.stderr.write(`${r.name} (${cache}), ${r.inFlight} in flight: ${row.qps.toFixed(0)}/s, p99 ${row.p99.toFixed(2)} ms\n`);
        });
      } finally {
        await server.stop();
      }
    };
    await run({}, 'cache on (default size)', [
      { name: 'Match by interest_text, distinct texts', inFlight: 1, texts: 'distinct' },
      { name: 'Match by interest_text, distinct texts', inFlight: 8, texts: 'distinct' },
      { name: 'Match by interest_text, distinct texts, retrieval DENSE', inFlight: 8, texts: 'distinct', retrieval: 'RETRIEVAL_DENSE' },
      { name: 'Match by interest_text, distinct texts, retrieval HYBRID', inFlight: 8, texts: 'distinct', retrieval: 'RETRIEVAL_HYBRID' },
      { name: 'Match by interest_text, 8 hot texts repeated', inFlight: 8, texts: 'hot' },
      { name: 'Match by interest_text, 8 hot texts repeated, retrieval DENSE', inFlight: 8, texts: 'hot', retrieval: 'RETRIEVAL_DENSE' },
      { name: 'Match by vector (the same fans, embedded offline)', inFlight: 8 },
    ]);
    await run({ MATCH_EMBED_CACHE_SIZE: '0' }, 'cache off', [{ name: 'Match by interest_text, 8 hot texts repeated', inFlight: 8, texts: 'hot' }]);
    const longFile = path.join(CACHE, `text-long-interest-${longTexts.length}.json`);
    await writeFile(longFile, JSON.stringify(longTexts));
    await run(
      {},
      'cache on (default size)',
      [
        { name: `Match by ~${longWords}-word interest_text, distinct texts`, inFlight: 8, texts: 'distinct' },
        { name: `Match by ~${longWords}-word interest_text, distinct texts, retrieval DENSE`, inFlight: 8, texts: 'distinct', retrieval: 'RETRIEVAL_DENSE' },
      ],
      { texts: longTexts, file: longFile, refs: longRefPasses },
    );
  }
  await raw.dispose();
  const end = boxEnd(box);
  const find = (name: string, n: number, cache = 'cache on (default size)') => service.find((s) => s.name.startsWith(name) && s.inFlight === n && s.cache === cache);
  const text8 = find('Match by interest_text, distinct', 8);
  const hot = find('Match by interest_text, 8 hot texts repeated, retrieval DENSE', 8);
  const hotHybrid = find('Match by interest_text, 8 hot', 8);
  const vec = find('Match by vector', 8);
  const dense8 = find('Match by interest_text, distinct texts, retrieval DENSE', 8);
  const hybrid8 = find('Match by interest_text, distinct texts, retrieval HYBRID', 8);
  const long8 = service.find((r) => r.name.includes('-word interest_text, distinct texts') && !r.name.includes('DENSE'));
  const longDense8 = service.find((r) => r.name.includes('-word interest_text, distinct texts, retrieval DENSE'));
  const summary = {
    threads,
    refQps,
    refPasses,
    text8Ratio: text8 ? text8.ratio : NaN,
    text8P99: text8?.p99 ?? NaN,
    hybridVsDense: hybrid8 && dense8 ? hybrid8.qps / dense8.qps : NaN,
    dense8Ratio: dense8 ? dense8.ratio : NaN,
    hotVsVector: hot && vec ? hot.qps / vec.qps : NaN,
    hotHybridVsVector: hotHybrid && vec ? hotHybrid.qps / vec.qps : NaN,
    longWords,
    longRefPasses,
    long8Ratio: long8 ? long8.ratio : NaN,
    long8P99: long8?.p99 ?? NaN,
    longDense8Ratio: longDense8 ? longDense8.ratio : NaN,
    longHybridVsDense: long8 && longDense8 ? long8.qps / longDense8.qps : NaN,
  };

  const lines = [
    `### Text path: Match by interest_text (${stamp()} UTC)`,
    '',
    `Command: \`${commandLine('bench:text')}\`. ${boxLine(end)}`,
    '',
    `Model: the bundled default, q8, ONNX Runtime with ${threads} intra-op thread(s) (${threads === defaultThreads() ? 'the service default: cores - 1' : '`--onnx-threads`, the service through MATCH_EMBED_ONNX_THREADS'}) and no spinning, everywhere below. Texts: the corpus's ${texts.length} fan interest texts (${creators} creators), each call a text this server has not seen before unless marked hot (across rows and passes: a text's later uses carry a pass suffix), so distinct rows never hit the embedding cache; recall@10 is against the exact top 10 of the fans' offline vectors (the default mode, hybrid, is not meant to reproduce it).`,
    '',
    `In process, ${rounds} interleaved rounds of ${per} texts; QPS is the median round, "vs ref" the median per-round ratio to the raw pipeline:`,
    '',
    ...table(['embedder', 'in flight', 'texts/s', 'vs ref', 'p50 ms', 'p99 ms'], inProcess.map((r) => [r.name, r.inFlight, fmt(r.qps), `${fmt(r.ratio, 2)}x`, fmt(r.p50, 2), fmt(r.p99, 2)]), ['l', 'r', 'r', 'r', 'r', 'r']),
    '',
    ...(service.length
      ? [
          `Over gRPC, ${seconds} s per row in ${passes} alternating passes, medians (client-side latencies; the load generator is another process on the same cores). Each pass first runs the raw pipeline in process for ${fmt(seconds / passes, 1)} s (one distinct text per call; ${refPasses.map((r) => fmt(r)).join(', ')} texts/s) while the server idles; "vs ref" is the median of the per-pass ratios to it:`,
          '',
          ...table(['request', 'embedding cache', 'in flight', 'recall@10', 'QPS', 'vs ref', 'p50 ms', 'p99 ms'], service.map((s) => [s.name, s.cache, s.inFlight, fmt(s.recall, 3), fmt(s.qps), `${fmt(s.ratio, 2)}x`, fmt(s.p50, 2), fmt(s.p99, 2)]), ['l', 'l', 'r', 'r', 'r', 'r', 'r', 'r']),
          '',
          `- Match by distinct texts, 8 in flight: **${fmt(summary.text8Ratio, 2)}x** the raw pipeline (target ≥ 0.8x), p99 ${fmt(summary.text8P99, 1)} ms, in the default mode (hybrid); dense-only ${fmt(summary.dense8Ratio, 2)}x.`,
          `- Hybrid vs dense-only Match by distinct texts, 8 in flight, same server and passes: ${fmt(hybrid8?.qps ?? NaN)} vs ${fmt(dense8?.qps ?? NaN)} QPS = **${fmt(summary.hybridVsDense, 2)}x** (target ≥ 0.7x); the unnamed rows send no mode and get the version's default (hybrid).`,
          `- Long texts (~${longWords} words, ${longTexts.length} distinct; recall not measured: no truth for them), reference the raw pipeline on the same texts (${longRefPasses.map((r) => fmt(r)).join(', ')} texts/s): default mode (hybrid) **${fmt(summary.long8Ratio, 2)}x** at 8 in flight (p99 ${fmt(summary.long8P99, 1)} ms), dense-only ${fmt(summary.longDense8Ratio, 2)}x; hybrid vs dense ${fmt(summary.longHybridVsDense, 2)}x. The model's cost grows with the text, the search's does not.`,
          `- A hot (cached) text costs what a vector query costs, both dense: ${fmt(hot?.qps ?? NaN)} vs ${fmt(vec?.qps ?? NaN)} QPS = **${fmt(summary.hotVsVector, 2)}x**; in the default mode (hybrid) a hot text gets ${fmt(hotHybrid?.qps ?? NaN)} QPS (${fmt(summary.hotHybridVsVector, 2)}x): the rest is hybrid retrieval's own cost.`,
        ]
      : []),
    '',
  ];
  await writeJson('text', { box: end, corpus: c.meta, rounds, per, seconds, inProcess, service, summary });
  await writeSection('text', lines);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
