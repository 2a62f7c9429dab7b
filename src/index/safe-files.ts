import { createHash } from 'node:crypto';
import { constants, existsSync, promises as fs, type Stats } from 'node:fs';
import path from 'node:path';
import { truncateForEcho } from '../errors/echo';
import { IndexLoadError } from './load-error';

/**
 * Bounded, hostile-file-safe access to what an index directory holds.
 *
 * Everything the service reads from an index directory may have been put there by someone else
 * (or damaged): a name can point outside the directory (`../`, an absolute path), a file can be a
 * symlink, a FIFO (an open for reading blocks until a writer comes; a read blocks forever) or a
 * device (`/dev/zero` never ends), and a declared size can be a lie. So:
 *
 * - names are single path components matching SAFE_NAME (no `/`, no leading dot: never `.`/`..`);
 * - files are opened with O_NOFOLLOW (a symlink is refused: ELOOP) and O_NONBLOCK (a FIFO or
 *   device cannot block the open), then fstat'ed and accepted only when they are regular files;
 * - a file is read at most up to its declared size (or a cap), its size is compared with the
 *   declaration before any byte is hashed, and long reads check an AbortSignal between chunks.
 *
 * Reading through the descriptor that was checked (not the path again) leaves no window in which
 * the file can be swapped; `pinnedPath` hands that same file to code that only takes a path.
 */

/** A plain file or version name: one path component, no leading dot (so never `.` or `..`). */
export const SAFE_NAME = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$/;

export function isSafeName(name: string): boolean {
  return SAFE_NAME.test(name);
}

/** `name`, quoted and truncated, for messages. */
export function showName(name: string): string {
  return JSON.stringify(truncateForEcho(name, 64));
}

const READ_FLAGS = constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0);

function fileKind(st: Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isSymbolicLink()) return 'a symlink';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

/** An open regular file and its size at open. */
export interface RegularFile {
  handle: fs.FileHandle;
  size: number;
}

/**
 * Opens `file` for reading if it is a regular file (not a symlink, FIFO, device, socket or
 * directory). `what` names it in errors. ENOENT is passed through as is (callers decide).
 */
export async function openRegularFile(file: string, what = path.basename(file)): Promise<RegularFile> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(file, READ_FLAGS);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ELOOP' || code === 'EMLINK') throw new IndexLoadError(`${what} is a symlink; only regular files are read`, 'integrity', { cause: err });
    throw err;
  }
  try {
    const st = await handle.stat();
    if (!st.isFile()) throw new IndexLoadError(`${what} is ${fileKind(st)}, not a regular file`, 'integrity');
    return { handle, size: st.size };
  } catch (err) {
    await handle.close().catch(() => undefined);
    throw err;
  }
}

/**
 * The whole content of a small regular file, refusing anything above `maxBytes` before reading it.
 * Never reads more than maxBytes + 1 bytes even if the file grows meanwhile.
 */
export async function readSmallFile(file: string, maxBytes: number, what = path.basename(file)): Promise<Buffer> {
  const { handle, size } = await openRegularFile(file, what);
  try {
    if (size > maxBytes) throw new IndexLoadError(`${what} has ${size} bytes, more than the ${maxBytes} allowed`, 'integrity');
    const buf = Buffer.alloc(maxBytes + 1);
    let off = 0;
    while (off < buf.length) {
      const { bytesRead } = await handle.read(buf, off, buf.length - off, off);
      if (bytesRead === 0) break;
      off += bytesRead;
    }
    if (off > maxBytes) throw new IndexLoadError(`${what} grew beyond the ${maxBytes} bytes allowed while it was read`, 'integrity');
    return buf.subarray(0, off);
  } finally {
    await handle.close();
  }
}

const HASH_CHUNK = 1 << 20;

/**
 * sha256 of exactly `bytes` bytes of an open file, read in chunks, checking `signal` between them.
 * Throws if the file ends early (it shrank) — never reads past `bytes`.
 */
export async function hashOpenFile(handle: fs.FileHandle, bytes: number, what: string, signal?: AbortSignal): Promise<string> {
  const hash = createHash('sha256');
  const buf = Buffer.allocUnsafe(Math.min(HASH_CHUNK, Math.max(1, bytes)));
  for (let pos = 0; pos < bytes; ) {
    signal?.throwIfAborted();
    const { bytesRead } = await handle.read(buf, 0, Math.min(buf.length, bytes - pos), pos);
    if (bytesRead === 0) throw new IndexLoadError(`${what} ended after ${pos} of ${bytes} bytes (it shrank while it was read)`, 'integrity');
    hash.update(bytesRead === buf.length ? buf : buf.subarray(0, bytesRead));
    pos += bytesRead;
  }
  return hash.digest('hex');
}

