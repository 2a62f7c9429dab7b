import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { PACKAGE_ROOT } from '../config/config';

export const PROTO_DIR = path.join(PACKAGE_ROOT, 'proto');
export const MATCH_PROTO = 'creatormatch/v1/creator_match.proto';
export const ADMIN_PROTO = 'creatormatch/v1/index_admin.proto';
export const MATCHER_SERVICE = 'creatormatch.v1.CreatorMatcher';
export const ADMIN_SERVICE = 'creatormatch.v1.IndexAdmin';

/** Loader options shared by the server, tests and the example client. */
export const LOADER_OPTIONS: protoLoader.Options = {
  keepCase: true,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
  includeDirs: [PROTO_DIR],
};

/** Both services of package creatormatch.v1 (CreatorMatcher and IndexAdmin). */
export function loadMatchPackageDefinition(): protoLoader.PackageDefinition {
  return protoLoader.loadSync([MATCH_PROTO, ADMIN_PROTO], LOADER_OPTIONS);
}

type ServiceName = 'CreatorMatcher' | 'IndexAdmin';

/** A client constructor (its `.service` is the definition for addService). */
export function clientConstructor(name: ServiceName, def = loadMatchPackageDefinition()): grpc.ServiceClientConstructor {
  const pkg = grpc.loadPackageDefinition(def) as unknown as {
    creatormatch: { v1: Record<ServiceName, grpc.ServiceClientConstructor> };
  };
  return pkg.creatormatch.v1[name];
}

export function matcherServiceDefinition(def = loadMatchPackageDefinition()): grpc.ServiceDefinition {
  return clientConstructor('CreatorMatcher', def).service;
}

export function matcherClientConstructor(def = loadMatchPackageDefinition()): grpc.ServiceClientConstructor {
  return clientConstructor('CreatorMatcher', def);
}
