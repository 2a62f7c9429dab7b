import * as grpc from '@grpc/grpc-js';
import { context, propagation, SpanKind, SpanStatusCode, trace, type Context, type Span, type TextMapGetter } from '@opentelemetry/api';
import { instruments } from './instruments';
import { tracer, tracesExported } from './tracing';

// Only @opentelemetry/api here: without a started SDK this records nothing.

const metadataGetter: TextMapGetter<grpc.Metadata> = {
  keys: (carrier) => Object.keys(carrier.getMap()),
  get: (carrier, key) => {
    const values = carrier.get(key);
    if (values.length === 0) return undefined;
    return values.length === 1 ? String(values[0]) : values.map(String);
  },
};

/** '/pkg.Service/Method' -> { service, method }. */
export function splitPath(path: string): { service: string; method: string } {
  const m = /^\/?([^/]+)\/([^/]+)$/.exec(path);
  return m ? { service: m[1]!, method: m[2]! } : { service: 'unknown', method: path || 'unknown' };
}

/**
 * A grpc-js server interceptor: one SERVER span per RPC (parent taken from the caller's
 * traceparent metadata; the handler runs inside it, so embed/filter/search spans nest under it),
 * and the request counter and latency histogram by service, method and status code name.
 *
 * Chosen over @opentelemetry/instrumentation-grpc: it needs no require-hook patching (so it also
 * works when grpc-js was loaded first, as under jest), and it sees the final status of every call,
 * including ones grpc-js answers itself (oversized messages, unimplemented methods).
 */
export function telemetryInterceptor(): grpc.ServerInterceptor {
  return (methodDescriptor, call) => {
    const started = performance.now();
    const { service, method } = splitPath(methodDescriptor.path);
    let span: Span | undefined;
    let ctx: Context = context.active();
    let done = false;

    const finish = (code: grpc.status, details?: string): void => {
      if (done) return;
      done = true;
      const codeName = grpc.status[code] ?? String(code);
      const attrs = { service, method, code: codeName };
      const m = instruments();
      m.rpcRequests.add(1, attrs);
      m.rpcDuration.record((performance.now() - started) / 1000, attrs);
      if (span) {
        span.setAttribute('rpc.grpc.status_code', code);
        if (code !== grpc.status.OK) span.setStatus({ code: SpanStatusCode.ERROR, message: `${codeName}${details ? `: ${details}` : ''}` });
        span.end();
      }
    };

    const startSpan = (metadata: grpc.Metadata): void => {
      const parent = propagation.extract(context.active(), metadata, metadataGetter);
      span = tracer().startSpan(
        `${service}/${method}`,
        { kind: SpanKind.SERVER, attributes: { 'rpc.system': 'grpc', 'rpc.service': service, 'rpc.method': method } },
        parent,
      );
      ctx = trace.setSpan(parent, span);
    };

    const onCancel = (): void => finish(grpc.status.CANCELLED, 'cancelled by the client');
    // Without a trace exporter: no span and no context switches, only the metrics.
    const listener = tracesExported()
      ? new grpc.ServerListenerBuilder()
          .withOnReceiveMetadata((metadata, next) => {
            startSpan(metadata);
            context.with(ctx, () => next(metadata));
          })
          .withOnReceiveMessage((message, next) => context.with(ctx, () => next(message)))
          .withOnReceiveHalfClose((next) => context.with(ctx, () => next()))
          .withOnCancel(onCancel)
          .build()
      : new grpc.ServerListenerBuilder().withOnCancel(onCancel).build();

    const responder = new grpc.ResponderBuilder()
      .withStart((next) => next(listener))
      .withSendStatus((status, next) => {
        finish(status.code, status.details);
        next(status);
      })
      .build();

    return new grpc.ServerInterceptingCall(call, responder);
  };
}