/** A path that names the very file behind `handle` (Linux: /proc/self/fd/N), else `fallback`. */
export function pinnedPath(handle: fs.FileHandle, fallback: string): string {
  const proc = `/proc/self/fd/${handle.fd}`;
  return process.platform === 'linux' && existsSync(proc) ? proc : fallback;
}

/** Refuses a version directory that is a symlink or not a directory (lstat: links are not followed). */
export async function assertRealDirectory(dir: string, what: string): Promise<void> {
  const st = await fs.lstat(dir).catch((err: unknown) => {
    throw new IndexLoadError(`${what} is missing or unreadable: ${(err as Error).message}`, 'missing_files', { cause: err });
  });
  if (!st.isDirectory()) throw new IndexLoadError(`${what} is ${fileKind(st)}, not a directory`, 'integrity');
}

/**
 * Lines of a regular file read through its descriptor, at most `maxLineBytes` per line: a longer
 * line is reported as `{ tooLong: true }` (its bytes are skipped, never buffered). Yields after
 * every chunk so that a large file does not hold the event loop. Splits on \n; a final line
 * without \n is returned with `complete: false`.
 */
export async function* boundedLines(
  handle: fs.FileHandle,
  opts: { maxLineBytes: number; chunkBytes?: number; signal?: AbortSignal },
): AsyncGenerator<{ no: number; text: string; complete: boolean } | { no: number; tooLong: true; complete: boolean }> {
  const chunk = Buffer.allocUnsafe(opts.chunkBytes ?? 1 << 20);
  let carry: Buffer[] = [];
  let carryBytes = 0;
  let skipping = false;
  let no = 0;
  let pos = 0;
  for (;;) {
    opts.signal?.throwIfAborted();
    const { bytesRead } = await handle.read(chunk, 0, chunk.length, pos);
    if (bytesRead === 0) break;
    pos += bytesRead;
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(0x0a, start);
      const end = nl < 0 || nl >= bytesRead ? bytesRead : nl;
      const piece = chunk.subarray(start, end);
      if (!skipping) {
        if (carryBytes + piece.length > opts.maxLineBytes) {
          skipping = true;
          carry = [];
          carryBytes = 0;
        } else {
          carry.push(Buffer.from(piece));
          carryBytes += piece.length;
        }
      }
      if (end === bytesRead) break;
      no++;
      if (skipping) yield { no, tooLong: true, complete: true };
      else yield { no, text: Buffer.concat(carry, carryBytes).toString('utf8'), complete: true };
      carry = [];
      carryBytes = 0;
      skipping = false;
      start = end + 1;
    }
  }
  if (skipping) yield { no: no + 1, tooLong: true, complete: false };
  else if (carryBytes > 0) yield { no: no + 1, text: Buffer.concat(carry, carryBytes).toString('utf8'), complete: false };
}

/**
 * Runs `work` with a time limit: after `ms` (or when `outer` aborts) its signal is aborted and this
 * rejects at once, without waiting for work that ignores the signal. What the abandoned work
 * resolves to later goes to `onLate` (to free it).
 */
export async function withTimeout<T>(
  work: (signal: AbortSignal) => Promise<T>,
  ms: number,
  what: string,
  opts: { outer?: AbortSignal | undefined; onLate?: (value: T) => unknown } = {},
): Promise<T> {
  const { outer, onLate } = opts;
  const controller = new AbortController();
  const onOuter = (): void => controller.abort(outer!.reason);
  if (outer?.aborted) onOuter();
  else outer?.addEventListener('abort', onOuter, { once: true });
  let timer: NodeJS.Timeout | undefined;
  if (Number.isFinite(ms) && ms > 0) {
    timer = setTimeout(() => controller.abort(new IndexLoadError(`${what} took longer than ${ms} ms; given up`, 'integrity')), ms);
    timer.unref();
  }
  // The abort reason is passed on as is. Typed Error (AbortSignal types it `any`): ours is an
  // IndexLoadError, and the outer one (index-manager's shutdown) aborts with an Error.
  const reason = (): Error => controller.signal.reason as Error;
  const aborted = new Promise<never>((_, reject) => {
    if (controller.signal.aborted) reject(reason());
    else controller.signal.addEventListener('abort', () => reject(reason()), { once: true });
  });
  const running = work(controller.signal);
  let settled = false;
  try {
    const value = await Promise.race([running, aborted]);
    settled = true;
    return value;
  } finally {
    if (timer) clearTimeout(timer);
    outer?.removeEventListener('abort', onOuter);
    if (!settled) {
      running.then(
        (value) => onLate?.(value),
        () => undefined,
      );
    }
  }
}
