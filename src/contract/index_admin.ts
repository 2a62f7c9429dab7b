import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { Creator as _creatormatch_v1_Creator, Creator__Output as _creatormatch_v1_Creator__Output } from './creatormatch/v1/Creator';
import type { DeleteCreatorsRequest as _creatormatch_v1_DeleteCreatorsRequest, DeleteCreatorsRequest__Output as _creatormatch_v1_DeleteCreatorsRequest__Output } from './creatormatch/v1/DeleteCreatorsRequest';
import type { DeleteCreatorsResponse as _creatormatch_v1_DeleteCreatorsResponse, DeleteCreatorsResponse__Output as _creatormatch_v1_DeleteCreatorsResponse__Output } from './creatormatch/v1/DeleteCreatorsResponse';
import type { IndexAdminClient as _creatormatch_v1_IndexAdminClient, IndexAdminDefinition as _creatormatch_v1_IndexAdminDefinition } from './creatormatch/v1/IndexAdmin';
import type { ReloadIndexRequest as _creatormatch_v1_ReloadIndexRequest, ReloadIndexRequest__Output as _creatormatch_v1_ReloadIndexRequest__Output } from './creatormatch/v1/ReloadIndexRequest';
import type { ReloadIndexResponse as _creatormatch_v1_ReloadIndexResponse, ReloadIndexResponse__Output as _creatormatch_v1_ReloadIndexResponse__Output } from './creatormatch/v1/ReloadIndexResponse';
import type { UpsertCreatorsResponse as _creatormatch_v1_UpsertCreatorsResponse, UpsertCreatorsResponse__Output as _creatormatch_v1_UpsertCreatorsResponse__Output } from './creatormatch/v1/UpsertCreatorsResponse';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  creatormatch: {
    v1: {
      Creator: MessageTypeDefinition<_creatormatch_v1_Creator, _creatormatch_v1_Creator__Output>
      DeleteCreatorsRequest: MessageTypeDefinition<_creatormatch_v1_DeleteCreatorsRequest, _creatormatch_v1_DeleteCreatorsRequest__Output>
      DeleteCreatorsResponse: MessageTypeDefinition<_creatormatch_v1_DeleteCreatorsResponse, _creatormatch_v1_DeleteCreatorsResponse__Output>
      IndexAdmin: SubtypeConstructor<typeof grpc.Client, _creatormatch_v1_IndexAdminClient> & { service: _creatormatch_v1_IndexAdminDefinition }
      ReloadIndexRequest: MessageTypeDefinition<_creatormatch_v1_ReloadIndexRequest, _creatormatch_v1_ReloadIndexRequest__Output>
      ReloadIndexResponse: MessageTypeDefinition<_creatormatch_v1_ReloadIndexResponse, _creatormatch_v1_ReloadIndexResponse__Output>
      UpsertCreatorsResponse: MessageTypeDefinition<_creatormatch_v1_UpsertCreatorsResponse, _creatormatch_v1_UpsertCreatorsResponse__Output>
    }
  }
}

