import { createReadStream, promises as fs } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { CreatorProfile } from '../catalog/creator';

/** Incremental updates of a version, appended (and fsynced) before they are acknowledged. */
export const UPDATE_LOG_FILE = 'updates.jsonl';

export type UpdateEntry =
  | { op: 'upsert'; at: string; creator: CreatorProfile; vector: number[] }
  | { op: 'delete'; at: string; ids: string[] };

export interface ReadLogResult {
  entries: UpdateEntry[];
  /** A torn last line (crash mid-append; never acknowledged) is skipped, not fatal. */
  tornTail: boolean;
}

/**
 * Appends entries as one write and fsyncs; resolves only once they are durable. A torn last line
 * left by a crash mid-append (never acknowledged) is cut off first, so that it cannot swallow the
 * next acknowledged entry; a failed append (ENOSPC, EFBIG, EIO) is rolled back to the old end.
 */
export async function appendUpdates(versionDir: string, entries: readonly UpdateEntry[]): Promise<void> {
  if (entries.length === 0) return;
  const handle = await fs.open(path.join(versionDir, UPDATE_LOG_FILE), 'a+');
  try {
    const { size } = await handle.stat();
    const end = await endOfLastLine(handle, size);
    if (end < size) await handle.truncate(end);
    try {
      await handle.writeFile(entries.map((e) => JSON.stringify(e)).join('\n') + '\n');
      await handle.sync();
    } catch (err) {
      await handle.truncate(end).catch(() => undefined);
      throw err;
    }
  } finally {
    await handle.close();
  }
}

/** The offset just after the file's last '\n' (0 when it has none). */
async function endOfLastLine(handle: fs.FileHandle, size: number): Promise<number> {
  if (size === 0) return 0;
  const last = Buffer.alloc(1);
  await handle.read(last, 0, 1, size - 1);
  if (last[0] === 0x0a) return size; // the usual case: one byte read
  const chunk = Buffer.alloc(64 * 1024);
  for (let pos = size; pos > 0; ) {
    const start = Math.max(0, pos - chunk.length);
    const { bytesRead } = await handle.read(chunk, 0, pos - start, start);
    const i = chunk.subarray(0, bytesRead).lastIndexOf(0x0a);
    if (i >= 0) return start + i + 1;
    pos = start;
  }
  return 0;
}

export async function readUpdates(versionDir: string): Promise<ReadLogResult> {
  const file = path.join(versionDir, UPDATE_LOG_FILE);
  try {
    await fs.access(file);
  } catch {
    return { entries: [], tornTail: false };
  }
  const lines: string[] = [];
  const reader = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
  for await (const line of reader) if (line.trim()) lines.push(line);
  const entries: UpdateEntry[] = [];
  let tornTail = false;
  lines.forEach((line, i) => {
    try {
      entries.push(JSON.parse(line) as UpdateEntry);
    } catch (err) {
      if (i === lines.length - 1) tornTail = true;
      else throw new Error(`${file} line ${i + 1} is corrupt: ${(err as Error).message}`);
    }
  });
  return { entries, tornTail };
}
