// Original file: proto/creatormatch/v1/index_admin.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { Creator as _creatormatch_v1_Creator, Creator__Output as _creatormatch_v1_Creator__Output } from '../../creatormatch/v1/Creator';
import type { DeleteCreatorsRequest as _creatormatch_v1_DeleteCreatorsRequest, DeleteCreatorsRequest__Output as _creatormatch_v1_DeleteCreatorsRequest__Output } from '../../creatormatch/v1/DeleteCreatorsRequest';
import type { DeleteCreatorsResponse as _creatormatch_v1_DeleteCreatorsResponse, DeleteCreatorsResponse__Output as _creatormatch_v1_DeleteCreatorsResponse__Output } from '../../creatormatch/v1/DeleteCreatorsResponse';
import type { ReloadIndexRequest as _creatormatch_v1_ReloadIndexRequest, ReloadIndexRequest__Output as _creatormatch_v1_ReloadIndexRequest__Output } from '../../creatormatch/v1/ReloadIndexRequest';
import type { ReloadIndexResponse as _creatormatch_v1_ReloadIndexResponse, ReloadIndexResponse__Output as _creatormatch_v1_ReloadIndexResponse__Output } from '../../creatormatch/v1/ReloadIndexResponse';
import type { UpsertCreatorsResponse as _creatormatch_v1_UpsertCreatorsResponse, UpsertCreatorsResponse__Output as _creatormatch_v1_UpsertCreatorsResponse__Output } from '../../creatormatch/v1/UpsertCreatorsResponse';

