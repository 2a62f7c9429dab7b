/**
 * `npm run bench:pg [-- --creators 100000 --dims 512 --queries 200 --seconds 15 --concurrency 8]`
 *
 * In-memory vs PostgreSQL + pgvector, side by side, on one catalog:
 * - build + publish time and bytes on disk: the version directory (index:build) and the same
 *   version loaded into PostgreSQL (binary COPY, HNSW build, validation, switch: index:build --pg);
 * - Match QPS, p50/p99 and recall@10 (against the exact answer) unfiltered and with a 10% and a
 *   1% filter, closed loop (`concurrency` calls in flight) from a separate load-generator process,
 *   for: the in-memory service; the service on PostgreSQL; and the service on PostgreSQL plus a
 *   second service reading from a streaming replica (load split between the two).
 *
 * - IndexAdmin write rate: UpsertCreators batches (with vectors) against each backend, after the
 *   reads (`--only writes` runs just this part and merges it into docs/bench/pg.json).
 *
 * The catalog is generated (seeded): unit vectors near a 32-d subspace (like real embeddings),
 * clustered by category; category c0..c9 (10% each, correlated with the vectors: the hard case for
 * filtered ANN) and language 'rare' on 1% of the creators (independent). Fixtures are cached in
 * .bench-cache/pg. Results go to docs/bench/pg.json (with the machine's load average: on a shared
 * machine the figures are provisional).
 */
import { execFile } from 'node:child_process';
import * as grpc from '@grpc/grpc-js';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { buildIndex } from '../index-builder/build-index';
import { loadVersionIntoPg, type PgLoadReport } from '../index-builder/pg-publish';
import { startPrimary, startReplica, waitForReplication, type PgServer } from '../scripts/pg/local-pg';
import { HnswIndex } from '../src/index/hnsw-index';
import { ARTIFACT_FILES, readManifest } from '../src/index/manifest';
import { adminClientConstructor } from '../src/grpc/proto';
import { mulberry32 } from '../src/util/mulberry32';
import { startServerProcess, type ServerProcess } from './load/server-process';
import { arg, argStr, CACHE, flag, latencyStats, ROOT } from './lib/common';

const run = promisify(execFile);
const N = arg('creators', 100_000);
const D = arg('dims', 512);
const Q = arg('queries', 200);
const SECONDS = arg('seconds', 15);
const CONCURRENCY = arg('concurrency', 8);
const K = 10;
const WORK = path.join(CACHE, 'pg');
const CORPUS_DIR = path.join(WORK, 'corpus');
const LATENT = 32;
const CATEGORIES = 10;

const FILTERS = [
  { name: 'none', share: 1, spec: {} as Record<string, unknown>, allows: (_l: number) => true },
  { name: '10% (one category)', share: 0.1, spec: { categories: ['c3'] }, allows: (l: number) => l % CATEGORIES === 3 },
  { name: '1% (a rare language)', share: 0.01, spec: { languages: ['rare'] }, allows: (l: number) => l % 100 === 42 },
];

function gaussian(rand: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());
}

/** Seeded clustered vectors near a LATENT-d subspace; row i belongs to category i % 10. */
function generator(seed: number): (category: number) => Float32Array {
  const rand = mulberry32(seed);
  const g = gaussian(rand);
  const projection = Array.from({ length: LATENT }, () => Float32Array.from({ length: D }, g));
  const centres = Array.from({ length: CATEGORIES }, () => Float32Array.from({ length: LATENT }, () => g() * 0.8));
  return (category: number) => {
    const v = new Float32Array(D);
    for (let j = 0; j < LATENT; j++) {
      const z = centres[category]![j]! + g();
      const p = projection[j]!;
      for (let d = 0; d < D; d++) v[d]! += z * p[d]!;
    }
    let n = 0;
    for (let d = 0; d < D; d++) {
      v[d]! += 0.3 * g();
      n += v[d]! * v[d]!;
    }
    n = Math.sqrt(n);
    for (let d = 0; d < D; d++) v[d]! /= n;
    return v;
  };
}

interface Fixture {
  input: string;
  idx: string;
  version: string;
  buildSeconds: number;
  dirBytes: number;
}

