/**
 * @jest-environment ./test/support/onnx-environment.js
 */
/**
 * Transport limits (item 6): silent and half-open connections are closed, connections are capped,
 * streams per connection are capped (SETTINGS), old connections get a GOAWAY, and calls dropped
 * with their connection stop their work (queued text embeddings never run).
 *
 * Real server on 127.0.0.1:0, raw sockets and HTTP/2 sessions from node:net / node:http2. Bounds
 * are "does not hang" bounds: before the fix these connections stayed open forever.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { promises as fs } from 'node:fs';
import http2 from 'node:http2';
import net from 'node:net';
import path from 'node:path';
import { buildIndex } from '../../index-builder/build-index';
import { SAMPLE_CATALOG } from '../../src/config/config';
import { ROOT } from '../helpers/child';
import { startServer, tempDir, unary, waitFor, writeJsonl, type Running } from '../helpers/server';
import { syntheticCreators } from '../helpers/synthetic';

const DIMS = 16;
const PREFACE = Buffer.concat([Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'), Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0])]);
let dir: string;
let vectorIdx: string;
const cleanups: Array<() => Promise<unknown>> = [];

beforeAll(async () => {
  dir = await tempDir('creator-match-transport-');
  vectorIdx = path.join(dir, 'vidx');
  await writeJsonl(path.join(dir, 'c.jsonl'), syntheticCreators(200, DIMS, 1));
  await buildIndex({ input: path.join(dir, 'c.jsonl'), out: vectorIdx, recallSample: 50, minRecall: 0.5 });
});
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

async function serve(env: Record<string, string>, idx = vectorIdx): Promise<Running> {
  const r = await startServer(idx, env);
  cleanups.push(() => r.stop());
  return r;
}

/** A raw TCP connection; `closed` resolves with ms since connect when the server closes it. */
function rawSocket(port: number, send?: Buffer): Promise<{ socket: net.Socket; closed: Promise<number> }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.on('error', () => undefined);
    socket.resume(); // read (and drop) whatever the server sends, never answer it
    const t0 = Date.now();
    const closed = new Promise<number>((r) => socket.once('close', () => r(Date.now() - t0)));
    cleanups.push(async () => socket.destroy());
    socket.once('connect', () => {
      if (send) socket.write(send);
      resolve({ socket, closed });
    });
    socket.once('error', reject);
  });
}

const within = <T>(p: Promise<T>, ms: number): Promise<T | 'still open'> => Promise.race([p, new Promise<'still open'>((r) => setTimeout(() => r('still open'), ms))]);

describe('silent and half-open connections', () => {
  it('a TCP connection that never sends a byte is closed (MATCH_MAX_CONNECTION_IDLE_MS)', async () => {
    const r = await serve({ MATCH_MAX_CONNECTION_IDLE_MS: '500', MATCH_KEEPALIVE_TIME_MS: '0' });
    const { closed } = await rawSocket(r.port);
    expect(typeof (await within(closed, 10_000))).toBe('number');
  });

  it('a peer that completed the HTTP/2 preface but never answers pings is closed (keepalive)', async () => {
    const r = await serve({ MATCH_KEEPALIVE_TIME_MS: '300', MATCH_KEEPALIVE_TIMEOUT_MS: '300', MATCH_MAX_CONNECTION_IDLE_MS: '0' });
    const { closed } = await rawSocket(r.port, PREFACE);
    expect(typeof (await within(closed, 10_000))).toBe('number');
  });

  it('with the defaults, a silent connection is not held forever either (idle 5 min, keepalive 60 s + 20 s)', async () => {
    const { loadConfig } = await import('../../src/config/config');
    const t = loadConfig({}).transport;
    expect(t.maxConnectionIdleMs).toBeGreaterThan(0);
    expect(t.keepaliveTimeMs).toBeGreaterThan(0);
    expect(t.maxConnections).toBeGreaterThan(0);
    expect(t.maxConcurrentStreams).toBeGreaterThan(0);
  });
});

