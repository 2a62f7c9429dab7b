import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
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

async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
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
  const grpcPort = await freePort();
  const child = spawn(path.join(ROOT, 'node_modules', '.bin', 'tsx'), ['src/main.ts'], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH!,
      HOME: idx.dir,
      MATCH_INDEX_DIR: idx.indexDir,
      MATCH_GRPC_ADDR: `127.0.0.1:${grpcPort}`,
      MATCH_METRICS_ADDR: 'off',
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(collector.address() as net.AddressInfo).port}`,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
  const Client = matcherClientConstructor();
  const client = new Client(`127.0.0.1:${grpcPort}`, grpc.credentials.createInsecure()) as grpc.Client & Record<string, any>;
  try {
    for (let i = 0; i < 150 && !stdout.includes('gRPC server listening'); i++) await new Promise((r) => setTimeout(r, 100));
    const res = await unary(client, 'Match', { vector: { values: idx.creators[0]!.vector }, k: 3 });
    expect(res.matches).toHaveLength(3);
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  } finally {
    client.close();
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
