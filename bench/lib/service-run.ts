/**
 * Runs the service and the load generator as separate processes. The service runs compiled
 * (`node dist/src/main.js`, as the image runs it; `npm run build` first, done here when dist/ is
 * missing or older than the sources), or with BENCH_SERVER=tsx as `npm start` does
 * (`node --import tsx src/main.ts`, which also holds the TypeScript loader in memory).
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { startServerProcess, type ServerProcess } from '../load/server-process';
import { CACHE, ROOT } from './common';
import type { LoadOpts } from './loadgen';

const run = promisify(execFile);

export interface Served {
  server: ServerProcess;
  /** Spawn until the gRPC port listens (the index is loaded and verified by then). */
  loadSeconds: number;
  /** The service's own "index version now serving" time, when it logs one. */
  indexLoadMs?: number;
}

/** How the benches run the server: 'compiled' (default) or 'tsx' (BENCH_SERVER=tsx). */
export const SERVER_MODE: 'compiled' | 'tsx' = process.env.BENCH_SERVER === 'tsx' ? 'tsx' : 'compiled';
export const SERVER_COMMAND = SERVER_MODE === 'compiled' ? 'node dist/src/main.js' : 'node --import tsx src/main.ts';

/** Newest modification time under a folder's .ts files. */
function newestSource(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) newest = Math.max(newest, newestSource(p));
    else if (e.name.endsWith('.ts')) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

let compiledChecked = false;
/** Builds dist/ (npm run build) when it is missing or older than src/. */
export function ensureCompiled(): void {
  if (SERVER_MODE !== 'compiled' || compiledChecked) return;
  const main = path.join(ROOT, 'dist', 'src', 'main.js');
  if (!existsSync(main) || statSync(main).mtimeMs < newestSource(path.join(ROOT, 'src'))) {
    process.stderr.write('bench: building dist/ (npm run build) to serve the compiled service\n');
    execFileSync('npm', ['run', '-s', 'build'], { cwd: ROOT, stdio: 'inherit' });
  }
  compiledChecked = true;
}

export async function serve(indexDir: string, env: Record<string, string> = {}, readyTimeoutMs = 600_000): Promise<Served> {
  const workDir = path.join(CACHE, 'logs');
  await mkdir(workDir, { recursive: true });
  ensureCompiled();
  const t0 = performance.now();
  // BENCH_SERVER_NODE_OPTIONS: Node/V8 flags for the server process only (A/B of runtime flags).
  const nodeOptions = process.env.BENCH_SERVER_NODE_OPTIONS ? { NODE_OPTIONS: process.env.BENCH_SERVER_NODE_OPTIONS } : {};
  const server = await startServerProcess({ indexDir, workDir, name: 'bench', readyTimeoutMs, compiled: SERVER_MODE === 'compiled', env: { LOG_LEVEL: 'info', MATCH_METRICS_ADDR: 'off', ...nodeOptions, ...env } });
  const loadSeconds = (performance.now() - t0) / 1000;
  const line = (await server.logs()).find((l) => l.msg === 'index version now serving');
  return { server, loadSeconds, ...(line && typeof line.ms === 'number' ? { indexLoadMs: line.ms } : {}) };
}

export interface LoadResult {
  qps: number;
  calls: number;
  errors: number;
  firstError?: string;
  recall: number;
  recallQueries: number;
  shortResults: number;
  p50: number;
  p99: number;
}

/** `pinCpu`: run the load generator under `taskset -c CPUS` (its own core(s)). */
export async function loadgen(opts: Omit<LoadOpts, 'addr'> & { addr: string }, pinCpu?: string): Promise<LoadResult> {
  const args = ['--import', 'tsx', path.join(__dirname, 'loadgen.ts'), JSON.stringify(opts)];
  const { stdout } = pinCpu ? await run('taskset', ['-c', pinCpu, process.execPath, ...args], { cwd: ROOT, maxBuffer: 16 << 20 }) : await run(process.execPath, args, { cwd: ROOT, maxBuffer: 16 << 20 });
  const r = JSON.parse(stdout.trim().split('\n').pop()!) as LoadResult;
  if (r.errors > 0) process.stderr.write(`loadgen: ${r.errors} errors, first: ${r.firstError}\n`);
  return r;
}

/** The server's own Match latency histogram (creator_match_rpc_duration_seconds, code OK): cumulative bucket counts by upper bound (seconds). */
export async function serverMatchHistogram(metricsPort: number): Promise<Map<number, number>> {
  const res = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
  const text = await res.text();
  const out = new Map<number, number>();
  for (const line of text.split('\n')) {
    if (!line.startsWith('creator_match_rpc_duration_seconds_bucket{') || !line.includes('method="Match"') || !line.includes('code="OK"')) continue;
    const le = /le="([^"]+)"/.exec(line)?.[1];
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (le !== undefined) out.set(le === '+Inf' ? Infinity : Number(le), (out.get(le === '+Inf' ? Infinity : Number(le)) ?? 0) + value);
  }
  return out;
}

/** Between two scrapes: the share of calls at or under each bucket bound, and the bound the 99th percentile falls under. */
export function histogramDelta(before: Map<number, number>, after: Map<number, number>): { calls: number; shareUnder: Array<[number, number]>; p99Bound: number } {
  const bounds = [...after.keys()].sort((a, b) => a - b);
  const counts = bounds.map((b) => (after.get(b) ?? 0) - (before.get(b) ?? 0));
  const calls = counts[counts.length - 1] ?? 0;
  const shareUnder: Array<[number, number]> = bounds.map((b, i) => [b, calls > 0 ? counts[i]! / calls : NaN]);
  const p99Bound = shareUnder.find(([, share]) => share >= 0.99)?.[0] ?? Infinity;
  return { calls, shareUnder, p99Bound };
}
