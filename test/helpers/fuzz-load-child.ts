/**
 * Child process of the corrupted-index fuzz test: loads each listed version like the service
 * (loadIndexVersion), and for a version that loads, searches it (ANN, exact with a bitset,
 * vectors). Prints one JSON line per case: {"i":n,"ok":bool,"message"?:...}. A native crash shows
 * as a signal in the test, with the last printed case telling which variant did it.
 *
 *   node --import tsx test/helpers/fuzz-load-child.ts <cases.json>
 *   cases.json: [{"indexDir": "...", "version": "..."}, ...]
 */
import { readFileSync } from 'node:fs';
import { loadIndexVersion } from '../../src/index/loaded-index';

async function main(): Promise<void> {
  const cases = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as Array<{ indexDir: string; version: string }>;
  for (const [i, c] of cases.entries()) {
    process.stdout.write(JSON.stringify({ i, start: true }) + '\n');
    try {
      const loaded = await loadIndexVersion(c.indexDir, c.version);
      try {
        const dims = loaded.manifest.dims;
        const count = loaded.hnsw.size;
        for (let q = 0; q < 5; q++) {
          const query = Float32Array.from({ length: dims }, (_, d) => Math.sin(q * 13 + d));
          let sq = 0;
          for (const x of query) sq += x * x;
          for (let d = 0; d < dims; d++) query[d]! /= Math.sqrt(sq);
          await loaded.hnsw.search(query, 10, 40);
          await loaded.hnsw.search(query, 5, 0, { exact: true, bitset: new Uint8Array(Math.ceil(loaded.catalog.labelCount / 8)).fill(0x55) });
        }
        await loaded.hnsw.vectors([0, Math.floor(count / 2), count - 1, count + 5]);
      } finally {
        await loaded.hnsw.close();
      }
      process.stdout.write(JSON.stringify({ i, ok: true }) + '\n');
    } catch (err) {
      process.stdout.write(JSON.stringify({ i, ok: false, message: String((err as Error).message).slice(0, 300) }) + '\n');
    }
  }
  process.stdout.write(JSON.stringify({ done: cases.length }) + '\n');
}

void main();
