// Original file: proto/creatormatch/v1/index_admin.proto


export interface UpsertCreatorsResponse {
  'upserted'?: (number);
  'created'?: (number);
  'updated'?: (number);
  'index_version'?: (string);
}

export interface UpsertCreatorsResponse__Output {
  'upserted': (number);
  'created': (number);
  'updated': (number);
  'index_version': (string);
}
