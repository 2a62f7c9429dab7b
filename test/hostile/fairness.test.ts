/**
 * @jest-environment ./test/support/onnx-environment.js
 */
/**
 * The "done when" target: one caller hammering the most expensive requests we know of (MMR at the
 * cost budget, a 1 MB text, the longest accepted text at max k, 10k excluded ids, 1000 liked
 * creators, a widening category cap; test/helpers/hammer-client.ts) cannot delay another caller's
 * small Match by more than a second on this 2-core box (over the worst latency the same small
 * Match has with nobody hammering, measured just before: other jobs share the box).
 *
 * What keeps it true: MATCH_MAX_ACTIVE_CALLS_PER_CONNECTION (4 of the caller's 100 streams do work
 * at a time), the bounded and sliced re-ranks, and the bounded messages.
 *
 * The server runs as its own process on the bundled sample catalog (the real model); the hammer
 * is another process with 99 unary calls and a BatchMatch stream in flight on one connection (the
 * default MATCH_MAX_CONCURRENT_STREAMS is 100); this process sends a small Match
 * every 100 ms and records each latency. The 1 s bound is the target itself, not a tuning value.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { buildIndex } from '../../index-builder/build-index';
import { startServerProcess, type ServerProcess } from '../../bench/load/server-process';
import { SAMPLE_CATALOG } from '../../src/config/config';
import { matcherClientConstructor } from '../../src/grpc/proto';
import { lastJson, runTs } from '../helpers/child';
import { tempDir, unary } from '../helpers/server';

let dir: string;
let server: ServerProcess | undefined;
afterAll(async () => {
  if (server) await server.stop(10_000);
  if (dir) await fs.rm(dir, { recursive: true, force: true });
});

it('a small Match answers within 1 s while one caller hammers the worst requests', async () => {
  dir = await tempDir('creator-match-fair-');
  const idx = path.join(dir, 'idx');
  await buildIndex({ input: SAMPLE_CATALOG, out: idx });
  const ids = (await fs.readFile(SAMPLE_CATALOG, 'utf8')).trim().split('\n').map((l) => (JSON.parse(l) as { id: string }).id);
  await fs.writeFile(path.join(dir, 'ids.json'), JSON.stringify(ids));
  server = await startServerProcess({ indexDir: idx, workDir: dir, env: { MATCH_RECALL_SAMPLE_RATE: '0', MATCH_METRICS_ADDR: 'off' }, probe: true, readyTimeoutMs: 60_000 });
  const Client = matcherClientConstructor();
  const client = new Client(`127.0.0.1:${server.port}`, grpc.credentials.createInsecure());
  const info = await unary(client, 'GetIndexInfo', {});
  const small = { vector: { values: Array.from({ length: info.dims }, (_, d) => Math.cos(d)) }, k: 10 };
  await unary(client, 'Match', small);
  // Baseline: the same small Match with nobody hammering, for as long, so that the box's own noise
  // (other jobs share these 2 cores) is not blamed on the hammer.
  const baseline: number[] = [];
  for (const until = Date.now() + 4000; Date.now() < until; ) {
    const t = Date.now();
    await unary(client, 'Match', small, 30_000);
    baseline.push(Date.now() - t);
    await new Promise((r) => setTimeout(r, 100));
  }
  const maxDiversityK = 258; // the largest k the default MATCH_MAX_RERANK_WORK accepts with diversity
  const hammer = runTs('test/helpers/hammer-client.ts', [String(server.port), process.env.HAMMER_CONCURRENCY ?? '99', '12', String(info.dims), String(maxDiversityK), path.join(dir, 'ids.json')], { timeoutMs: 90_000 });
  let hammering = true;
  void hammer.then(() => (hammering = false));
  await new Promise((r) => setTimeout(r, 1500)); // the hammer is connected and busy
  const latencies: number[] = [];
  while (hammering) {
    const t = Date.now();
    await unary(client, 'Match', small, 30_000);
    latencies.push(Date.now() - t);
    await new Promise((r) => setTimeout(r, 100));
  }
  const result = lastJson((await hammer).stdout) as { calls: number; byCode: Record<string, number> };
  client.close();
  expect(result.calls).toBeGreaterThan(50);
  // Every expensive request type answered OK, the 1 MB text (type 1) was refused; nothing else.
  expect(Object.keys(result.byCode).sort()).toEqual(['0:OK', '1:INVALID_ARGUMENT', '2:OK', '3:OK', '4:OK', '5:OK', 'batch0:OK', 'batch2:OK', 'batch3:OK', 'batch4:OK', 'batch5:OK']);
  expect(latencies.length).toBeGreaterThan(20);
  // The hammer may delay a small Match by at most 1 s over what the box itself does to it.
  const worst = Math.max(...latencies);
  const baselineWorst = Math.max(...baseline);
  const sorted = [...latencies].sort((a, b) => a - b);
  if (process.env.FAIR_VERBOSE) console.log('MEASURE', JSON.stringify({ worst, baselineWorst, n: latencies.length, result }));
  expect({ worst, baselineWorst, p50: sorted[Math.floor(sorted.length / 2)], within: worst < 1000 + baselineWorst }).toMatchObject({ within: true });
}, 300_000);
