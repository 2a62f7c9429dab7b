import http from 'node:http';
import path from 'node:path';
import pino from 'pino';
import { buildIndex } from '../../index-builder/build-index';
import { MatchApp } from '../../src/app';
import { loadConfig } from '../../src/config/config';
import type { CreatorMatcherClient } from '../../src/contract/creatormatch/v1/CreatorMatcher';
import { createLogger } from '../../src/logging/logger';
import { startTelemetry, type Telemetry, type TelemetryOptions } from '../../src/telemetry/sdk';
import { syntheticCreators, type SyntheticCreator } from '../helpers/synthetic';
import { serveApp, tempDir, writeJsonl } from '../helpers/server';

export const DIMS = 16;

/** A small index from provided vectors (no model): fast to build. */
export async function syntheticIndex(n: number): Promise<{ dir: string; indexDir: string; creators: SyntheticCreator[]; version: string }> {
  const dir = await tempDir('creator-match-obs-');
  const creators = syntheticCreators(n, DIMS, 7, 50);
  const input = path.join(dir, 'creators.jsonl');
  await writeJsonl(input, creators);
  const report = await buildIndex({ input, out: path.join(dir, 'idx'), recallSample: 50 });
  return { dir, indexDir: path.join(dir, 'idx'), creators, version: report.version };
}

export interface ObservedServer {
  app: MatchApp;
  port: number;
  telemetry: Telemetry;
  client: CreatorMatcherClient;
  logs: Array<Record<string, unknown>>;
  stop(): Promise<void>;
}

/** The real service with the real OTel SDK, /metrics on 127.0.0.1 port 0, logs captured. */
export async function startObservedServer(indexDir: string, telemetryOpts: Partial<TelemetryOptions> = {}, env: Record<string, string> = {}): Promise<ObservedServer> {
  const config = loadConfig({ MATCH_INDEX_DIR: indexDir, MATCH_GRPC_ADDR: '127.0.0.1:0', MATCH_METRICS_ADDR: '127.0.0.1:0', LOG_LEVEL: 'debug', MATCH_SHUTDOWN_GRACE_MS: '2000', ...env });
  const logs: Array<Record<string, unknown>> = [];
  const logger = createLogger('debug', { write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>) });
  // env: {} so OTEL_* variables of the machine running the tests cannot change what is exported.
  const telemetry = await startTelemetry({ metricsAddr: config.metricsAddr, logger, env: {}, ...telemetryOpts });
  return { ...(await serveApp(new MatchApp(config, logger, telemetry))), telemetry, logs };
}

export function httpGet(port: number, urlPath: string): Promise<{ status: number; body: string; contentType: string }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: urlPath }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, contentType: String(res.headers['content-type'] ?? '') }));
      })
      .on('error', reject);
  });
}

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses the Prometheus text format (samples only). */
export function parsePrometheus(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$/.exec(line);
    if (!m) throw new Error(`unparseable metrics line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    out.push({ name: m[1]!, labels, value: m[3] === '+Inf' ? Infinity : Number(m[3]) });
  }
  return out;
}

/** Samples of `name` whose labels include `labels`. */
export function find(samples: Sample[], name: string, labels: Record<string, string> = {}): Sample[] {
  return samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
}

export const quietLogger = (): pino.Logger => pino({ level: 'silent' });
