import type * as grpc from '@grpc/grpc-js';
import type { EnumTypeDefinition, MessageTypeDefinition } from '@grpc/proto-loader';

import type { CreatorIds as _creatormatch_v1_CreatorIds, CreatorIds__Output as _creatormatch_v1_CreatorIds__Output } from './creatormatch/v1/CreatorIds';
import type { CreatorMatch as _creatormatch_v1_CreatorMatch, CreatorMatch__Output as _creatormatch_v1_CreatorMatch__Output } from './creatormatch/v1/CreatorMatch';
import type { CreatorMatcherClient as _creatormatch_v1_CreatorMatcherClient, CreatorMatcherDefinition as _creatormatch_v1_CreatorMatcherDefinition } from './creatormatch/v1/CreatorMatcher';
import type { CreatorProfile as _creatormatch_v1_CreatorProfile, CreatorProfile__Output as _creatormatch_v1_CreatorProfile__Output } from './creatormatch/v1/CreatorProfile';
import type { Filter as _creatormatch_v1_Filter, Filter__Output as _creatormatch_v1_Filter__Output } from './creatormatch/v1/Filter';
import type { GetIndexInfoRequest as _creatormatch_v1_GetIndexInfoRequest, GetIndexInfoRequest__Output as _creatormatch_v1_GetIndexInfoRequest__Output } from './creatormatch/v1/GetIndexInfoRequest';
import type { HnswParams as _creatormatch_v1_HnswParams, HnswParams__Output as _creatormatch_v1_HnswParams__Output } from './creatormatch/v1/HnswParams';
import type { IndexInfo as _creatormatch_v1_IndexInfo, IndexInfo__Output as _creatormatch_v1_IndexInfo__Output } from './creatormatch/v1/IndexInfo';
import type { MatchError as _creatormatch_v1_MatchError, MatchError__Output as _creatormatch_v1_MatchError__Output } from './creatormatch/v1/MatchError';
import type { MatchExplanation as _creatormatch_v1_MatchExplanation, MatchExplanation__Output as _creatormatch_v1_MatchExplanation__Output } from './creatormatch/v1/MatchExplanation';
import type { MatchRequest as _creatormatch_v1_MatchRequest, MatchRequest__Output as _creatormatch_v1_MatchRequest__Output } from './creatormatch/v1/MatchRequest';
import type { MatchResponse as _creatormatch_v1_MatchResponse, MatchResponse__Output as _creatormatch_v1_MatchResponse__Output } from './creatormatch/v1/MatchResponse';
import type { Vector as _creatormatch_v1_Vector, Vector__Output as _creatormatch_v1_Vector__Output } from './creatormatch/v1/Vector';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  creatormatch: {
    v1: {
      CreatorIds: MessageTypeDefinition<_creatormatch_v1_CreatorIds, _creatormatch_v1_CreatorIds__Output>
      CreatorMatch: MessageTypeDefinition<_creatormatch_v1_CreatorMatch, _creatormatch_v1_CreatorMatch__Output>
      /**
       * Approximate nearest-neighbour matching of fans to creators.
       */
      CreatorMatcher: SubtypeConstructor<typeof grpc.Client, _creatormatch_v1_CreatorMatcherClient> & { service: _creatormatch_v1_CreatorMatcherDefinition }
      CreatorProfile: MessageTypeDefinition<_creatormatch_v1_CreatorProfile, _creatormatch_v1_CreatorProfile__Output>
      Filter: MessageTypeDefinition<_creatormatch_v1_Filter, _creatormatch_v1_Filter__Output>
      GetIndexInfoRequest: MessageTypeDefinition<_creatormatch_v1_GetIndexInfoRequest, _creatormatch_v1_GetIndexInfoRequest__Output>
      HnswParams: MessageTypeDefinition<_creatormatch_v1_HnswParams, _creatormatch_v1_HnswParams__Output>
      IndexInfo: MessageTypeDefinition<_creatormatch_v1_IndexInfo, _creatormatch_v1_IndexInfo__Output>
      MatchError: MessageTypeDefinition<_creatormatch_v1_MatchError, _creatormatch_v1_MatchError__Output>
      MatchExplanation: MessageTypeDefinition<_creatormatch_v1_MatchExplanation, _creatormatch_v1_MatchExplanation__Output>
      MatchRequest: MessageTypeDefinition<_creatormatch_v1_MatchRequest, _creatormatch_v1_MatchRequest__Output>
      MatchResponse: MessageTypeDefinition<_creatormatch_v1_MatchResponse, _creatormatch_v1_MatchResponse__Output>
      Retrieval: EnumTypeDefinition
      Vector: MessageTypeDefinition<_creatormatch_v1_Vector, _creatormatch_v1_Vector__Output>
    }
  }
}

