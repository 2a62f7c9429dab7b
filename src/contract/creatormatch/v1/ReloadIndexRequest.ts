// Original file: proto/creatormatch/v1/index_admin.proto


export interface ReloadIndexRequest {
  'version'?: (string);
}

export interface ReloadIndexRequest__Output {
  'version': (string);
}
