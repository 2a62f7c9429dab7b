import * as grpc from '@grpc/grpc-js';
import type { PackageDefinition } from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';
import { HealthImplementation, type ServingStatus } from 'grpc-health-check';
import type { CreatorMatcherHandlers } from './generated/creatormatch/v1/CreatorMatcher';
import { MATCHER_SERVICE, matcherClientConstructor } from './proto';

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
}

/** Builds (does not bind) the server: CreatorMatcher + grpc.health.v1 + reflection. */
export function buildGrpcServer(opts: BuildServerOptions): GrpcServerParts {
  const server = new grpc.Server({
    'grpc.max_receive_message_length': opts.maxReceiveBytes,
    'grpc.keepalive_permit_without_calls': 1,
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
