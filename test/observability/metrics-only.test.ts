import { promises as fs } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import pino from 'pino';
import type { MatchResponse__Output } from '../../src/contract/creatormatch/v1/MatchResponse';
import { startTelemetry } from '../../src/telemetry/sdk';
import { settle } from '../helpers/server';
import { httpGet, startObservedServer, syntheticIndex, type ObservedServer } from './helpers';

// The default telemetry (Prometheus, no OTLP, no traces) runs without NodeSDK and the exporters
// it imports (~9 MiB of RSS): a MeterProvider, the runtime metrics, the W3C propagators and the
// context manager. NodeSDK and an OTLP exporter load when configured: the module factories below
// record each load and return the real module.
const mockLoaded: string[] = [];
jest.mock('@opentelemetry/sdk-node', () => {
  mockLoaded.push('@opentelemetry/sdk-node');
  return jest.requireActual<object>('@opentelemetry/sdk-node');
});
jest.mock('@opentelemetry/exporter-metrics-otlp-proto', () => {
  mockLoaded.push('@opentelemetry/exporter-metrics-otlp-proto');
  return jest.requireActual<object>('@opentelemetry/exporter-metrics-otlp-proto');
});
const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';

let idx: Awaited<ReturnType<typeof syntheticIndex>>;
let server: ObservedServer;

beforeAll(async () => {
  idx = await syntheticIndex(200);
  server = await startObservedServer(idx.indexDir);
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(idx.dir, { recursive: true, force: true });
});

it('starts the metrics-only SDK and serves runtime metrics; a traceparent alone starts no span', async () => {
  expect(server.logs.find((l) => l.msg === 'telemetry started')).toMatchObject({ prometheus: true, otlpMetrics: false, traces: false, sdk: 'metrics-only' });
  const metadata = new grpc.Metadata();
  metadata.set('traceparent', `00-${TRACE_ID}-b7ad6b7169203331-01`);
  const res = await new Promise<MatchResponse__Output>((resolve, reject) =>
    server.client.Match({ request_id: 'mo-1', vector: { values: idx.creators[0]!.vector }, k: 2 }, metadata, { deadline: Date.now() + 10_000 }, settle(resolve, reject)),
  );
  expect(res.matches).toHaveLength(2);
  // No trace export: no spans, so no trace ids in the logs either (docs/OPERATIONS.md), as under NodeSDK.
  expect(server.logs.find((l) => l.msg === 'match ok' && l.request_id === 'mo-1')).not.toHaveProperty('trace_id');
  const scrape = await httpGet(server.telemetry.metricsPort!, '/metrics');
  expect(scrape.status).toBe(200);
  expect(scrape.body).toMatch(/^nodejs_eventloop_utilization/m);
  expect(scrape.body).toMatch(/service_name="creator-match"/);
});

it('loads NodeSDK and an OTLP exporter only when one is configured', async () => {
  expect(mockLoaded).toEqual([]); // the server above: Prometheus only
  const otlp = await startTelemetry({ metricsAddr: undefined, logger: pino({ level: 'silent' }), env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9', OTEL_TRACES_EXPORTER: 'none' } });
  await otlp.shutdown();
  expect(mockLoaded.sort()).toEqual(['@opentelemetry/exporter-metrics-otlp-proto', '@opentelemetry/sdk-node']);
});
