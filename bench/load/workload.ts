/**
 * The load generator shared by `npm run bench:load` and test/reliability/load.test.ts: spawns
 * `clients` client processes (bench/load/client.ts), each with `concurrency` closed-loop workers
 * sending a mix of Match (vector, text, like_creators) and BatchMatch calls for `seconds`, then
 * merges their results with the server's probe samples (RSS, event-loop delay) of that window.
 */
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { ROOT, type ProbeSample, type ServerProcess } from './server-process';

export const REQUEST_TYPES = ['vector', 'text', 'like', 'batch'] as const;
export type RequestType = (typeof REQUEST_TYPES)[number];

export interface Workload {
  dims: number;
  /** interest_text queries (empty: the index has no model; no text queries). */
  texts: string[];
  /** Creator ids for like_creators queries. */
  likeIds: string[];
  /** Categories for the 30% of queries that carry a category filter (each must hold at least k creators). */
  categories: string[];
  mix: Partial<Record<RequestType, number>>;
  k: number;
  batchSize: number;
  expectVersion?: string;
}

export interface ClientSpec extends Workload {
  addr: string;
  concurrency: number;
  seconds: number;
  maxCalls: number;
  deadlineMs: number;
  seed: number;
}

export interface ClientResult {
  latenciesMs: Record<RequestType, number[]>;
  errors: Record<RequestType, number>;
  errorSamples: Array<{ type: RequestType; message: string }>;
  /** Successful queries (a BatchMatch call counts its items). */
  queries: number;
  calls: number;
  elapsedMs: number;
}

export interface TypeStats {
  calls: number;
  errors: number;
  p50: number;
  p99: number;
  max: number;
}

export interface LoadResult {
  clients: number;
  concurrency: number;
  seconds: number;
  queries: number;
  calls: number;
  errors: number;
  qps: number;
  callsPerSec: number;
  byType: Record<RequestType, TypeStats>;
  errorSamples: Array<{ type: RequestType; message: string }>;
  probes: ProbeSample[];
}

export const DEFAULT_MIX: Record<RequestType, number> = { vector: 0.4, text: 0.25, like: 0.15, batch: 0.2 };

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export interface RunOptions {
  server: Pick<ServerProcess, 'addr' | 'probes'>;
  workload: Workload;
  clients: number;
  /** Closed-loop workers per client process. */
  concurrency: number;
  seconds: number;
  workDir: string;
  deadlineMs?: number;
  maxCallsPerClient?: number;
  seed?: number;
}

/** Runs one load phase and returns merged figures. Client processes are bounded by time and count. */
export async function runLoad(o: RunOptions): Promise<LoadResult> {
  const mix = { ...o.workload.mix };
  if (o.workload.texts.length === 0) mix.text = 0;
  if (o.workload.likeIds.length === 0) mix.like = 0;
  const runId = Date.now();
  const children = await Promise.all(
    Array.from({ length: o.clients }, async (_, i) => {
      const spec: ClientSpec = {
        ...o.workload,
        mix,
        addr: o.server.addr,
        concurrency: o.concurrency,
        seconds: o.seconds,
        maxCalls: o.maxCallsPerClient ?? 5_000_000,
        deadlineMs: o.deadlineMs ?? 30_000,
        seed: (o.seed ?? 1) * 1000 + i,
      };
      const specFile = path.join(o.workDir, `client-${runId}-${i}.json`);
      await fs.writeFile(specFile, JSON.stringify(spec));
      return startClient(specFile, o.seconds);
    }),
  );
  await Promise.all(children.map((c) => c.ready));
  const startedAt = Date.now();
  for (const c of children) c.go();
  const results = await Promise.all(children.map((c) => c.result));
  const endedAt = Date.now();
  const merged = REQUEST_TYPES.map((t) => {
    const lat = results.flatMap((r) => r.latenciesMs[t]).sort((a, b) => a - b);
    const errors = results.reduce((n, r) => n + r.errors[t], 0);
    return [t, { calls: lat.length + errors, errors, p50: percentile(lat, 50), p99: percentile(lat, 99), max: lat.at(-1) ?? 0 }] as const;
  });
  const queries = results.reduce((n, r) => n + r.queries, 0);
  const calls = results.reduce((n, r) => n + r.calls, 0);
  const elapsed = Math.max(...results.map((r) => r.elapsedMs)) / 1000;
  const probes = (await o.server.probes()).filter((p) => p.t >= startedAt && p.t <= endedAt);
  return {
    clients: o.clients,
    concurrency: o.concurrency * o.clients,
    seconds: elapsed,
    queries,
    calls,
    errors: results.reduce((n, r) => n + Object.values(r.errors).reduce((a, b) => a + b, 0), 0),
    qps: queries / elapsed,
    callsPerSec: calls / elapsed,
    byType: Object.fromEntries(merged) as Record<RequestType, TypeStats>,
    errorSamples: results.flatMap((r) => r.errorSamples).slice(0, 20),
    probes,
  };
}

