import { once } from 'node:events';
import { status as grpcStatus } from '@grpc/grpc-js';
import type { sendUnaryData, ServerDuplexStream, ServerUnaryCall, UntypedServiceImplementation } from '@grpc/grpc-js';
import { MatchError, toGrpcStatus, type WireStatus } from '../errors/match-error';
import type { IndexManager, Serving } from '../lifecycle/index-manager';
import type { Logger } from '../logging/logger';
import type { MatchLimits } from '../match/match-input';
import { recordBatchItem } from '../telemetry/instruments';
import { validateRequest, type WireMatchRequest } from '../match/validate-request';
import { callSignal } from './call-signal';
import { toServiceError, toWireError, toWireIndexInfo, toWireResponse, type WireMatchResponse } from './wire';

export interface MatcherServiceDeps {
  /** Leases on the serving version: a call finishes on the version it started with. */
  manager: Pick<IndexManager, 'acquire' | 'release' | 'current' | 'lastRefused'>;
  limits: MatchLimits;
  logger: Logger;
}

/** Runs `fn` on a lease of the serving version. */
async function withServing<T>(deps: MatcherServiceDeps, fn: (s: Serving) => Promise<T> | T): Promise<T> {
  const s = deps.manager.acquire();
  if (!s) throw new MatchError('INDEX_NOT_READY', 'no index is loaded yet; retry shortly');
  try {
    return await fn(s);
  } finally {
    deps.manager.release(s);
  }
}

function logFailure(log: Logger, status: WireStatus, err: unknown, msg: string): void {
  if (status.reason === 'INTERNAL') log.error({ err, reason: status.reason }, msg);
  else log.info({ reason: status.reason, code: status.code, detail: status.message }, msg);
}

/** Handlers of creatormatch.v1.CreatorMatcher. */
export function createMatcherService(deps: MatcherServiceDeps): UntypedServiceImplementation {
  const { limits, logger } = deps;

  const Match = async (call: ServerUnaryCall<WireMatchRequest, WireMatchResponse>, callback: sendUnaryData<WireMatchResponse>): Promise<void> => {
    const req = call.request;
    const log = logger.child({ method: 'Match', request_id: req.request_id, fan_id: req.fan_id });
    const started = performance.now();
    const { signal, dispose } = callSignal(call);
    try {
      const { input, result } = await withServing(deps, async ({ matcher }) => {
        const input = validateRequest(req, limits, matcher.shape);
        return { input, result: await matcher.match(input, signal) };
      });
      callback(null, toWireResponse(input.requestId, result));
      log.debug({ k: input.k, query: input.query.kind, results: result.matches.length, strategy: result.strategy, ms: performance.now() - started }, 'match ok');
    } catch (err) {
      const status = toGrpcStatus(err);
      logFailure(log, status, err, 'match failed');
      callback(toServiceError(status));
    } finally {
      dispose();
    }
  };

  const BatchMatch = async (call: ServerDuplexStream<WireMatchRequest, WireMatchResponse>): Promise<void> => {
    const log = logger.child({ method: 'BatchMatch' });
    const { signal, dispose } = callSignal(call);
    let items = 0;
    let failed = 0;
    try {
      // destroyOnReturn: false, or finishing the loop would destroy the duplex before end().
      for await (const req of call.iterator({ destroyOnReturn: false }) as AsyncIterable<WireMatchRequest>) {
        if (signal.aborted) break;
        items++;
        let response: WireMatchResponse;
        try {
          response = await withServing(deps, async ({ matcher }) => {
            const input = validateRequest(req, limits, matcher.shape);
            return toWireResponse(input.requestId, await matcher.match(input, signal));
          });
          recordBatchItem('OK');
        } catch (err) {
          if (signal.aborted) break;
          failed++;
          const status = toGrpcStatus(err);
          recordBatchItem(grpcStatus[status.code] ?? String(status.code));
          logFailure(log.child({ request_id: req.request_id, fan_id: req.fan_id }), status, err, 'batch item failed');
          const m = deps.manager.current?.matcher;
          response = toWireError(req.request_id ?? '', status, m?.index.version, m?.modelId);
        }
        // Back-pressure: wait for a slow reader instead of buffering without bound.
        if (!call.write(response)) await Promise.race([once(call, 'drain'), once(signal, 'abort')]);
      }
      if (!signal.aborted) call.end();
      log.info({ items, failed, cancelled: signal.aborted }, 'batch stream closed');
    } catch (err) {
      // Only a broken stream gets here; per-item errors were answered in-band.
      const status = toGrpcStatus(err);
      logFailure(log, status, err, 'batch stream failed');
      if (!signal.aborted) call.destroy(Object.assign(new Error(status.message), toServiceError(status)));
    } finally {
      dispose();
    }
  };

  const GetIndexInfo = (_call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>): void => {
    try {
      const s = deps.manager.current;
      if (!s) throw new MatchError('INDEX_NOT_READY', 'no index is loaded yet; retry shortly');
      callback(null, toWireIndexInfo(s, deps.manager.lastRefused));
    } catch (err) {
      callback(toServiceError(toGrpcStatus(err)));
    }
  };

  return { Match, BatchMatch, GetIndexInfo } as unknown as UntypedServiceImplementation;
}
