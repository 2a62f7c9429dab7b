import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { PACKAGE_ROOT } from '../config/config';
import type { ProtoGrpcType as MatchProto } from '../contract/creator_match';
import type { ProtoGrpcType as AdminProto } from '../contract/index_admin';

export const PROTO_DIR = path.join(PACKAGE_ROOT, 'proto');
export const MATCH_PROTO = 'creatormatch/v1/creator_match.proto';
export const ADMIN_PROTO = 'creatormatch/v1/index_admin.proto';
export const MATCHER_SERVICE = 'creatormatch.v1.CreatorMatcher';
export const ADMIN_SERVICE = 'creatormatch.v1.IndexAdmin';

/**
 * Loader options shared by the server, the clients and the tests. The types in ./generated are
 * generated with the same options (`npm run proto:gen`, scripts/gen-proto-types.ts).
 */
export const LOADER_OPTIONS: protoLoader.Options = {
  keepCase: true,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
  includeDirs: [PROTO_DIR],
};

export type CreatorMatchPackage = MatchProto['creatormatch']['v1'] & AdminProto['creatormatch']['v1'];

/** Both services of package creatormatch.v1 (CreatorMatcher and IndexAdmin). */
export function loadMatchPackageDefinition(): protoLoader.PackageDefinition {
  return protoLoader.loadSync([MATCH_PROTO, ADMIN_PROTO], LOADER_OPTIONS);
}

/** The typed package object: client constructors (with `.service` definitions) and message types. */
export function loadMatchPackage(def = loadMatchPackageDefinition()): CreatorMatchPackage {
  // loadPackageDefinition is untyped; ProtoGrpcType is generated from the same files.
  return (grpc.loadPackageDefinition(def) as unknown as MatchProto & AdminProto).creatormatch.v1;
}

/** The typed CreatorMatcher client constructor (its `.service` is the definition for addService). */
export function matcherClientConstructor(def?: protoLoader.PackageDefinition): CreatorMatchPackage['CreatorMatcher'] {
  return loadMatchPackage(def).CreatorMatcher;
}

/** The typed IndexAdmin client constructor. */
export function adminClientConstructor(def?: protoLoader.PackageDefinition): CreatorMatchPackage['IndexAdmin'] {
  return loadMatchPackage(def).IndexAdmin;
}