interface ClientHandle {
  ready: Promise<void>;
  go(): void;
  result: Promise<ClientResult>;
}

function startClient(specFile: string, seconds: number): ClientHandle {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join('bench', 'load', 'client.ts'), specFile], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  let onReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (onReady = resolve));
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    if (out.startsWith('ready\n')) onReady();
  });
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), (seconds + 90) * 1000);
  const result = new Promise<ClientResult>((resolve, reject) => {
    child.once('exit', (code) => {
      clearTimeout(timer);
      onReady(); // never leave the barrier waiting on a dead client
      const line = out.trim().split('\n').at(-1);
      if (code === 0 && line && line !== 'ready') resolve(JSON.parse(line) as ClientResult);
      else reject(new Error(`load client exited ${code}: ${err.slice(-2000)}`));
    });
  });
  result.catch(() => undefined); // awaited by runLoad
  return { ready, result, go: () => child.stdin.end('go\n') };
}

/**
 * RSS over a run. RSS saws up and down with GC and the allocator, so single samples are compared
 * as medians: the baseline is the median of the 10 samples after `warmupSeconds`, the end is the
 * median of the last 10 samples (of each half, in a run shorter than 20 samples), and growth is
 * end vs baseline. The highest sample is reported too.
 */
export function rssSummary(probes: readonly ProbeSample[], warmupSeconds: number): { samples: number; minMiB: number; maxMiB: number; baselineMiB: number; lastMiB: number; growthPct: number; maxGrowthPct: number } {
  const mib = (b: number): number => b / 2 ** 20;
  if (probes.length === 0) return { samples: 0, minMiB: 0, maxMiB: 0, baselineMiB: 0, lastMiB: 0, growthPct: 0, maxGrowthPct: 0 };
  const median = (xs: readonly ProbeSample[]): number => percentile(xs.map((p) => p.rss).sort((a, b) => a - b), 50);
  const after = probes.filter((p) => p.t >= probes[0]!.t + warmupSeconds * 1000);
  const window = after.length > 0 ? after : probes;
  const n = Math.min(10, Math.max(1, Math.floor(window.length / 2))); // short runs: first half vs second half
  const baseline = median(window.slice(0, n));
  const last = median(window.slice(-n));
  const max = Math.max(...window.map((p) => p.rss));
  return {
    samples: probes.length,
    minMiB: mib(Math.min(...probes.map((p) => p.rss))),
    maxMiB: mib(Math.max(...probes.map((p) => p.rss))),
    baselineMiB: mib(baseline),
    lastMiB: mib(last),
    growthPct: ((last - baseline) / baseline) * 100,
    maxGrowthPct: ((max - baseline) / baseline) * 100,
  };
}

/** Event-loop delay over a run, from the per-second probe histograms. */
export function eventLoopSummary(probes: readonly ProbeSample[]): { seconds: number; p99Median: number; p99Worst: number; worstAtSec: number; max: number; meanOfMeans: number } {
  if (probes.length === 0) return { seconds: 0, p99Median: 0, p99Worst: 0, worstAtSec: 0, max: 0, meanOfMeans: 0 };
  const p99s = probes.map((p) => p.elP99).sort((a, b) => a - b);
  const worst = probes.reduce((a, b) => (b.elP99 > a.elP99 ? b : a));
  return {
    seconds: probes.length,
    p99Median: percentile(p99s, 50),
    p99Worst: p99s.at(-1)!,
    worstAtSec: Math.round((worst.t - probes[0]!.t) / 1000) + 1,
    max: Math.max(...probes.map((p) => p.elMax)),
    meanOfMeans: probes.reduce((s, p) => s + p.elMean, 0) / probes.length,
  };
}
