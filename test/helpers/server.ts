import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import pino from 'pino';
import { MatchApp } from '../../src/app';
import { loadConfig } from '../../src/config/config';
import { matcherClientConstructor } from '../../src/grpc/proto';
import { REASON_METADATA_KEY } from '../../src/grpc/wire';

export async function tempDir(prefix = 'creator-match-'): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), prefix));
}

export async function writeJsonl(file: string, rows: unknown[]): Promise<void> {
  await fs.writeFile(file, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
}

export interface Running {
  app: MatchApp;
  port: number;
  client: grpc.Client & Record<string, any>;
  /** Log lines the app wrote (parsed JSON). */
  logs: Array<Record<string, unknown>>;
  stop(): Promise<void>;
}

/** Starts the real service on 127.0.0.1:0 over an index dir. */
export async function startServer(indexDir: string, env: Record<string, string> = {}): Promise<Running> {
  const config = loadConfig({ MATCH_INDEX_DIR: indexDir, MATCH_GRPC_ADDR: '127.0.0.1:0', LOG_LEVEL: 'debug', MATCH_SHUTDOWN_GRACE_MS: '2000', ...env });
  const logs: Array<Record<string, unknown>> = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => logs.push(JSON.parse(line) as Record<string, unknown>) });
  return { ...(await serveApp(new MatchApp(config, logger))), logs };
}

/** Inits an app, listens on 127.0.0.1:0 and connects a client; `stop` closes both. */
export async function serveApp(app: MatchApp): Promise<Omit<Running, 'logs'>> {
  await app.init();
  const port = await app.listen('127.0.0.1:0');
  const Client = matcherClientConstructor();
  const client = new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure()) as grpc.Client & Record<string, any>;
  return {
    app,
    port,
    client,
    async stop() {
      client.close();
      await app.close();
    },
  };
}

export function unary<T = any>(client: Record<string, any>, method: string, request: unknown, deadlineMs = 30_000): Promise<T> {
  return new Promise((resolve, reject) => {
    client[method](request, { deadline: Date.now() + deadlineMs }, (err: grpc.ServiceError | null, res: T) => (err ? reject(err) : resolve(res)));
  });
}

/** Resolves with the gRPC error of a call that must fail. */
export async function unaryError(client: Record<string, any>, method: string, request: unknown): Promise<grpc.ServiceError & { reason: string }> {
  try {
    await unary(client, method, request);
  } catch (err) {
    const e = err as grpc.ServiceError;
    return Object.assign(e, { reason: String(e.metadata?.get(REASON_METADATA_KEY)[0] ?? '') });
  }
  throw new Error(`${method} unexpectedly succeeded`);
}

/** Sends all requests over one BatchMatch stream and collects the responses. */
export function batch<T = any>(client: Record<string, any>, requests: unknown[]): Promise<T[]> {
  return new Promise((resolve, reject) => {
    const out: T[] = [];
    const call = client.BatchMatch({ deadline: Date.now() + 60_000 });
    call.on('data', (r: T) => out.push(r));
    call.on('error', reject);
    call.on('end', () => resolve(out));
    for (const r of requests) call.write(r);
    call.end();
  });
}

export function healthCheck(port: number, service = ''): Promise<string> {
  const { loadSync } = require('@grpc/proto-loader') as typeof import('@grpc/proto-loader');
  const { protoPath } = require('grpc-health-check') as { protoPath: string };
  const def = grpc.loadPackageDefinition(loadSync(protoPath, { keepCase: true, enums: String, defaults: true })) as any;
  const client = new def.grpc.health.v1.Health(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  return new Promise((resolve, reject) => {
    client.Check({ service }, (err: Error | null, res: { status: string }) => {
      client.close();
      if (err) reject(err);
      else resolve(res.status);
    });
  });
}

export const ADMIN_TOKEN = 'test-admin-token-0123456789';

/** An IndexAdmin client (calls below take `token: null` to send no credentials). */
export function adminClient(port: number): grpc.Client & Record<string, any> {
  const { clientConstructor } = require('../../src/grpc/proto') as typeof import('../../src/grpc/proto');
  const Admin = clientConstructor('IndexAdmin');
  return new Admin(`127.0.0.1:${port}`, grpc.credentials.createInsecure()) as grpc.Client & Record<string, any>;
}

export function authMetadata(token: string | null = ADMIN_TOKEN): grpc.Metadata {
  const md = new grpc.Metadata();
  if (token !== null) md.set('authorization', `Bearer ${token}`);
  return md;
}

export function adminUnary<T = any>(client: Record<string, any>, method: string, request: unknown, token: string | null = ADMIN_TOKEN): Promise<T> {
  return new Promise((resolve, reject) => {
    client[method](request, authMetadata(token), { deadline: Date.now() + 60_000 }, (err: grpc.ServiceError | null, res: T) => (err ? reject(err) : resolve(res)));
  });
}

export function adminUpsert<T = any>(client: Record<string, any>, creators: unknown[], token: string | null = ADMIN_TOKEN): Promise<T> {
  return new Promise((resolve, reject) => {
    const call = client.UpsertCreators(authMetadata(token), { deadline: Date.now() + 60_000 }, (err: grpc.ServiceError | null, res: T) =>
      err ? reject(err) : resolve(res),
    );
    for (const c of creators) call.write(c);
    call.end();
  });
}

/** Polls `check` until it returns true (or throws after `ms`). */
export async function waitFor(check: () => Promise<boolean> | boolean, ms = 20_000, what = 'condition'): Promise<void> {
  const until = Date.now() + ms;
  for (;;) {
    if (await check()) return;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
