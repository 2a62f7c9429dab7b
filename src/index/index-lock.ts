import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readSmallFile } from './safe-files';

/**
 * A cross-process lock on an index directory (DIR/.index.lock, created with O_EXCL), held while a
 * version is renamed into place, CURRENT is switched and old versions are pruned. Without it two
 * builders with --keep could interleave so that one prunes the version the other is about to
 * publish: CURRENT would name a deleted version while both exit 0.
 *
 * The lock file records its owner (pid, host, start). A waiter takes over a lock whose owner is a
 * dead process on this host, or one older than STALE_MS (an owner on another host that crashed);
 * otherwise it waits, up to `timeoutMs`, then fails naming the owner. Reentrant within one async
 * call chain (a publish that prunes takes it once).
 */
export const INDEX_LOCK_FILE = '.index.lock';
const STALE_MS = 10 * 60_000;

interface Owner {
  pid: number;
  host: string;
  at: string;
  nonce: string;
}

const held = new AsyncLocalStorage<ReadonlySet<string>>();

export async function withIndexDirLock<T>(indexDir: string, fn: () => Promise<T>, opts: { timeoutMs?: number } = {}): Promise<T> {
  const key = path.resolve(indexDir);
  const mine = held.getStore();
  if (mine?.has(key)) return fn();
  const release = await acquire(key, opts.timeoutMs ?? 120_000);
  try {
    return await held.run(new Set([...(mine ?? []), key]), fn);
  } finally {
    await release();
  }
}

async function readOwner(file: string): Promise<{ raw: string; owner: Owner | undefined } | undefined> {
  try {
    const raw = (await readSmallFile(file, 4096, INDEX_LOCK_FILE)).toString('utf8');
    try {
      return { raw, owner: JSON.parse(raw) as Owner };
    } catch {
      return { raw, owner: undefined };
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function isStale(owner: Owner | undefined, mtimeMs: number): boolean {
  if (Date.now() - mtimeMs > STALE_MS) return true;
  if (!owner || typeof owner.pid !== 'number') return Date.now() - mtimeMs > 5_000; // being written, or garbage
  return owner.host === os.hostname() && !alive(owner.pid);
}

async function acquire(indexDir: string, timeoutMs: number): Promise<() => Promise<void>> {
  const file = path.join(indexDir, INDEX_LOCK_FILE);
  const me: Owner = { pid: process.pid, host: os.hostname(), at: new Date().toISOString(), nonce: randomBytes(8).toString('hex') };
  const content = JSON.stringify(me);
  const until = Date.now() + timeoutMs;
  for (let attempt = 0; ; attempt++) {
    try {
      const handle = await fs.open(file, 'wx', 0o644);
      try {
        await handle.writeFile(content);
      } finally {
        await handle.close();
      }
      return async () => {
        const now = await readOwner(file).catch(() => undefined);
        if (now?.raw === content) await fs.rm(file, { force: true });
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const seen = await readOwner(file).catch(() => undefined);
    const st = await fs.lstat(file).catch(() => undefined);
    if (!seen || !st) continue; // released meanwhile
    if (isStale(seen.owner, st.mtimeMs)) {
      // Removed only if it is still the stale one (another waiter may have taken it over already).
      const again = await readOwner(file).catch(() => undefined);
      if (again?.raw === seen.raw) await fs.rm(file, { force: true });
      continue;
    }
    if (Date.now() > until) {
      const o = seen.owner;
      throw new Error(`${indexDir} is locked by ${o ? `pid ${o.pid} on ${o.host} since ${o.at}` : 'another process'} (${INDEX_LOCK_FILE}); another build or rollback is publishing`);
    }
    await new Promise((resolve) => setTimeout(resolve, Math.min(500, 20 * 2 ** Math.min(attempt, 4)) * (0.5 + Math.random())));
  }
}
