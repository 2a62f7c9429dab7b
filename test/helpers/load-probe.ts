/**
 * Child-process probe for hostile-file tests: loads an index version the way the service does
 * (loadIndexVersion: manifest, file checks, catalog, the native addon) and prints one JSON line,
 * `{"ok":true,...}` or `{"ok":false,"message":...}`. Run in its own process so that a native crash
 * (SIGSEGV) or a hang is seen by the test as a signal or a timeout, not as a dead jest worker.
 *
 *   node --import tsx test/helpers/load-probe.ts <indexDir> [version]
 */
import { loadIndexVersion } from '../../src/index/loaded-index';
import { readCurrent } from '../../src/index/manifest';

async function main(): Promise<void> {
  const [indexDir, version] = process.argv.slice(2);
  if (version === '--current') {
    const current = await readCurrent(indexDir!);
    process.stdout.write(JSON.stringify({ ok: true, current: current ?? null }) + '\n');
    return;
  }
  const loaded = await loadIndexVersion(indexDir!, version || undefined);
  const result = { ok: true, version: loaded.version, count: loaded.catalog.size, size: loaded.hnsw.size, rss: process.memoryUsage().rss };
  await loaded.hnsw.close();
  process.stdout.write(JSON.stringify(result) + '\n');
}

main().catch((err: unknown) => {
  process.stdout.write(JSON.stringify({ ok: false, message: String((err as Error)?.message ?? err), rss: process.memoryUsage().rss }) + '\n');
});
