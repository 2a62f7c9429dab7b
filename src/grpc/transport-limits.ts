import net from 'node:net';
import type * as grpc from '@grpc/grpc-js';
import type { TransportLimits } from '../config/transport';

export { DEFAULT_TRANSPORT_LIMITS, type TransportLimits } from '../config/transport';

/**
 * Connection and stream limits of the gRPC listeners.
 *
 * What @grpc/grpc-js 1.14 offers (build/src/server.js) and what we add:
 *
 * - `grpc.max_concurrent_streams`: sent in the HTTP/2 SETTINGS of every connection; nghttp2 refuses
 *   streams beyond it (REFUSED_STREAM) and grpc-js clients queue instead of opening more. Unset, a
 *   connection may open any number of calls.
 * - `grpc.keepalive_time_ms` / `grpc.keepalive_timeout_ms`: the server pings each connection after
 *   keepalive_time of silence and destroys it when the ping is not acknowledged within the
 *   timeout. Unset, grpc-js never pings, so a peer that vanished (half-open TCP) holds its socket
 *   forever.
 * - `grpc.max_connection_idle_ms`: a connection without calls for that long gets a GOAWAY and is
 *   closed (a client reconnects on its next call). Also closes a connection that never started a
 *   call (a silent TCP connect). Unset: never.
 * - `grpc.max_connection_age_ms` (+ `_grace_ms`): GOAWAY after that age (with ±10% jitter), then
 *   a grace period for calls in flight. Unset: never (optional here: 0 = off).
 * - **No connection cap.** grpc-js has no option for it, and its `bindAsync` owns the listening
 *   socket. So we listen ourselves: a `net.Server` with `maxConnections` (Node refuses sockets
 *   beyond it at accept, emitting 'drop') hands every accepted socket to grpc-js through its public
 *   `createConnectionInjector` (TLS included: the injector's server does the handshake). The same
 *   sockets are tracked, so a forced shutdown destroys them all.
 */
/** The grpc-js server options for `limits` (the connection cap is ListenerGate's). */
export function transportServerOptions(limits: TransportLimits): grpc.ServerOptions {
  return {
    'grpc.max_concurrent_streams': limits.maxConcurrentStreams,
    ...(limits.keepaliveTimeMs > 0 ? { 'grpc.keepalive_time_ms': limits.keepaliveTimeMs, 'grpc.keepalive_timeout_ms': limits.keepaliveTimeoutMs } : {}),
    ...(limits.maxConnectionIdleMs > 0 ? { 'grpc.max_connection_idle_ms': limits.maxConnectionIdleMs } : {}),
    ...(limits.maxConnectionAgeMs > 0 ? { 'grpc.max_connection_age_ms': limits.maxConnectionAgeMs, 'grpc.max_connection_age_grace_ms': limits.maxConnectionAgeGraceMs } : {}),
  };
}

/** host:port or [v6]:port → the parts net.Server.listen takes. */
export function parseListenAddr(addr: string): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(addr);
  if (!m) throw new Error(`listen address ${JSON.stringify(addr)} is not host:port or [v6]:port`);
  const port = Number(m[3]);
  if (port > 65535) throw new Error(`listen address ${addr}: port ${port} is out of range`);
  return { host: (m[1] ?? m[2])!, port };
}

/**
 * One listening socket in front of a grpc-js server, with a connection cap. `dropped` counts the
 * connections refused at the cap.
 */
export class ListenerGate {
  private readonly tcp: net.Server;
  private readonly sockets = new Set<net.Socket>();
  private readonly injector: grpc.ConnectionInjector;
  dropped = 0;

  constructor(
    server: grpc.Server,
    credentials: grpc.ServerCredentials,
    limits: Pick<TransportLimits, 'maxConnections'>,
    private readonly onDrop?: (remote: string) => void,
  ) {
    this.injector = server.createConnectionInjector(credentials);
    this.tcp = net.createServer({ noDelay: true }, (socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
      this.injector.injectConnection(socket);
    });
    if (limits.maxConnections > 0) this.tcp.maxConnections = limits.maxConnections;
    this.tcp.on('drop', (data?: { remoteAddress?: string; remotePort?: number }) => {
      this.dropped++;
      this.onDrop?.(`${data?.remoteAddress ?? '?'}:${data?.remotePort ?? '?'}`);
    });
  }

  /** Open connections. */
  get connections(): number {
    return this.sockets.size;
  }

  listen(addr: string): Promise<number> {
    const { host, port } = parseListenAddr(addr);
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => reject(err);
      this.tcp.once('error', onError);
      this.tcp.listen({ host, port }, () => {
        this.tcp.off('error', onError);
        resolve((this.tcp.address() as net.AddressInfo).port);
      });
    });
  }

  /** Stops accepting (the grpc-js shutdown closes the sessions). */
  stopAccepting(): Promise<void> {
    return new Promise((resolve) => {
      if (!this.tcp.listening) return resolve();
      this.tcp.close(() => resolve());
    });
  }

  /** Resolves once every accepted connection has closed (the graceful drain's end). */
  closed(): Promise<void> {
    if (this.sockets.size === 0) return Promise.resolve();
    const waits = [...this.sockets].map((s): Promise<void> => (s.closed ? Promise.resolve() : new Promise<void>((resolve) => s.once('close', () => resolve()))));
    return Promise.all(waits).then(() => undefined);
  }

  /** Destroys every open connection (forced shutdown). */
  destroyAll(): void {
    for (const s of this.sockets) s.destroy();
    this.injector.destroy();
  }
}
