import path from 'node:path';
import { status } from '@grpc/grpc-js';
import { CreatorMatchClient, type CallError } from '../../clients/node/creator-match-client';
import { buildIndex } from '../../index-builder/build-index';
import { startServer, tempDir, writeJsonl, type Running } from '../helpers/server';
import { syntheticCreators } from '../helpers/synthetic';

// The typed Node client (clients/node) against the real service.
const creators = syntheticCreators(120, 8, 6);

describe('CreatorMatchClient', () => {
  let dir: string;
  let running: Running;
  let client: CreatorMatchClient;
  beforeAll(async () => {
    dir = await tempDir('node-client-');
    running = await startServer(path.join(dir, 'idx'), { MATCH_RELOAD_POLL_MS: '100' });
    client = new CreatorMatchClient(`127.0.0.1:${running.port}`, { deadlineMs: 15_000, maxAttempts: 100, backoffMs: 50 });
  });
  afterAll(async () => {
    client.close();
    await running.stop();
  });

  it('retries UNAVAILABLE (no index yet) until the first version is published, within the deadline', async () => {
    const pending = client.match({ vector: { values: creators[3]!.vector }, k: 1, filter: { include_nsfw: true } });
    const input = path.join(dir, 'creators.jsonl');
    await writeJsonl(input, creators);
    await buildIndex({ input, out: path.join(dir, 'idx') });
    const res = await pending;
    expect(res.matches[0]!.creator_id).toBe(creators[3]!.id);
    expect((await client.waitUntilReady()).creator_count).toBe('120');
  });

  it('does not retry other errors, and carries the reason', async () => {
    const err = (await client.match({ like_creators: { ids: ['ghost'] } }).catch((e: unknown) => e)) as CallError;
    expect({ code: err.code, reason: err.reason }).toEqual({ code: status.NOT_FOUND, reason: 'UNKNOWN_CREATORS' });
  });

  it('streams BatchMatch as an async iterator, in request order, bad items answered in-band', async () => {
    const requests = Array.from({ length: 300 }, (_, i) => (i === 7 ? { request_id: 'bad', vector: { values: [1, 2] } } : { request_id: `r${i}`, vector: { values: creators[i % 120]!.vector }, k: 2 }));
    const ids: string[] = [];
    let failed = '';
    for await (const r of client.batchMatch(requests)) {
      ids.push(r.request_id);
      if (r.error) failed = r.error.reason;
    }
    expect(ids).toEqual(requests.map((r) => r.request_id));
    expect(failed).toBe('DIMENSION_MISMATCH');
  });

  it('stops the stream when the consumer stops early', async () => {
    async function* endless() {
      for (let i = 0; ; i++) yield { request_id: `e${i}`, vector: { values: creators[i % 120]!.vector }, k: 1 };
    }
    let seen = 0;
    for await (const _r of client.batchMatch(endless())) if (++seen === 50) break;
    expect(seen).toBe(50);
  });
});
