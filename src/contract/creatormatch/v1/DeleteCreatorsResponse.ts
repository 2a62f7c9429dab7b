// Original file: proto/creatormatch/v1/index_admin.proto


export interface DeleteCreatorsResponse {
  'deleted'?: (number);
  'not_found'?: (string)[];
  'index_version'?: (string);
}

export interface DeleteCreatorsResponse__Output {
  'deleted': (number);
  'not_found': (string)[];
  'index_version': (string);
}
