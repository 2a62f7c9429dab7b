/**
 * `npm run bench:memory [-- --creators 100000 --no-write]` (`--quick`: 10k)
 * What each serving component costs in RSS, each loaded in a fresh process (node --expose-gc,
 * RSS after GC minus RSS before), against the (vectors + graph) bytes of the index file.
 * The service's own RSS under load is in the Service section (bench:service).
 */
import { execFile } from 'node:child_process';
import { statSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { boxEnd, boxLine, boxStart, commandLine, corpusDir, creatorsArg, fmt, loadCorpus, MiB, ROOT, stamp, table, writeJson, writeSection } from './lib/common';
import { ensureHnsw } from './lib/indexes';
import { publishBenchIndex } from './lib/publish';

const run = promisify(execFile);

async function main(): Promise<void> {
  const box = boxStart();
  const c = loadCorpus(corpusDir(creatorsArg()));
  const hnsw = (await ensureHnsw(c)).file;
  const published = await publishBenchIndex(c);
  const vg = statSync(hnsw).size;
  const vectors = c.meta.creators * c.meta.dims * 4;
  const probes: [string, string, string][] = [
    ['node baseline (nothing loaded)', 'none', ''],
    [`catalog (${c.meta.creators} profiles, Catalog)`, 'catalog', ''],
    ['our engine: HnswIndex.load (graph + the one copy of the vectors)', 'engine', hnsw],
    ['hnswlib-node readIndex of the same file (reference)', 'hnswlib-node', hnsw],
    ['a published version as the service loads it (loadIndexVersion: engine + catalog)', 'loaded-version', published.dir],
    ['the default model, q8, one ONNX session (text queries)', 'model', ''],
  ];
  const rows: (string | number)[][] = [];
  const json: Record<string, unknown>[] = [];
  for (const [label, what, file] of probes) {
    const { stdout } = await run(process.execPath, ['--expose-gc', '--import', 'tsx', path.join(__dirname, 'lib', 'memory-probe.ts'), what, file, c.dir], { cwd: ROOT, maxBuffer: 1 << 20 });
    const r = JSON.parse(stdout.trim().split('\n').pop()!) as { base: number; after: number; delta: number };
    rows.push([label, file && statSync(file).isFile() ? MiB(statSync(file).size) : '-', MiB(r.delta), MiB(r.after), `${fmt(r.after / vg, 2)}x`]);
    json.push({ label, what, ...r });
  }
  const end = boxEnd(box);
  const lines = [
    `### Memory by component (${stamp()} UTC)`,
    '',
    `Command: \`${commandLine('bench:memory')}\`. ${boxLine(end)}`,
    '',
    `${c.meta.creators} x ${c.meta.dims} f32 vectors = ${MiB(vectors)} MiB; (vectors + graph) = the hnswlib-format index file, ${MiB(vg)} MiB. Each row is a fresh process (\`node --expose-gc --import tsx\`); "added" is RSS after loading (and GC) minus the process's RSS before.`,
    '',
    ...table(['component', 'file MiB', 'RSS added MiB', 'process RSS MiB', 'process RSS / (vectors + graph)'], rows),
    '',
  ];
  await writeJson('memory', { box: end, corpus: c.meta, indexBytes: vg, rows: json });
  await writeSection('memory', lines);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
