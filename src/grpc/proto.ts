import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { PACKAGE_ROOT } from '../config/config';

export const PROTO_DIR = path.join(PACKAGE_ROOT, 'proto');
export const MATCH_PROTO = 'creatormatch/v1/creator_match.proto';
export const MATCHER_SERVICE = 'creatormatch.v1.CreatorMatcher';

/** Loader options shared by the server, tests and the example client. */
export const LOADER_OPTIONS: protoLoader.Options = {
  keepCase: true,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
  includeDirs: [PROTO_DIR],
};

export function loadMatchPackageDefinition(): protoLoader.PackageDefinition {
  return protoLoader.loadSync(MATCH_PROTO, LOADER_OPTIONS);
}

/** The CreatorMatcher service definition (for addService and for clients). */
export function matcherServiceDefinition(def = loadMatchPackageDefinition()): grpc.ServiceDefinition {
  const pkg = grpc.loadPackageDefinition(def) as unknown as {
    creatormatch: { v1: { CreatorMatcher: grpc.ServiceClientConstructor } };
  };
  return pkg.creatormatch.v1.CreatorMatcher.service;
}

/** A typed-enough client constructor for tests and examples. */
export function matcherClientConstructor(def = loadMatchPackageDefinition()): grpc.ServiceClientConstructor {
  const pkg = grpc.loadPackageDefinition(def) as unknown as {
    creatormatch: { v1: { CreatorMatcher: grpc.ServiceClientConstructor } };
  };
  return pkg.creatormatch.v1.CreatorMatcher;
}
