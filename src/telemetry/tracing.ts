import { INVALID_SPAN_CONTEXT, SpanStatusCode, trace, type Attributes, type Span, type Tracer } from '@opentelemetry/api';
import { INSTRUMENTATION_SCOPE } from './names';

// Only @opentelemetry/api here: without a started SDK spans are no-ops.

let exporting = false;
const NO_SPAN = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);

/**
 * Whether spans go anywhere: sdk.ts sets it when it registers a tracer provider with an exporter
 * or span processor, and clears it at shutdown. While false, the helpers here and the gRPC
 * interceptor skip spans and context switches altogether: the API's no-op spans still cost a few
 * KB of garbage per call (a heap profile of Match under load).
 */
export function setTracesExported(on: boolean): void {
  exporting = on;
}

export function tracesExported(): boolean {
  return exporting;
}

export function tracer(): Tracer {
  return trace.getTracer(INSTRUMENTATION_SCOPE);
}

function fail(span: Span, err: unknown): void {
  span.recordException(err instanceof Error ? err : String(err));
  span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
}

/** Runs fn in a child span of the active one (sync). */
export function withSpan<T>(name: string, attributes: Attributes, fn: (span: Span) => T): T {
  if (!exporting) return fn(NO_SPAN);
  return tracer().startActiveSpan(name, { attributes }, (span) => {
    try {
      return fn(span);
    } catch (err) {
      fail(span, err);
      throw err;
    } finally {
      span.end();
    }
  });
}

/** Runs fn in a child span of the active one (async). */
export function withSpanAsync<T>(name: string, attributes: Attributes, fn: (span: Span) => Promise<T>): Promise<T> {
  if (!exporting) return fn(NO_SPAN);
  return tracer().startActiveSpan(name, { attributes }, async (span) => {
    try {
      return await fn(span);
    } catch (err) {
      fail(span, err);
      throw err;
    } finally {
      span.end();
    }
  });
}
