/**
 * `npm run bench:clusters`: Match by vector over gRPC against Debian's python3-hnswlib on one
 * thread, at equal recall@10 >= 0.95, on synthetic clustered vectors (the acceptance set of the
 * performance issue: 50,000 512-d unit vectors drawn around 2,000 random centres, where one
 * python3-hnswlib search at recall 0.95 costs about half a millisecond).
 *
 *   npm run bench:clusters [-- --n 50000 --clusters 2000 --spread 1.8 --queries 1000 --seconds 8
 *                             --efs 16,24,32,48,64,96,128 --in-flight 8] [--quick] [--no-write]
 *
 * Every vector is normalise(centre + spread * g / sqrt(dims)), g standard normal, centre a random
 * unit vector; queries come from the same distribution. The truth is exact (numpy). The builder's
 * own path (publishVersion, M 16, efConstruction 200) builds one graph; python3-hnswlib loads that
 * very file (same format) and searches it one query per call on one thread; the compiled service
 * serves it once per ef (MATCH_EF_SEARCH) and the load generator keeps `in-flight` Match calls
 * open over one grpc-js channel. Both sides then use their smallest ef reaching recall 0.95.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { CreatorProfile } from '../src/catalog/creator';
import { ARTIFACT_FILES, readCurrent } from '../src/index/manifest';
import { mulberry32 } from '../src/util/mulberry32';
import { arg, argList, boxEnd, boxLine, boxStart, CACHE, commandLine, fmt, PYTHON, QUICK, stamp, table, writeJson, writeSection } from './lib/common';
import { PARAMS } from './lib/indexes';
import { publishProvided } from './lib/publish';
import { loadgen, serve, SERVER_COMMAND } from './lib/service-run';

const K = 10;
const TARGET_RECALL = 0.95;

interface Row {
  ef: number;
  recall: number;
  qps: number;
  p50: number;
  p99: number;
}

/** `count` x `dims` unit vectors: normalise(centre + spread * g / sqrt(dims)) around a random one of the `clusters` centres, or normalise(g) without centres. */
function clustered(rand: () => number, centres: Float32Array | undefined, clusters: number, count: number, dims: number, spread: number): Float32Array {
  let spare: number | undefined;
  const gauss = (): number => {
    if (spare !== undefined) {
      const s = spare;
      spare = undefined;
      return s;
    }
    const r = Math.sqrt(-2 * Math.log(rand() + 1e-300));
    const t = 2 * Math.PI * rand();
    spare = r * Math.sin(t);
    return r * Math.cos(t);
  };
  const out = new Float32Array(count * dims);
  const scale = centres ? spread / Math.sqrt(dims) : 1;
  for (let i = 0; i < count; i++) {
    const c = Math.floor(rand() * clusters) * dims; // drawn for every row (the stream stays the same)
    let norm = 0;
    for (let d = 0; d < dims; d++) {
      const x = (centres ? centres[c + d]! : 0) + scale * gauss();
      out[i * dims + d] = x;
      norm += x * x;
    }
    norm = Math.sqrt(norm) || 1;
    for (let d = 0; d < dims; d++) out[i * dims + d]! /= norm;
  }
  return out;
}

