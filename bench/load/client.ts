/**
 * One load-generating client process: `tsx bench/load/client.ts <spec.json>`. Runs `concurrency`
 * closed-loop workers against one gRPC channel for `seconds` (and at most `maxCalls` calls), checks
 * every answer, and prints one JSON result line (ClientResult) on stdout. Loopback only.
 */
import { readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import type { MatchRequest } from '../../src/contract/creatormatch/v1/MatchRequest';
import type { MatchResponse__Output } from '../../src/contract/creatormatch/v1/MatchResponse';
import { matcherClientConstructor } from '../../src/grpc/proto';
import type { ClientResult, ClientSpec, RequestType } from './workload';
import { REQUEST_TYPES } from './workload';
import { mulberry32 as prng } from '../../src/util/mulberry32';


async function main(): Promise<void> {
  const spec = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as ClientSpec;
  if (!/^(127\.0\.0\.1|\[::1\]|localhost):\d+$/.test(spec.addr)) throw new Error(`load goes to loopback only, not ${spec.addr}`);
  const hardStop = setTimeout(() => {
    process.stderr.write('load client: hard time limit reached\n');
    process.exit(3);
  }, (spec.seconds + 60) * 1000);
  hardStop.unref();
  const rand = prng(spec.seed);
  const Client = matcherClientConstructor();
  const client = new Client(spec.addr, grpc.credentials.createInsecure(), { 'grpc.max_receive_message_length': 64 << 20 });
  const result: ClientResult = {
    latenciesMs: { vector: [], text: [], like: [], batch: [] },
    errors: { vector: 0, text: 0, like: 0, batch: 0 },
    errorSamples: [],
    queries: 0,
    calls: 0,
    elapsedMs: 0,
  };
  const gauss = (): number => Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());
  const vectorPool = Array.from({ length: 64 }, () => Array.from({ length: spec.dims }, gauss));
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const k = spec.k;
  let seq = 0;

  const request = (kind: 'vector' | 'text' | 'like'): MatchRequest => {
    const base: MatchRequest = { request_id: `c${spec.seed}-${seq++}`, k };
    if (rand() < 0.3 && spec.categories.length > 0) base.filter = { categories: [pick(spec.categories)] };
    if (kind === 'vector') base.vector = { values: pick(vectorPool) };
    else if (kind === 'text') base.interest_text = pick(spec.texts);
    else base.like_creators = { ids: [pick(spec.likeIds), pick(spec.likeIds)] };
    return base;
  };
  const kinds = (): Array<'vector' | 'text' | 'like'> => [...(spec.texts.length > 0 ? (['text'] as const) : []), 'vector', ...(spec.likeIds.length > 0 ? (['like'] as const) : [])];

  /** An answer is right when it has k matches, best first, on the expected version, without error. */
  const check = (req: MatchRequest, res: MatchResponse__Output): string | undefined => {
    if (res.error) return `in-band error ${res.error.code} ${res.error.message}`;
    if (res.request_id !== req.request_id) return `request_id ${res.request_id}, expected ${String(req.request_id)}`;
    if (res.matches.length !== k) return `${res.matches.length} matches, expected ${k}`;
    for (let i = 1; i < res.matches.length; i++) if (res.matches[i]!.score > res.matches[i - 1]!.score + 1e-6) return 'matches not best first';
    if (spec.expectVersion && res.index_version !== spec.expectVersion) return `index_version ${res.index_version}`;
    return undefined;
  };

  const fail = (type: RequestType, message: string): void => {
    result.errors[type]++;
    if (result.errorSamples.length < 20) result.errorSamples.push({ type, message });
  };

  const unary = (type: RequestType, req: MatchRequest): Promise<void> =>
    new Promise((resolve) => {
      const t0 = performance.now();
      client.Match(req, { deadline: Date.now() + spec.deadlineMs }, (err, res) => {
        const ms = performance.now() - t0;
        result.calls++;
        if (err) fail(type, `${grpc.status[err.code]}: ${err.details}`);
        else if (!res) fail(type, 'no response');
        else {
          const problem = check(req, res);
          if (problem) fail(type, problem);
          else {
            result.latenciesMs[type].push(ms);
            result.queries++;
          }
        }
        resolve();
      });
    });

  const batch = (): Promise<void> =>
    new Promise((resolve) => {
      const reqs = Array.from({ length: spec.batchSize }, () => request(pick(kinds())));
      const t0 = performance.now();
      const got: MatchResponse__Output[] = [];
      let done = false;
      const finish = (problem?: string): void => {
        if (done) return;
        done = true;
        result.calls++;
        if (!problem && got.length !== reqs.length) problem = `${got.length} responses for ${reqs.length} requests`;
        if (!problem) for (let i = 0; i < got.length && !problem; i++) problem = check(reqs[i]!, got[i]!);
        if (problem) fail('batch', problem);
        else {
          result.latenciesMs.batch.push(performance.now() - t0);
          result.queries += reqs.length;
        }
        resolve();
      };
      const call = client.BatchMatch({ deadline: Date.now() + spec.deadlineMs });
      call.on('data', (r: MatchResponse__Output) => got.push(r));
      call.on('error', (err: grpc.ServiceError) => finish(`${grpc.status[err.code]}: ${err.details}`));
      call.on('end', () => finish());
      for (const r of reqs) call.write(r);
      call.end();
    });

  const weights = REQUEST_TYPES.map((t) => spec.mix[t] ?? 0);
  const total = weights.reduce((a, b) => a + b, 0);
  const chooseType = (): RequestType => {
    let x = rand() * total;
    for (let i = 0; i < REQUEST_TYPES.length; i++) if ((x -= weights[i]!) < 0) return REQUEST_TYPES[i]!;
    return 'vector';
  };

  // Barrier: connect, say "ready", and start only on the driver's "go", so that the client
  // processes (whose start-up costs CPU on a small machine) measure the same window.
  await new Promise<void>((resolve, reject) => client.waitForReady(Date.now() + 20_000, (err) => (err ? reject(err) : resolve())));
  process.stdout.write('ready\n');
  await new Promise<void>((resolve) => {
    process.stdin.once('data', () => resolve());
    process.stdin.once('end', () => resolve());
  });
  process.stdin.pause();
  const started = performance.now();
  const deadline = started + spec.seconds * 1000;
  const worker = async (): Promise<void> => {
    while (performance.now() < deadline && result.calls < spec.maxCalls) {
      const type = chooseType();
      if (type === 'batch') await batch();
      else await unary(type, request(type));
    }
  };
  await Promise.all(Array.from({ length: spec.concurrency }, worker));
  result.elapsedMs = performance.now() - started;
  client.close();
  process.stdout.write(JSON.stringify(result) + '\n');
}

main().catch((err: unknown) => {
  process.stderr.write(`load client failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(2);
});
