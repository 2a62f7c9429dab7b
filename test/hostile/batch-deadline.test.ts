/**
 * Item 9: a BatchMatch stream whose deadline passed is ended by the server (trailers with
 * DEADLINE_EXCEEDED, or a stream reset when the trailers cannot get through because the client is
 * not reading), even when the client neither reads nor half-closes. Seen from a raw HTTP/2 client
 * (node:http2) that does not enforce the deadline itself, as grpc-js clients do.
 */
import { promises as fs } from 'node:fs';
import http2 from 'node:http2';
import path from 'node:path';
import { buildIndex } from '../../index-builder/build-index';
import type { MatchRequest } from '../../src/contract/creatormatch/v1/MatchRequest';
import { loadMatchPackageDefinition } from '../../src/grpc/proto';
import { startServer, tempDir, writeJsonl, type Running } from '../helpers/server';
import { syntheticCreators } from '../helpers/synthetic';

const DIMS = 16;
let dir: string;
let running: Running;

beforeAll(async () => {
  dir = await tempDir('creator-match-bdl-');
  await writeJsonl(path.join(dir, 'c.jsonl'), syntheticCreators(300, DIMS, 1));
  await buildIndex({ input: path.join(dir, 'c.jsonl'), out: path.join(dir, 'idx'), recallSample: 50, minRecall: 0.5 });
  running = await startServer(path.join(dir, 'idx'));
});
afterAll(async () => {
  await running?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

/** One gRPC message frame of a MatchRequest (protobuf via the generated-types' proto loader). */
function frame(req: MatchRequest): Buffer {
  const def = loadMatchPackageDefinition() as unknown as Record<string, { requestSerialize?: (r: unknown) => Buffer } | Record<string, { requestSerialize: (r: unknown) => Buffer }>>;
  const service = def['creatormatch.v1.CreatorMatcher'] as Record<string, { requestSerialize: (r: unknown) => Buffer }>;
  const body = service.BatchMatch!.requestSerialize(req);
  const head = Buffer.alloc(5);
  head.writeUInt32BE(body.length, 1);
  return Buffer.concat([head, body]);
}

interface Outcome {
  how: 'trailers' | 'reset' | 'still open';
  status?: string;
  ms: number;
}

/** Opens BatchMatch with a 300 ms grpc-timeout, sends `items`, never half-closes; reads or not. */
async function expiredStream(items: number, read: boolean): Promise<Outcome> {
  const session = http2.connect(`http://127.0.0.1:${running.port}`, { settings: { initialWindowSize: 65_535 } });
  session.on('error', () => undefined);
  try {
    const stream = session.request({
      ':method': 'POST',
      ':path': '/creatormatch.v1.CreatorMatcher/BatchMatch',
      'content-type': 'application/grpc',
      te: 'trailers',
      'grpc-timeout': '300m',
    });
    stream.on('error', () => undefined);
    if (read) stream.resume();
    else stream.pause();
    const t0 = Date.now();
    const ended = new Promise<Outcome>((resolve) => {
      stream.once('trailers', (t: http2.IncomingHttpHeaders) => resolve({ how: 'trailers', status: String(t['grpc-status']), ms: Date.now() - t0 }));
      stream.once('close', () => resolve({ how: stream.rstCode && stream.rstCode !== http2.constants.NGHTTP2_NO_ERROR ? 'reset' : 'trailers', ms: Date.now() - t0 }));
    });
    // ~4 KB answers: a dozen fill the 64 KiB window of a client that does not read.
    const q = { k: 100, vector: { values: syntheticCreators(1, DIMS, 5)[0]!.vector } };
    for (let i = 0; i < items; i++) stream.write(frame({ request_id: `r${i}`, ...q }));
    return await Promise.race([ended, new Promise<Outcome>((r) => setTimeout(() => r({ how: 'still open', ms: 20_000 }), 20_000))]);
  } finally {
    session.destroy();
  }
}

describe('expired BatchMatch streams are ended by the server', () => {
  it('a client that reads but never half-closes gets DEADLINE_EXCEEDED trailers soon after the deadline', async () => {
    const out = await expiredStream(5, true);
    expect(out).toMatchObject({ how: 'trailers', status: '4' });
    expect(out.ms).toBeLessThan(10_000);
  });

  it('a client that stops reading (flow-control window full) gets its stream reset soon after the deadline', async () => {
    const out = await expiredStream(400, false);
    expect(['trailers', 'reset']).toContain(out.how);
    expect(out.ms).toBeLessThan(10_000); // deadline 0.3 s + grace 1 s; before the fix: open forever
  });
});
