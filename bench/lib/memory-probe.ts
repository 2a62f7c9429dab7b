/** Child of bench/memory.ts: loads one serving component in a fresh process, prints RSS figures as JSON. */
import { readFileSync } from 'node:fs';
import { HierarchicalNSW } from 'hnswlib-node';
import { Catalog } from '../../src/catalog/catalog';
import { createEmbedder } from '../../src/embedding';
import { HnswIndex } from '../../src/index/hnsw-index';
import { loadIndexVersion } from '../../src/index/loaded-index';
import { loadNativeBinding } from '../../src/index/native-binding';
import { corpusFiles, type CorpusMeta } from './common';

async function main(): Promise<void> {
  const [what, file, corpus] = process.argv.slice(2) as [string, string, string];
  // V8 frees array buffers' memory on a background thread after a GC: let it finish.
  const gcRss = async (): Promise<number> => {
    for (let i = 0; i < 2; i++) {
      (globalThis as { gc?: () => void }).gc?.();
      await new Promise((r) => setTimeout(r, 200));
    }
    return process.memoryUsage.rss();
  };
  // Every row starts as the service does: the addon loaded, with the C heap policy it sets.
  loadNativeBinding();
  const base = await gcRss();
  const keep: unknown[] = [];
  const f = corpusFiles(corpus);
  const meta = JSON.parse(readFileSync(f.meta, 'utf8')) as CorpusMeta;
  const q = new Float32Array(meta.dims).fill(1 / Math.sqrt(meta.dims));
  switch (what) {
    case 'none':
      break;
    case 'catalog':
      // As the service loads it (src/index/loaded-index.ts): the file, in chunks, straight into the columns.
      keep.push(await Catalog.readJsonLinesFile(f.profiles));
      break;
    case 'engine': {
      const idx = await HnswIndex.load(file, meta.dims);
      for (let i = 0; i < 300; i++) await idx.search(q, 10, 64);
      keep.push(idx);
      break;
    }
    case 'hnswlib-node': {
      const idx = new HierarchicalNSW('ip', meta.dims);
      await idx.readIndex(file, true);
      keep.push(idx);
      break;
    }
    case 'loaded-version':
      // A whole published version as the service loads it (file = the index directory).
      keep.push(await loadIndexVersion(file));
      break;
    case 'model': {
      const e = createEmbedder({ dtype: 'q8' });
      await e.init();
      await e.embed(['warm the session up with one short text']);
      keep.push(e);
      break;
    }
    default:
      throw new Error(`unknown probe ${what}`);
  }
  const after = await gcRss();
  console.log(JSON.stringify({ what, base, after, delta: after - base, kept: keep.length }));
  process.exit(0);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
