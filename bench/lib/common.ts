/**
 * Shared helpers for the bench/ scripts: args, corpus fixture paths, stats, the box line, and the
 * report output: each bench replaces its own section of docs/BENCHMARKS.md (between
 * `<!-- bench:NAME:begin -->` and `<!-- bench:NAME:end -->`) and writes docs/bench/NAME.json.
 * The report holds the latest run only; older runs are in git history.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { packageRoot } from '../../src/embedding/paths';

export const ROOT = packageRoot();
/** Fixtures live outside git (.bench-cache/ is ignored). */
export const CACHE = process.env.BENCH_CACHE ?? path.join(ROOT, '.bench-cache');
export const DOCS_BENCH = path.join(ROOT, 'docs', 'bench');
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
/** `--quick`: the 10k corpus, short rows: a smoke run of the tooling, not a figure to quote. */
export const QUICK = flag('quick');
/** Creators in the corpus this run uses (`--creators N`; 10k with --quick, else 100k). */
export const creatorsArg = (): number => arg('creators', QUICK ? 10_000 : 100_000);

export interface CorpusMeta {
  creators: number;
  queries: number;
  dims: number;
  truthK: number;
  model: string;
  /** Content revision of the model that embedded the corpus (manifest `model.revision`). */
  revision?: string;
  dtype: string;
  /** 'single': queries embedded one text per call, as the service embeds interest_text. */
  queryEmbedding?: 'single';
  /** Made from a smaller embedded corpus without the model (bench/corpus.ts, ensureExpandedCorpus). */
  expandedFrom?: { creators: number; noise: number };
}

export interface Corpus {
  meta: CorpusMeta;
  dir: string;
  vectors: Float32Array;
  queries: Float32Array;
  /** truthK exact neighbours per query (labels), best first. */
  truth: Int32Array;
}

/** One fixture per corpus size: .bench-cache/corpus-N/. */
export const corpusDir = (creators = creatorsArg()): string => path.join(CACHE, `corpus-${creators}`);

