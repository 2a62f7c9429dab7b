/** Runs the service (`node --import tsx src/main.ts`, as npm start) and the load generator as separate processes. */
import { execFile } from 'node:child_process';
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

export async function serve(indexDir: string, env: Record<string, string> = {}, readyTimeoutMs = 600_000): Promise<Served> {
  const workDir = path.join(CACHE, 'logs');
  await mkdir(workDir, { recursive: true });
  const t0 = performance.now();
  const server = await startServerProcess({ indexDir, workDir, name: 'bench', readyTimeoutMs, env: { LOG_LEVEL: 'info', MATCH_METRICS_ADDR: 'off', ...env } });
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

export async function loadgen(opts: Omit<LoadOpts, 'addr'> & { addr: string }): Promise<LoadResult> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', path.join(__dirname, 'loadgen.ts'), JSON.stringify(opts)], { cwd: ROOT, maxBuffer: 16 << 20 });
  const r = JSON.parse(stdout.trim().split('\n').pop()!) as LoadResult;
  if (r.errors > 0) process.stderr.write(`loadgen: ${r.errors} errors, first: ${r.firstError}\n`);
  return r;
}
