import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { context, diag, DiagLogLevel, metrics, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { RuntimeNodeInstrumentation } from '@opentelemetry/instrumentation-runtime-node';
import { defaultResource, detectResources, envDetector, hostDetector, osDetector, processDetector, resourceFromAttributes, type Resource } from '@opentelemetry/resources';
import { MeterProvider, PeriodicExportingMetricReader, type IMetricReader, type PushMetricExporter } from '@opentelemetry/sdk-metrics';
import type { SpanProcessor } from '@opentelemetry/sdk-trace';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { PACKAGE_ROOT } from '../config/config';
import type { Logger } from '../logging/logger';
import { setTracesExported } from './tracing';

/**
 * The OpenTelemetry SDK, started once by the entry point (src/main.ts) before the app is built.
 * Everything else imports only @opentelemetry/api. What it sets up:
 * - metrics: a Prometheus scrape endpoint on MATCH_METRICS_ADDR (path /metrics; "off" disables it)
 *   and, when an OTLP endpoint is configured, an OTLP push reader (OTEL_EXPORTER_OTLP_* honoured);
 * - traces: exported only when OTEL_EXPORTER_OTLP_ENDPOINT / _TRACES_ENDPOINT or
 *   OTEL_TRACES_EXPORTER is set (the SDK then configures itself from the standard OTEL_* vars);
 * - OTEL_SDK_DISABLED=true turns all of it off (the /metrics endpoint too).
 */
export interface TelemetryOptions {
  /** host:port of the Prometheus endpoint, or undefined for none. Port 0 picks a free port. */
  metricsAddr: string | undefined;
  logger: Logger;
  env?: NodeJS.ProcessEnv;
  /** Extra span processors (tests: an in-memory exporter); they turn tracing on. */
  spanProcessors?: SpanProcessor[];
  /** Default: package.json's version. */
  serviceVersion?: string;
}

export interface Telemetry {
  /** Port the /metrics endpoint is bound to (undefined when it is off). */
  readonly metricsPort: number | undefined;
  /** Where traces and metrics go, for the startup log line. */
  readonly exporters: { prometheus: boolean; otlpMetrics: boolean; traces: boolean };
  /** Idempotent: stops /metrics, flushes the exporters and unregisters the global providers. */
  shutdown(): Promise<void>;
}

export const METRICS_PATH = '/metrics';

const set = (v: string | undefined): boolean => v !== undefined && v.trim() !== '';
const list = (v: string | undefined): string[] => (v ?? '').split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);

/** Loaded only when OTLP metrics are configured (each protocol's exporter is its own package). */
async function otlpMetricExporter(env: NodeJS.ProcessEnv): Promise<PushMetricExporter> {
  const protocol = (env.OTEL_EXPORTER_OTLP_METRICS_PROTOCOL ?? env.OTEL_EXPORTER_OTLP_PROTOCOL ?? 'http/protobuf').trim();
  if (protocol === 'grpc') return new (await import('@opentelemetry/exporter-metrics-otlp-grpc')).OTLPMetricExporter();
  if (protocol === 'http/json') return new (await import('@opentelemetry/exporter-metrics-otlp-http')).OTLPMetricExporter();
  return new (await import('@opentelemetry/exporter-metrics-otlp-proto')).OTLPMetricExporter();
}

/** What was started, with the one call that stops it. */
interface Providers {
  shutdown(): Promise<void>;
}

/**
 * Metrics only (the default: Prometheus, no OTLP, no traces): a MeterProvider with the runtime
 * instrumentation, the W3C propagators and the AsyncLocalStorage context manager, which is what
 * NodeSDK registers in that case, without loading NodeSDK and the trace and log exporters it
 * imports for every protocol (~9 MiB of RSS, measured by requiring each set in a bare process).
 */
function startMetricsOnly(resource: Resource, readers: IMetricReader[], runtime: RuntimeNodeInstrumentation): Providers {
  const contextManager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(contextManager);
  propagation.setGlobalPropagator(new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] }));
  if (readers.length === 0) return { shutdown: async () => undefined }; // MATCH_METRICS_ADDR=off: nothing to measure for
  const meterProvider = new MeterProvider({ resource, readers });
  metrics.setGlobalMeterProvider(meterProvider);
  const unload = registerInstrumentations({ instrumentations: [runtime], meterProvider });
  return {
    async shutdown() {
      unload();
      await meterProvider.shutdown();
    },
  };
}

/** OTLP metrics, traces or other propagators: NodeSDK, which reads the standard OTEL_* variables. */
async function startNodeSdk(resource: Resource, readers: IMetricReader[], runtime: RuntimeNodeInstrumentation, spanProcessors: SpanProcessor[] | undefined, installDiag: () => void): Promise<Providers> {
  const { NodeSDK } = await import('@opentelemetry/sdk-node');
  const sdk = new NodeSDK({
    resource,
    autoDetectResources: false,
    instrumentations: [runtime],
    metricReaders: readers,
    // No trace exporter configured: [] (no tracer provider, spans stay no-ops); undefined: the SDK reads OTEL_*.
    ...(spanProcessors ? { spanProcessors } : {}),
    // Logs go through pino to stdout, never through the OTel logs pipeline.
    logRecordProcessors: [],
  });
  // After the constructor, which installs a console diag logger when OTEL_LOG_LEVEL is set, and
  // before start(), so that what the SDK says while starting goes through pino.
  installDiag();
  sdk.start();
  return sdk;
}

