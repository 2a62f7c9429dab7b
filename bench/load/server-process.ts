/**
 * Runs the real service as a child process (`node --import tsx src/main.ts`) on 127.0.0.1 (port 0:
 * the port is read from its "gRPC server listening" log line; /metrics is on port 0 too), with
 * stdout/stderr in a log file. Used by the load test and the fault tests, which treat the service
 * as a black box.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync, promises as fs } from 'node:fs';
import path from 'node:path';

export const ROOT = path.resolve(__dirname, '..', '..');

export interface ServerOptions {
  indexDir: string;
  /** Directory for the log (and probe) files. */
  workDir: string;
  env?: Record<string, string>;
  /** Preload bench/load/probe.cjs: RSS and event-loop delay once a second into probeFile. */
  probe?: boolean;
  name?: string;
  readyTimeoutMs?: number;
  /** Run the compiled service (`node dist/src/main.js`, as the image does) instead of `node --import tsx src/main.ts`; dist/ must be built. */
  compiled?: boolean;
}

export interface ProbeSample {
  t: number;
  rss: number;
  heapUsed: number;
  elMean: number;
  elP50: number;
  elP99: number;
  elMax: number;
}

export interface ServerProcess {
  child: ChildProcess;
  port: number;
  addr: string;
  logFile: string;
  probeFile: string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  logs(): Promise<Array<Record<string, unknown>>>;
  probes(): Promise<ProbeSample[]>;
  /** SIGTERM, then SIGKILL if it has not exited after `ms`. */
  stop(ms?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

async function readJsonLines<T>(file: string): Promise<T[]> {
  const text = await fs.readFile(file, 'utf8').catch(() => '');
  const out: T[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      out.push(JSON.parse(line) as T);
    } catch {
      // a line being written
    }
  }
  return out;
}

export async function startServerProcess(opts: ServerOptions): Promise<ServerProcess> {
  const name = opts.name ?? 'server';
  const logFile = path.join(opts.workDir, `${name}-${Date.now()}.log`);
  const probeFile = path.join(opts.workDir, `${name}-${Date.now()}.probe.jsonl`);
  // As `npm start` runs it: `node --import tsx src/main.ts`, one process, so signals reach the
  // server itself. (The tsx CLI relays SIGTERM, but SIGKILLs its child when the child does not
  // confirm the signal within 30 ms, which a busy server often cannot: no drain, exit 143.)
  const cmd = process.execPath;
  // The probe is always preloaded: it samples only with MATCH_PROBE_FILE, and it ends the server if
  // this process dies without stopping it (MATCH_EXIT_WITH_PARENT), so nothing is left running.
  const args = ['--require', path.join(ROOT, 'bench', 'load', 'probe.cjs'), ...(opts.compiled ? [path.join('dist', 'src', 'main.js')] : ['--import', 'tsx', 'src/main.ts'])];
  const fd = openSync(logFile, 'a');
  const child = spawn(cmd, args, {
    cwd: ROOT,
    stdio: ['ignore', fd, fd],
    env: {
      ...process.env,
      MATCH_INDEX_DIR: opts.indexDir,
      MATCH_GRPC_ADDR: '127.0.0.1:0',
      // Never the default 0.0.0.0:9464: servers started side by side (or next to a real one) collide.
      MATCH_METRICS_ADDR: '127.0.0.1:0',
      MATCH_AUTO_BUILD_SAMPLE: 'false',
      LOG_LEVEL: 'info',
      MATCH_EXIT_WITH_PARENT: '1',
      ...(opts.probe ? { MATCH_PROBE_FILE: probeFile } : {}),
      ...opts.env,
    },
  });
  closeSync(fd);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  let exitedEarly = false;
  void exited.then(() => (exitedEarly = true));
  const logs = (): Promise<Array<Record<string, unknown>>> => readJsonLines(logFile);
  const until = Date.now() + (opts.readyTimeoutMs ?? 30_000);
  let port: number | undefined;
  while (port === undefined) {
    const line = (await logs()).find((l) => l.msg === 'gRPC server listening');
    if (line) port = Number(line.port);
    else if (exitedEarly || Date.now() > until) {
      child.kill('SIGKILL');
      const tail = (await fs.readFile(logFile, 'utf8').catch(() => '')).slice(-3000);
      throw new Error(`the server did not start (${exitedEarly ? 'it exited' : 'timed out'}); log tail:\n${tail}`);
    } else await new Promise((r) => setTimeout(r, 50));
  }
  return {
    child,
    port,
    addr: `127.0.0.1:${port}`,
    logFile,
    probeFile,
    exited,
    logs,
    probes: () => readJsonLines<ProbeSample>(probeFile),
    async stop(ms = 15_000) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), ms);
        const r = await exited;
        clearTimeout(timer);
        return r;
      }
      return exited;
    },
  };
}
