// Original file: proto/creatormatch/v1/creator_match.proto


export interface GetIndexInfoRequest {
  /**
   * Which A/B variant to describe; empty: the first (control) variant.
   */
  'variant'?: (string);
}

export interface GetIndexInfoRequest__Output {
  /**
   * Which A/B variant to describe; empty: the first (control) variant.
   */
  'variant': (string);
}
