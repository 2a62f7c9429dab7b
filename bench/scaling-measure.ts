/**
 * The ad-hoc measurements behind docs/SCALING.md (synthetic vectors, any size, any running server;
 * `npm run bench:scale` is the reproducible size sweep on real embeddings).
 *   tsx bench/scaling-measure.ts gen --count 100000 --dims 512 [--latent 32] --out /tmp/c.jsonl
 *       synthetic creators with provided unit vectors (4 decimals): clustered, near a `latent`-dim subspace
 *   tsx bench/scaling-measure.ts load --addr 127.0.0.1:50051 --mode vector|text --seconds 20 --concurrency 8 [--dims 512] [--k 10]
 *       a closed-loop load: `concurrency` Match calls always in flight over one channel; prints JSON
 *       (calls, errors, qps, p50/p95/p99 in ms)
 */
import { createWriteStream } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import type { MatchRequest } from '../src/contract/creatormatch/v1/MatchRequest';
import { matcherClientConstructor } from '../src/grpc/proto';
import { mulberry32 as rng } from '../src/util/mulberry32';

function args(argv: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) if (argv[i]!.startsWith('--')) out[argv[i]!.slice(2)] = argv[i + 1] ?? '';
  return out;
}


const CATEGORIES = ['cooking', 'music', 'games', 'fitness', 'podcasts', 'art', 'education', 'tech'];
const LANGUAGES = ['en', 'es', 'fr', 'de', 'pt'];

function unitVector(rand: () => number, dims: number, centre?: number[]): number[] {
  const gauss = (): number => Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());
  const v = Array.from({ length: dims }, (_, d) => (centre ? centre[d]! : 0) + gauss());
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
}

async function gen(a: Record<string, string>): Promise<void> {
  const count = Number(a.count ?? 100000);
  const dims = Number(a.dims ?? 512);
  const rand = rng(Number(a.seed ?? 1));
  // Embeddings live near a low-dimensional manifold: a random projection of `latent` factors plus
  // a little noise (pure Gaussian 512-d vectors are far harder for HNSW than real embeddings).
  const latent = Number(a.latent ?? 32);
  const projection = Array.from({ length: latent }, () => unitVector(rand, dims));
  const centres = CATEGORIES.map(() => unitVector(rand, latent).map((x) => x * Math.sqrt(latent) * 0.6));
  const embed = (z: number[]): number[] => {
    const v = new Array<number>(dims).fill(0);
    for (let j = 0; j < latent; j++) for (let d = 0; d < dims; d++) v[d]! += z[j]! * projection[j]![d]!;
    for (let d = 0; d < dims; d++) v[d]! += 0.02 * (rand() - 0.5);
    const n = Math.hypot(...v);
    return v.map((x) => x / n);
  };
  const out = createWriteStream(a.out!);
  for (let i = 0; i < count; i++) {
    const c = i % CATEGORIES.length;
    const row = {
      id: `cr_${String(i).padStart(7, '0')}`,
      name: `Creator ${i}`,
      about: `A ${CATEGORIES[c]} creator`,
      category: CATEGORIES[c],
      tags: [CATEGORIES[c]],
      language: LANGUAGES[i % LANGUAGES.length],
      is_nsfw: i % 20 === 0,
      vector: embed(unitVector(rand, latent, centres[c])).map((x) => Math.round(x * 1e4) / 1e4),
    };
    if (!out.write(JSON.stringify(row) + '\n')) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  await new Promise<void>((r) => out.end(() => r()));
}

const TEXTS = ['I want to learn to cook dumplings at home', 'weekly true crime podcast', 'beginner guitar lessons', 'home workouts without equipment', 'indie game development diaries', 'watercolour painting for beginners', 'learn Spanish through stories', 'retro console repairs'];

async function load(a: Record<string, string>): Promise<void> {
  const seconds = Number(a.seconds ?? 20);
  const concurrency = Number(a.concurrency ?? 8);
  const dims = Number(a.dims ?? 512);
  const k = Number(a.k ?? 10);
  const mode = a.mode ?? 'vector';
  const Client = matcherClientConstructor();
  const client = new Client(a.addr ?? '127.0.0.1:50051', grpc.credentials.createInsecure());
  const rand = rng(7);
  const queries = Array.from({ length: 256 }, (_, i): MatchRequest => (mode === 'text' ? { interest_text: `${TEXTS[i % TEXTS.length]} ${i}` } : { vector: { values: unitVector(rand, dims) } }));
  const latencies: number[] = [];
  let errors = 0;
  let n = 0;
  const call = (req: MatchRequest): Promise<void> =>
    new Promise((resolve) => {
      const t = performance.now();
      client.Match({ ...req, k }, { deadline: Date.now() + 10_000 }, (err) => {
        if (err) errors++;
        else latencies.push(performance.now() - t);
        resolve();
      });
    });
  // Warm-up.
  for (let i = 0; i < 20; i++) await call(queries[i % queries.length]!);
  latencies.length = 0;
  errors = 0;
  const started = performance.now();
  const end = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) await call(queries[n++ % queries.length]!);
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((x, y) => x - y);
  const q = (p: number): number => Math.round((latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? NaN) * 100) / 100;
  client.close();
  process.stdout.write(JSON.stringify({ mode, k, concurrency, seconds: Math.round(elapsed * 10) / 10, calls: latencies.length, errors, qps: Math.round(latencies.length / elapsed), p50_ms: q(0.5), p95_ms: q(0.95), p99_ms: q(0.99) }) + '\n');
}

const [cmd, ...rest] = process.argv.slice(2);
const run = cmd === 'gen' ? gen : cmd === 'load' ? load : undefined;
if (!run) {
  process.stderr.write('usage: tsx bench/scaling-measure.ts gen|load [--options]\n');
  process.exit(2);
}
run(args(rest)).catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
