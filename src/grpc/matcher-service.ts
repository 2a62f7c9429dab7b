import { status as grpcStatus } from '@grpc/grpc-js';
import type { sendUnaryData, ServerDuplexStream, ServerUnaryCall } from '@grpc/grpc-js';
import { truncateForEcho } from '../errors/echo';
import { MatchError, toGrpcStatus, type WireStatus } from '../errors/match-error';
import type { RecallStats } from '../experiments/recall-monitor';
import type { IndexManager, Serving } from '../lifecycle/index-manager';
import type { Logger } from '../logging/logger';
import type { MatchLimits } from '../match/match-input';
import { recordBatchItem } from '../telemetry/instruments';
import { validateRequest } from '../match/validate-request';
import { resetAfterDeadline } from './batch-deadline';
import { callSignal } from './call-signal';
import type { FairShare } from './fair-share';
import { logExposure } from './exposure-log';
import type { CreatorMatcherHandlers } from '../contract/creatormatch/v1/CreatorMatcher';
import type { GetIndexInfoRequest__Output } from '../contract/creatormatch/v1/GetIndexInfoRequest';
import type { IndexInfo } from '../contract/creatormatch/v1/IndexInfo';
import type { MatchRequest__Output } from '../contract/creatormatch/v1/MatchRequest';
import type { MatchResponse } from '../contract/creatormatch/v1/MatchResponse';
import { toServiceError, toWireError, toWireIndexInfo, toWireResponse } from './wire';

/** BatchMatch items answered concurrently per stream (bounded read-ahead). */
export const BATCH_WINDOW = 32;

/** Where a request goes: an A/B variant and the manager of its index. */
export interface VariantRoute {
  name: string;
  manager: Pick<IndexManager, 'acquire' | 'release' | 'current' | 'lastRefused'>;
}

export interface MatcherServiceDeps {
  /** The variant for a fan (or the explicitly named one); throws UNKNOWN_VARIANT. */
  route(fanId: string, explicit: string): VariantRoute;
  experiment: { name: string; variants: readonly string[] };
  /** Online recall of a variant's version, if the monitor runs. */
  onlineRecall?(variant: string, version: string): RecallStats;
  limits: MatchLimits;
  logger: Logger;
  /** Write an `exposure` line per answered Match. */
  exposureLog: boolean;
  /** Calls of one connection that do work at a time (src/grpc/fair-share.ts); absent: no limit. */
  fairShare?: FairShare;
}

/** Runs `fn` on a lease of the route's serving version: a call finishes on the version it started with. */
async function withServing<T>(route: VariantRoute, fn: (s: Serving) => Promise<T> | T): Promise<T> {
  const s = route.manager.acquire();
  if (!s) throw new MatchError('INDEX_NOT_READY', 'no index is loaded yet; retry shortly');
  try {
    return await fn(s);
  } finally {
    route.manager.release(s);
  }
}

function logFailure(log: Logger, status: WireStatus, err: unknown, msg: string): void {
  if (status.reason === 'INTERNAL') log.error({ err, reason: status.reason }, msg);
  else log.info({ reason: status.reason, code: status.code, detail: status.message }, msg);
}