export interface IndexAdminClient extends grpc.Client {
  /**
   * Removes creators from the serving version (durable before the response).
   */
  DeleteCreators(argument: _creatormatch_v1_DeleteCreatorsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_creatormatch_v1_DeleteCreatorsResponse__Output>): grpc.ClientUnaryCall;
  DeleteCreators(argument: _creatormatch_v1_DeleteCreatorsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_creatormatch_v1_DeleteCreatorsResponse__Output>): grpc.ClientUnaryCall;
  DeleteCreators(argument: _creatormatch_v1_DeleteCreatorsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_creatormatch_v1_DeleteCreatorsResponse__Output>): grpc.ClientUnaryCall;
  DeleteCreators(argument: _creatormatch_v1_DeleteCreatorsRequest, callback: grpc.requestCallback<_creatormatch_v1_DeleteCreatorsResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Removes creators from the serving version (durable before the response).
   */
  deleteCreators(argument: _creatormatch_v1_DeleteCreatorsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_creatormatch_v1_DeleteCreatorsResponse__Output>): grpc.ClientUnaryCall;
  deleteCreators(argument: _creatormatch_v1_DeleteCreatorsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_creatormatch_v1_DeleteCreatorsResponse__Output>): grpc.ClientUnaryCall;
  deleteCreators(argument: _creatormatch_v1_DeleteCreatorsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_creatormatch_v1_DeleteCreatorsResponse__Output>): grpc.ClientUnaryCall;
  deleteCreators(argument: _creatormatch_v1_DeleteCreatorsRequest, callback: grpc.requestCallback<_creatormatch_v1_DeleteCreatorsResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Loads and validates a version off the request path, then swaps it in. Empty `version`:
   * the version DIR/CURRENT names. An explicit version is also published (CURRENT points at it),
   * which is how to roll back. A bad version is refused (FAILED_PRECONDITION) and the old one
   * keeps serving.
   */
  ReloadIndex(argument: _creatormatch_v1_ReloadIndexRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_creatormatch_v1_ReloadIndexResponse__Output>): grpc.ClientUnaryCall;
  ReloadIndex(argument: _creatormatch_v1_ReloadIndexRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_creatormatch_v1_ReloadIndexResponse__Output>): grpc.ClientUnaryCall;
  ReloadIndex(argument: _creatormatch_v1_ReloadIndexRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_creatormatch_v1_ReloadIndexResponse__Output>): grpc.ClientUnaryCall;
  ReloadIndex(argument: _creatormatch_v1_ReloadIndexRequest, callback: grpc.requestCallback<_creatormatch_v1_ReloadIndexResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Loads and validates a version off the request path, then swaps it in. Empty `version`:
   * the version DIR/CURRENT names. An explicit version is also published (CURRENT points at it),
   * which is how to roll back. A bad version is refused (FAILED_PRECONDITION) and the old one
   * keeps serving.
   */
  reloadIndex(argument: _creatormatch_v1_ReloadIndexRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_creatormatch_v1_ReloadIndexResponse__Output>): grpc.ClientUnaryCall;
  reloadIndex(argument: _creatormatch_v1_ReloadIndexRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_creatormatch_v1_ReloadIndexResponse__Output>): grpc.ClientUnaryCall;
  reloadIndex(argument: _creatormatch_v1_ReloadIndexRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_creatormatch_v1_ReloadIndexResponse__Output>): grpc.ClientUnaryCall;
  reloadIndex(argument: _creatormatch_v1_ReloadIndexRequest, callback: grpc.requestCallback<_creatormatch_v1_ReloadIndexResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Adds or replaces creators in the serving version, embedded with the index's model (or with
   * the given vectors). Durable before the response: written to the version's update log.
   * All or nothing: one invalid creator fails the call and nothing is applied.
   */
  UpsertCreators(metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_creatormatch_v1_UpsertCreatorsResponse__Output>): grpc.ClientWritableStream<_creatormatch_v1_Creator>;
  UpsertCreators(metadata: grpc.Metadata, callback: grpc.requestCallback<_creatormatch_v1_UpsertCreatorsResponse__Output>): grpc.ClientWritableStream<_creatormatch_v1_Creator>;
  UpsertCreators(options: grpc.CallOptions, callback: grpc.requestCallback<_creatormatch_v1_UpsertCreatorsResponse__Output>): grpc.ClientWritableStream<_creatormatch_v1_Creator>;
  UpsertCreators(callback: grpc.requestCallback<_creatormatch_v1_UpsertCreatorsResponse__Output>): grpc.ClientWritableStream<_creatormatch_v1_Creator>;
  /**
   * Adds or replaces creators in the serving version, embedded with the index's model (or with
   * the given vectors). Durable before the response: written to the version's update log.
   * All or nothing: one invalid creator fails the call and nothing is applied.
   */
  upsertCreators(metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_creatormatch_v1_UpsertCreatorsResponse__Output>): grpc.ClientWritableStream<_creatormatch_v1_Creator>;
  upsertCreators(metadata: grpc.Metadata, callback: grpc.requestCallback<_creatormatch_v1_UpsertCreatorsResponse__Output>): grpc.ClientWritableStream<_creatormatch_v1_Creator>;
  upsertCreators(options: grpc.CallOptions, callback: grpc.requestCallback<_creatormatch_v1_UpsertCreatorsResponse__Output>): grpc.ClientWritableStream<_creatormatch_v1_Creator>;
  upsertCreators(callback: grpc.requestCallback<_creatormatch_v1_UpsertCreatorsResponse__Output>): grpc.ClientWritableStream<_creatormatch_v1_Creator>;
  
}

export interface IndexAdminHandlers extends grpc.UntypedServiceImplementation {
  /**
   * Removes creators from the serving version (durable before the response).
   */
  DeleteCreators: grpc.handleUnaryCall<_creatormatch_v1_DeleteCreatorsRequest__Output, _creatormatch_v1_DeleteCreatorsResponse>;
  
  /**
   * Loads and validates a version off the request path, then swaps it in. Empty `version`:
   * the version DIR/CURRENT names. An explicit version is also published (CURRENT points at it),
   * which is how to roll back. A bad version is refused (FAILED_PRECONDITION) and the old one
   * keeps serving.
   */
  ReloadIndex: grpc.handleUnaryCall<_creatormatch_v1_ReloadIndexRequest__Output, _creatormatch_v1_ReloadIndexResponse>;
  
  /**
   * Adds or replaces creators in the serving version, embedded with the index's model (or with
   * the given vectors). Durable before the response: written to the version's update log.
   * All or nothing: one invalid creator fails the call and nothing is applied.
   */
  UpsertCreators: grpc.handleClientStreamingCall<_creatormatch_v1_Creator__Output, _creatormatch_v1_UpsertCreatorsResponse>;
  
}

export interface IndexAdminDefinition extends grpc.ServiceDefinition {
  DeleteCreators: MethodDefinition<_creatormatch_v1_DeleteCreatorsRequest, _creatormatch_v1_DeleteCreatorsResponse, _creatormatch_v1_DeleteCreatorsRequest__Output, _creatormatch_v1_DeleteCreatorsResponse__Output>
  ReloadIndex: MethodDefinition<_creatormatch_v1_ReloadIndexRequest, _creatormatch_v1_ReloadIndexResponse, _creatormatch_v1_ReloadIndexRequest__Output, _creatormatch_v1_ReloadIndexResponse__Output>
  UpsertCreators: MethodDefinition<_creatormatch_v1_Creator, _creatormatch_v1_UpsertCreatorsResponse, _creatormatch_v1_Creator__Output, _creatormatch_v1_UpsertCreatorsResponse__Output>
}
