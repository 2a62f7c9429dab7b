import { createReadStream, promises as fs } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { CreatorProfile } from '../catalog/creator';

/** Incremental updates of a version, appended (and fsynced) before they are acknowledged. */
export const UPDATE_LOG_FILE = 'updates.jsonl';

export type UpdateEntry =
  /** `text`: the profile text (what was embedded), for the lexical index; older logs lack it. */
  | { op: 'upsert'; at: string; creator: CreatorProfile; vector: number[]; text?: string }
  | { op: 'delete'; at: string; ids: string[] };

export interface ReadLogResult {
  entries: UpdateEntry[];
  /** A torn last line (crash mid-append; never acknowledged) is skipped, not fatal. */
  tornTail: boolean;
  /**
   * Lines that are not a valid entry for this version (corrupted, or written by a build that did
   * not check them): skipped and reported, never fatal. The other entries replay.
   */
  rejected: Array<{ line: number; reason: string }>;
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

/** Reads and checks a version's update log (`dims`: the version's vector dimension). */
export async function readUpdates(versionDir: string, dims: number): Promise<ReadLogResult> {
  const file = path.join(versionDir, UPDATE_LOG_FILE);
  const stat = await fs.lstat(file).catch(() => undefined);
  if (!stat) return { entries: [], tornTail: false, rejected: [] };
  if (!stat.isFile()) return { entries: [], tornTail: false, rejected: [{ line: 0, reason: `${UPDATE_LOG_FILE} is not a regular file; ignored` }] };
  const lines: Array<{ no: number; text: string }> = [];
  const reader = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
  let no = 0;
  for await (const line of reader) {
    no++;
    if (line.trim()) lines.push({ no, text: line });
  }
  const entries: UpdateEntry[] = [];
  const rejected: ReadLogResult['rejected'] = [];
  let tornTail = false;
  lines.forEach(({ no: line, text }, i) => {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      if (i === lines.length - 1) tornTail = true;
      else rejected.push({ line, reason: `invalid JSON: ${(err as Error).message}` });
      return;
    }
    const checked = checkEntry(value, dims);
    if (typeof checked === 'string') rejected.push({ line, reason: checked });
    else entries.push(checked);
  });
  return { entries, tornTail, rejected };
}

const isString = (v: unknown): v is string => typeof v === 'string';

/** The entry, or why it cannot be applied to a version of `dims` dimensions. */
export function checkEntry(value: unknown, dims: number): UpdateEntry | string {
  if (value === null || typeof value !== 'object') return 'not a JSON object';
  const e = value as Record<string, unknown>;
  const at = isString(e.at) ? e.at : '';
  if (e.op === 'delete') {
    if (!Array.isArray(e.ids) || !e.ids.every(isString)) return 'delete without a list of string ids';
    return { op: 'delete', at, ids: e.ids };
  }
  if (e.op !== 'upsert') return `unknown op ${JSON.stringify(String(e.op)).slice(0, 40)}`;
  const c = e.creator as Record<string, unknown> | null | undefined;
  if (!c || typeof c !== 'object' || !isString(c.id) || !c.id.trim() || c.id.length > 256) return 'upsert without a valid creator id';
  if (!isString(c.name) || !isString(c.category) || !isString(c.language) || typeof c.is_nsfw !== 'boolean' || !Array.isArray(c.tags) || !c.tags.every(isString)) {
    return `upsert of ${JSON.stringify(c.id.slice(0, 80))}: the creator profile is malformed`;
  }
  const v = e.vector;
  if (!Array.isArray(v) || v.length !== dims) return `upsert of ${JSON.stringify(c.id.slice(0, 80))}: vector must have ${dims} values`;
  let sq = 0;
  for (const x of v) {
    if (typeof x !== 'number' || !Number.isFinite(x)) return `upsert of ${JSON.stringify(c.id.slice(0, 80))}: vector values must be finite numbers`;
    sq += x * x;
  }
  if (!(sq > 0) || !Number.isFinite(sq)) return `upsert of ${JSON.stringify(c.id.slice(0, 80))}: vector has zero norm`;
  const creator = { id: c.id, name: c.name, category: c.category, tags: c.tags, language: c.language, is_nsfw: c.is_nsfw };
  if (e.text !== undefined && !isString(e.text)) return `upsert of ${JSON.stringify(c.id.slice(0, 80))}: text must be a string`;
  return { op: 'upsert', at, creator, vector: v as number[], ...(isString(e.text) ? { text: e.text } : {}) };
}
