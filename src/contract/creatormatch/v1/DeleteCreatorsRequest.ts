// Original file: proto/creatormatch/v1/index_admin.proto


export interface DeleteCreatorsRequest {
  'ids'?: (string)[];
}

export interface DeleteCreatorsRequest__Output {
  'ids': (string)[];
}
