import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import pino from 'pino';
import { MatchApp } from '../../src/app';
import { loadConfig } from '../../src/config/config';
import type { CreatorMatcherClient } from '../../src/contract/creatormatch/v1/CreatorMatcher';
import type { GetIndexInfoRequest } from '../../src/contract/creatormatch/v1/GetIndexInfoRequest';
import type { IndexInfo__Output } from '../../src/contract/creatormatch/v1/IndexInfo';
import type { IndexAdminClient } from '../../src/contract/creatormatch/v1/IndexAdmin';
import type { Creator } from '../../src/contract/creatormatch/v1/Creator';
import type { DeleteCreatorsRequest } from '../../src/contract/creatormatch/v1/DeleteCreatorsRequest';
import type { DeleteCreatorsResponse__Output } from '../../src/contract/creatormatch/v1/DeleteCreatorsResponse';
import type { MatchRequest } from '../../src/contract/creatormatch/v1/MatchRequest';
import type { MatchResponse__Output } from '../../src/contract/creatormatch/v1/MatchResponse';
import type { ReloadIndexRequest } from '../../src/contract/creatormatch/v1/ReloadIndexRequest';
import type { ReloadIndexResponse__Output } from '../../src/contract/creatormatch/v1/ReloadIndexResponse';
import type { UpsertCreatorsResponse__Output } from '../../src/contract/creatormatch/v1/UpsertCreatorsResponse';
import { adminClientConstructor, matcherClientConstructor } from '../../src/grpc/proto';
import { REASON_METADATA_KEY } from '../../src/grpc/wire';
import { check } from '../../scripts/healthcheck';

/** Request and response types of the unary methods, by name. */
interface UnaryMethods {
  Match: [MatchRequest, MatchResponse__Output];
  GetIndexInfo: [GetIndexInfoRequest, IndexInfo__Output];
}
interface AdminUnaryMethods {
  ReloadIndex: [ReloadIndexRequest, ReloadIndexResponse__Output];
  DeleteCreators: [DeleteCreatorsRequest, DeleteCreatorsResponse__Output];
}

export async function tempDir(prefix = 'creator-match-'): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), prefix));
}

export async function writeJsonl(file: string, rows: unknown[]): Promise<void> {
  await fs.writeFile(file, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
}

export interface Running {
  app: MatchApp;
  port: number;
  client: CreatorMatcherClient;
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
  const client = new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
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

/** A grpc-js callback that settles a promise: with the error, else the response (none is an error too). */
export function settle<T>(resolve: (value: T) => void, reject: (err: Error) => void): (err: grpc.ServiceError | null, res?: T) => void {
  return (err, res) => {
    if (err) reject(err);
    else if (res === undefined) reject(new Error('the call ended without a response'));
    else resolve(res);
  };
}

export function unary<M extends keyof UnaryMethods>(client: CreatorMatcherClient, method: M, request: UnaryMethods[M][0], deadlineMs = 30_000): Promise<UnaryMethods[M][1]> {
  return new Promise((resolve, reject) => {
    const callback = settle(resolve, reject);
    const options = { deadline: Date.now() + deadlineMs };
    if (method === 'Match') client.Match(request, options, callback as grpc.requestCallback<MatchResponse__Output>);
    else client.GetIndexInfo(request, options, callback as grpc.requestCallback<IndexInfo__Output>);
  });
}

/** A gRPC error, with the refusal reason the service sends in the trailers ('' when none). */
export type CallError = grpc.ServiceError & { reason: string };

/** Resolves with the gRPC error of a call that must fail (`what` names it when it succeeds). */
export async function callError(call: Promise<unknown>, what = 'call'): Promise<CallError> {
  try {
    await call;
  } catch (err) {
    const e = err as grpc.ServiceError;
    return Object.assign(e, { reason: String(e.metadata?.get(REASON_METADATA_KEY)[0] ?? '') });
  }
  throw new Error(`${what} unexpectedly succeeded`);
}

/** Resolves with the gRPC error of a call that must fail. */
export function unaryError<M extends keyof UnaryMethods>(client: CreatorMatcherClient, method: M, request: UnaryMethods[M][0], deadlineMs?: number): Promise<CallError> {
  return callError(unary(client, method, request, deadlineMs), method);
}

/** Sends all requests over one BatchMatch stream and collects the responses. */
export function batch(client: CreatorMatcherClient, requests: MatchRequest[]): Promise<MatchResponse__Output[]> {
  return new Promise((resolve, reject) => {
    const out: MatchResponse__Output[] = [];
    const call = client.BatchMatch({ deadline: Date.now() + 60_000 });
    call.on('data', (r: MatchResponse__Output) => out.push(r));
    call.on('error', reject);
    call.on('end', () => resolve(out));
    for (const r of requests) call.write(r);
    call.end();
  });
}

/** grpc.health.v1.Health/Check of the server on `port` (the Docker HEALTHCHECK's client). */
export function healthCheck(port: number, service = ''): Promise<string> {
  return check(`127.0.0.1:${port}`, service, 30_000);
}

export const ADMIN_TOKEN = 'test-admin-token-0123456789';

/** An IndexAdmin client (calls below take `token: null` to send no credentials). */
export function adminClient(port: number): IndexAdminClient {
  const Admin = adminClientConstructor();
  return new Admin(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
}

export function authMetadata(token: string | null = ADMIN_TOKEN): grpc.Metadata {
  const md = new grpc.Metadata();
  if (token !== null) md.set('authorization', `Bearer ${token}`);
  return md;
}

export function adminUnary<M extends keyof AdminUnaryMethods>(
  client: IndexAdminClient,
  method: M,
  request: AdminUnaryMethods[M][0],
  token: string | null = ADMIN_TOKEN,
): Promise<AdminUnaryMethods[M][1]> {
  return new Promise((resolve, reject) => {
    const callback = settle(resolve, reject);
    const options = { deadline: Date.now() + 60_000 };
    if (method === 'ReloadIndex') client.ReloadIndex(request as ReloadIndexRequest, authMetadata(token), options, callback as grpc.requestCallback<ReloadIndexResponse__Output>);
    else client.DeleteCreators(request as DeleteCreatorsRequest, authMetadata(token), options, callback as grpc.requestCallback<DeleteCreatorsResponse__Output>);
  });
}

export function adminUpsert(client: IndexAdminClient, creators: Creator[], token: string | null = ADMIN_TOKEN): Promise<UpsertCreatorsResponse__Output> {
  return new Promise((resolve, reject) => {
    const call = client.UpsertCreators(authMetadata(token), { deadline: Date.now() + 60_000 }, settle(resolve, reject));
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
