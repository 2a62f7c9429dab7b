import type { IncomingMessage, ServerResponse } from 'node:http';
import { status as GrpcStatus, type Deadline, type handleUnaryCall, type sendUnaryData } from '@grpc/grpc-js';
import type { MethodDefinition, PackageDefinition } from '@grpc/proto-loader';
import { context, propagation, SpanKind, SpanStatusCode, trace, type TextMapGetter } from '@opentelemetry/api';
import type { IncomingHttpHeaders } from 'node:http';
import { MatchError, toGrpcStatus } from '../errors/match-error';
import { MATCHER_SERVICE } from '../grpc/proto';
import { REASON_METADATA_KEY } from '../grpc/wire';
import type { CreatorMatcherHandlers } from '../contract/creatormatch/v1/CreatorMatcher';
import type { Logger } from '../logging/logger';
import { instruments } from '../telemetry/instruments';
import { tracer } from '../telemetry/tracing';
import type { JsonError } from './api-types';
import { HttpUnaryCall } from './http-unary-call';
import { BodyTooLargeError, isJsonContentType, readBody, sendJson } from './http-util';
import { binaryToJson, jsonToBinary } from './proto-json';

/**
 * The HTTP/JSON form of CreatorMatcher's unary methods: `POST /creatormatch.v1.CreatorMatcher/Match`
 * and `/GetIndexInfo` with the proto3 JSON form of the request (modelled on the Connect protocol's
 * unary JSON calls: path, content type, `connect-timeout-ms`, error codes and HTTP statuses).
 *
 * A call goes through the very handlers the gRPC server runs (src/grpc/matcher-service.ts, so the
 * same routing to an A/B variant, validation, Matcher, wire types, logs and exposure lines), with
 * the JSON turned into the request by the gRPC method's own deserializer (JSON → protobuf binary →
 * `requestDeserialize`: the handler sees exactly what a gRPC call with the same fields gives it)
 * and the answer printed from the bytes `responseSerialize` makes. The request counter and latency
 * histogram are the gRPC ones, with the same labels, and a SERVER span continues the caller's
 * `traceparent` header.
 */

/** google.rpc.Code → [HTTP status, Connect's code name], as the Connect protocol maps them. */
const HTTP_OF: Readonly<Record<number, readonly [number, string]>> = {
  [GrpcStatus.CANCELLED]: [499, 'canceled'],
  [GrpcStatus.UNKNOWN]: [500, 'unknown'],
  [GrpcStatus.INVALID_ARGUMENT]: [400, 'invalid_argument'],
  [GrpcStatus.DEADLINE_EXCEEDED]: [504, 'deadline_exceeded'],
  [GrpcStatus.NOT_FOUND]: [404, 'not_found'],
  [GrpcStatus.ALREADY_EXISTS]: [409, 'already_exists'],
  [GrpcStatus.PERMISSION_DENIED]: [403, 'permission_denied'],
  [GrpcStatus.RESOURCE_EXHAUSTED]: [429, 'resource_exhausted'],
  [GrpcStatus.FAILED_PRECONDITION]: [400, 'failed_precondition'],
  [GrpcStatus.ABORTED]: [409, 'aborted'],
  [GrpcStatus.OUT_OF_RANGE]: [400, 'out_of_range'],
  [GrpcStatus.UNIMPLEMENTED]: [501, 'unimplemented'],
  [GrpcStatus.INTERNAL]: [500, 'internal'],
  [GrpcStatus.UNAVAILABLE]: [503, 'unavailable'],
  [GrpcStatus.DATA_LOSS]: [500, 'data_loss'],
  [GrpcStatus.UNAUTHENTICATED]: [401, 'unauthenticated'],
};

export function httpStatusOf(code: GrpcStatus): { http: number; name: string } {
  const [http, name] = HTTP_OF[code] ?? [500, 'unknown'];
  return { http, name };
}


/** An error answered before or instead of a handler's status. */
export class GatewayError extends Error {
  constructor(
    readonly code: GrpcStatus,
    message: string,
    readonly reason: string,
    readonly http?: number,
  ) {
    super(message);
  }
}

