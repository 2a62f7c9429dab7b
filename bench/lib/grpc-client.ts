/**
 * The CreatorMatcher client the benches use: the public contract (proto/ via the service's own
 * loader options), typed here only as far as the benches read it, so that the benches do not
 * depend on the generated handler types.
 */
import * as grpc from '@grpc/grpc-js';
import { matcherClientConstructor } from '../../src/grpc/proto';

export interface MatchReply {
  matches: { creator_id: string; score: number }[];
  index_version?: string;
}

export interface BatchStream {
  write(req: Record<string, unknown>): boolean;
  end(): void;
  on(event: 'data', cb: (res: MatchReply & { error?: unknown }) => void): this;
  on(event: 'error', cb: (err: Error) => void): this;
  on(event: 'end', cb: () => void): this;
}

export interface MatchClient {
  ready(timeoutMs: number): Promise<void>;
  match(req: Record<string, unknown>, timeoutMs: number, cb: (err: grpc.ServiceError | null, res: MatchReply | undefined) => void): void;
  batchMatch(timeoutMs: number): BatchStream;
  close(): void;
}

interface RawClient extends grpc.Client {
  Match(req: unknown, opts: grpc.CallOptions, cb: (err: grpc.ServiceError | null, res?: MatchReply) => void): void;
  BatchMatch(opts: grpc.CallOptions): BatchStream;
}

export function matchClient(addr: string): MatchClient {
  const Client = matcherClientConstructor();
  const raw = new Client(addr, grpc.credentials.createInsecure(), { 'grpc.max_receive_message_length': 64 << 20 }) as unknown as RawClient;
  return {
    ready: (timeoutMs) => new Promise<void>((res, rej) => raw.waitForReady(Date.now() + timeoutMs, (e?: Error) => (e ? rej(e) : res()))),
    match: (req, timeoutMs, cb) => raw.Match(req, { deadline: Date.now() + timeoutMs }, (err, res) => cb(err, res)),
    batchMatch: (timeoutMs) => raw.BatchMatch({ deadline: Date.now() + timeoutMs }),
    close: () => raw.close(),
  };
}
