import { promises as fs } from 'node:fs';
import { Writable } from 'node:stream';
import * as grpc from '@grpc/grpc-js';
import { SpanKind } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace';
import type { MatchRequest } from '../../src/contract/creatormatch/v1/MatchRequest';
import type { MatchResponse__Output } from '../../src/contract/creatormatch/v1/MatchResponse';
import { createLogger } from '../../src/logging/logger';
import { batch, settle, unaryError } from '../helpers/server';
import { startObservedServer, syntheticIndex, type ObservedServer } from './helpers';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT_SPAN = '00f067aa0ba902b7';
const SERVICE = 'creatormatch.v1.CreatorMatcher';

let idx: Awaited<ReturnType<typeof syntheticIndex>>;
let server: ObservedServer;
const exporter = new InMemorySpanExporter();

function matchWithTraceparent(request: MatchRequest): Promise<MatchResponse__Output> {
  const metadata = new grpc.Metadata();
  metadata.set('traceparent', `00-${TRACE_ID}-${PARENT_SPAN}-01`);
  return new Promise((resolve, reject) => {
    server.client.Match(request, metadata, { deadline: Date.now() + 10_000 }, settle(resolve, reject));
  });
}

beforeAll(async () => {
  idx = await syntheticIndex(300);
  server = await startObservedServer(idx.indexDir, { spanProcessors: [new SimpleSpanProcessor({ exporter })] });
});

afterAll(async () => {
  await server?.stop();
  if (idx) await fs.rm(idx.dir, { recursive: true, force: true });
});

describe('traces', () => {
  it('one server span per RPC, continuing the caller trace, with filter and search spans inside', async () => {
    exporter.reset();
    const vector = idx.creators[9]!.vector;
    await matchWithTraceparent({ request_id: 'traced-1', fan_id: 'fan-1', vector: { values: vector }, k: 4 });
    const spans = exporter.getFinishedSpans();
    const rpc = spans.find((s) => s.name === `${SERVICE}/Match`);
    expect(rpc).toBeDefined();
    expect(rpc!.kind).toBe(SpanKind.SERVER);
    expect(rpc!.spanContext().traceId).toBe(TRACE_ID);
    expect(rpc!.parentSpanContext?.spanId).toBe(PARENT_SPAN);
    expect(rpc!.attributes).toMatchObject({ 'rpc.system': 'grpc', 'rpc.service': SERVICE, 'rpc.method': 'Match', 'rpc.grpc.status_code': 0 });
    for (const name of ['creator_match.filter', 'creator_match.search']) {
      const child = spans.find((s) => s.name === name);
      expect(child).toBeDefined();
      expect(child!.spanContext().traceId).toBe(TRACE_ID);
      expect(child!.parentSpanContext?.spanId).toBe(rpc!.spanContext().spanId);
    }
    expect(spans.find((s) => s.name === 'creator_match.search')!.attributes['creator_match.strategy']).toBe('ann_overfetch');
  });

  it('marks failed calls as errors with the status code', async () => {
    exporter.reset();
    await expect(matchWithTraceparent({ vector: { values: [1, 2] } })).rejects.toMatchObject({ code: grpc.status.INVALID_ARGUMENT });
    const rpc = exporter.getFinishedSpans().find((s) => s.name === `${SERVICE}/Match`)!;
    expect(rpc.attributes['rpc.grpc.status_code']).toBe(grpc.status.INVALID_ARGUMENT);
    expect(rpc.status.code).toBe(2); // SpanStatusCode.ERROR
    expect(rpc.status.message).toContain('INVALID_ARGUMENT');
  });
});

describe('logs', () => {
  it('one child logger per RPC: method, request_id and fan_id on every line, trace ids when traced, never the vector', async () => {
    server.logs.length = 0;
    const vector = idx.creators[11]!.vector;
    await matchWithTraceparent({ request_id: 'log-req-1', fan_id: 'log-fan-1', vector: { values: vector }, k: 2 });
    const ok = server.logs.find((l) => l.msg === 'match ok');
    expect(ok).toMatchObject({ level: 20, service: 'creator-match', method: 'Match', request_id: 'log-req-1', fan_id: 'log-fan-1', results: 2, trace_id: TRACE_ID });
    expect(typeof ok!.time).toBe('string');
    expect(JSON.stringify(server.logs)).not.toContain(String(vector[0]));
  });

  it('logs a failure with its reason and code, and a BatchMatch item with its own ids', async () => {
    server.logs.length = 0;
    await unaryError(server.client, 'Match', { request_id: 'log-req-2', fan_id: 'log-fan-2', like_creators: { ids: ['ghost'] } });
    expect(server.logs.find((l) => l.msg === 'match failed')).toMatchObject({ level: 30, method: 'Match', request_id: 'log-req-2', fan_id: 'log-fan-2', reason: 'UNKNOWN_CREATORS', code: grpc.status.NOT_FOUND });
    await batch(server.client, [{ request_id: 'log-b1', fan_id: 'log-fan-3', vector: { values: [0.5] } }]);
    expect(server.logs.find((l) => l.msg === 'batch item failed')).toMatchObject({ method: 'BatchMatch', request_id: 'log-b1', fan_id: 'log-fan-3', reason: 'DIMENSION_MISMATCH' });
    expect(server.logs.find((l) => l.msg === 'batch stream closed')).toMatchObject({ method: 'BatchMatch', items: 1, failed: 1 });
  });
});

describe('the root logger', () => {
  interface LogLine {
    msg?: string;
    err?: { type: string; message: string; stack: string };
  }
  const capture = (level: string): { lines: LogLine[]; log: ReturnType<typeof createLogger> } => {
    const lines: LogLine[] = [];
    const sink = new Writable({ write: (chunk, _enc, cb) => (lines.push(JSON.parse(String(chunk)) as LogLine), cb()) });
    return { lines, log: createLogger(level, sink) };
  };

  it('writes errors under err with type, message and stack', () => {
    const { lines, log } = capture('info');
    log.error({ err: new TypeError('boom') }, 'it failed');
    expect(lines[0]).toMatchObject({ level: 50, msg: 'it failed', err: { type: 'TypeError', message: 'boom' } });
    expect(lines[0]!.err!.stack).toContain('TypeError: boom');
  });

  it('redacts tokens, authorization headers and vectors', () => {
    const { lines, log } = capture('info');
    log.info({ token: 'tok-1', admin_token: 'tok-2', req: { authorization: 'Bearer tok-3', token: 'tok-4' }, vector: [0.123456], query: { vector: [0.654321], values: [0.777] } }, 'x');
    const text = JSON.stringify(lines);
    for (const secret of ['tok-1', 'tok-2', 'tok-3', 'tok-4', '0.123456', '0.654321', '0.777']) expect(text).not.toContain(secret);
    expect(lines[0]).toMatchObject({ token: '[redacted]', req: { authorization: '[redacted]' } });
  });

  it('honours the level (LOG_LEVEL)', () => {
    const { lines, log } = capture('warn');
    log.info('hidden');
    log.warn('shown');
    expect(lines.map((l) => l.msg)).toEqual(['shown']);
  });
});
