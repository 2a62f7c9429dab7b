import type * as grpc from '@grpc/grpc-js';
import type { sendUnaryData, ServerReadableStream, ServerUnaryCall } from '@grpc/grpc-js';
import { parseCreator, type CreatorRecord } from '../catalog/creator';
import { shortId, truncateForEcho } from '../errors/echo';
import { MatchError, toGrpcStatus } from '../errors/match-error';
import { deleteCreators, upsertCreators } from '../lifecycle/creator-updates';
import type { IndexManager } from '../lifecycle/index-manager';
import type { Logger } from '../logging/logger';
import { requireBearer, tokenDigest } from './admin-auth';
import { callSignal } from './call-signal';
import type { Creator__Output } from '../contract/creatormatch/v1/Creator';
import type { DeleteCreatorsRequest__Output } from '../contract/creatormatch/v1/DeleteCreatorsRequest';
import type { DeleteCreatorsResponse } from '../contract/creatormatch/v1/DeleteCreatorsResponse';
import type { IndexAdminHandlers } from '../contract/creatormatch/v1/IndexAdmin';
import type { ReloadIndexRequest__Output } from '../contract/creatormatch/v1/ReloadIndexRequest';
import type { ReloadIndexResponse } from '../contract/creatormatch/v1/ReloadIndexResponse';
import type { UpsertCreatorsResponse } from '../contract/creatormatch/v1/UpsertCreatorsResponse';
import { toServiceError } from './wire';

/** Metadata key that picks the A/B variant an admin call acts on (default: the first variant). */
export const ADMIN_VARIANT_METADATA_KEY = 'creator-match-variant';

export interface AdminServiceDeps {
  /** The manager of a variant ('' for the first); throws UNKNOWN_VARIANT. */
  manager(variant: string): IndexManager;
  token: string;
  maxUpsertBatch: number;
  logger: Logger;
}

/** Handlers of creatormatch.v1.IndexAdmin; every call is authenticated first. */
export function createAdminService(deps: AdminServiceDeps): IndexAdminHandlers {
  const expected = tokenDigest(deps.token);
  const managerFor = (call: { metadata: grpc.Metadata }): IndexManager => {
    const v = call.metadata.get(ADMIN_VARIANT_METADATA_KEY)[0];
    return deps.manager(typeof v === 'string' ? v : '');
  };

  const fail = <T>(method: string, err: unknown, callback: sendUnaryData<T>): void => {
    const status = toGrpcStatus(err);
    const log = deps.logger.child({ method });
    if (status.reason === 'INTERNAL') log.error({ err }, 'admin call failed');
    else log.warn({ reason: status.reason, detail: status.message }, 'admin call refused');
    callback(toServiceError(status));
  };

  const ReloadIndex = async (call: ServerUnaryCall<ReloadIndexRequest__Output, ReloadIndexResponse>, callback: sendUnaryData<ReloadIndexResponse>): Promise<void> => {
    try {
      requireBearer(call.metadata, expected);
      const version = call.request.version.trim() || undefined;
      const r = await managerFor(call).reload(version, 'admin');
      callback(null, { version: r.version, previous_version: r.previousVersion ?? '', changed: r.changed });
    } catch (err) {
      fail('ReloadIndex', err, callback);
    }
  };

  const UpsertCreators = async (call: ServerReadableStream<Creator__Output, UpsertCreatorsResponse>, callback: sendUnaryData<UpsertCreatorsResponse>): Promise<void> => {
    const { signal, dispose } = callSignal(call);
    try {
      requireBearer(call.metadata, expected);
      const records: CreatorRecord[] = [];
      for await (const wire of call.iterator({ destroyOnReturn: false }) as AsyncIterable<Creator__Output>) {
        if (records.length >= deps.maxUpsertBatch) {
          throw new MatchError('INVALID_CREATOR', `more than ${deps.maxUpsertBatch} creators in one UpsertCreators call; split the stream`);
        }
        const { vector, ...rest } = wire;
        // An empty vector is the proto3 default (none given): the creator is embedded.
        const parsed = parseCreator(vector.length > 0 ? { ...rest, vector } : rest);
        if (!parsed.ok) throw new MatchError('INVALID_CREATOR', `creator #${records.length + 1} (${wire.id ? shortId(wire.id) : 'no id'}): ${truncateForEcho(parsed.reason, 300)}`);
        records.push(parsed.record);
      }
      const r = await upsertCreators(managerFor(call), records, signal);
      deps.logger.info({ method: 'UpsertCreators', version: r.version, created: r.created, updated: r.updated }, 'creators upserted');
      callback(null, { upserted: records.length, created: r.created, updated: r.updated, index_version: r.version });
    } catch (err) {
      fail('UpsertCreators', err, callback);
    } finally {
      dispose();
    }
  };

  const DeleteCreators = async (call: ServerUnaryCall<DeleteCreatorsRequest__Output, DeleteCreatorsResponse>, callback: sendUnaryData<DeleteCreatorsResponse>): Promise<void> => {
    try {
      requireBearer(call.metadata, expected);
      const ids = call.request.ids.map((id) => id.trim()).filter(Boolean);
      if (ids.length === 0) throw new MatchError('INVALID_CREATOR', 'ids is empty: name at least one creator id');
      const r = await deleteCreators(managerFor(call), ids);
      deps.logger.info({ method: 'DeleteCreators', version: r.version, deleted: r.deleted, notFound: r.notFound.length }, 'creators deleted');
      callback(null, { deleted: r.deleted, not_found: r.notFound, index_version: r.version });
    } catch (err) {
      fail('DeleteCreators', err, callback);
    }
  };

  // grpc-js ignores what a handler returns; these answer every error themselves.
  return {
    ReloadIndex: (call, callback) => void ReloadIndex(call, callback),
    UpsertCreators: (call, callback) => void UpsertCreators(call, callback),
    DeleteCreators: (call, callback) => void DeleteCreators(call, callback),
  };
}