/** Handlers of creatormatch.v1.CreatorMatcher. */
export function createMatcherService(deps: MatcherServiceDeps): CreatorMatcherHandlers {
  const { limits, logger } = deps;
  /** Runs a call's work within its connection's fair share. */
  const share = <T>(call: { getPeer(): string }, signal: AbortSignal, fn: () => Promise<T>): Promise<T> => (deps.fairShare ? deps.fairShare.run(call.getPeer(), signal, fn) : fn());

  const Match = async (call: ServerUnaryCall<MatchRequest__Output, MatchResponse>, callback: sendUnaryData<MatchResponse>): Promise<void> => {
    const req = call.request;
    // The call's child logger is made when the call logs something: making one (bindings through
    // pino's redaction) cost more garbage per call than the search did, and most calls log nothing.
    const bindings: { method: string; request_id: string; fan_id: string; variant?: string } = {
      method: 'Match',
      request_id: truncateForEcho(req.request_id ?? ''),
      fan_id: truncateForEcho(req.fan_id ?? ''),
    };
    let child: Logger | undefined;
    const log = (): Logger => (child ??= logger.child(bindings));
    const started = performance.now();
    const { signal, dispose } = callSignal(call);
    try {
      const route = deps.route(req.fan_id, req.variant);
      bindings.variant = route.name;
      const { input, result } = await share(call, signal, () =>
        withServing(route, async ({ matcher }) => {
          const input = validateRequest(req, limits, matcher.shape);
          return { input, result: await matcher.match(input, signal) };
        }),
      );
      callback(null, toWireResponse(input.requestId, result, route.name));
      // Exposure log for A/B analysis and training data (MATCH_EXPOSURE_LOG).
      if (deps.exposureLog) logExposure(log(), deps.experiment.name, input, result);
      if (logger.isLevelEnabled('debug')) log().debug({ k: input.k, query: input.query.kind, results: result.matches.length, strategy: result.strategy, ms: performance.now() - started }, 'match ok');
    } catch (err) {
      const status = toGrpcStatus(err);
      logFailure(log(), status, err, 'match failed');
      callback(toServiceError(status));
    } finally {
      dispose();
    }
  };

  const BatchMatch = async (call: ServerDuplexStream<MatchRequest__Output, MatchResponse>): Promise<void> => {
    const log = logger.child({ method: 'BatchMatch' });
    const { signal, dispose } = callSignal(call);
    const stopReset = resetAfterDeadline(call, signal); // an expired stream is ended even if its client stopped reading
    let items = 0;
    let failed = 0;
    try {
      // Up to BATCH_WINDOW items are answered concurrently (their ANN searches coalesce into
      // multi-threaded batches on indexes that support it); responses are written in request order.
      const answer = async (req: MatchRequest__Output): Promise<MatchResponse | undefined> => {
        let route: VariantRoute | undefined;
        try {
          const routed = (route = deps.route(req.fan_id, req.variant));
          const name = routed.name;
          const response = await share(call, signal, () =>
            withServing(routed, async ({ matcher }) => {
              const input = validateRequest(req, limits, matcher.shape);
              return toWireResponse(input.requestId, await matcher.match(input, signal), name);
            }),
          );
          recordBatchItem('OK');
          return response;
        } catch (err) {
          if (signal.aborted) return undefined;
          failed++;
          const status = toGrpcStatus(err);
          recordBatchItem(grpcStatus[status.code] ?? String(status.code));
          logFailure(log.child({ request_id: truncateForEcho(req.request_id ?? ''), fan_id: truncateForEcho(req.fan_id ?? ''), variant: route?.name }), status, err, 'batch item failed');
          const m = route?.manager.current?.matcher;
          return toWireError(req.request_id ?? '', status, m?.index.version, m?.modelId, route?.name);
        }
      };
      // The reader keeps at most BATCH_WINDOW items in flight; the writer sends each response as
      // soon as it and all before it are ready, waiting for a slow reader (back-pressure).
      const inFlight: Promise<MatchResponse | undefined>[] = [];
      let readerDone = false;
      let nudgeWriter: (() => void) | undefined;
      let nudgeReader: (() => void) | undefined;
      // Resolves on the nudge or on abort, leaving no listener behind.
      const wait = (register: (wake: () => void) => void): Promise<void> =>
        new Promise((resolve) => {
          const wake = (): void => {
            signal.removeEventListener('abort', wake);
            resolve();
          };
          signal.addEventListener('abort', wake, { once: true });
          register(wake);
        });
      const writer = (async (): Promise<void> => {
        while (!signal.aborted) {
          if (inFlight.length === 0) {
            if (readerDone) return;
            await wait((wake) => (nudgeWriter = wake));
            continue;
          }
          const response = await inFlight[0]!;
          void inFlight.shift(); // the promise just awaited
          nudgeReader?.();
          if (response === undefined || signal.aborted) continue;
          // Back-pressure: wait for a slow reader instead of buffering without bound.
          if (!call.write(response)) await wait((wake) => call.once('drain', wake));
        }
      })();
      writer.catch(() => undefined); // awaited below; a broken stream also ends the reader
      // destroyOnReturn: false, or finishing the loop would destroy the duplex before end().
      for await (const req of call.iterator({ destroyOnReturn: false }) as AsyncIterable<MatchRequest__Output>) {
        if (signal.aborted) break;
        items++;
        inFlight.push(answer(req));
        nudgeWriter?.();
        while (inFlight.length >= BATCH_WINDOW && !signal.aborted) await wait((wake) => (nudgeReader = wake));
      }
      readerDone = true;
      nudgeWriter?.();
      await writer;
      if (!signal.aborted) call.end();
      log.info({ items, failed, cancelled: signal.aborted }, 'batch stream closed');
    } catch (err) {
      // A deadline or a cancel destroys the stream, and reading it may then fail (premature
      // close): that is the call ending as asked, not a failure of the stream.
      if (signal.aborted) {
        log.info({ items, failed, cancelled: true }, 'batch stream closed');
        return;
      }
      // Only a broken stream gets here; per-item errors were answered in-band.
      const status = toGrpcStatus(err);
      logFailure(log, status, err, 'batch stream failed');
      call.destroy(Object.assign(new Error(status.message), toServiceError(status)));
    } finally {
      dispose();
      stopReset();
    }
  };

  const GetIndexInfo = (call: ServerUnaryCall<GetIndexInfoRequest__Output, IndexInfo>, callback: sendUnaryData<IndexInfo>): void => {
    try {
      const route = deps.route('', call.request.variant);
      const s = route.manager.current;
      if (!s) throw new MatchError('INDEX_NOT_READY', 'no index is loaded yet; retry shortly');
      const recall = deps.onlineRecall?.(route.name, s.index.version);
      callback(null, {
        ...toWireIndexInfo(s, route.manager.lastRefused),
        variant: route.name,
        experiment: deps.experiment.name,
        variants: [...deps.experiment.variants],
        online_recall: recall?.mean ?? 0,
        online_recall_samples: String(recall?.samples ?? 0),
        online_recall_dropped: String(recall?.dropped ?? 0),
      });
    } catch (err) {
      callback(toServiceError(toGrpcStatus(err)));
    }
  };

  // grpc-js ignores what a handler returns; the async ones answer every error themselves.
  return { Match: (call, callback) => void Match(call, callback), BatchMatch: (call) => void BatchMatch(call), GetIndexInfo };
}
