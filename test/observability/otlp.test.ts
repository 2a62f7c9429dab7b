import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import http from 'node:http';
import type net from 'node:net';
import path from 'node:path';
import { unary } from '../helpers/server';
import { matcherClientConstructor } from '../../src/grpc/proto';
import * as grpc from '@grpc/grpc-js';
import { syntheticIndex } from './helpers';

// With OTEL_EXPORTER_OTLP_ENDPOINT set, the entry point pushes traces and metrics over OTLP
// (http/protobuf by default) to a stub collector, and SIGTERM flushes both. This runs the real
// entry point in a child process: the OTLP HTTP transport uses a dynamic import that jest's VM
// does not allow in-process.
const ROOT = path.resolve(__dirname, '..', '..');

/** The port of the child's "gRPC server listening" log line, once it is written. */
async function listeningPort(stdout: () => string): Promise<number> {
  for (let i = 0; i < 150; i++) {
    const text = stdout();
    for (const line of text.slice(0, text.lastIndexOf('\n') + 1).split('\n')) {
      if (!line.includes('"gRPC server listening"')) continue;
      const port = (JSON.parse(line) as { port?: unknown }).port;
      if (typeof port === 'number') return port;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the server did not log "gRPC server listening"; stdout:\n${stdout()}`);
}

it('pushes traces and metrics to OTEL_EXPORTER_OTLP_ENDPOINT, flushed on SIGTERM', async () => {
  const received: Array<{ path: string; contentType: string; bytes: number }> = [];
  const collector = http.createServer((req, res) => {
    let bytes = 0;
    req.on('data', (c: Buffer) => (bytes += c.length));
    req.on('end', () => {
      received.push({ path: req.url ?? '', contentType: String(req.headers['content-type']), bytes });
      res.writeHead(200, { 'content-type': 'application/x-protobuf' });
      res.end();
    });
  });
  await new Promise<void>((r) => collector.listen(0, '127.0.0.1', r));
  const idx = await syntheticIndex(200);
  const child = spawn(path.join(ROOT, 'node_modules', '.bin', 'tsx'), ['src/main.ts'], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH!,
      HOME: idx.dir,
      MATCH_INDEX_DIR: idx.indexDir,
      MATCH_GRPC_ADDR: '127.0.0.1:0',
      MATCH_METRICS_ADDR: 'off',
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(collector.address() as net.AddressInfo).port}`,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  const Client = matcherClientConstructor();
  let client: InstanceType<typeof Client> | undefined;
  try {
    client = new Client(`127.0.0.1:${await listeningPort(() => stdout)}`, grpc.credentials.createInsecure());
    const res = await unary(client, 'Match', { vector: { values: idx.creators[0]!.vector }, k: 3 });
    expect(res.matches).toHaveLength(3);
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  } finally {
    client?.close();
    if (child.exitCode === null) child.kill('SIGKILL');
    await new Promise<void>((r) => collector.close(() => r()));
    await fs.rm(idx.dir, { recursive: true, force: true });
  }
  const started = stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.msg === 'telemetry started');
  expect(started).toMatchObject({ prometheus: false, otlpMetrics: true, traces: true });
  const paths = received.map((r) => r.path);
  expect(paths).toContain('/v1/traces');
  expect(paths).toContain('/v1/metrics');
  for (const r of received) {
    expect(r.contentType).toBe('application/x-protobuf');
    expect(r.bytes).toBeGreaterThan(0);
  }
});
