import { promises as fs } from 'node:fs';
import path from 'node:path';

/**
 * `mkdir -p` that cannot loop. Node's `fs.mkdir(dir, { recursive: true })` never returns when
 * mkdir(2) answers ENOENT for a directory whose parent exists (procfs: `--out /proc/x` hung the
 * builder forever); this creates one component at a time and fails with that error instead.
 */
export async function mkdirp(dir: string): Promise<void> {
  const target = path.resolve(dir);
  const missing: string[] = [];
  for (let d = target; ; d = path.dirname(d)) {
    const st = await fs.stat(d).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return undefined;
      throw err;
    });
    if (st) {
      if (!st.isDirectory()) throw Object.assign(new Error(`ENOTDIR: not a directory, mkdir '${d}'`), { code: 'ENOTDIR' });
      break;
    }
    missing.push(d);
    if (path.dirname(d) === d) break;
  }
  for (const d of missing.reverse()) {
    await fs.mkdir(d).catch(async (err: NodeJS.ErrnoException) => {
      if (err.code === 'EEXIST' && (await fs.stat(d)).isDirectory()) return;
      throw err;
    });
  }
}
