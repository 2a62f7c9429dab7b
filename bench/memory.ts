/**
 * `npm run bench:memory [-- --no-write]`
 * What each serving component costs in RSS, each loaded in a fresh process (node --expose-gc,
 * RSS after GC minus RSS before), against the (vectors + graph) bytes of the index file.
 * The service's own RSS under load is in the Service section (bench:service).
 */
import { execFile } from 'node:child_process';
import { statSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { appendSection, cpuLine, fmt, loadCorpus, MiB, ROOT, stamp, table } from './lib/common';
import { ensureHnsw, ensureUsearch } from './lib/indexes';
import { publishBenchIndex } from './lib/publish';

const run = promisify(execFile);

async function main(): Promise<void> {
  const c = loadCorpus();
  const hnsw = (await ensureHnsw(c)).file;
  const versionDir = await publishBenchIndex(c, hnsw);
  const us = { f32: ensureUsearch(c, 'f32').file, f16: ensureUsearch(c, 'f16').file, i8: ensureUsearch(c, 'i8').file };
  const vg = statSync(hnsw).size;
  const vectors = c.meta.creators * c.meta.dims * 4;
  const probes: [string, string, string][] = [
    ['node baseline (nothing loaded)', 'none', ''],
    ['catalog (100k profiles, Catalog)', 'catalog', ''],
    ['VectorMatrix f32 (exact paths, like_creators)', 'matrix', ''],
    ['hnswlib-node index (readIndex)', 'hnswlib', hnsw],
    ['before: hnswlib-node + VectorMatrix + catalog', 'hnswlib+matrix+catalog', hnsw],
    ['native addon index (NativeHnswIndex.load; exact paths read its vectors)', 'native', hnsw],
    ['service now: a published version as loadIndexVersion loads it (native index + catalog)', 'loaded-version', versionDir],
    ['one worker thread holding its own hnswlib-node index (pool cost per worker)', 'pool-worker', hnsw],
    ['usearch f32 (load)', 'usearch-f32', us.f32],
    ['usearch f32 (view = mmap)', 'usearch-f32-view', us.f32],
    ['usearch f16 (load)', 'usearch-f16', us.f16],
    ['usearch i8 (load)', 'usearch-i8', us.i8],
    ['usearch i8 + VectorMatrix f32 + catalog', 'usearch-i8+matrix+catalog', us.i8],
  ];
  const rows: (string | number)[][] = [];
  for (const [label, what, file] of probes) {
    const { stdout } = await run(process.execPath, ['--expose-gc', '--require', 'tsx/cjs', path.join(__dirname, 'lib', 'memory-probe.ts'), what, file], { cwd: ROOT, maxBuffer: 1 << 20 });
    const r = JSON.parse(stdout.trim().split('\n').pop()!) as { base: number; after: number; delta: number };
    rows.push([label, file && statSync(file).isFile() ? MiB(statSync(file).size) : '-', MiB(r.delta), MiB(r.after), `${fmt(r.after / vg, 2)}x`]);
  }
  const lines = [
    `### Memory — ${stamp()} UTC`,
    '',
    `${cpuLine()}. ${c.meta.creators} x ${c.meta.dims} f32 vectors = ${MiB(vectors)} MiB; (vectors + graph) = the hnswlib index file, ${MiB(vg)} MiB. Each row is a fresh process; "added" is RSS after loading (and GC) minus the process's RSS before.`,
    '',
    ...table(['component', 'file MiB', 'RSS added MiB', 'process RSS MiB', 'process RSS / (vectors + graph)'], rows),
    '',
  ];
  await appendSection('Memory', lines);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
