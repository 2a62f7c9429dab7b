// Original file: proto/creatormatch/v1/creator_match.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { GetIndexInfoRequest as _creatormatch_v1_GetIndexInfoRequest, GetIndexInfoRequest__Output as _creatormatch_v1_GetIndexInfoRequest__Output } from '../../creatormatch/v1/GetIndexInfoRequest';
import type { IndexInfo as _creatormatch_v1_IndexInfo, IndexInfo__Output as _creatormatch_v1_IndexInfo__Output } from '../../creatormatch/v1/IndexInfo';
import type { MatchRequest as _creatormatch_v1_MatchRequest, MatchRequest__Output as _creatormatch_v1_MatchRequest__Output } from '../../creatormatch/v1/MatchRequest';
import type { MatchResponse as _creatormatch_v1_MatchResponse, MatchResponse__Output as _creatormatch_v1_MatchResponse__Output } from '../../creatormatch/v1/MatchResponse';

/**
 * Approximate nearest-neighbour matching of fans to creators.
 */
export interface CreatorMatcherClient extends grpc.Client {
  /**
   * Many queries over one stream (recommendation jobs). Every response carries
   * its request's request_id; a bad item gets a response with `error` set and
   * the stream goes on. Only a broken stream (or its deadline) ends the call.
   */
  BatchMatch(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_creatormatch_v1_MatchRequest, _creatormatch_v1_MatchResponse__Output>;
  BatchMatch(options?: grpc.CallOptions): grpc.ClientDuplexStream<_creatormatch_v1_MatchRequest, _creatormatch_v1_MatchResponse__Output>;
  /**
   * Many queries over one stream (recommendation jobs). Every response carries
   * its request's request_id; a bad item gets a response with `error` set and
   * the stream goes on. Only a broken stream (or its deadline) ends the call.
   */
  batchMatch(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_creatormatch_v1_MatchRequest, _creatormatch_v1_MatchResponse__Output>;
  batchMatch(options?: grpc.CallOptions): grpc.ClientDuplexStream<_creatormatch_v1_MatchRequest, _creatormatch_v1_MatchResponse__Output>;
  
  /**
   * What the service is serving right now.
   */
  GetIndexInfo(argument: _creatormatch_v1_GetIndexInfoRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_creatormatch_v1_IndexInfo__Output>): grpc.ClientUnaryCall;
  GetIndexInfo(argument: _creatormatch_v1_GetIndexInfoRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_creatormatch_v1_IndexInfo__Output>): grpc.ClientUnaryCall;
  GetIndexInfo(argument: _creatormatch_v1_GetIndexInfoRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_creatormatch_v1_IndexInfo__Output>): grpc.ClientUnaryCall;
  GetIndexInfo(argument: _creatormatch_v1_GetIndexInfoRequest, callback: grpc.requestCallback<_creatormatch_v1_IndexInfo__Output>): grpc.ClientUnaryCall;
  /**
   * What the service is serving right now.
   */
  getIndexInfo(argument: _creatormatch_v1_GetIndexInfoRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_creatormatch_v1_IndexInfo__Output>): grpc.ClientUnaryCall;
  getIndexInfo(argument: _creatormatch_v1_GetIndexInfoRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_creatormatch_v1_IndexInfo__Output>): grpc.ClientUnaryCall;
  getIndexInfo(argument: _creatormatch_v1_GetIndexInfoRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_creatormatch_v1_IndexInfo__Output>): grpc.ClientUnaryCall;
  getIndexInfo(argument: _creatormatch_v1_GetIndexInfoRequest, callback: grpc.requestCallback<_creatormatch_v1_IndexInfo__Output>): grpc.ClientUnaryCall;
  
  /**
   * Top-k creators for one fan query.
   */
  Match(argument: _creatormatch_v1_MatchRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_creatormatch_v1_MatchResponse__Output>): grpc.ClientUnaryCall;
  Match(argument: _creatormatch_v1_MatchRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_creatormatch_v1_MatchResponse__Output>): grpc.ClientUnaryCall;
  Match(argument: _creatormatch_v1_MatchRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_creatormatch_v1_MatchResponse__Output>): grpc.ClientUnaryCall;
  Match(argument: _creatormatch_v1_MatchRequest, callback: grpc.requestCallback<_creatormatch_v1_MatchResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Top-k creators for one fan query.
   */
  match(argument: _creatormatch_v1_MatchRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_creatormatch_v1_MatchResponse__Output>): grpc.ClientUnaryCall;
  match(argument: _creatormatch_v1_MatchRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_creatormatch_v1_MatchResponse__Output>): grpc.ClientUnaryCall;
  match(argument: _creatormatch_v1_MatchRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_creatormatch_v1_MatchResponse__Output>): grpc.ClientUnaryCall;
  match(argument: _creatormatch_v1_MatchRequest, callback: grpc.requestCallback<_creatormatch_v1_MatchResponse__Output>): grpc.ClientUnaryCall;
  
}

/**
 * Approximate nearest-neighbour matching of fans to creators.
 */
export interface CreatorMatcherHandlers extends grpc.UntypedServiceImplementation {
  /**
   * Many queries over one stream (recommendation jobs). Every response carries
   * its request's request_id; a bad item gets a response with `error` set and
   * the stream goes on. Only a broken stream (or its deadline) ends the call.
   */
  BatchMatch: grpc.handleBidiStreamingCall<_creatormatch_v1_MatchRequest__Output, _creatormatch_v1_MatchResponse>;
  
  /**
   * What the service is serving right now.
   */
  GetIndexInfo: grpc.handleUnaryCall<_creatormatch_v1_GetIndexInfoRequest__Output, _creatormatch_v1_IndexInfo>;
  
  /**
   * Top-k creators for one fan query.
   */
  Match: grpc.handleUnaryCall<_creatormatch_v1_MatchRequest__Output, _creatormatch_v1_MatchResponse>;
  
}

export interface CreatorMatcherDefinition extends grpc.ServiceDefinition {
  BatchMatch: MethodDefinition<_creatormatch_v1_MatchRequest, _creatormatch_v1_MatchResponse, _creatormatch_v1_MatchRequest__Output, _creatormatch_v1_MatchResponse__Output>
  GetIndexInfo: MethodDefinition<_creatormatch_v1_GetIndexInfoRequest, _creatormatch_v1_IndexInfo, _creatormatch_v1_GetIndexInfoRequest__Output, _creatormatch_v1_IndexInfo__Output>
  Match: MethodDefinition<_creatormatch_v1_MatchRequest, _creatormatch_v1_MatchResponse, _creatormatch_v1_MatchRequest__Output, _creatormatch_v1_MatchResponse__Output>
}
