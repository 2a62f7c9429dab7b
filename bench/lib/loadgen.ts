/**
 * Load generator, run as its own process by bench/service.ts: Match (closed loop with N calls in
 * flight, or open loop at a fixed rate) or BatchMatch (one stream, W items in flight) against a
 * running server, with vector queries from the corpus. Prints one JSON line with the figures.
 * Args: JSON {addr, mode: 'match'|'rate'|'batch', concurrency, rate, seconds, k, nq, filter?}
 */
import { readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import type { Filter } from '../../src/contract/creatormatch/v1/Filter';
import type { MatchRequest } from '../../src/contract/creatormatch/v1/MatchRequest';
import type { MatchResponse__Output } from '../../src/contract/creatormatch/v1/MatchResponse';
import { matcherClientConstructor } from '../../src/grpc/proto';
import { latencyStats, loadCorpus, recallAt, row } from './common';

interface Opts {
  addr: string;
  mode: 'match' | 'rate' | 'batch';
  concurrency: number;
  rate?: number;
  seconds: number;
  k: number;
  nq: number;
  filter?: Filter;
  /** Exact filtered truth (label lists, k per query) when a filter is set. */
  truthFile?: string;
}

async function main(): Promise<void> {
  const o = JSON.parse(process.argv[2]!) as Opts;
  const c = loadCorpus();
  const dims = c.meta.dims;
  const nq = Math.min(o.nq, c.meta.queries);
  const requests = Array.from({ length: nq }, (_, i): MatchRequest => ({ request_id: `q${i}`, vector: { values: Array.from(row(c.queries, dims, i)) }, k: o.k, filter: o.filter ?? {} }));
  const Client = matcherClientConstructor();
  const client = new Client(o.addr, grpc.credentials.createInsecure(), { 'grpc.max_receive_message_length': 64 << 20 });
  await new Promise<void>((res, rej) => client.waitForReady(Date.now() + 30_000, (e?: Error) => (e ? rej(e) : res())));
  const labelOf = (id: string): number => Number(id.slice(3)) - 1; // cr_000001 is label 0 (generator order)
  const results = new Array<number[]>(nq);
  const lat: number[] = [];
  let done = 0;
  let errors = 0;
  const call = (i: number): Promise<void> =>
    new Promise((resolve) => {
      const s = performance.now();
      client.Match(requests[i % nq]!, { deadline: Date.now() + 30_000 }, (err, res) => {
        lat.push(performance.now() - s);
        done++;
        if (err || !res) errors++;
        else if (results[i % nq] === undefined) results[i % nq] = res.matches.map((m) => labelOf(m.creator_id));
        resolve();
      });
    });
  // warm-up
  for (let i = 0; i < Math.min(nq, 50); i++) await call(i);
  lat.length = 0;
  done = 0;
  const t0 = performance.now();
  const end = t0 + o.seconds * 1000;
  if (o.mode === 'match') {
    let next = 0;
    await Promise.all(
      Array.from({ length: o.concurrency }, async () => {
        while (performance.now() < end) await call(next++);
      }),
    );
  } else if (o.mode === 'rate') {
    const interval = 1000 / o.rate!;
    const pending: Promise<void>[] = [];
    let i = 0;
    while (performance.now() < end) {
      const due = t0 + i * interval;
      const wait = due - performance.now();
      if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      pending.push(call(i++));
      if (pending.length > 10_000) await Promise.all(pending.splice(0));
    }
    await Promise.all(pending);
  } else {
    await new Promise<void>((resolve, reject) => {
      const stream = client.BatchMatch({ deadline: Date.now() + (o.seconds + 60) * 1000 });
      const sentAt: number[] = [];
      let sent = 0;
      let received = 0;
      const pump = (): void => {
        while (sent - received < o.concurrency && performance.now() < end) {
          sentAt.push(performance.now());
          stream.write(requests[sent % nq]!);
          sent++;
        }
        if (performance.now() >= end && received === sent) stream.end();
      };
      stream.on('data', (res: MatchResponse__Output) => {
        lat.push(performance.now() - sentAt[received]!);
        const q = received % nq;
        if (res.error) errors++;
        else if (results[q] === undefined) results[q] = res.matches.map((m) => labelOf(m.creator_id));
        received++;
        done++;
        pump();
      });
      stream.on('error', reject);
      stream.on('end', resolve);
      pump();
    });
  }
  const secs = (performance.now() - t0) / 1000;
  // recall@k over the queries that got an answer (a short run may not reach every query).
  const idx = results.flatMap((r, i) => (r === undefined ? [] : [i]));
  const answered = idx.map((i) => results[i]!);
  const pick = (truth: Int32Array, stride: number): Int32Array => {
    const out = new Int32Array(idx.length * stride);
    idx.forEach((q, j) => out.set(truth.subarray(q * stride, (q + 1) * stride), j * stride));
    return out;
  };
  let recall: number;
  if (o.truthFile) {
    const t = readFileSync(o.truthFile);
    const truth = new Int32Array(t.byteLength / 4);
    new Uint8Array(truth.buffer).set(t);
    recall = recallAt(answered, pick(truth, o.k), o.k, o.k);
  } else recall = recallAt(answered, pick(c.truth, c.meta.truthK), c.meta.truthK, o.k);
  const shortResults = answered.filter((r) => r.length < o.k).length;
  console.log(JSON.stringify({ qps: done / secs, calls: done, errors, recall, shortResults, ...latencyStats(lat) }));
  client.close();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