/** The unary methods and their message types. */
const UNARY_METHODS = { Match: ['MatchRequest', 'MatchResponse'], GetIndexInfo: ['GetIndexInfoRequest', 'IndexInfo'] } as const;
type UnaryMethod = keyof typeof UNARY_METHODS;

const headerGetter: TextMapGetter<IncomingHttpHeaders> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => carrier[key.toLowerCase()],
};

export interface JsonGatewayOptions {
  handlers: Pick<CreatorMatcherHandlers, UnaryMethod>;
  packageDefinition: PackageDefinition;
  /** Largest request body (MATCH_MAX_RECEIVE_BYTES, as for gRPC messages). */
  maxBodyBytes: number;
  logger: Logger;
  /** Served over TLS (for the call's auth context). */
  secure: boolean;
}

/** A connect-timeout-ms value: 1 to 10 digits (Connect's limit), else an error. */
function deadlineOf(headers: IncomingHttpHeaders): Deadline {
  const raw = headers['connect-timeout-ms'];
  if (raw === undefined) return Infinity;
  const text = Array.isArray(raw) ? raw[0] : raw;
  if (!text || !/^\d{1,10}$/.test(text)) throw new GatewayError(GrpcStatus.INVALID_ARGUMENT, `connect-timeout-ms must be a positive integer of at most 10 digits, got ${JSON.stringify(text)}`, 'INVALID_BODY');
  return Date.now() + Number(text);
}

export class JsonGateway {
  private readonly methods = new Map<string, { name: UnaryMethod; def: MethodDefinition<unknown, unknown>; handler: handleUnaryCall<unknown, unknown>; types: readonly [string, string] }>();
  private draining = false;

  constructor(private readonly opts: JsonGatewayOptions) {
    const service = opts.packageDefinition[MATCHER_SERVICE] as Record<string, MethodDefinition<unknown, unknown>> | undefined;
    if (!service) throw new Error(`the package definition has no ${MATCHER_SERVICE}`);
    for (const [name, types] of Object.entries(UNARY_METHODS) as Array<[UnaryMethod, readonly [string, string]]>) {
      const def = service[name];
      if (!def) throw new Error(`${MATCHER_SERVICE} has no method ${name}`);
      this.methods.set(def.path, { name, def, handler: opts.handlers[name] as handleUnaryCall<unknown, unknown>, types });
    }
  }

  /** Whether `pathname` is one of the gateway's methods (or under its service). */
  handles(pathname: string): boolean {
    return pathname.startsWith(`/${MATCHER_SERVICE}/`);
  }

  /** New calls fail fast with UNAVAILABLE from now on (shutdown), as gRPC calls do during the drain. */
  drain(): void {
    this.draining = true;
  }

