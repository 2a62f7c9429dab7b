import * as grpc from '@grpc/grpc-js';
import { loadSync, type PackageDefinition } from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';
import { HealthImplementation, protoPath as healthProtoPath, type ServingStatus } from 'grpc-health-check';
import type { CreatorMatcherHandlers } from '../contract/creatormatch/v1/CreatorMatcher';
import type { IndexAdminHandlers } from '../contract/creatormatch/v1/IndexAdmin';
import { ADMIN_PROTO, ADMIN_SERVICE, adminClientConstructor, LOADER_OPTIONS, MATCH_PROTO, MATCHER_SERVICE, matcherClientConstructor } from './proto';
import { withFastRequestDecoding } from './request-codec';

export const HEALTH_SERVICE = 'grpc.health.v1.Health';
import { ListenerGate, transportServerOptions, type TransportLimits } from './transport-limits';

export interface GrpcServerParts {
  server: grpc.Server;
  /** Sets the status of both the overall ('') and the CreatorMatcher service. */
  setServing(status: ServingStatus): void;
}

export interface BuildServerOptions {
  packageDefinition: PackageDefinition;
  matcher: CreatorMatcherHandlers;
  /** IndexAdmin on the same port (admin on, no MATCH_ADMIN_ADDR). */
  admin?: IndexAdminHandlers | undefined;
  maxReceiveBytes: number;
  /** Server interceptors (telemetry), outermost first. */
  interceptors?: grpc.ServerInterceptor[];
  /** Connection and stream limits (see transport-limits.ts); the connection cap is applied by bindServer. */
  transport?: TransportLimits;
}

/**
 * Reflection over exactly the files of the services a port serves (listing and describing), so
 * that generic tools see what is there and nothing else.
 */
function reflection(files: string[], services: string[]): ReflectionService {
  return new ReflectionService(loadSync(files, LOADER_OPTIONS), { services });
}

function newServer(maxReceiveBytes: number, interceptors: grpc.ServerInterceptor[] | undefined, transport: TransportLimits | undefined): grpc.Server {
  return new grpc.Server({
    'grpc.max_receive_message_length': maxReceiveBytes,
    'grpc.keepalive_permit_without_calls': 1,
    ...(transport ? transportServerOptions(transport) : {}),
    ...(interceptors ? { interceptors } : {}),
  });
}

/**
 * Builds (does not bind) the main server: CreatorMatcher + grpc.health.v1 + reflection, and
 * IndexAdmin when it shares the port. Reflection describes exactly the services served here.
 */
export function buildGrpcServer(opts: BuildServerOptions): GrpcServerParts {
  const server = newServer(opts.maxReceiveBytes, opts.interceptors, opts.transport);
  server.addService(withFastRequestDecoding(matcherClientConstructor(opts.packageDefinition).service), opts.matcher);
  if (opts.admin) server.addService(adminClientConstructor(opts.packageDefinition).service, opts.admin);
  const health = new HealthImplementation({ '': 'NOT_SERVING', [MATCHER_SERVICE]: 'NOT_SERVING' });
  health.addToServer(server);
  const admin = opts.admin !== undefined;
  reflection([MATCH_PROTO, healthProtoPath, ...(admin ? [ADMIN_PROTO] : [])], [MATCHER_SERVICE, HEALTH_SERVICE, ...(admin ? [ADMIN_SERVICE] : [])]).addToServer(server);
  return {
    server,
    setServing(status) {
      health.setStatus('', status);
      health.setStatus(MATCHER_SERVICE, status);
    },
  };
}

/** The separate IndexAdmin server (MATCH_ADMIN_ADDR): IndexAdmin and reflection of it only. */
export function buildAdminServer(opts: Omit<BuildServerOptions, 'matcher' | 'admin'> & { admin: IndexAdminHandlers }): grpc.Server {
  const server = newServer(opts.maxReceiveBytes, opts.interceptors, opts.transport);
  server.addService(adminClientConstructor(opts.packageDefinition).service, opts.admin);
  reflection([ADMIN_PROTO], [ADMIN_SERVICE]).addToServer(server);
  return server;
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
      // On Node 24, http2's Server.close() already closes the sessions gracefully, and grpc-js then
      // takes a closed session for a finished one and calls back while streams are still open:
      // the drain ends when the connections have closed (their streams done), within the grace.
      void Promise.all(own.map((g) => g.closed())).then(() => {
        clearTimeout(timer);
        for (const g of own) g.destroyAll();
        resolve(true);
      });
    });
  });
}
