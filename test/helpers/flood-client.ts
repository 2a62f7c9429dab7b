/**
 * Child process for the cancellation test: opens `n` Match calls on one connection without waiting
 * for answers (text queries by default), prints "sent" once they are all written, then idles until
 * it is killed (the test SIGKILLs it: the connection drops with every call in flight).
 *
 *   node --import tsx test/helpers/flood-client.ts <port> <n> [text|vector:<dims>]
 */
import * as grpc from '@grpc/grpc-js';
import { matcherClientConstructor } from '../../src/grpc/proto';

const [port, n, kind = 'text'] = process.argv.slice(2);
const Client = matcherClientConstructor();
const client = new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
const dims = kind.startsWith('vector:') ? Number(kind.split(':')[1]) : 0;
let answered = 0;
for (let i = 0; i < Number(n); i++) {
  const req = dims ? { vector: { values: Array.from({ length: dims }, (_, d) => Math.sin(i + d)) }, k: 10 } : { interest_text: `flood query number ${i} about cooking, music and ${i % 97} other things`, k: 10 };
  client.Match(req, { deadline: Date.now() + 600_000 }, () => answered++);
}
setTimeout(() => process.stdout.write(`sent ${n}\n`), 100);
setInterval(() => undefined, 1000);