/** The catalog (JSONL with vectors), the queries, and the version directory, cached. */
async function fixture(): Promise<Fixture> {
  const metaFile = path.join(CORPUS_DIR, 'meta.json');
  const fixtureFile = path.join(WORK, 'fixture.json');
  if (!flag('force') && existsSync(fixtureFile)) {
    const f = JSON.parse(readFileSync(fixtureFile, 'utf8')) as Fixture & { n: number; d: number; q: number };
    if (f.n === N && f.d === D && f.q === Q && existsSync(path.join(f.idx, f.version))) return f;
  }
  await rm(WORK, { recursive: true, force: true });
  await mkdir(CORPUS_DIR, { recursive: true });
  const next = generator(42);
  const input = path.join(WORK, 'creators.jsonl');
  const lines: string[] = [];
  const vectors = new Float32Array(N * D);
  for (let l = 0; l < N; l++) {
    const v = next(l % CATEGORIES);
    vectors.set(v, l * D);
    const language = l % 100 === 42 ? 'rare' : ['en', 'es', 'fr'][l % 3]!;
    lines.push(
      JSON.stringify({
        id: `cr_${String(l + 1).padStart(7, '0')}`, // label l: bench/lib/loadgen.ts reads ids this way
        name: `Creator ${l}`,
        category: `c${l % CATEGORIES}`,
        tags: [],
        language,
        is_nsfw: false,
        vector: Array.from(v, (x) => Math.round(x * 1e6) / 1e6),
      }),
    );
  }
  await writeFile(input, lines.join('\n') + '\n');
  const queries = new Float32Array(Q * D);
  for (let q = 0; q < Q; q++) queries.set(next(q % CATEGORIES), q * D);
  await writeFile(path.join(CORPUS_DIR, 'vectors.f32'), Buffer.from(vectors.buffer));
  await writeFile(path.join(CORPUS_DIR, 'queries.f32'), Buffer.from(queries.buffer));
  console.error(`generated ${N} x ${D} creators and ${Q} queries`);

  const idx = path.join(WORK, 'idx');
  const t0 = performance.now();
  const built = await buildIndex({ input, out: idx, recallSample: 200, minRecall: 0 });
  const buildSeconds = (performance.now() - t0) / 1000;
  const manifest = await readManifest(path.join(idx, built.version));
  const dirBytes = Object.values(manifest.files).reduce((s, f) => s + f.bytes, 0);
  console.error(`index:build ${buildSeconds.toFixed(1)} s, recall@10 ${built.recall.value.toFixed(3)}`);

  // Exact top-10 per query and filter, from the version's own index (exact search, bitset filters).
  const exact = await HnswIndex.load(path.join(idx, built.version, ARTIFACT_FILES.index), D);
  try {
    for (const [i, f] of FILTERS.entries()) {
      const bits = new Uint8Array((N + 7) >> 3);
      for (let l = 0; l < N; l++) if (f.allows(l)) bits[l >> 3]! |= 1 << (l & 7);
      const truth = new Int32Array(Q * K);
      for (let q = 0; q < Q; q++) {
        const hits = await exact.search(queries.subarray(q * D, (q + 1) * D), K, 0, { exact: true, bitset: bits });
        hits.forEach((h, j) => (truth[q * K + j] = h.label));
      }
      await writeFile(path.join(CORPUS_DIR, i === 0 ? 'truth.i32' : `truth-${i}.i32`), Buffer.from(truth.buffer));
    }
  } finally {
    await exact.close();
  }
  await writeFile(metaFile, JSON.stringify({ creators: N, queries: Q, dims: D, truthK: K, model: 'generated', dtype: 'none' }));
  const f = { input, idx, version: built.version, buildSeconds, dirBytes, n: N, d: D, q: Q };
  await writeFile(fixtureFile, JSON.stringify(f, null, 2));
  return f;
}

interface LoadResult {
  qps: number;
  calls: number;
  errors: number;
  recall: number;
  shortResults: number;
  p50: number;
  p99: number;
}

