import path from 'node:path';
import { loadIndexVersion } from '../src/index/loaded-index';
import { readCurrent, writeCurrent } from '../src/index/manifest';
import { withIndexDirLock } from '../src/index/index-lock';
import { listVersions } from './retention';

export interface RollbackResult {
  from: string | undefined;
  to: string;
}

/**
 * Points CURRENT at `to` (default: the newest version older than the current one) after
 * verifying that version fully (manifest, checksums, shapes). A running service picks it up.
 */
export async function rollback(indexDir: string, to?: string): Promise<RollbackResult> {
  const current = await readCurrent(indexDir);
  const versions = await listVersions(indexDir);
  let target = to;
  if (!target) {
    const older = versions.filter((v) => current === undefined || v < current);
    target = older[older.length - 1];
    if (!target) throw new Error(`no version older than ${current ?? '(none)'} in ${indexDir}; available: ${versions.join(', ') || 'none'}`);
  } else if (!versions.includes(target)) {
    throw new Error(`no version ${target} in ${indexDir}; available: ${versions.join(', ') || 'none'}`);
  }
  const loaded = await loadIndexVersion(indexDir, target);
  await loaded.hnsw.close();
  await withIndexDirLock(indexDir, () => writeCurrent(indexDir, target));
  return { from: current, to: path.basename(target) };
}
