// Original file: proto/creatormatch/v1/index_admin.proto


export interface ReloadIndexResponse {
  'version'?: (string);
  'previous_version'?: (string);
  /**
   * False when that version was already serving.
   */
  'changed'?: (boolean);
}

export interface ReloadIndexResponse__Output {
  'version': (string);
  'previous_version': (string);
  /**
   * False when that version was already serving.
   */
  'changed': (boolean);
}