async function loadgen(addr: string, filter: number, concurrency: number): Promise<LoadResult> {
  const opts = {
    addr,
    mode: 'match',
    concurrency,
    seconds: SECONDS,
    k: K,
    nq: Q,
    ...(filter > 0 ? { filter: FILTERS[filter]!.spec, truthFile: path.join(CORPUS_DIR, `truth-${filter}.i32`) } : {}),
  };
  const { stdout } = await run(process.execPath, ['--require', 'tsx/cjs', path.join(__dirname, 'lib', 'loadgen.ts'), JSON.stringify(opts)], {
    cwd: ROOT,
    maxBuffer: 16 << 20,
    env: { ...process.env, BENCH_CACHE: WORK },
  });
  return JSON.parse(stdout.trim().split('\n').pop()!) as LoadResult;
}

/** The same filters against one or more servers at once (concurrency split between them). */
async function measure(setup: string, addrs: string[]): Promise<Array<Record<string, unknown>>> {
  const out: Array<Record<string, unknown>> = [];
  for (let f = 0; f < FILTERS.length; f++) {
    const each = Math.max(1, Math.round(CONCURRENCY / addrs.length));
    const rs = await Promise.all(addrs.map((a) => loadgen(a, f, each)));
    const calls = rs.reduce((s, r) => s + r.calls, 0);
    const row = {
      setup,
      filter: FILTERS[f]!.name,
      qps: Math.round(rs.reduce((s, r) => s + r.qps, 0)),
      p50Ms: Math.max(...rs.map((r) => r.p50)),
      p99Ms: Math.max(...rs.map((r) => r.p99)),
      recallAt10: rs.reduce((s, r) => s + r.recall * r.calls, 0) / Math.max(1, calls),
      calls,
      errors: rs.reduce((s, r) => s + r.errors, 0),
      shortResults: rs.reduce((s, r) => s + r.shortResults, 0),
    };
    console.error(JSON.stringify(row));
    out.push(row);
  }
  return out;
}

const ADMIN_TOKEN = 'bench-admin-token-0123456789';

/** UpsertCreators batches with vectors through IndexAdmin: creators per second and per-batch latency. */
async function writes(setup: string, addr: string): Promise<Record<string, unknown>> {
  const batches = arg('write-batches', 20);
  const size = arg('write-batch', 50);
  const Admin = adminClientConstructor();
  const client = new Admin(addr, grpc.credentials.createInsecure());
  const md = new grpc.Metadata();
  md.set('authorization', `Bearer ${ADMIN_TOKEN}`);
  const next = generator(7);
  const lat: number[] = [];
  const t0 = performance.now();
  try {
    for (let b = 0; b < batches; b++) {
      const s = performance.now();
      await new Promise<void>((resolve, reject) => {
        const call = client.UpsertCreators(md, { deadline: Date.now() + 120_000 }, (err: grpc.ServiceError | null) => (err ? reject(err) : resolve()));
        for (let i = 0; i < size; i++) call.write({ id: `w_${b}_${i}`, name: `Written ${b}.${i}`, category: `c${i % CATEGORIES}`, language: 'en', vector: Array.from(next(i % CATEGORIES)) });
        call.end();
      });
      lat.push(performance.now() - s);
    }
  } finally {
    client.close();
  }
  const seconds = (performance.now() - t0) / 1000;
  const { p50, p99 } = latencyStats(lat);
  const row = { setup, batches, batchSize: size, creators: batches * size, creatorsPerSecond: Math.round((batches * size) / seconds), batchP50Ms: p50, batchP99Ms: p99 };
  console.error(JSON.stringify(row));
  return row;
}

const uptime = (): { loadavg: number[]; uptime: string } => ({ loadavg: os.loadavg().map((x) => Math.round(x * 100) / 100), uptime: readFileSync('/proc/loadavg', 'utf8').trim() });

