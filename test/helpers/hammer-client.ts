/**
 * Child process for the fairness test: one caller, one connection, `concurrency` calls in flight
 * at all times for `seconds`, cycling through the most expensive requests we know of (see the
 * list below). Prints {"calls":n,"byCode":{...}} at the end.
 *
 *   node --import tsx test/helpers/hammer-client.ts <port> <concurrency> <seconds> <dims> <maxDiversityK> <ids.json>
 */
import { readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { matcherClientConstructor } from '../../src/grpc/proto';

const [port, concurrency, seconds, dims, maxDiversityK, idsFile] = process.argv.slice(2);
const ids = JSON.parse(readFileSync(idsFile!, 'utf8')) as string[];
const Client = matcherClientConstructor();
const client = new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), { 'grpc.max_send_message_length': -1, 'grpc.max_receive_message_length': -1 });
const vec = (i: number) => ({ values: Array.from({ length: Number(dims) }, (_, d) => Math.sin(i * 7 + d)) });
const words = 'cooking music games fitness podcasts knitting travel comedy science history '.repeat(60).slice(0, 4080);
const excluded = [...ids.slice(0, 2000), ...Array.from({ length: 8000 }, (_, i) => `not-a-creator-${i}`)];
const WORST: Array<(i: number) => Record<string, unknown>> = [
  (i) => ({ vector: vec(i), k: Number(maxDiversityK), diversity: 0.5 }), // MMR at the cost budget
  () => ({ interest_text: 'a'.repeat(1_000_000) }), // 1 MB text (refused, but parsed)
  (i) => ({ interest_text: `${i} ${words}`, k: 1000 }), // the longest accepted text, max k
  (i) => ({ vector: vec(i), k: 1000, filter: { exclude_creator_ids: excluded }, include_profile: true }), // 10k excluded ids
  () => ({ like_creators: { ids: ids.slice(0, 1000) }, k: 1000, include_profile: true }), // 1000 liked creators
  (i) => ({ vector: vec(i), k: 1000, max_per_category: 1 }), // a category cap that widens the pool
];
const until = Date.now() + Number(seconds) * 1000;
const byCode: Record<string, number> = {};
let calls = 0;
async function worker(w: number): Promise<void> {
  for (let i = w; Date.now() < until; i += Number(concurrency)) {
    const type = i % WORST.length;
    const req = WORST[type]!(i);
    await new Promise<void>((resolve) => {
      client.Match(req, { deadline: Date.now() + 30_000 }, (err) => {
        const code = `${type}:${err ? grpc.status[err.code] : 'OK'}`;
        byCode[code] = (byCode[code] ?? 0) + 1;
        calls++;
        resolve();
      });
    });
  }
}
/** Besides the unary calls: BatchMatch streams of 64 worst requests each (the server answers 32 at a time). */
async function batchWorker(): Promise<void> {
  for (let s = 0; Date.now() < until; s++) {
    await new Promise<void>((resolve) => {
      const call = client.BatchMatch({ deadline: Date.now() + 30_000 });
      call.on('data', (r: { request_id: string; error: { code: number } | null }) => {
        const code = `batch${Number(r.request_id.slice(1)) % WORST.length}:${r.error ? grpc.status[r.error.code] : 'OK'}`;
        byCode[code] = (byCode[code] ?? 0) + 1;
        calls++;
      });
      call.on('error', (err: grpc.ServiceError) => {
        byCode[`stream:${grpc.status[err.code]}`] = (byCode[`stream:${grpc.status[err.code]}`] ?? 0) + 1;
        resolve();
      });
      call.on('end', () => resolve());
      for (let i = 0; i < 64; i++) {
        const n = s * 64 + i;
        const pick = WORST[n % WORST.length]!;
        if (pick === WORST[1]) continue; // the 1 MB text: once per unary cycle is enough
        call.write({ request_id: `b${n}`, ...pick(n) });
      }
      call.end();
    });
  }
}
void Promise.all([...Array.from({ length: Number(concurrency) }, (_, w) => worker(w)), batchWorker()]).then(() => {
  process.stdout.write(JSON.stringify({ calls, byCode }) + '\n');
  client.close();
});
