import { constants, promises as fs } from 'node:fs';
import path from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { CreatorProfile } from '../catalog/creator';
import { shortId } from '../errors/echo';
import { boundedLines, openRegularFile } from '../index/safe-files';
import { validUpdateVector } from './apply-updates';

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
  const handle = await openLogForAppend(path.join(versionDir, UPDATE_LOG_FILE));
  try {
    const { size } = await handle.stat();
    const end = await endOfLastLine(handle, size);
    if (end < size) await handle.truncate(end);
    try {
      // Serialised in slices that yield (10k creators of 512 floats are ~100 MB of JSON: one
      // JSON.stringify of all of it would hold the event loop for seconds), appended as they come.
      let pos = end;
      for (let i = 0; i < entries.length; i += APPEND_SLICE) {
        const text = entries.slice(i, i + APPEND_SLICE).map((e) => JSON.stringify(e)).join('\n') + '\n';
        const buf = Buffer.from(text);
        for (let off = 0; off < buf.length; ) {
          const { bytesWritten } = await handle.write(buf, off, buf.length - off, pos);
          if (bytesWritten <= 0) throw new Error(`${UPDATE_LOG_FILE}: write made no progress`);
          off += bytesWritten;
          pos += bytesWritten;
        }
        await nextTurn();
      }
      await handle.sync();
    } catch (err) {
      await handle.truncate(end).catch(() => undefined);
      throw err;
    }
  } finally {
    await handle.close();
  }
}

/** Entries serialised between yields to the event loop. */
const APPEND_SLICE = 256;

/**
 * Opens (or creates) the log for appending, refusing a symlink, FIFO or device: an open for writing
 * of a FIFO would block until a reader comes (O_NONBLOCK makes it fail instead: ENXIO), and a
 * write to /dev/null would "succeed" without anything being durable.
 */
async function openLogForAppend(file: string): Promise<fs.FileHandle> {
  const flags = constants.O_RDWR | constants.O_CREAT | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0);
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(file, flags, 0o644);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ELOOP' || code === 'ENXIO') throw new Error(`${UPDATE_LOG_FILE} is not a regular file (${code}); refusing to append to it`, { cause: err });
    throw err;
  }
  const st = await handle.stat().catch(async (err: unknown) => {
    await handle.close();
    throw err;
  });
  if (!st.isFile()) {
    await handle.close();
    throw new Error(`${UPDATE_LOG_FILE} is not a regular file; refusing to append to it`);
  }
  return handle;
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

/** Longest update-log line read: a valid entry is far shorter (4096 dims of 25 characters ~ 100 KB). */
export const MAX_LOG_LINE_BYTES = 4 << 20;
/** Lines parsed between yields to the event loop. */
const READ_SLICE = 256;

/**
 * Reads and checks a version's update log (`dims`: the version's vector dimension). Bounded: the
 * file must be a regular file (a symlink, FIFO or device is reported and ignored), a line longer
 * than MAX_LOG_LINE_BYTES is rejected without being buffered, and parsing yields to the event loop.
 */
export async function readUpdates(versionDir: string, dims: number, signal?: AbortSignal): Promise<ReadLogResult> {
  const file = path.join(versionDir, UPDATE_LOG_FILE);
  let opened;
  try {
    opened = await openRegularFile(file, UPDATE_LOG_FILE);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { entries: [], tornTail: false, rejected: [] };
    return { entries: [], tornTail: false, rejected: [{ line: 0, reason: `${(err as Error).message}; ignored` }] };
  }
  const entries: UpdateEntry[] = [];
  const rejected: ReadLogResult['rejected'] = [];
  let tornTail = false;
  try {
    let parsed = 0;
    for await (const line of boundedLines(opened.handle, { maxLineBytes: MAX_LOG_LINE_BYTES, ...(signal ? { signal } : {}) })) {
      // Every acknowledged append ends with a newline: an unterminated last line is the torn
      // rest of an append cut by a crash (never acknowledged; the next append cuts it off).
      if (!line.complete) {
        if ('tooLong' in line || line.text.trim()) tornTail = true;
        continue;
      }
      if ('tooLong' in line) {
        rejected.push({ line: line.no, reason: `line longer than ${MAX_LOG_LINE_BYTES} bytes` });
        continue;
      }
      if (!line.text.trim()) continue;
      let value: unknown;
      try {
        value = JSON.parse(line.text);
      } catch (err) {
        rejected.push({ line: line.no, reason: `invalid JSON: ${(err as Error).message.slice(0, 120)}` });
        continue;
      }
      const checked = checkEntry(value, dims);
      if (typeof checked === 'string') rejected.push({ line: line.no, reason: checked });
      else entries.push(checked);
      if (++parsed % READ_SLICE === 0) await nextTurn();
    }
  } finally {
    await opened.handle.close();
  }
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
  if (e.op !== 'upsert') return `unknown op ${JSON.stringify(String(e.op).slice(0, 40))}`;
  const c = e.creator as Record<string, unknown> | null | undefined;
  if (!c || typeof c !== 'object' || !isString(c.id) || !c.id.trim() || c.id.length > 256) return 'upsert without a valid creator id';
  const id = shortId(c.id);
  if (!isString(c.name) || !isString(c.category) || !isString(c.language) || typeof c.is_nsfw !== 'boolean' || !Array.isArray(c.tags) || !c.tags.every(isString)) {
    return `upsert of ${id}: the creator profile is malformed`;
  }
  const v = e.vector;
  if (!Array.isArray(v)) return `upsert of ${id}: vector must have ${dims} values`;
  // The same check as before an update is logged (zero norm, non-finite, beyond float32).
  const problem = validUpdateVector(v as number[], dims);
  if (typeof problem === 'string') return `upsert of ${id}: ${problem}`;
  const creator = { id: c.id, name: c.name, category: c.category, tags: c.tags, language: c.language, is_nsfw: c.is_nsfw };
  if (e.text !== undefined && !isString(e.text)) return `upsert of ${JSON.stringify(c.id.slice(0, 80))}: text must be a string`;
  return { op: 'upsert', at, creator, vector: v as number[], ...(isString(e.text) ? { text: e.text } : {}) };
}
