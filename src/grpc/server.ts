import * as grpc from '@grpc/grpc-js';
import { loadSync, type PackageDefinition } from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';
import { HealthImplementation, protoPath as healthProtoPath, type ServingStatus } from 'grpc-health-check';
import type { CreatorMatcherHandlers } from '../contract/creatormatch/v1/CreatorMatcher';
import type { IndexAdminHandlers } from '../contract/creatormatch/v1/IndexAdmin';
import { ADMIN_PROTO, ADMIN_SERVICE, adminClientConstructor, LOADER_OPTIONS, MATCH_PROTO, MATCHER_SERVICE, matcherClientConstructor } from './proto';

export const HEALTH_SERVICE = 'grpc.health.v1.Health';

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
}

/**
 * Reflection over exactly the files of the services a port serves (listing and describing), so
 * that generic tools see what is there and nothing else.
 */
function reflection(files: string[], services: string[]): ReflectionService {
  return new ReflectionService(loadSync(files, LOADER_OPTIONS), { services });
}

function newServer(maxReceiveBytes: number, interceptors: grpc.ServerInterceptor[] | undefined): grpc.Server {
  return new grpc.Server({
    'grpc.max_receive_message_length': maxReceiveBytes,
    'grpc.keepalive_permit_without_calls': 1,
    ...(interceptors ? { interceptors } : {}),
  });
}

/**
 * Builds (does not bind) the main server: CreatorMatcher + grpc.health.v1 + reflection, and
 * IndexAdmin when it shares the port. Reflection describes exactly the services served here.
 */
export function buildGrpcServer(opts: BuildServerOptions): GrpcServerParts {
  const server = newServer(opts.maxReceiveBytes, opts.interceptors);
  server.addService(matcherClientConstructor(opts.packageDefinition).service, opts.matcher);
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
  const server = newServer(opts.maxReceiveBytes, opts.interceptors);
  server.addService(adminClientConstructor(opts.packageDefinition).service, opts.admin);
  reflection([ADMIN_PROTO], [ADMIN_SERVICE]).addToServer(server);
  return server;
}

export function bindServer(server: grpc.Server, addr: string, credentials = grpc.ServerCredentials.createInsecure()): Promise<number> {
  return new Promise((resolve, reject) => {
    server.bindAsync(addr, credentials, (err, port) => (err ? reject(err) : resolve(port)));
  });
}

/** Graceful shutdown bounded by `graceMs`, then force. Resolves true when it was graceful. */
export function shutdownServer(server: grpc.Server, graceMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      server.forceShutdown();
      resolve(false);
    }, graceMs);
    server.tryShutdown(() => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}
