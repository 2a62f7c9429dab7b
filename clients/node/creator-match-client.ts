/**
 * A typed Node.js client for creator-match (types generated from proto/, see src/contract).
 *
 *   const client = new CreatorMatchClient('localhost:50051');
 *   const res = await client.match({ interest_text: 'weekly true crime podcast', k: 5 });
 *   for await (const r of client.batchMatch(requests)) ...
 *   client.close();
 *
 * Every call has a deadline (default 10 s). Unary calls are retried on UNAVAILABLE (the server is
 * starting, draining or has no index yet) with exponential backoff and jitter, within the
 * deadline; other errors are not retried. The gRPC error is thrown with `reason` set from the
 * `creator-match-reason` trailer (docs/ERRORS.md).
 */
import * as grpc from '@grpc/grpc-js';
import type { CreatorMatcherClient } from '../../src/contract/creatormatch/v1/CreatorMatcher';
import type { GetIndexInfoRequest } from '../../src/contract/creatormatch/v1/GetIndexInfoRequest';
import type { IndexInfo__Output } from '../../src/contract/creatormatch/v1/IndexInfo';
import type { MatchRequest } from '../../src/contract/creatormatch/v1/MatchRequest';
import type { MatchResponse__Output } from '../../src/contract/creatormatch/v1/MatchResponse';
import { matcherClientConstructor } from '../../src/grpc/proto';

export type { MatchRequest, MatchResponse__Output as MatchResponse, IndexInfo__Output as IndexInfo };

/** The trailing-metadata key with the machine-readable reason (same as the server's). */
export const REASON_METADATA_KEY = 'creator-match-reason';

export interface ClientOptions {
  /** Default: insecure (plaintext). */
  credentials?: grpc.ChannelCredentials;
  /** Per call, in ms (default 10,000). */
  deadlineMs?: number;
  /** Attempts of a unary call on UNAVAILABLE, the first included (default 5). */
  maxAttempts?: number;
  /** First backoff in ms, doubled per retry with full jitter (default 100). */
  backoffMs?: number;
  /** Extra channel options (e.g. grpc.ssl_target_name_override). */
  channelOptions?: grpc.ChannelOptions;
}

/** A failed call: the gRPC error plus the service's reason code. */
export type CallError = grpc.ServiceError & { reason: string };

function withReason(err: grpc.ServiceError): CallError {
  const reason = err.metadata?.get(REASON_METADATA_KEY)[0];
  return Object.assign(err, { reason: typeof reason === 'string' ? reason : '' });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class CreatorMatchClient {
  private readonly client: CreatorMatcherClient;
  private readonly deadlineMs: number;
  private readonly maxAttempts: number;
  private readonly backoffMs: number;

  constructor(address: string, opts: ClientOptions = {}) {
    const Client = matcherClientConstructor();
    this.client = new Client(address, opts.credentials ?? grpc.credentials.createInsecure(), opts.channelOptions ?? {});
    this.deadlineMs = opts.deadlineMs ?? 10_000;
    this.maxAttempts = Math.max(1, opts.maxAttempts ?? 5);
    this.backoffMs = opts.backoffMs ?? 100;
  }

  /** Top-k creators for one fan query. */
  match(request: MatchRequest, opts: { deadlineMs?: number } = {}): Promise<MatchResponse__Output> {
    return this.unary((deadline, cb) => this.client.Match(request, { deadline }, cb), opts.deadlineMs);
  }

  /** What the service is serving (index version, model, dims, categories, ...). */
  indexInfo(request: GetIndexInfoRequest = {}, opts: { deadlineMs?: number } = {}): Promise<IndexInfo__Output> {
    return this.unary((deadline, cb) => this.client.GetIndexInfo(request, { deadline }, cb), opts.deadlineMs);
  }

  /** Resolves once the service answers GetIndexInfo (it has an index), or rejects at the deadline. */
  async waitUntilReady(timeoutMs = 30_000): Promise<IndexInfo__Output> {
    const until = Date.now() + timeoutMs;
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.indexInfo({}, { deadlineMs: Math.max(1, Math.min(this.deadlineMs, until - Date.now())) });
      } catch (err) {
        const e = err as CallError;
        const retryable = e.code === grpc.status.UNAVAILABLE || e.code === grpc.status.DEADLINE_EXCEEDED;
        if (!retryable || Date.now() >= until) throw err;
        await sleep(Math.min(until - Date.now(), Math.random() * this.backoffMs * 2 ** Math.min(attempt, 6)));
      }
    }
  }

  /**
   * Many lookups over one BatchMatch stream, as an async iterator of responses in request order.
   * The requests are written as the stream drains (back-pressure); a failed item comes back with
   * `error` set and the stream goes on. The deadline covers the whole stream (default: none).
   */
  async *batchMatch(requests: Iterable<MatchRequest> | AsyncIterable<MatchRequest>, opts: { deadlineMs?: number } = {}): AsyncGenerator<MatchResponse__Output> {
    const call = this.client.BatchMatch(opts.deadlineMs ? { deadline: Date.now() + opts.deadlineMs } : {});
    let writeError: Error | undefined;
    let closed = false;
    const onClose = new Promise<void>((resolve) => call.once('close', () => ((closed = true), resolve())));
    const writer = (async (): Promise<void> => {
      try {
        for await (const r of requests as AsyncIterable<MatchRequest>) {
          if (closed) return;
          if (!call.write(r)) await Promise.race([new Promise<void>((resolve) => call.once('drain', () => resolve())), onClose]);
        }
        if (!closed) call.end();
      } catch (err) {
        writeError = err instanceof Error ? err : new Error(String(err));
        call.cancel();
      }
    })();
    try {
      for await (const response of call as AsyncIterable<MatchResponse__Output>) yield response;
    } catch (err) {
      if (writeError) throw writeError;
      throw withReason(err as grpc.ServiceError);
    } finally {
      call.cancel();
      await writer;
    }
    if (writeError) throw writeError;
  }

  close(): void {
    this.client.close();
  }

  private async unary<T>(send: (deadline: number, cb: (err: grpc.ServiceError | null, res?: T) => void) => void, deadlineMs = this.deadlineMs): Promise<T> {
    const deadline = Date.now() + deadlineMs;
    for (let attempt = 1; ; attempt++) {
      try {
        return await new Promise<T>((resolve, reject) => send(deadline, (err, res) => (err || res === undefined ? reject(err ?? new Error('empty response')) : resolve(res))));
      } catch (err) {
        const e = err as grpc.ServiceError;
        const wait = Math.random() * this.backoffMs * 2 ** (attempt - 1);
        if (e.code !== grpc.status.UNAVAILABLE || attempt >= this.maxAttempts || Date.now() + wait >= deadline) throw withReason(e);
        await sleep(wait);
      }
    }
  }
}
