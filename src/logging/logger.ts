import { trace } from '@opentelemetry/api';
import pino, { type Logger } from 'pino';

export type { Logger };

/** Log keys never written in clear: admin tokens, auth headers, and vectors (large, and user data). */
export const REDACT_PATHS = [
  'token',
  '*.token',
  'admin_token',
  '*.admin_token',
  'adminToken',
  '*.adminToken',
  'authorization',
  '*.authorization',
  'vector',
  '*.vector',
  'values',
  '*.values',
];

/** trace_id/span_id of the active span (when tracing is on), so a log line links to its trace. */
function traceFields(): Record<string, string> {
  const ctx = trace.getActiveSpan()?.spanContext();
  return ctx && ctx.traceId !== '00000000000000000000000000000000' ? { trace_id: ctx.traceId, span_id: ctx.spanId } : {};
}

/** The one root logger: JSON to stdout, errors under `err`, secrets redacted. */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'creator-match' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      mixin: traceFields,
    },
    destination ?? pino.destination({ dest: 1, sync: false }),
  );
}
