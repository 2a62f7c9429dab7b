import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { context, diag, DiagLogLevel, metrics, propagation, trace } from '@opentelemetry/api';
import { OTLPMetricExporter as OtlpGrpcMetricExporter } from '@opentelemetry/exporter-metrics-otlp-grpc';
import { OTLPMetricExporter as OtlpHttpMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter as OtlpProtoMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { RuntimeNodeInstrumentation } from '@opentelemetry/instrumentation-runtime-node';
import { defaultResource, detectResources, envDetector, hostDetector, osDetector, processDetector, resourceFromAttributes } from '@opentelemetry/resources';
import { PeriodicExportingMetricReader, type IMetricReader, type PushMetricExporter } from '@opentelemetry/sdk-metrics';
import { NodeSDK } from '@opentelemetry/sdk-node';
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

function otlpMetricExporter(env: NodeJS.ProcessEnv): PushMetricExporter {
  const protocol = (env.OTEL_EXPORTER_OTLP_METRICS_PROTOCOL ?? env.OTEL_EXPORTER_OTLP_PROTOCOL ?? 'http/protobuf').trim();
  if (protocol === 'grpc') return new OtlpGrpcMetricExporter();
  if (protocol === 'http/json') return new OtlpHttpMetricExporter();
  return new OtlpProtoMetricExporter();
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
  if (otlpMetrics) readers.push(new PeriodicExportingMetricReader({ exporter: otlpMetricExporter(env) }));
  const tracesExporters = list(env.OTEL_TRACES_EXPORTER);
  const traces = !tracesExporters.includes('none') && (otlpEndpoint || set(env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) || tracesExporters.length > 0);

  // Detected once and settled before the first scrape (an unsettled resource logs an error per read).
  const resource = defaultResource()
    .merge(detectResources({ detectors: [envDetector, processDetector, hostDetector, osDetector] }))
    .merge(resourceFromAttributes({ 'service.version': opts.serviceVersion ?? packageVersion() }));
  await resource.waitForAsyncAttributes?.();
  const sdk = new NodeSDK({
    resource,
    autoDetectResources: false,
    // Node runtime metrics: event-loop delay and utilization, GC durations, heap spaces.
    instrumentations: [new RuntimeNodeInstrumentation({ monitoringPrecision: 10 })],
    ...(set(env.OTEL_SERVICE_NAME) ? {} : { serviceName: 'creator-match' }),
    metricReaders: readers,
    // No exporter configured: no tracer provider (spans stay no-ops). Otherwise the SDK reads OTEL_*.
    ...(opts.spanProcessors ? { spanProcessors: opts.spanProcessors } : traces ? {} : { spanProcessors: [] }),
    // Logs go through pino to stdout, never through the OTel logs pipeline.
    logRecordProcessors: [],
  });
  // After the constructor, which installs a console diag logger when OTEL_LOG_LEVEL is set.
  const level = (env.OTEL_LOG_LEVEL ?? 'WARN').trim().toUpperCase();
  diag.setLogger(
    { error: (m, ...a) => log.error({ args: a }, m), warn: (m, ...a) => log.warn({ args: a }, m), info: (m) => log.info(m), debug: (m) => log.debug(m), verbose: (m) => log.trace(m) },
    { logLevel: (DiagLogLevel as unknown as Record<string, DiagLogLevel>)[level] ?? DiagLogLevel.WARN, suppressOverrideMessage: true },
  );
  sdk.start();

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
  log.info({ metrics_addr: opts.metricsAddr ?? null, metrics_port: metricsPort ?? null, ...exporters }, 'telemetry started');

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
