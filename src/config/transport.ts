/** Connection and stream limits of the gRPC listeners (what each does: src/grpc/transport-limits.ts). */
export interface TransportLimits {
  /** Open TCP connections per listener (0: unlimited). */
  maxConnections: number;
  /** Concurrent calls (HTTP/2 streams) per connection. */
  maxConcurrentStreams: number;
  /** Ping a connection after this much silence (0: never). */
  keepaliveTimeMs: number;
  /** Close it when the ping is not answered within this. */
  keepaliveTimeoutMs: number;
  /** Close a connection without calls after this long (0: never). */
  maxConnectionIdleMs: number;
  /** GOAWAY after this age (0: never). */
  maxConnectionAgeMs: number;
  /** Calls in flight get this long after the age GOAWAY. */
  maxConnectionAgeGraceMs: number;
}

export const DEFAULT_TRANSPORT_LIMITS: Readonly<TransportLimits> = Object.freeze({
  maxConnections: 1000,
  maxConcurrentStreams: 100,
  keepaliveTimeMs: 60_000,
  keepaliveTimeoutMs: 20_000,
  maxConnectionIdleMs: 300_000,
  maxConnectionAgeMs: 0,
  maxConnectionAgeGraceMs: 30_000,
});

