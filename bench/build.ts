/**
 * `npm run bench:build [-- --n 100000 --no-write]`
 * Wall time and peak RSS of `index:build` (the real CLI, in its own process) on N precomputed
 * vectors (bring-your-own `vector` lines, so no embedding), against python3-hnswlib add_items at
 * equal M / efConstruction on 1 thread and on all cores, measured in this run. Also the builder's
 * own insert stage (from its --json report) and usearch's multi-threaded add.
 */
import { execFile } from 'node:child_process';
import { createWriteStream, existsSync } from 'node:fs';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { UsearchIndex } from '../src/index/usearch-index';
import { VectorMatrix } from '../src/index/vector-matrix';
import { appendSection, arg, CACHE, corpusFiles, cpuLine, fmt, loadCorpus, MiB, PYTHON, ROOT, row, stamp, table } from './lib/common';
import { PARAMS } from './lib/indexes';

const run = promisify(execFile);

async function writeInput(file: string, vectors: Float32Array, dims: number, n: number, profilesFile: string): Promise<void> {
  const { readFileSync } = await import('node:fs');
  const profiles = readFileSync(profilesFile, 'utf8').split('\n').filter(Boolean);
  const out = createWriteStream(file);
  for (let i = 0; i < n; i++) {
    const p = JSON.parse(profiles[i]!) as Record<string, unknown>;
    const v = Array.from(row(vectors, dims, i), (x) => Number(x.toPrecision(7)));
    if (!out.write(`${JSON.stringify({ ...p, about: '', vector: v })}\n`)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

async function main(): Promise<void> {
  const c = loadCorpus();
  const dims = c.meta.dims;
  const n = Math.min(arg('n', c.meta.creators), c.meta.creators);
  const threadsAll = os.cpus().length;
  const f = corpusFiles(c.dir);
  const input = path.join(CACHE, `build-input-${n}.jsonl`);
  if (!existsSync(input)) await writeInput(input, c.vectors, dims, n, f.profiles);
  const rows: (string | number)[][] = [];

  const py: { seconds: number; max_rss: number }[] = [];
  for (const t of [1, threadsAll]) {
    const { stdout } = await run(PYTHON, [path.join(__dirname, 'py', 'build.py'), f.vectors, String(dims), String(PARAMS.m), String(PARAMS.efConstruction), String(t), String(n)], { maxBuffer: 1 << 20 });
    py.push(JSON.parse(stdout.trim().split('\n').pop()!) as { seconds: number; max_rss: number });
    process.stderr.write(`python3-hnswlib ${t} thread(s): ${py[py.length - 1]!.seconds.toFixed(1)} s\n`);
  }
  const ref = py[0]!.seconds;
  rows.push(['python3-hnswlib add_items (reference)', 1, fmt(py[0]!.seconds, 1), '1.00x', MiB(py[0]!.max_rss)]);
  rows.push(['python3-hnswlib add_items', threadsAll, fmt(py[1]!.seconds, 1), `${fmt(py[1]!.seconds / ref, 2)}x`, MiB(py[1]!.max_rss)]);

  const out = await mkdtemp(path.join(os.tmpdir(), 'bench-build-'));
  try {
    const t0 = performance.now();
    const res = await run(
      process.execPath,
      ['--require', path.join(__dirname, 'lib', 'maxrss.js'), '--require', 'tsx/cjs', path.join(ROOT, 'index-builder', 'cli.ts'), '--input', input, '--out', out, '--json', '--no-progress', '--recall-sample', '200', '--m', String(PARAMS.m), '--ef-construction', String(PARAMS.efConstruction)],
      { cwd: ROOT, maxBuffer: 64 << 20 },
    );
    const wall = (performance.now() - t0) / 1000;
    const report = JSON.parse(res.stdout.slice(res.stdout.indexOf('{'))) as { seconds: Record<string, number>; recall: { value: number } };
    const maxRss = Number(/BENCH_MAXRSS (\d+)/.exec(res.stderr)?.[1] ?? NaN);
    const stages = Object.entries(report.seconds).map(([stage, s]) => `${stage} ${s.toFixed(1)}`).join(', ');
    process.stderr.write(`index:build: ${wall.toFixed(1)} s wall, peak RSS ${MiB(maxRss)} MiB; report seconds: ${stages}\n`);
    rows.push(['index:build, whole CLI (read JSONL + insert + recall + write)', 1, fmt(wall, 1), `${fmt(wall / ref, 2)}x`, MiB(maxRss)]);
    const insert = report.seconds.insert ?? NaN;
    rows.push([`index:build, insert stage (HnswIndex.build); recall@10 ${report.recall.value.toFixed(3)}`, 1, fmt(insert, 1), `${fmt(insert / ref, 2)}x`, '-']);
  } finally {
    await rm(out, { recursive: true, force: true });
  }

  const matrix = new VectorMatrix(dims, c.vectors.subarray(0, n * dims));
  for (const t of [1, threadsAll]) {
    const t0 = performance.now();
    const u = UsearchIndex.build(matrix, PARAMS, { threads: t });
    const secs = (performance.now() - t0) / 1000;
    u.close();
    rows.push(['usearch f32 add (in-process)', t, fmt(secs, 1), `${fmt(secs / ref, 2)}x`, '-']);
  }

  const lines = [
    `### Build — ${stamp()} UTC`,
    '',
    `${cpuLine()}. ${n} precomputed ${dims}-d vectors, M=${PARAMS.m}, efConstruction=${PARAMS.efConstruction}, inner product. Reference: python3-hnswlib (Debian) add_items on 1 thread, measured in this run. Peak RSS is the process's maxRSS.`,
    '',
    ...table(['what', 'threads', 'seconds', 'vs ref', 'peak RSS MiB'], rows),
    '',
  ];
  await appendSection('Index build', lines);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
