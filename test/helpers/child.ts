import { spawn } from 'node:child_process';
import path from 'node:path';

export const ROOT = path.resolve(__dirname, '..', '..');

export interface ChildResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Killed by the test because it ran past `timeoutMs` (a hang). */
  timedOut: boolean;
  ms: number;
}

/**
 * Runs `node --import tsx <script> ...args` from the repo root and collects its output. The
 * timeout is a "does not hang" bound: a child still running after it is SIGKILLed and reported
 * with timedOut (so a hang is a test failure with a message, never a stuck jest).
 */
export function runTs(script: string, args: string[], opts: { timeoutMs?: number; env?: Record<string, string> } = {}): Promise<ChildResult> {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, LOG_LEVEL: 'silent', ...opts.env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-20_000)));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, opts.timeoutMs ?? 30_000);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, timedOut, ms: Date.now() - started });
    });
  });
}

/** The last JSON line a probe printed (undefined if none). */
export function lastJson(out: string): Record<string, unknown> | undefined {
  const lines = out.trim().split('\n').filter((l) => l.startsWith('{'));
  try {
    return lines.length ? (JSON.parse(lines[lines.length - 1]!) as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