function python(script: string, args: string[]): string {
  const r = spawnSync(PYTHON, [path.join(__dirname, 'py', script), ...args], { encoding: 'utf8', maxBuffer: 64 << 20, stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.status !== 0) throw new Error(`bench/py/${script} failed (${r.status}): install python3-hnswlib python3-faiss python3-numpy\n${r.stderr}`);
  return r.stdout;
}

async function main(): Promise<void> {
  const box = boxStart();
  const n = arg('n', QUICK ? 10_000 : 50_000);
  const clusters = arg('clusters', QUICK ? 400 : 2_000);
  const spread = arg('spread', 1.8);
  const nq = arg('queries', 1_000);
  const dims = arg('dims', 512);
  const seconds = arg('seconds', QUICK ? 3 : 8);
  const inFlight = arg('in-flight', 8);
  const efs = argList('efs', [16, 24, 32, 48, 64, 96, 128]);

  // The corpus directory in the load generator's format (meta.json, queries.f32, truth.i32).
  const seed = arg('seed', 7);
  const dir = path.join(CACHE, `clusters-${n}-${clusters}-${spread}-${dims}-${nq}-seed${seed}`);
  const files = { vectors: path.join(dir, 'vectors.f32'), queries: path.join(dir, 'queries.f32'), truth: path.join(dir, 'truth.i32'), meta: path.join(dir, 'meta.json') };
  const rand = mulberry32(seed);
  const centres = clustered(rand, undefined, clusters, clusters, dims, 1);
  const vectors = clustered(rand, centres, clusters, n, dims, spread);
  const queries = clustered(rand, centres, clusters, nq, dims, spread);
  if (!existsSync(files.meta)) {
    await mkdir(dir, { recursive: true });
    await writeFile(files.vectors, new Uint8Array(vectors.buffer));
    await writeFile(files.queries, new Uint8Array(queries.buffer));
    python('truth.py', [files.vectors, files.queries, files.truth, String(dims), String(K)]);
    await writeFile(files.meta, JSON.stringify({ creators: n, queries: nq, dims, truthK: K, model: 'synthetic clusters', revision: `clusters ${clusters} spread ${spread}`, dtype: 'fp32', queryEmbedding: 'single' }));
  }

  // One graph, built the way index:build builds it.
  const out = path.join(CACHE, `clusters-index-${n}`);
  await rm(out, { recursive: true, force: true });
  const profiles: CreatorProfile[] = Array.from({ length: n }, (_, i) => ({ id: `cr_${String(i + 1).padStart(6, '0')}`, name: `Creator ${i + 1}`, category: `c${i % 16}`, tags: [], language: 'en', is_nsfw: false }));
  const t0 = performance.now();
  await publishProvided(out, profiles, dims, vectors, 'bench-clusters');
  const buildSeconds = (performance.now() - t0) / 1000;
  const indexFile = path.join(out, (await readCurrent(out))!, ARTIFACT_FILES.index);
  process.stderr.write(`built ${n} in ${buildSeconds.toFixed(1)} s (${fmt(statSync(indexFile).size / 2 ** 20)} MiB)\n`);

  // python3-hnswlib on that very file, one thread, one query per call (the server idles: none runs yet).
  const cfg = { vectors: files.vectors, queries: files.queries, truth: files.truth, dims, k: K, truth_k: K, efs, threads: [1], hnsw_index: indexFile, faiss_hnsw: false };
  const py: Row[] = python('ann.py', [JSON.stringify(cfg)])
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { ef: number; recall: number; qps: number; p50_ms: number; p99_ms: number })
    .map((r) => ({ ef: r.ef, recall: r.recall, qps: r.qps, p50: r.p50_ms, p99: r.p99_ms }));

  // The service, one server per ef, up to the first ef past the target recall.
  const svc: Row[] = [];
  for (const ef of efs) {
    const { server } = await serve(out, { MATCH_EF_SEARCH: String(ef) });
    try {
      const base = { addr: server.addr, k: K, nq, creators: n, corpus: dir, filter: { include_nsfw: true } };
      await loadgen({ ...base, mode: 'match', concurrency: inFlight, seconds: 1 });
      const r = await loadgen({ ...base, mode: 'match', concurrency: inFlight, seconds });
      svc.push({ ef, recall: r.recall, qps: r.qps, p50: r.p50, p99: r.p99 });
      process.stderr.write(`service ef ${ef}: ${JSON.stringify(svc[svc.length - 1])}\n`);
    } finally {
      await server.stop();
    }
    if (svc[svc.length - 1]!.recall >= TARGET_RECALL && svc.filter((r) => r.recall >= TARGET_RECALL).length >= 2) break;
  }
  await rm(out, { recursive: true, force: true });
  const end = boxEnd(box);

  const first = (rows: Row[]): Row | undefined => rows.find((r) => r.recall >= TARGET_RECALL);
  const p = first(py);
  const s = first(svc);
  const ratio = p && s ? s.qps / p.qps : NaN;
  const byEf = new Map(py.map((r) => [r.ef, r]));
  await writeJson('clusters', { box: end, n, dims, clusters, spread, queries: nq, inFlight, params: PARAMS, buildSeconds, python: py, service: svc, summary: { pythonEf: p?.ef ?? NaN, pythonQps: p?.qps ?? NaN, pythonRecall: p?.recall ?? NaN, serviceEf: s?.ef ?? NaN, serviceQps: s?.qps ?? NaN, serviceRecall: s?.recall ?? NaN, serviceP50: s?.p50 ?? NaN, serviceP99: s?.p99 ?? NaN, ratio } });
  const lines = [
    `### Match by vector vs python3-hnswlib on clustered vectors (${stamp()} UTC)`,
    '',
    `Command: \`${commandLine('bench:clusters')}\`. ${boxLine(end)}`,
    '',
    `${n.toLocaleString('en')} ${dims}-d unit vectors around ${clusters.toLocaleString('en')} random centres (spread ${spread}), ${nq} queries from the same distribution, exact truth. One graph (M ${PARAMS.m}, efC ${PARAMS.efConstruction}; builder ${fmt(buildSeconds, 1)} s): python3-hnswlib searches that file (1 thread, 1 query per call); \`${SERVER_COMMAND}\` serves it at MATCH_EF_SEARCH = ef, ${inFlight} calls in flight over one grpc-js channel, the load generator on the same cores, ${seconds} s per ef:`,
    '',
    ...table(
      ['ef', 'python3-hnswlib recall@10', 'QPS', 'service recall@10', 'QPS', 'vs python', 'p50 ms', 'p99 ms'],
      svc.map((r) => {
        const q = byEf.get(r.ef);
        return [r.ef, fmt(q?.recall ?? NaN, 3), fmt(q?.qps ?? NaN), fmt(r.recall, 3), fmt(r.qps), q ? `${fmt(r.qps / q.qps, 2)}x` : '-', fmt(r.p50, 2), fmt(r.p99, 2)];
      }),
      ['r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
    ),
    '',
    p && s
      ? `- At recall@10 ≥ ${TARGET_RECALL} (each side's smallest ef reaching it): service ${fmt(s.qps)} QPS at ef ${s.ef} (recall ${fmt(s.recall, 3)}, p50 ${fmt(s.p50, 2)} ms, p99 ${fmt(s.p99, 2)} ms) vs python3-hnswlib ${fmt(p.qps)} QPS at ef ${p.ef} (recall ${fmt(p.recall, 3)}, ${fmt(1000 / p.qps, 3)} ms per search) = **${fmt(ratio, 2)}x** (target ≥ 0.8x; the server searches on both cores, python on one).`
      : `- Recall ${TARGET_RECALL} was not reached within ef ${efs.join(', ')} (python: ${p ? 'yes' : 'no'}, service: ${s ? 'yes' : 'no'}): pass larger --efs.`,
  ];
  await writeSection('clusters', lines);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
