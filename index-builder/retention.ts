import { promises as fs } from 'node:fs';
import path from 'node:path';
import { readCurrent } from '../src/index/manifest';
import { withIndexDirLock } from '../src/index/index-lock';

const VERSION_DIR = /^\d{8}T\d{9}Z-[0-9a-f]{6}$/;
const STALE_TMP_MS = 60 * 60 * 1000;

/** Published-format version directories in DIR, oldest first (names sort by build time). */
export async function listVersions(indexDir: string): Promise<string[]> {
  const entries = await fs.readdir(indexDir, { withFileTypes: true }).catch(() => []);
  return entries
    .filter((e) => e.isDirectory() && VERSION_DIR.test(e.name))
    .map((e) => e.name)
    .sort();
}

/**
 * Keeps the `keep` newest versions plus the one CURRENT names; removes the rest, and temp dirs
 * of crashed builds older than an hour. Returns the removed versions.
 */
export async function pruneVersions(indexDir: string, keep: number): Promise<string[]> {
  if (!Number.isInteger(keep) || keep < 1) throw new RangeError('--keep must be at least 1');
  // Under the index-dir lock (reentrant: a publish already holds it): CURRENT cannot change meanwhile.
  return withIndexDirLock(indexDir, () => prune(indexDir, keep));
}

async function prune(indexDir: string, keep: number): Promise<string[]> {
  const current = await readCurrent(indexDir);
  const versions = await listVersions(indexDir);
  const kept = new Set(versions.slice(-keep));
  if (current) kept.add(current);
  const removed = versions.filter((v) => !kept.has(v));
  for (const v of removed) await fs.rm(path.join(indexDir, v), { recursive: true, force: true });
  const entries = await fs.readdir(indexDir, { withFileTypes: true });
  for (const e of entries) {
    if (!e.isDirectory() || !e.name.startsWith('.tmp-')) continue;
    const stat = await fs.lstat(path.join(indexDir, e.name)).catch(() => undefined);
    if (!stat) continue;
    if (Date.now() - stat.mtimeMs > STALE_TMP_MS) await fs.rm(path.join(indexDir, e.name), { recursive: true, force: true });
  }
  return removed;
}