describe('connection cap', () => {
  it('MATCH_MAX_CONNECTIONS: connections beyond the cap are closed at once; a client gets in once others leave', async () => {
    const r = await serve({ MATCH_MAX_CONNECTIONS: '4', MATCH_MAX_CONNECTION_IDLE_MS: '0', MATCH_KEEPALIVE_TIME_MS: '0' });
    const { listenerGates } = await import('../../src/grpc/server');
    r.client.close(); // the helper's own client would hold a slot
    const held = await Promise.all([0, 1, 2, 3].map(() => rawSocket(r.port)));
    await waitFor(() => listenerGates(r.app.server)[0]!.connections === 4, 5000, 'four connections');
    const extra = await rawSocket(r.port);
    expect(typeof (await within(extra.closed, 5000))).toBe('number');
    for (const h of held) expect(await within(h.closed, 200)).toBe('still open');
    expect(listenerGates(r.app.server)[0]!.dropped).toBeGreaterThanOrEqual(1);
    for (const h of held) h.socket.destroy();
    await waitFor(() => listenerGates(r.app.server)[0]!.connections === 0, 5000, 'the slots to free');
    const { matcherClientConstructor } = await import('../../src/grpc/proto');
    const grpc = await import('@grpc/grpc-js');
    const Client = matcherClientConstructor();
    const c = new Client(`127.0.0.1:${r.port}`, grpc.credentials.createInsecure());
    cleanups.push(async () => c.close());
    expect((await unary(c, 'GetIndexInfo', {})).creator_count).toBe('200');
  });
});

describe('streams per connection and connection age', () => {
  it('MATCH_MAX_CONCURRENT_STREAMS is announced in the server SETTINGS (default 100)', async () => {
    for (const [env, want] of [[{}, 100], [{ MATCH_MAX_CONCURRENT_STREAMS: '7' }, 7]] as const) {
      const r = await serve(env);
      const session = http2.connect(`http://127.0.0.1:${r.port}`);
      cleanups.push(async () => session.destroy());
      const settings = await new Promise<http2.Settings>((resolve) => session.once('remoteSettings', resolve));
      expect(settings.maxConcurrentStreams).toBe(want);
      session.destroy();
    }
  });

  it('MATCH_MAX_CONNECTION_AGE_MS: a connection gets a GOAWAY after its age', async () => {
    const r = await serve({ MATCH_MAX_CONNECTION_AGE_MS: '500', MATCH_MAX_CONNECTION_AGE_GRACE_MS: '500' });
    const session = http2.connect(`http://127.0.0.1:${r.port}`);
    session.on('error', () => undefined);
    cleanups.push(async () => session.destroy());
    const goaway = new Promise<'goaway'>((resolve) => session.once('goaway', () => resolve('goaway')));
    expect(await within(goaway, 10_000)).toBe('goaway');
  });
});

describe('calls dropped with their connection stop their work', () => {
  let textIdx: string;
  beforeAll(async () => {
    textIdx = path.join(dir, 'tidx');
    const lines = (await fs.readFile(SAMPLE_CATALOG, 'utf8')).trim().split('\n').slice(0, 200);
    await fs.writeFile(path.join(dir, 't.jsonl'), lines.join('\n') + '\n');
    await buildIndex({ input: path.join(dir, 't.jsonl'), out: textIdx, recallSample: 50, minRecall: 0.5 });
  });

  it('4,000 text Match calls on a connection that is dropped: their queued embeddings never run, and another client answers within 1 s', async () => {
    const N = 4000;
    const r = await serve({ MATCH_MAX_CONCURRENT_STREAMS: '100000' }, textIdx);
    await unary(r.client, 'Match', { interest_text: 'warm up the model', k: 3 });
    // Count the embeddings handed to the model: it runs on a thread of its own (ThreadedEmbedder,
    // the model behind the embedding cache, CachingEmbedder.inner), which counts what it posts.
    const served = r.app.manager.current!.embedder as unknown as { inner?: unknown };
    const model = (served.inner ?? served) as { posted: number };
    expect(typeof model.posted).toBe('number');
    // Count the calls whose handler ran (each routes to its variant's manager once, before it
    // waits for its connection's fair share or a model run).
    const managers = r.app.managers as Map<string, unknown>;
    const get = managers.get.bind(managers);
    let arrived = 0;
    managers.get = (key: string) => {
      arrived++;
      return get(key);
    };
    const before = model.posted;
    const flood: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'test/helpers/flood-client.ts', String(r.port), String(N), 'text'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'ignore'] });
    cleanups.push(async () => flood.kill('SIGKILL'));
    await waitFor(() => arrived >= N, 60_000, 'every call of the flood to reach the server');
    flood.kill('SIGKILL');
    await new Promise((res) => setTimeout(res, 1000)); // the server sees the connection drop
    const t = Date.now();
    const res = await unary(r.client, 'Match', { interest_text: 'homemade dumplings', k: 3 }, 30_000);
    const ms = Date.now() - t;
    expect(res.matches).toHaveLength(3);
    expect({ ms, within: ms < 1000 }).toMatchObject({ within: true });
    const afterDrop = model.posted;
    await new Promise((res) => setTimeout(res, 1500));
    // Nothing of the dropped connection runs any more, and most of it never ran.
    expect({ grew: model.posted - afterDrop, ranOfFlood: afterDrop - before }).toEqual({ grew: 0, ranOfFlood: expect.any(Number) });
    expect(afterDrop - before).toBeLessThan(N / 2);
  });
});
