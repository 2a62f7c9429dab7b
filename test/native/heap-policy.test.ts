import { spawnSync } from 'node:child_process';
import path from 'node:path';

const ADDON = path.join(__dirname, '../../native/build/Release/hnsw_native.node');

/**
 * In a fresh process: loads the addon, frees one 8 MiB block (which raises glibc's dynamic mmap
 * threshold when the addon has not fixed it), then allocates 48 blocks of 4 MiB, touches them and
 * frees all but the last. Prints the heap policy and how much RSS the freed blocks still hold.
 */
function heldAfterFree(env: NodeJS.ProcessEnv): { policy: string; heldMiB: number } {
  // V8 frees array buffers' memory on a background thread after a GC: wait a little for it.
  const script = `
    const addon = require(${JSON.stringify(ADDON)});
    const settle = () => new Promise((r) => setTimeout(r, 200));
    const rss = async () => { global.gc(); await settle(); global.gc(); await settle(); return process.memoryUsage().rss / 1048576; };
    (async () => {
      let first = Buffer.allocUnsafeSlow(8 << 20); first.fill(1); first = undefined; await rss();
      const before = await rss();
      let blocks = Array.from({ length: 48 }, () => { const b = Buffer.allocUnsafeSlow(4 << 20); b.fill(2); return b; });
      const last = blocks[47];
      blocks = undefined;
      const held = (await rss()) - before - 4;
      console.log(JSON.stringify({ policy: addon.heapPolicy, heldMiB: held, keep: last.length }));
    })();`;
  const r = spawnSync(process.execPath, ['--expose-gc', '-e', script], { env: { ...process.env, ...env }, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`child failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as { policy: string; heldMiB: number };
}

const glibc = Boolean((process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)?.header?.glibcVersionRuntime);

(glibc ? describe : describe.skip)('the C heap policy the addon sets when it loads (glibc)', () => {
  it('returns large freed blocks to the system at once; MALLOC_MMAP_THRESHOLD_ in the environment is left to rule', () => {
    const fixed = heldAfterFree({ MALLOC_MMAP_THRESHOLD_: undefined });
    expect(fixed.policy).toBe('mmap-threshold-131072');
    expect(fixed.heldMiB).toBeLessThan(32);
    // glibc's default behaviour, forced through its own variable: the freed 4 MiB blocks stay in the heap.
    const dynamic = heldAfterFree({ MALLOC_MMAP_THRESHOLD_: String(32 << 20) });
    expect(dynamic.policy).toBe('environment');
    expect(dynamic.heldMiB).toBeGreaterThan(150);
  });
});
