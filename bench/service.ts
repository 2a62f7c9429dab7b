/**
 * `npm run bench:service [-- --ef 64,128 --seconds 8 --concurrency 1,4,16 --window 64 --no-write]`
 * The service over gRPC on loopback, against in-process hnswlib-node searchKnn measured in the
 * same run: the server runs as its own process (tsx src/main.ts, the npm start path) over the
 * 100k corpus published as an index version; a load generator (bench/lib/loadgen.ts, another
 * process) keeps N Match calls in flight, then offers half the peak rate open-loop for p99, then
 * streams BatchMatch with W items in flight, then filtered Match at ~10% and ~1% selectivity.
 * Also the server's RSS against the (vectors + graph) bytes of the index.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import type { CreatorProfile } from '../src/catalog/creator';
import { ARTIFACT_FILES } from '../src/index/manifest';
import { VectorMatrix } from '../src/index/vector-matrix';
import { appendSection, arg, argList, CACHE, corpusFiles, cpuLine, fmt, loadCorpus, MiB, ROOT, row, stamp, table } from './lib/common';
import { ensureHnsw, ensureUsearch, loadRawHnsw } from './lib/indexes';
import { publishBenchIndex } from './lib/publish';
import { timeSingle } from './ann';

const run = promisify(execFile);
const K = 10;

/** CPU seconds (user + system) the process has used so far, from /proc. */
function procCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

function procMem(pid: number): { rss: number; hwm: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string): number => Number(/\d+/.exec(status.split('\n').find((l) => l.startsWith(key)) ?? '0')![0]) * 1024;
  return { rss: kb('VmRSS:'), hwm: kb('VmHWM:') };
}

export async function startServer(indexDir: string, env: Record<string, string>): Promise<{ child: ChildProcess; addr: string }> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--require', 'tsx/cjs', path.join(ROOT, 'src', 'main.ts')], {
    cwd: ROOT,
    // /metrics stays on (as in production) but on a free port, not the default 9464.
    env: { ...process.env, MATCH_INDEX_DIR: indexDir, MATCH_GRPC_ADDR: `127.0.0.1:${port}`, MATCH_METRICS_ADDR: '127.0.0.1:0', LOG_LEVEL: 'warn', MATCH_AUTO_BUILD_SAMPLE: 'false', ...env },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  return { child, addr: `127.0.0.1:${port}` };
}

export async function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

export interface LoadgenResult {
  qps: number;
  calls: number;
  errors: number;
  recall: number;
  shortResults: number;
  p50: number;
  p99: number;
}

export async function loadgen(opts: Record<string, unknown>): Promise<LoadgenResult> {
  const { stdout } = await run(process.execPath, ['--require', 'tsx/cjs', path.join(__dirname, 'lib', 'loadgen.ts'), JSON.stringify(opts)], { cwd: ROOT, maxBuffer: 16 << 20 });
  return JSON.parse(stdout.trim().split('\n').pop()!) as LoadgenResult;
}