  async serve(req: IncomingMessage, res: ServerResponse, pathname: string): Promise<void> {
    const method = this.methods.get(pathname);
    // Unknown paths are labelled 'unknown': a label value never comes from the caller.
    const methodName = method?.name ?? 'unknown';
    const started = performance.now();
    const parent = propagation.extract(context.active(), req.headers, headerGetter);
    const span = tracer().startSpan(
      `${MATCHER_SERVICE}/${methodName}`,
      { kind: SpanKind.SERVER, attributes: { 'rpc.system': 'http_json', 'rpc.service': MATCHER_SERVICE, 'rpc.method': methodName, 'http.request.method': req.method ?? '' } },
      parent,
    );
    let code: GrpcStatus = GrpcStatus.OK;
    try {
      if (!method) throw new GatewayError(GrpcStatus.UNIMPLEMENTED, `${MATCHER_SERVICE} has no unary method ${JSON.stringify(pathname.slice(MATCHER_SERVICE.length + 2))} over HTTP (Match, GetIndexInfo; BatchMatch is gRPC only)`, '', 404);
      if (req.method !== 'POST') throw new GatewayError(GrpcStatus.UNIMPLEMENTED, `use POST for ${pathname}`, '', 405);
      if (this.draining) throw new GatewayError(GrpcStatus.UNAVAILABLE, 'the service is shutting down; retry on another replica', '');
      if (!isJsonContentType(req.headers['content-type'])) throw new GatewayError(GrpcStatus.INVALID_ARGUMENT, `send Content-Type: application/json (got ${JSON.stringify(req.headers['content-type'] ?? '')})`, 'INVALID_BODY', 415);
      const deadline = deadlineOf(req.headers);
      let body: Buffer;
      try {
        body = await readBody(req, this.opts.maxBodyBytes);
      } catch (err) {
        if (err instanceof BodyTooLargeError) throw new GatewayError(GrpcStatus.RESOURCE_EXHAUSTED, `${err.message} (MATCH_MAX_RECEIVE_BYTES)`, '', 413);
        throw err;
      }
      let json: unknown;
      try {
        json = body.length === 0 ? {} : JSON.parse(body.toString('utf8'));
      } catch (err) {
        throw new MatchError('INVALID_BODY', `the body is not JSON: ${(err as Error).message}`);
      }
      const request = method.def.requestDeserialize(jsonToBinary(method.types[0], json));
      const call = new HttpUnaryCall(request, deadline, `${req.socket.remoteAddress ?? ''}:${req.socket.remotePort ?? ''}`, pathname, req.headers.host ?? '', this.opts.secure);
      const onClose = (): void => {
        if (!res.writableEnded) call.cancel();
      };
      res.once('close', onClose);
      const response = await new Promise<unknown>((resolve, reject) => {
        const callback: sendUnaryData<unknown> = (err, value) => {
          if (err) reject(new GatewayError(err.code ?? GrpcStatus.UNKNOWN, err.details ?? '', String(err.metadata?.get(REASON_METADATA_KEY)[0] ?? '')));
          else resolve(value);
        };
        context.with(trace.setSpan(parent, span), () => method.handler(call, callback));
      });
      if (call.cancelled) throw new GatewayError(GrpcStatus.CANCELLED, 'call cancelled', 'CANCELLED');
      const out = binaryToJson(method.types[1], method.def.responseSerialize(response));
      sendJson(res, 200, out);
    } catch (err) {
      const e = err instanceof GatewayError ? err : (() => {
        const s = toGrpcStatus(err);
        if (s.reason === 'INTERNAL') this.opts.logger.error({ err, method: methodName }, 'HTTP/JSON call failed');
        return new GatewayError(s.code, s.message, s.reason);
      })();
      code = e.code;
      const { http, name } = httpStatusOf(e.code);
      const body: JsonError = { code: name, message: e.message, reason: e.reason };
      if (!res.headersSent && !res.destroyed) sendJson(res, e.http ?? http, body, this.draining ? { Connection: 'close' } : {});
      if (code !== GrpcStatus.OK) span.setStatus({ code: SpanStatusCode.ERROR, message: `${GrpcStatus[code] ?? code}: ${e.message}` });
    } finally {
      const attrs = { service: MATCHER_SERVICE, method: methodName, code: GrpcStatus[code] ?? String(code) };
      const m = instruments();
      m.rpcRequests.add(1, attrs);
      m.rpcDuration.record((performance.now() - started) / 1000, attrs);
      span.setAttribute('rpc.grpc.status_code', code);
      span.end();
    }
  }
}

/** Answers an error thrown by a workbench endpoint in the same form as the JSON API's errors. */
export function sendError(res: ServerResponse, err: unknown, logger: Logger, what: string): void {
  let e: GatewayError;
  if (err instanceof GatewayError) e = err;
  else if (err instanceof BodyTooLargeError) e = new GatewayError(GrpcStatus.RESOURCE_EXHAUSTED, err.message, '', 413);
  else {
    const s = toGrpcStatus(err);
    if (s.reason === 'INTERNAL') logger.error({ err }, `${what} failed`);
    e = new GatewayError(s.code, s.message, s.reason);
  }
  const { http, name } = httpStatusOf(e.code);
  const body: JsonError = { code: name, message: e.message, reason: e.reason };
  if (!res.headersSent && !res.destroyed) sendJson(res, e.http ?? http, body);
}
