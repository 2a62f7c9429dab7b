import * as grpc from '@grpc/grpc-js';
import type { PackageDefinition } from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';
import { HealthImplementation, type ServingStatus } from 'grpc-health-check';
import type { CreatorMatcherHandlers } from './generated/creatormatch/v1/CreatorMatcher';
import { MATCHER_SERVICE, matcherClientConstructor } from './proto';
import { ListenerGate, transportServerOptions, type TransportLimits } from './transport-limits';

export interface GrpcServerParts {
  server: grpc.Server;
  /** Sets the status of both the overall ('') and the CreatorMatcher service. */
  setServing(status: ServingStatus): void;
}

export interface BuildServerOptions {
  packageDefinition: PackageDefinition;
  matcher: CreatorMatcherHandlers;
  maxReceiveBytes: number;
  /** Server interceptors (telemetry), outermost first. */
  interceptors?: grpc.ServerInterceptor[];
  /** Connection and stream limits (see transport-limits.ts); the connection cap is applied by bindServer. */
  transport?: TransportLimits;
}

/** Builds (does not bind) the server: CreatorMatcher + grpc.health.v1 + reflection. */
export function buildGrpcServer(opts: BuildServerOptions): GrpcServerParts {
  const server = new grpc.Server({
    'grpc.max_receive_message_length': opts.maxReceiveBytes,
    'grpc.keepalive_permit_without_calls': 1,
    ...(opts.transport ? transportServerOptions(opts.transport) : {}),
    ...(opts.interceptors ? { interceptors: opts.interceptors } : {}),
  });
  server.addService(matcherClientConstructor(opts.packageDefinition).service, opts.matcher);
  const health = new HealthImplementation({ '': 'NOT_SERVING', [MATCHER_SERVICE]: 'NOT_SERVING' });
  health.addToServer(server);
  new ReflectionService(opts.packageDefinition).addToServer(server);
  return {
    server,
    setServing(status) {
      health.setStatus('', status);
      health.setStatus(MATCHER_SERVICE, status);
    },
  };
}

const gates = new WeakMap<grpc.Server, ListenerGate[]>();

/**
 * Listens on `addr`. With `limits`, through a ListenerGate (our own socket, capped at
 * limits.maxConnections, handed to grpc-js); without, through grpc-js's bindAsync.
 */
export async function bindServer(
  server: grpc.Server,
  addr: string,
  credentials = grpc.ServerCredentials.createInsecure(),
  limits?: Pick<TransportLimits, 'maxConnections'>,
  onDrop?: (remote: string) => void,
): Promise<number> {
  if (limits) {
    const gate = new ListenerGate(server, credentials, limits, onDrop);
    const port = await gate.listen(addr);
    gates.set(server, [...(gates.get(server) ?? []), gate]);
    return port;
  }
  return new Promise((resolve, reject) => {
    server.bindAsync(addr, credentials, (err, port) => (err ? reject(err) : resolve(port)));
  });
}

/** The gates bindServer put in front of `server` (tests read their counts). */
export function listenerGates(server: grpc.Server): readonly ListenerGate[] {
  return gates.get(server) ?? [];
}

/** Graceful shutdown bounded by `graceMs`, then force. Resolves true when it was graceful. */
export function shutdownServer(server: grpc.Server, graceMs: number): Promise<boolean> {
  const own = gates.get(server) ?? [];
  for (const g of own) void g.stopAccepting();
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      server.forceShutdown();
      for (const g of own) g.destroyAll();
      resolve(false);
    }, graceMs);
    server.tryShutdown(() => {
      clearTimeout(timer);
      for (const g of own) g.destroyAll();
      resolve(true);
    });
  });
}
