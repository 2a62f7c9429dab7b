/**
 * `npm run bench:build [-- --creators 100000 --n 100000 --threads 1,2 --no-write]` (`--quick`: 10k)
 * Wall time and peak RSS of `index:build` (the real CLI, in its own process) on N precomputed
 * vectors (bring-your-own `vector` lines, so no embedding) with --threads 1 and every core,
 * against python3-hnswlib add_items at equal M / efConstruction / seed on 1 thread and on every
 * core, measured in this run (interleaved: python 1, CLI 1, python N, CLI N). Also the builder's
 * stage seconds from its --json report.
 */
import { execFile } from 'node:child_process';
import { createWriteStream, existsSync, readFileSync } from 'node:fs';
import { once } from 'node:events';
import { mkdtemp, rename, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { arg, argList, boxEnd, boxLine, boxStart, CACHE, commandLine, corpusDir, corpusFiles, creatorsArg, fmt, loadCorpus, MiB, PYTHON, ROOT, row, stamp, table, writeJson, writeSection } from './lib/common';
import { PARAMS } from './lib/indexes';

const run = promisify(execFile);

async function writeInput(file: string, vectors: Float32Array, dims: number, n: number, profilesFile: string): Promise<void> {
  const profiles = readFileSync(profilesFile, 'utf8').split('\n').filter(Boolean);
  const out = createWriteStream(`${file}.tmp`);
  for (let i = 0; i < n; i++) {
    const p = JSON.parse(profiles[i]!) as Record<string, unknown>;
    const v = Array.from(row(vectors, dims, i), (x) => Number(x.toPrecision(7)));
    if (!out.write(`${JSON.stringify({ ...p, about: '', vector: v })}\n`)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  await rename(`${file}.tmp`, file);
}

export interface CliBuild {
  wall: number;
  maxRss: number;
  /** CPU seconds of the whole process (all threads: ONNX Runtime, the libuv pool, V8). */
  cpuSeconds: number;
  /** Whole report (embedding, stage seconds, ...). */
  report: Record<string, unknown>;
  seconds: Record<string, number>;
  recall: number;
  count: number;
}

/** Runs `index:build` as its own process (`node --import tsx index-builder/cli.ts`), with its peak RSS. */
export async function cliBuild(args: string[], env: Record<string, string> = {}): Promise<CliBuild> {
  const out = await mkdtemp(path.join(os.tmpdir(), 'bench-build-'));
  try {
    const t0 = performance.now();
    const res = await run(process.execPath, ['--require', path.join(__dirname, 'lib', 'maxrss.js'), '--import', 'tsx', path.join(ROOT, 'index-builder', 'cli.ts'), ...args, '--out', out, '--json', '--no-progress'], {
      cwd: ROOT,
      maxBuffer: 64 << 20,
      env: { ...process.env, ...env },
    });
    const wall = (performance.now() - t0) / 1000;
    const report = JSON.parse(res.stdout.slice(res.stdout.indexOf('{'))) as { seconds: Record<string, number>; recall: { value: number }; count: number; skipped?: unknown };
    delete report.skipped;
    const maxRss = Number(/BENCH_MAXRSS (\d+)/.exec(res.stderr)?.[1] ?? NaN);
    const cpuSeconds = Number(/BENCH_CPU_SECONDS ([\d.]+)/.exec(res.stderr)?.[1] ?? NaN);
    return { wall, maxRss, cpuSeconds, report, seconds: report.seconds, recall: report.recall.value, count: report.count };
  } finally {
    await rm(out, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const box = boxStart();
  const c = loadCorpus(corpusDir(creatorsArg()));
  const dims = c.meta.dims;
  const n = Math.min(arg('n', c.meta.creators), c.meta.creators);
  const threadsAll = os.cpus().length;
  const threads = argList('threads', [1, threadsAll]);
  const f = corpusFiles(c.dir);
  const input = path.join(CACHE, `build-input-${n}.jsonl`);
  if (!existsSync(input)) await writeInput(input, c.vectors, dims, n, f.profiles);
  const rows: (string | number)[][] = [];
  const json: Record<string, unknown>[] = [];
  let ref = NaN;
  for (const t of threads) {
    const { stdout } = await run(PYTHON, [path.join(__dirname, 'py', 'build.py'), f.vectors, String(dims), String(PARAMS.m), String(PARAMS.efConstruction), String(t), String(n)], { maxBuffer: 1 << 20 });
    const py = JSON.parse(stdout.trim().split('\n').pop()!) as { seconds: number; max_rss: number };
    process.stderr.write(`python3-hnswlib ${t} thread(s): ${py.seconds.toFixed(1)} s\n`);
    if (t === 1) ref = py.seconds;
    const b = await cliBuild(['--input', input, '--recall-sample', '200', '--m', String(PARAMS.m), '--ef-construction', String(PARAMS.efConstruction), '--seed', String(PARAMS.randomSeed), '--threads', String(t)]);
    const stages = Object.entries(b.seconds).map(([stage, s]) => `${stage} ${s.toFixed(1)}`).join(', ');
    process.stderr.write(`index:build --threads ${t}: ${b.wall.toFixed(1)} s wall, peak RSS ${MiB(b.maxRss)} MiB; report seconds: ${stages}\n`);
    const vs = (s: number): string => (Number.isFinite(ref) ? `${fmt(s / ref, 2)}x` : '-');
    rows.push([`python3-hnswlib add_items${t === 1 ? ' (reference)' : ''}`, t, fmt(py.seconds, 1), vs(py.seconds), MiB(py.max_rss)]);
    rows.push([`index:build, whole CLI (parse JSONL + insert + recall + write); recall@10 ${b.recall.toFixed(3)}`, t, fmt(b.wall, 1), vs(b.wall), MiB(b.maxRss)]);
    rows.push([`index:build, insert stage (${stages})`, t, fmt(b.seconds.insert!, 1), vs(b.seconds.insert!), '-']);
    json.push({ threads: t, python: py, cli: { ...b, report: undefined } });
  }
  const end = boxEnd(box);
  const lines = [
    `### Index build with provided vectors (${stamp()} UTC)`,
    '',
    `Command: \`${commandLine('bench:build')}\`. ${boxLine(end)}`,
    '',
    `${n} precomputed ${dims}-d vectors (JSONL \`vector\` lines, 7 significant digits), M=${PARAMS.m}, efConstruction=${PARAMS.efConstruction}, inner product. ` +
      `Reference: python3-hnswlib (Debian) add_items from a float32 file on 1 thread, measured in this run; "vs ref" divides by it. The CLI runs in its own process (\`node --import tsx index-builder/cli.ts\`); its wall time includes Node start-up, parsing the JSONL, the recall check (200 sampled creators) and writing the version. Peak RSS is the process's maxRSS.`,
    '',
    ...table(['what', 'threads', 'seconds', 'vs ref', 'peak RSS MiB'], rows),
    '',
  ];
  await writeJson('build', { box: end, n, dims, params: PARAMS, runs: json });
  await writeSection('build', lines);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