async function main(): Promise<void> {
  const before = uptime();
  const fx = await fixture();
  const servers: ServerProcess[] = [];
  let primary: PgServer | undefined;
  let replica: PgServer | undefined;
  const workDir = path.join(WORK, 'logs');
  await mkdir(workDir, { recursive: true });
  try {
    primary = await startPrimary({ settings: { shared_buffers: '1GB', effective_cache_size: '4GB', max_connections: 200 } });
    const tPg = performance.now();
    const pg: PgLoadReport = await loadVersionIntoPg(fx.idx, fx.version, { url: primary.url, log: (m) => console.error(`pg: ${m}`) });
    console.error(`loaded into PostgreSQL in ${((performance.now() - tPg) / 1000).toFixed(1)} s`);

    const match: Array<Record<string, unknown>> = [];
    const written: Array<Record<string, unknown>> = [];
    const serve = async (name: string, env: Record<string, string>): Promise<ServerProcess> => {
      const s = await startServerProcess({ indexDir: fx.idx, workDir, name, env: { MATCH_RECALL_SAMPLE_RATE: '0', MATCH_METRICS_ADDR: 'off', MATCH_ADMIN_TOKEN: ADMIN_TOKEN, ...env }, readyTimeoutMs: 180_000 });
      servers.push(s);
      return s;
    };
    const stopAll = async (): Promise<void> => {
      for (const s of servers.splice(0)) await s.stop();
    };
    const only = argStr('only', 'all');

    const memory = await serve('memory', {});
    if (only === 'all') match.push(...(await measure('in-memory', [memory.addr])));
    written.push(await writes('in-memory (update log, fsync)', memory.addr));
    await stopAll();
    // The fixture's version must stay as built: its update log goes.
    await rm(path.join(fx.idx, fx.version, 'updates.jsonl'), { force: true });

    const onPrimary = await serve('pg', { MATCH_PG_URL: primary.url });
    if (only === 'all') {
      match.push(...(await measure('postgresql', [onPrimary.addr])));
      replica = await startReplica(primary.url, { settings: { shared_buffers: '1GB', effective_cache_size: '4GB', max_connections: 200 } });
      await waitForReplication(primary.url, replica.url, 600_000);
      const onReplica = await serve('pg-replica', { MATCH_PG_URL: primary.url, MATCH_PG_READ_URL: replica.url });
      match.push(...(await measure('postgresql + replica (2 servers, load split)', [onPrimary.addr, onReplica.addr])));
    }
    written.push(await writes('postgresql (one transaction per call)', onPrimary.addr));
    await stopAll();

    const after = uptime();
    const result = {
      measuredAt: new Date().toISOString(),
      command: `npm run bench:pg -- --creators ${N} --dims ${D} --queries ${Q} --seconds ${SECONDS} --concurrency ${CONCURRENCY}`,
      provisional: 'measured on a 2-core machine shared with other workloads; servers, PostgreSQL and the load generator share the same cores',
      machine: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model.trim(), memGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version, loadBefore: before, loadAfter: after },
      corpus: { creators: N, dims: D, queries: Q, source: 'generated: unit vectors near a 32-d subspace, clustered by category; 10% filter = one category (correlated with the vectors), 1% filter = a rare language (independent)' },
      build: {
        memory: { indexBuildSeconds: fx.buildSeconds, bytesOnDisk: fx.dirBytes, hnsw: { m: 16, efConstruction: 200, efSearch: 64 } },
        postgresql: {
          loadSeconds: pg.seconds,
          buildAndPublishSeconds: fx.buildSeconds + pg.seconds.total,
          bytesOnDisk: pg.bytes,
          hnsw: { ...pg.hnsw, efSearch: 64, iterativeScan: 'relaxed_order' },
          recallAt10AtLoad: pg.recall,
        },
      },
      match,
      writes: written,
      k: K,
      concurrency: CONCURRENCY,
      seconds: SECONDS,
    };
    const file = path.join(ROOT, 'docs', 'bench', 'pg.json');
    await mkdir(path.dirname(file), { recursive: true });
    if (only === 'writes') {
      const previous = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
      Object.assign(result, { ...previous, writes: written, writesMeasuredAt: result.measuredAt, writesLoad: { before, after } });
    }
    await writeFile(file, JSON.stringify(result, null, 2) + '\n');
    console.log(JSON.stringify(result, null, 2));
    console.error(`wrote ${file}`);
  } finally {
    for (const s of servers) await s.stop().catch(() => undefined);
    await replica?.stop().catch(() => undefined);
    await primary?.stop().catch(() => undefined);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