export function parseHostPort(addr: string): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:]+)\]|([A-Za-z0-9.-]+)):(\d{1,5})$/.exec(addr);
  if (!m) throw new Error(`not host:port: ${addr}`);
  return { host: m[1] ?? m[2]!, port: Number(m[3]) };
}

function listen(server: http.Server, addr: string): Promise<number> {
  const { host, port } = parseHostPort(addr);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port }, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/** Starts the SDK and binds the /metrics endpoint. Call once, before the app is built. */
export async function startTelemetry(opts: TelemetryOptions): Promise<Telemetry> {
  const env = opts.env ?? process.env;
  const log = opts.logger.child({ component: 'otel' });
  const disabled = ['true', '1'].includes((env.OTEL_SDK_DISABLED ?? '').trim().toLowerCase());
  if (disabled) {
    log.info('OTEL_SDK_DISABLED: no metrics or traces');
    return { metricsPort: undefined, exporters: { prometheus: false, otlpMetrics: false, traces: false }, shutdown: async () => undefined };
  }

  const readers: IMetricReader[] = [];
  const prometheus = opts.metricsAddr ? new PrometheusExporter({ preventServerStart: true, withoutScopeInfo: true }) : undefined;
  if (prometheus) readers.push(prometheus);
  const otlpEndpoint = set(env.OTEL_EXPORTER_OTLP_ENDPOINT);
  const metricsExporters = list(env.OTEL_METRICS_EXPORTER);
  const otlpMetrics = !metricsExporters.includes('none') && (otlpEndpoint || set(env.OTEL_EXPORTER_OTLP_METRICS_ENDPOINT) || metricsExporters.includes('otlp'));
  if (otlpMetrics) readers.push(new PeriodicExportingMetricReader({ exporter: await otlpMetricExporter(env) }));
  const tracesExporters = list(env.OTEL_TRACES_EXPORTER);
  const traces = !tracesExporters.includes('none') && (otlpEndpoint || set(env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) || tracesExporters.length > 0);

  // Detected once and settled before the first scrape (an unsettled resource logs an error per read).
  const resource = defaultResource()
    .merge(detectResources({ detectors: [envDetector, processDetector, hostDetector, osDetector] }))
    .merge(resourceFromAttributes({ ...(set(env.OTEL_SERVICE_NAME) ? {} : { 'service.name': 'creator-match' }), 'service.version': opts.serviceVersion ?? packageVersion() }));
  await resource.waitForAsyncAttributes?.();
  // Node runtime metrics: event-loop delay and utilization, GC durations, heap spaces.
  const runtime = new RuntimeNodeInstrumentation({ monitoringPrecision: 10 });
  const level = (env.OTEL_LOG_LEVEL ?? 'WARN').trim().toUpperCase();
  const installDiag = (): void =>
    void diag.setLogger(
      { error: (m, ...a) => log.error({ args: a }, m), warn: (m, ...a) => log.warn({ args: a }, m), info: (m) => log.info(m), debug: (m) => log.debug(m), verbose: (m) => log.trace(m) },
      { logLevel: (DiagLogLevel as unknown as Record<string, DiagLogLevel>)[level] ?? DiagLogLevel.WARN, suppressOverrideMessage: true },
    );
  const full = otlpMetrics || traces || opts.spanProcessors !== undefined || set(env.OTEL_PROPAGATORS);
  if (!full) installDiag();
  const sdk = full ? await startNodeSdk(resource, readers, runtime, opts.spanProcessors ?? (traces ? undefined : []), installDiag) : startMetricsOnly(resource, readers, runtime);

  let server: http.Server | undefined;
  let metricsPort: number | undefined;
  if (prometheus && opts.metricsAddr) {
    server = http.createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      if (req.method === 'GET' && url.pathname === METRICS_PATH) prometheus.getMetricsRequestHandler(req, res);
      else {
        res.statusCode = 404;
        res.end(`not found; metrics are at ${METRICS_PATH}\n`);
      }
    });
    try {
      metricsPort = await listen(server, opts.metricsAddr);
    } catch (err) {
      await sdk.shutdown().catch(() => undefined);
      unregister();
      throw new Error(`cannot serve metrics on MATCH_METRICS_ADDR=${opts.metricsAddr}: ${(err as Error).message}`, { cause: err });
    }
  }
  const exporters = { prometheus: metricsPort !== undefined, otlpMetrics, traces: traces || opts.spanProcessors !== undefined };
  setTracesExported(exporters.traces);
  log.info({ metrics_addr: opts.metricsAddr ?? null, metrics_port: metricsPort ?? null, ...exporters, sdk: full ? 'node-sdk' : 'metrics-only' }, 'telemetry started');

  let closing: Promise<void> | undefined;
  return {
    metricsPort,
    exporters,
    shutdown() {
      closing ??= (async () => {
        if (server) {
          const s = server;
          await new Promise<void>((resolve) => {
            s.close(() => resolve());
            s.closeAllConnections();
          });
        }
        try {
          await sdk.shutdown();
        } catch (err) {
          log.warn({ err }, 'telemetry flush failed');
        }
        unregister();
      })();
      return closing;
    },
  };
}

function packageVersion(): string {
  try {
    return String((JSON.parse(readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version?: string }).version ?? 'unknown');
  } catch {
    return 'unknown';
  }
}

/** Unregisters the global providers so that a later start (tests) registers afresh. */
function unregister(): void {
  setTracesExported(false);
  metrics.disable();
  trace.disable();
  propagation.disable();
  context.disable();
  diag.disable();
}
