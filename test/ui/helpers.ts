import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import pino from 'pino';
import { buildIndex } from '../../index-builder/build-index';
import { MatchApp } from '../../src/app';
import { loadConfig, SAMPLE_CATALOG } from '../../src/config/config';
import type { CreatorMatcherClient } from '../../src/contract/creatormatch/v1/CreatorMatcher';
import { matcherClientConstructor } from '../../src/grpc/proto';
import { tempDir } from '../helpers/server';

export const ROOT = path.resolve(__dirname, '..', '..');
export const WEB_DIST = path.join(ROOT, 'web', 'dist');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

/** web/dist as `npm run web:build` makes it, rebuilt when a source is newer (about 1 s). */
export function ensureWebBuilt(): void {
  const index = path.join(WEB_DIST, 'index.html');
  const sources = Math.max(newestMtime(path.join(ROOT, 'web', 'src')), statSync(path.join(ROOT, 'web', 'index.html')).mtimeMs, statSync(path.join(ROOT, 'src', 'ui', 'api-types.ts')).mtimeMs);
  if (existsSync(index) && statSync(index).mtimeMs >= sources) return;
  execFileSync(process.execPath, [path.join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', 'web'], { cwd: ROOT, stdio: 'pipe' });
}

/** The bundled sample catalog (1,200 creators, real names and texts) built with the real model. */
export async function sampleIndex(): Promise<{ dir: string; indexDir: string }> {
  const dir = await tempDir('creator-match-ui-');
  const indexDir = path.join(dir, 'idx');
  await buildIndex({ input: SAMPLE_CATALOG, out: indexDir, recallSample: 100 });
  return { dir, indexDir };
}

export interface UiRunning {
  app: MatchApp;
  grpcPort: number;
  uiPort: number;
  base: string;
  client: CreatorMatcherClient;
  logs: Array<Record<string, unknown>>;
  stop(): Promise<void>;
}

/** The real service on 127.0.0.1 port 0 with the workbench on another port 0. */
export async function startUi(indexDir: string, env: Record<string, string> = {}): Promise<UiRunning> {
  const config = loadConfig({ MATCH_INDEX_DIR: indexDir, MATCH_GRPC_ADDR: '127.0.0.1:0', MATCH_UI_ADDR: '127.0.0.1:0', MATCH_METRICS_ADDR: 'off', LOG_LEVEL: 'debug', MATCH_SHUTDOWN_GRACE_MS: '2000', MATCH_RECALL_SAMPLE_RATE: '0', ...env });
  const logs: Array<Record<string, unknown>> = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>) });
  const app = new MatchApp(config, logger);
  await app.init();
  const grpcPort = await app.listen('127.0.0.1:0');
  const uiPort = (await app.listenUi())!;
  const Client = matcherClientConstructor();
  const client = new Client(`127.0.0.1:${grpcPort}`, grpc.credentials.createInsecure());
  const secure = config.tls.certFile !== undefined;
  return {
    app,
    grpcPort,
    uiPort,
    base: `${secure ? 'https' : 'http'}://${secure ? 'localhost' : '127.0.0.1'}:${uiPort}`,
    client,
    logs,
    async stop() {
      client.close();
      await app.close();
    },
  };
}

export interface HttpAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  json<T = Record<string, unknown>>(): T;
}

/** One HTTP(S) request (node's client: exact paths, no normalisation). */
export function request(url: string, opts: { method?: string; headers?: Record<string, string>; body?: string | Buffer; ca?: Buffer; cert?: Buffer; key?: Buffer } = {}): Promise<HttpAnswer> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const lib = u.protocol === 'https:' ? https : http;
    const req = lib.request(
      { host: u.hostname, port: u.port, path: url.slice(url.indexOf('/', u.protocol.length + 2)), method: opts.method ?? 'GET', headers: opts.headers ?? {}, ...(opts.ca ? { ca: opts.ca } : {}), ...(opts.cert ? { cert: opts.cert, key: opts.key } : {}) },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const body = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json: <T>() => JSON.parse(body) as T });
        });
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

export const postJson = (url: string, body: unknown, headers: Record<string, string> = {}): Promise<HttpAnswer> =>
  request(url, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