export function corpusFiles(dir = corpusDir()) {
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

export function readF32(file: string): Float32Array {
  const buf = readFileSync(file);
  const out = new Float32Array(buf.byteLength / 4);
  new Uint8Array(out.buffer).set(buf);
  return out;
}

export function readI32(file: string): Int32Array {
  const buf = readFileSync(file);
  const out = new Int32Array(buf.byteLength / 4);
  new Uint8Array(out.buffer).set(buf);
  return out;
}

export function loadCorpus(dir = corpusDir()): Corpus {
  const f = corpusFiles(dir);
  if (!existsSync(f.meta)) throw new Error(`no corpus fixture in ${dir}: run npm run bench:corpus -- --creators ${path.basename(dir).replace('corpus-', '')} first`);
  const meta = JSON.parse(readFileSync(f.meta, 'utf8')) as CorpusMeta;
  return { meta, dir, vectors: readF32(f.vectors), queries: readF32(f.queries), truth: readI32(f.truth) };
}

/** The corpus without its creator vectors (load generators need only the queries and the truth). */
export function loadQueries(dir = corpusDir()): Omit<Corpus, 'vectors'> {
  const f = corpusFiles(dir);
  const meta = JSON.parse(readFileSync(f.meta, 'utf8')) as CorpusMeta;
  return { meta, dir, queries: readF32(f.queries), truth: readI32(f.truth) };
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

export const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

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

export interface Box {
  cpu: string;
  cores: number;
  memGiB: number;
  node: string;
  platform: string;
  /** `uptime` at the start of the run and at its end. */
  uptimeStart: string;
  uptimeEnd?: string;
  loadStart: number[];
  loadEnd?: number[];
}

function uptime(): string {
  try {
    return execFileSync('uptime', { encoding: 'utf8' }).trim();
  } catch {
    return `load average: ${os.loadavg().map((x) => x.toFixed(2)).join(', ')}`;
  }
}

/** The machine and its load when the bench started; call `boxEnd` when it is done. */
export function boxStart(): Box {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model.trim() ?? 'unknown CPU',
    cores: cpus.length,
    memGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    platform: `${os.platform()}/${os.arch()}`,
    uptimeStart: uptime(),
    loadStart: os.loadavg(),
  };
}

export function boxEnd(b: Box): Box {
  return { ...b, uptimeEnd: uptime(), loadEnd: os.loadavg() };
}

const loadText = (l: number[] | undefined): string => (l ? l.map((x) => x.toFixed(2)).join(' / ') : '?');

/** One line for the report: the box, and the load average (1/5/15 min) at the start and end. */
export function cpuLine(): string {
  const cpus = os.cpus();
  return `CPU: ${cpus[0]?.model.trim() ?? 'unknown CPU'}, ${cpus.length} cores (os.cpus), ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${os.platform()}/${os.arch()}`;
}

export function boxLine(b: Box): string {
  const busy = Math.max(b.loadStart[0] ?? 0, b.loadEnd?.[0] ?? 0) > b.cores * 0.5;
  return (
    `Box: ${b.cpu}, ${b.cores} cores, ${b.memGiB} GiB, Node ${b.node}, ${b.platform}. ` +
    `Load average (1/5/15 min) ${loadText(b.loadStart)} at the start, ${loadText(b.loadEnd)} at the end` +
    (busy ? ` — **the box was shared (load above half the cores): absolute figures are noisy, compare same-run ratios**.` : '.')
  );
}

export const stamp = (): string => new Date().toISOString().slice(0, 19).replace('T', ' ');

export function table(header: string[], rows: (string | number)[][], align?: ('l' | 'r')[]): string[] {
  const a = align ?? header.map((_, i) => (i === 0 ? 'l' : 'r'));
  return [`| ${header.join(' | ')} |`, `| ${a.map((x) => (x === 'l' ? '---' : '---:')).join(' | ')} |`, ...rows.map((r) => `| ${r.join(' | ')} |`)];
}

export const fmt = (x: number, d = 0): string => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');

/** The command line that reproduces this run (for the report). */
export function commandLine(script: string): string {
  const extra = process.argv.slice(2).filter((a) => a !== '--no-write');
  return `npm run ${script}${extra.length ? ` -- ${extra.join(' ')}` : ''}`;
}

/**
 * Replaces the bench's section of docs/BENCHMARKS.md (between its markers; appended before the
 * end if missing) with `lines`, unless --no-write. A --quick run never replaces a full one: it
 * writes docs/bench/NAME.quick.md instead.
 */
export async function writeSection(name: string, lines: string[]): Promise<void> {
  console.log(lines.join('\n'));
  if (flag('no-write')) return;
  if (QUICK) {
    await mkdir(DOCS_BENCH, { recursive: true });
    await writeFile(path.join(DOCS_BENCH, `${name}.quick.md`), `${lines.join('\n')}\n`);
    console.log(`wrote docs/bench/${name}.quick.md (a --quick run does not replace the report's section)`);
    return;
  }
  const file = path.join(ROOT, 'docs', 'BENCHMARKS.md');
  const begin = `<!-- bench:${name}:begin -->`;
  const end = `<!-- bench:${name}:end -->`;
  const existing = await readFile(file, 'utf8').catch(() => '# Benchmarks\n');
  const block = `${begin}\n${lines.join('\n').trim()}\n${end}`;
  const next =
    existing.includes(begin) && existing.includes(end)
      ? existing.slice(0, existing.indexOf(begin)) + block + existing.slice(existing.indexOf(end) + end.length)
      : `${existing.trimEnd()}\n\n${block}\n`;
  await writeFile(file, next);
  console.log(`replaced the ${name} section of docs/BENCHMARKS.md`);
}

/** Writes docs/bench/NAME.json (NAME.quick.json for --quick runs) unless --no-write. */
export async function writeJson(name: string, data: unknown): Promise<string | undefined> {
  if (flag('no-write')) return undefined;
  await mkdir(DOCS_BENCH, { recursive: true });
  const file = path.join(DOCS_BENCH, `${name}${QUICK ? '.quick' : ''}.json`);
  await writeFile(file, JSON.stringify(data, null, 2) + '\n');
  console.log(`wrote ${path.relative(ROOT, file)}`);
  return file;
}

export function rss(): number {
  return process.memoryUsage.rss();
}
export const MiB = (b: number): string => (b / 2 ** 20).toFixed(0);

/** Peak RSS (VmHWM) and RSS of a process, from /proc. */
export function procMem(pid: number): { rss: number; hwm: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string): number => Number(/\d+/.exec(status.split('\n').find((l) => l.startsWith(key)) ?? '0')![0]) * 1024;
  return { rss: kb('VmRSS:'), hwm: kb('VmHWM:') };
}

/** CPU seconds (user + system) the process has used so far, from /proc. */
export function procCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
}
