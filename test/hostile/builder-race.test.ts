/**
 * Two builders publishing into one index directory with --keep (item 7): CURRENT must always name
 * a version that exists, whatever the interleaving, and a builder that succeeds has its version
 * published or kept. In one process (async interleavings, many rounds) and across processes.
 */
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { buildIndex } from '../../index-builder/build-index';
import os from 'node:os';
import { INDEX_LOCK_FILE, withIndexDirLock } from '../../src/index/index-lock';
import { readCurrent } from '../../src/index/manifest';
import { ROOT } from '../helpers/child';
import { tempDir, waitFor, writeJsonl } from '../helpers/server';
import { syntheticCreators } from '../helpers/synthetic';

let dir: string;
beforeAll(async () => {
  dir = await tempDir('creator-match-race-');
  await writeJsonl(path.join(dir, 'a.jsonl'), syntheticCreators(60, 8, 1));
  await writeJsonl(path.join(dir, 'b.jsonl'), syntheticCreators(80, 8, 2));
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

async function currentExists(out: string): Promise<{ current: string | undefined; exists: boolean }> {
  const current = await readCurrent(out);
  const exists = current !== undefined && (await fs.stat(path.join(out, current)).then((s) => s.isDirectory(), () => false));
  return { current, exists };
}

describe('concurrent builders with --keep', () => {
  it('in one process, 12 rounds of two concurrent builds: CURRENT always names an existing version', async () => {
    const out = path.join(dir, 'inproc');
    const opts = (f: string) => ({ input: path.join(dir, f), out, recallSample: 20, minRecall: 0, keep: 1, threads: 1 });
    for (let round = 0; round < 12; round++) {
      const results = await Promise.allSettled([buildIndex(opts('a.jsonl')), buildIndex(opts('b.jsonl'))]);
      const state = await currentExists(out);
      expect({ round, exists: state.exists }).toEqual({ round, exists: true });
      // Every build that reported success left CURRENT on an existing version.
      for (const r of results) if (r.status === 'rejected') throw r.reason;
    }
  });

  it('across processes: a builder CLI waits while another process holds the index-dir lock, then publishes', async () => {
    const out = path.join(dir, 'procs');
    await fs.mkdir(out, { recursive: true });
    let release!: () => void;
    const holding = withIndexDirLock(out, () => new Promise<void>((resolve) => (release = resolve)));
    const exited = runCli(['--input', path.join(dir, 'a.jsonl'), '--out', out]);
    let code: number | null | undefined;
    void exited.then((c) => (code = c));
    // The builder writes its version under a temp name, then waits for the lock to rename it into place.
    const tmp = async () => (await fs.readdir(out)).filter((e) => e.startsWith('.tmp-'));
    await waitFor(async () => (await tmp()).length > 0 && (await fs.readdir(path.join(out, (await tmp())[0]!)).catch((): string[] => [])).includes('manifest.json'), 60_000, 'the builder to write its version');
    await new Promise((r) => setTimeout(r, 1500));
    expect(code).toBeUndefined();
    expect(await readCurrent(out)).toBeUndefined();
    expect((await fs.readdir(out)).filter((e) => /^\d/.test(e))).toEqual([]);
    release();
    await holding;
    expect(await exited).toBe(0);
    expect(await currentExists(out)).toMatchObject({ exists: true });
  });

  it('a lock left by a dead process is taken over at once', async () => {
    const out = path.join(dir, 'stale');
    await fs.mkdir(out, { recursive: true });
    const dead = spawn(process.execPath, ['-e', '0']);
    await new Promise((r) => dead.once('exit', r));
    await fs.writeFile(path.join(out, INDEX_LOCK_FILE), JSON.stringify({ pid: dead.pid, host: os.hostname(), at: new Date().toISOString(), nonce: 'x' }));
    expect(await runCli(['--input', path.join(dir, 'b.jsonl'), '--out', out])).toBe(0);
    expect(await currentExists(out)).toMatchObject({ exists: true });
    await expect(fs.stat(path.join(out, INDEX_LOCK_FILE))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

function runCli(args: string[]): Promise<number | null> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'index-builder/cli.ts', ...args, '--keep', '1', '--min-recall', '0', '--recall-sample', '20', '--no-progress'], {
      cwd: ROOT,
      stdio: 'ignore',
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}