async function main(): Promise<void> {
  const c = loadCorpus();
  const dims = c.meta.dims;
  const efs = argList('ef', [64]);
  const backends = (process.argv.includes('--backends') ? process.argv[process.argv.indexOf('--backends') + 1]! : 'hnswlib-node,usearch').split(',');
  const seconds = arg('seconds', 8);
  const concurrencies = argList('concurrency', [1, 4, 16]);
  const window = arg('window', 64);
  const nq = Math.min(arg('queries', 1000), c.meta.queries);
  const built = await ensureHnsw(c);
  const indexDirs = new Map<string, string>();
  for (const b of backends) indexDirs.set(b, await publishBenchIndex(c, b === 'usearch' ? ensureUsearch(c, 'f32').file : built.file, b));
  const raw = await loadRawHnsw(c);
  const arrays = Array.from({ length: nq }, (_, i) => Array.from(row(c.queries, dims, i)));

  // Filters with the catalog's own fields (include_nsfw everywhere, so "none" is truly unfiltered).
  const profiles = readFileSync(corpusFiles(c.dir).profiles, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as CreatorProfile);
  const filters = [
    { name: 'none', spec: { include_nsfw: true }, keep: (_p: CreatorProfile) => true },
    { name: '~10% (4 languages)', spec: { include_nsfw: true, languages: ['fr', 'it', 'pt', 'ja'] }, keep: (p: CreatorProfile) => ['fr', 'it', 'pt', 'ja'].includes(p.language) },
    {
      name: '~1% (1 language x 8 categories)',
      spec: { include_nsfw: true, languages: ['fr'], categories: ['podcasts', 'crafts', 'fitness', 'education', 'history', 'games', 'photography', 'fiction'] },
      keep: (p: CreatorProfile) => p.language === 'fr' && ['podcasts', 'crafts', 'fitness', 'education', 'history', 'games', 'photography', 'fiction'].includes(p.category),
    },
  ];
  const matrix = new VectorMatrix(dims, c.vectors);
  const truthFiles: string[] = [];
  const selectivity: number[] = [];
  for (const [fi, f] of filters.entries()) {
    const allowed = profiles.flatMap((p, l) => (f.keep(p) ? [l] : []));
    selectivity.push(allowed.length / profiles.length);
    const t = new Int32Array(nq * K);
    if (fi > 0) for (let i = 0; i < nq; i++) matrix.search(row(c.queries, dims, i), K, allowed).forEach((h, j) => (t[i * K + j] = h.label));
    const file = path.join(CACHE, `truth-service-filter${fi}-${nq}.i32`);
    await writeFile(file, new Uint8Array(t.buffer));
    truthFiles.push(file);
  }

  const indexBytes = statSync(built.file).size;
  const vectorBytes = c.meta.creators * dims * 4;
  const rows: (string | number)[][] = [];
  const memRows: (string | number)[][] = [];
  const summary: string[] = [];
  for (const backend of backends)
  for (const ef of efs) {
    const indexDir = indexDirs.get(backend)!;
    const usearchBytes = statSync(path.join(indexDir, `bench-${backend}-${c.meta.creators}`, ARTIFACT_FILES.index)).size;
    raw.setEf(ef);
    const ref = timeSingle(nq, (i) => raw.searchKnn(arrays[i]!, K).neighbors);
    const refRecall = recall10(ref.results, c.truth, c.meta.truthK);
    rows.push([`[${backend}] in-process hnswlib-node searchKnn (reference)`, ef, 1, 'none', fmt(refRecall, 3), fmt(ref.qps), '1.00x', fmt(ref.p50, 3), fmt(ref.p99, 3)]);
    const { child, addr } = await startServer(indexDir, { MATCH_EF_SEARCH: String(ef) });
    try {
      const base = { addr, k: K, nq, seconds, filter: filters[0]!.spec };
      let peak = 0;
      const first = await loadgen({ ...base, mode: 'match', concurrency: 1, seconds: 1 }); // waits for readiness
      void first;
      const idle = procMem(child.pid!);
      for (const n of concurrencies) {
        const r = await loadgen({ ...base, mode: 'match', concurrency: n });
        peak = Math.max(peak, r.qps);
        rows.push([`[${backend}] Match over gRPC, ${n} in flight`, ef, n, 'none', fmt(r.recall, 3), fmt(r.qps), `${fmt(r.qps / ref.qps, 2)}x`, fmt(r.p50, 2), fmt(r.p99, 2)]);
      }
      const half = await loadgen({ ...base, mode: 'rate', concurrency: 0, rate: Math.round(peak / 2) });
      rows.push([`[${backend}] Match over gRPC, open loop at half peak (${Math.round(peak / 2)}/s)`, ef, '-', 'none', fmt(half.recall, 3), fmt(half.qps), `${fmt(half.qps / ref.qps, 2)}x`, fmt(half.p50, 2), fmt(half.p99, 2)]);
      const cpu0 = procCpuSeconds(child.pid!);
      const wall0 = performance.now();
      const b = await loadgen({ ...base, mode: 'batch', concurrency: window });
      // Cores the server used during the stream (includes the load generator's start-up, so a slight underestimate).
      const cores = (procCpuSeconds(child.pid!) - cpu0) / ((performance.now() - wall0) / 1000);
      rows.push([`[${backend}] BatchMatch, 1 stream, ${window} in flight (server used ${fmt(cores, 2)} cores)`, ef, window, 'none', fmt(b.recall, 3), fmt(b.qps), `${fmt(b.qps / ref.qps, 2)}x`, fmt(b.p50, 2), fmt(b.p99, 2)]);
      summary.push(
        `${backend}, ef ${ef}: service peak ${fmt(peak)} QPS = ${fmt(peak / ref.qps, 2)}x in-process; p99 at half peak ${fmt(half.p99, 2)} ms; ` +
          `BatchMatch ${fmt(b.qps / ref.qps, 2)}x one in-process thread on ${fmt(cores, 2)} server cores = ${fmt(b.qps / ref.qps / Math.max(1, cores), 2)}x per core used`,
      );
      for (const [fi, f] of filters.entries()) {
        if (fi === 0) continue;
        const r = await loadgen({ ...base, mode: 'match', concurrency: 4, filter: f.spec, truthFile: truthFiles[fi] });
        const unf = rows.find((x) => x[0] === `[${backend}] Match over gRPC, 4 in flight` && x[1] === ef);
        const unfQps = unf ? Number(unf[5]) : NaN;
        rows.push([`[${backend}] Match over gRPC, 4 in flight, filter ${f.name}${r.shortResults ? `, ${r.shortResults} short` : ''}`, ef, 4, `${(selectivity[fi]! * 100).toFixed(2)}%`, fmt(r.recall, 3), fmt(r.qps), `${fmt(r.qps / unfQps, 2)}x unfiltered`, fmt(r.p50, 2), fmt(r.p99, 2)]);
      }
      const after = procMem(child.pid!);
      memRows.push([`service (${backend}${backend === 'usearch' ? ' + VectorMatrix' : ', native addon: one vector copy'}), ef ${ef}; index file ${MiB(usearchBytes)} MiB`, MiB(idle.rss), MiB(after.rss), MiB(after.hwm), MiB(indexBytes), `${fmt(after.rss / indexBytes, 2)}x`]);
    } finally {
      await stopServer(child);
    }
  }

  const lines = [
    `### Service over gRPC — ${stamp()} UTC`,
    '',
    `${cpuLine()}. ${c.meta.creators} creators x ${dims} dims, ${nq} fan-text query vectors cycled, k=${K}, ${seconds} s per row. Server: \`tsx src/main.ts\` in its own process; load generator: another process (@grpc/grpc-js client) on the same 2 cores. ` +
      `Reference: in-process hnswlib-node searchKnn (1 thread) at the same ef, measured in this run. Latencies are client-side round trips.`,
    '',
    ...table(['what', 'ef', 'in flight', 'filter', 'recall@10', 'QPS', 'vs ref', 'p50 ms', 'p99 ms'], rows, ['l', 'r', 'r', 'l', 'r', 'r', 'r', 'r', 'r']),
    '',
    ...summary.map((s) => `- ${s}`),
    '',
    `Memory: (vectors + graph) = index.hnsw ${MiB(indexBytes)} MiB (of which vectors ${MiB(vectorBytes)} MiB). Serving RSS from /proc (no model loaded: provided-vector index).`,
    '',
    ...table(['process', 'RSS idle MiB', 'RSS after load MiB', 'peak RSS MiB', 'vectors+graph MiB', 'RSS / (vectors+graph)'], memRows),
    '',
  ];
  await appendSection('Service', lines);
}

function recall10(results: ArrayLike<number>[], truth: Int32Array, truthK: number): number {
  let hit = 0;
  results.forEach((r, q) => {
    const want = new Set(Array.from(truth.subarray(q * truthK, q * truthK + K)));
    for (let j = 0; j < Math.min(K, r.length); j++) if (want.has(r[j]!)) hit++;
  });
  return hit / (results.length * K);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
