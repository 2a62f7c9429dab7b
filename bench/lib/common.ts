/** Shared helpers for the bench/ scripts: args, corpus fixture paths, stats, table output, BENCHMARKS.md. */
import { existsSync, readFileSync } from 'node:fs';
import { appendFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { packageRoot } from '../../src/embedding/paths';

export const ROOT = packageRoot();
/** Fixtures live outside git (.bench-cache/ is ignored). */
export const CACHE = process.env.BENCH_CACHE ?? path.join(ROOT, '.bench-cache');
export const CORPUS = path.join(CACHE, 'corpus');
export const PYTHON = process.env.BENCH_PYTHON ?? '/usr/bin/python3';

export function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}
export function argStr(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? String(process.argv[i + 1]) : fallback;
}
export function argList(name: string, fallback: number[]): number[] {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? String(process.argv[i + 1]).split(',').map(Number) : fallback;
}
export const flag = (name: string): boolean => process.argv.includes(`--${name}`);

export interface CorpusMeta {
  creators: number;
  queries: number;
  dims: number;
  truthK: number;
  model: string;
  dtype: string;
}

export interface Corpus {
  meta: CorpusMeta;
  dir: string;
  vectors: Float32Array;
  queries: Float32Array;
  /** truthK exact neighbours per query (labels), best first. */
  truth: Int32Array;
}

export function corpusFiles(dir = CORPUS) {
  return {
    meta: path.join(dir, 'meta.json'),
    vectors: path.join(dir, 'vectors.f32'),
    queries: path.join(dir, 'queries.f32'),
    truth: path.join(dir, 'truth.i32'),
    creators: path.join(dir, 'sample-creators.jsonl'),
    fans: path.join(dir, 'sample-fans.jsonl'),
    profiles: path.join(dir, 'profiles.jsonl'),
  };
}

function readF32(file: string): Float32Array {
  const buf = readFileSync(file);
  const out = new Float32Array(buf.byteLength / 4);
  new Uint8Array(out.buffer).set(buf);
  return out;
}

export function loadCorpus(dir = CORPUS): Corpus {
  const f = corpusFiles(dir);
  if (!existsSync(f.meta)) throw new Error(`no corpus fixture in ${dir}: run npm run bench:corpus first`);
  const meta = JSON.parse(readFileSync(f.meta, 'utf8')) as CorpusMeta;
  const t = readFileSync(f.truth);
  const truth = new Int32Array(t.byteLength / 4);
  new Uint8Array(truth.buffer).set(t);
  return { meta, dir, vectors: readF32(f.vectors), queries: readF32(f.queries), truth };
}

export function row(data: Float32Array, dims: number, i: number): Float32Array {
  return data.subarray(i * dims, (i + 1) * dims);
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
}

export function latencyStats(ms: number[]): { p50: number; p99: number } {
  const s = [...ms].sort((a, b) => a - b);
  return { p50: percentile(s, 0.5), p99: percentile(s, 0.99) };
}

/** recall@k of result lists against the first k exact neighbours. */
export function recallAt(results: ArrayLike<number>[], truth: Int32Array, truthK: number, k: number): number {
  let hit = 0;
  results.forEach((res, q) => {
    const want = new Set<number>();
    for (let j = 0; j < k; j++) want.add(truth[q * truthK + j]!);
    for (let j = 0; j < Math.min(k, res.length); j++) if (want.has(res[j]!)) hit++;
  });
  return hit / (results.length * k);
}

export function cpuLine(): string {
  const cpus = os.cpus();
  return `CPU: ${cpus[0]?.model.trim() ?? 'unknown CPU'}, ${cpus.length} cores (os.cpus), ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${os.platform()}/${os.arch()}`;
}

export const stamp = (): string => new Date().toISOString().slice(0, 19).replace('T', ' ');

export function table(header: string[], rows: (string | number)[][], align?: ('l' | 'r')[]): string[] {
  const a = align ?? header.map((_, i) => (i === 0 ? 'l' : 'r'));
  return [`| ${header.join(' | ')} |`, `| ${a.map((x) => (x === 'l' ? '---' : '---:')).join(' | ')} |`, ...rows.map((r) => `| ${r.join(' | ')} |`)];
}

export const fmt = (x: number, d = 0): string => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');

/** Appends a dated section (under `## {section}`) to docs/BENCHMARKS.md unless --no-write. */
export async function appendSection(section: string, lines: string[]): Promise<void> {
  console.log(lines.join('\n'));
  if (flag('no-write')) return;
  const file = path.join(ROOT, 'docs', 'BENCHMARKS.md');
  await mkdir(path.dirname(file), { recursive: true });
  const existing = await readFile(file, 'utf8').catch(() => '# Benchmarks\n');
  const heading = `## ${section}`;
  const body = `${lines.join('\n')}\n`;
  if (!existing.includes(`\n${heading}\n`)) {
    await writeFile(file, `${existing.trimEnd()}\n\n${heading}\n\n${body}`);
  } else {
    // Insert at the end of this section (before the next "## " heading), keeping older runs.
    const start = existing.indexOf(`\n${heading}\n`) + 1;
    const next = existing.indexOf('\n## ', start + heading.length);
    const at = next < 0 ? existing.length : next + 1;
    const before = existing.slice(0, at).trimEnd();
    await writeFile(file, `${before}\n\n${body}${next < 0 ? '' : `\n${existing.slice(at)}`}`);
  }
  await appendFile(file, '');
  console.log(`appended to docs/BENCHMARKS.md (## ${section})`);
}

export function rss(): number {
  return process.memoryUsage.rss();
}
export const MiB = (b: number): string => (b / 2 ** 20).toFixed(0);
