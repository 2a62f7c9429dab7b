/**
 * Child processes for scripts/pg: one helper that runs a command and collects its output, and the
 * identity the PostgreSQL server runs under. PostgreSQL refuses to run as root, so when this process
 * is root every server-side command (initdb, pg_ctl, pg_basebackup) runs as an unprivileged user:
 * MATCH_PG_USER, default `postgres` (Debian's postgresql-common creates it); one that does not exist
 * is created as a system user. Otherwise they run as the current user.
 */
import { spawn, spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';

/** An error whose message is one human line ending in a fix hint; the CLI prints just the message. */
export class PgSetupError extends Error {
  constructor(message: string, readonly detail?: string) {
    super(message);
    this.name = 'PgSetupError';
  }
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Run as the server user (when this process is root). */
  asServer?: boolean;
  /** Throw a PgSetupError with this text (plus the command's last output lines) on a non-zero exit. */
  failure?: string;
  /** Lower the command's CPU priority (long compiles and installs on a shared machine). */
  nice?: boolean;
}

export interface ServerUser {
  name: string;
  uid: number;
  gid: number;
  /** False when this process already is that user (not root): no uid switch is needed. */
  switches: boolean;
}

export const isRoot = (): boolean => typeof process.getuid === 'function' && process.getuid() === 0;

let cachedUser: ServerUser | undefined;

function idOf(name: string): { uid: number; gid: number } | undefined {
  const u = spawnSync('id', ['-u', name], { encoding: 'utf8' });
  const g = spawnSync('id', ['-g', name], { encoding: 'utf8' });
  if (u.status !== 0 || g.status !== 0) return undefined;
  return { uid: Number(u.stdout.trim()), gid: Number(g.stdout.trim()) };
}

/** The user the server runs as; as root, creates MATCH_PG_USER when it does not exist yet. */
export function serverUser(log: (line: string) => void = () => {}): ServerUser {
  if (cachedUser) return cachedUser;
  if (!isRoot()) {
    const info = spawnSync('id', ['-un'], { encoding: 'utf8' });
    cachedUser = { name: info.stdout.trim() || 'current user', uid: process.getuid!(), gid: process.getgid!(), switches: false };
    return cachedUser;
  }
  const name = process.env.MATCH_PG_USER || 'postgres';
  let ids = idOf(name);
  if (!ids) {
    log(`creating system user ${name} (PostgreSQL refuses to run as root)`);
    const r = spawnSync('useradd', ['--system', '--user-group', '--no-create-home', '--shell', '/usr/sbin/nologin', name], { encoding: 'utf8' });
    ids = idOf(name);
    if (!ids) throw new PgSetupError(`could not create the user ${name} for the PostgreSQL server (${(r.stderr || r.error?.message || '').trim()}); fix: create it, or set MATCH_PG_USER to an existing unprivileged user`);
  }
  cachedUser = { name, ...ids, switches: true };
  return cachedUser;
}

/** The environment server-side commands get: no PG* variables of the caller, the C locale. */
export function serverEnv(home: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^PG|^LC_|^LANG/.test(k)) env[k] = v;
  return { ...env, HOME: home, LC_ALL: 'C', LANG: 'C', ...extra };
}

const lastLines = (text: string, n = 8): string => text.trim().split('\n').slice(-n).join('\n');

export function run(cmd: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  let file = cmd;
  let argv = args;
  if (opts.nice) {
    file = 'nice';
    argv = ['-n', '10', cmd, ...args];
  }
  const spawnOpts: Parameters<typeof spawn>[2] = { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] };
  if (opts.asServer) {
    const u = serverUser();
    if (u.switches) Object.assign(spawnOpts, { uid: u.uid, gid: u.gid });
  }
  return new Promise((resolve, reject) => {
    const child = spawn(file, argv, spawnOpts);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', (err: NodeJS.ErrnoException) => {
      const hint = err.code === 'ENOENT' ? `${cmd} is not installed` : err.message;
      reject(new PgSetupError(`${opts.failure ?? `could not run ${cmd}`}: ${hint}; fix: run \`npm run pg:start\` as root to install what is missing`));
    });
    child.on('close', (code, signal) => {
      const res = { code: code ?? (signal ? 128 : 1), stdout, stderr };
      if (res.code !== 0 && opts.failure) {
        const out = lastLines(stderr || stdout);
        reject(new PgSetupError(`${opts.failure} (${cmd} exited ${res.code}${out ? `: ${out.split('\n').pop()}` : ''})`, out));
      } else resolve(res);
    });
  });
}

/** Creates dir (and parents) owned by the server user, mode 0700. */
export async function makeServerDir(dir: string): Promise<void> {
  await fs.mkdir(path.dirname(dir), { recursive: true }); // parents with the default mode: the server user must pass through
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  await chownToServer(dir);
  await fs.chmod(dir, 0o700);
}

export async function chownToServer(p: string): Promise<void> {
  const u = serverUser();
  if (u.switches) await fs.chown(p, u.uid, u.gid);
}

/** Throws a PgSetupError with a fix when the server user cannot write dir (e.g. a parent folder is not searchable). */
export async function checkServerCanUse(dir: string): Promise<void> {
  const u = serverUser();
  if (!u.switches) return;
  const r = await run('test', ['-w', dir, '-a', '-x', dir], { asServer: true });
  if (r.code !== 0) {
    let blocker = dir;
    for (let p = path.dirname(dir); p !== path.dirname(p); p = path.dirname(p)) {
      if ((await run('test', ['-x', p], { asServer: true })).code !== 0) blocker = p;
    }
    throw new PgSetupError(
      `the PostgreSQL server runs as user ${u.name}, who cannot use ${dir} (${blocker === dir ? 'no write access' : `${blocker} is not searchable by it`}); ` +
        `fix: set MATCH_PG_HOME (or TMPDIR for test servers) to a folder under a world-searchable path, e.g. MATCH_PG_HOME=/var/tmp/creator-match-pg`,
    );
  }
}

export const repoRoot = (): string => path.resolve(__dirname, '..', '..');
