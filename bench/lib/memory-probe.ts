/** Child of bench/memory.ts: loads one serving component set in a fresh process, prints RSS figures as JSON. */
import { readFileSync } from 'node:fs';
import { Catalog } from '../../src/catalog/catalog';
import { HnswIndex } from '../../src/index/hnsw-index';
import { loadIndexVersion } from '../../src/index/loaded-index';
import { NativeHnswIndex } from '../../src/index/native-hnsw';
import { UsearchIndex, type UsearchScalar } from '../../src/index/usearch-index';
import { VectorMatrix } from '../../src/index/vector-matrix';
import { corpusFiles, type CorpusMeta } from './common';
import { PARAMS } from './indexes';

async function main(): Promise<void> {
  const what = process.argv[2]!;
  const file = process.argv[3]!;
  const gcRss = (): number => {
    (globalThis as { gc?: () => void }).gc?.();
    return process.memoryUsage.rss();
  };
  const base = gcRss();
  const keep: unknown[] = [];
  const f = corpusFiles();
  const meta = JSON.parse(readFileSync(f.meta, 'utf8')) as CorpusMeta;
  if (what.includes('catalog')) {
    // As the service loads it (src/index/loaded-index.ts): the file, in chunks, straight into the columns.
    keep.push(await Catalog.readJsonLinesFile(f.profiles));
  }
  if (what.includes('matrix')) keep.push(await VectorMatrix.readFile(f.vectors, meta.dims, meta.creators));
  if (what.includes('hnswlib')) keep.push(await HnswIndex.load(file, 512));
  if (what === 'native') keep.push(await NativeHnswIndex.load(file, 512));
  // A whole published version as the service loads it (file = the index directory).
  if (what === 'loaded-version') keep.push(await loadIndexVersion(file));
  const m = /usearch-(f32|f16|i8)(-view)?/.exec(what);
  if (m) {
    const u = UsearchIndex.load(file, 512, PARAMS, { scalar: m[1] as UsearchScalar, view: m[2] !== undefined });
    // Touch the whole index the way serving does: search a few hundred random queries.
    const q = new Float32Array(512);
    for (let i = 0; i < 300; i++) {
      for (let j = 0; j < 512; j++) q[j] = Math.sin(i * 31 + j);
      u.search(q, 10, 64);
    }
    keep.push(u);
  }
  if (what.includes('pool-worker')) {
    // What one more BatchMatch worker thread holding its own copy of the index would cost.
    const { Worker } = await import('node:worker_threads');
    const code = `const { parentPort, workerData } = require('node:worker_threads');
      const { HierarchicalNSW } = require(workerData.lib);
      const idx = new HierarchicalNSW('ip', 512);
      idx.readIndex(workerData.file, true).then(() => { idx.setEf(64); idx.searchKnn(new Array(512).fill(0.04), 10); parentPort.postMessage('ready'); });
      setInterval(() => idx.getCurrentCount(), 1 << 30);`;
    const w = new Worker(code, { eval: true, workerData: { file, lib: require.resolve('hnswlib-node') } });
    await new Promise((resolve) => w.once('message', resolve));
    keep.push(w);
  }
  const after = gcRss();
  console.log(JSON.stringify({ what, base, after, delta: after - base, kept: keep.length }));
  process.exit(0);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
