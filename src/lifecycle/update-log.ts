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

/** Appends entries as one write and fsyncs; resolves only once they are durable. */
export async function appendUpdates(versionDir: string, entries: readonly UpdateEntry[]): Promise<void> {
  if (entries.length === 0) return;
  const handle = await fs.open(path.join(versionDir, UPDATE_LOG_FILE), 'a');
  try {
    await handle.writeFile(entries.map((e) => JSON.stringify(e)).join('\n') + '\n');
    await handle.sync();
  } finally {
    await handle.close();
  }
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
