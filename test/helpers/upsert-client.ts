/**
 * Child process for load tests: streams N synthetic creators (dims d) into UpsertCreators with
 * back-pressure, prints {"ok":true,"ms":...} or {"ok":false,"code":...,"details":...}.
 *
 *   node --import tsx test/helpers/upsert-client.ts <port> <count> <dims> <seed> [token]
 */
import * as grpc from '@grpc/grpc-js';
import { adminClientConstructor } from '../../src/grpc/proto';
import { syntheticCreators } from './synthetic';

async function main(): Promise<void> {
  const [port, count, dims, seed, token] = process.argv.slice(2);
  const Admin = adminClientConstructor();
  const client = new Admin(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), { 'grpc.max_send_message_length': -1 });
  const md = new grpc.Metadata();
  md.set('authorization', `Bearer ${token ?? 'test-admin-token-0123456789'}`);
  const creators = syntheticCreators(Number(count), Number(dims), Number(seed)).map((c, i) => ({ ...c, id: `bulk-${seed}-${i}` }));
  const started = Date.now();
  await new Promise<void>((resolve) => {
    const call = client.UpsertCreators(md, { deadline: Date.now() + 300_000 }, (err: grpc.ServiceError | null) => {
      process.stdout.write(JSON.stringify(err ? { ok: false, code: err.code, details: err.details } : { ok: true, ms: Date.now() - started }) + '\n');
      resolve();
    });
    let i = 0;
    const pump = (): void => {
      while (i < creators.length) {
        if (!call.write(creators[i++]!)) return void call.once('drain', pump);
      }
      call.end();
    };
    pump();
  });
  client.close();
}

void main();
