// Original file: proto/creatormatch/v1/creator_match.proto


export interface HnswParams {
  'm'?: (number);
  'ef_construction'?: (number);
  /**
   * The ef used by searches right now (at least k for each search).
   */
  'ef_search'?: (number);
}

export interface HnswParams__Output {
  'm': (number);
  'ef_construction': (number);
  /**
   * The ef used by searches right now (at least k for each search).
   */
  'ef_search': (number);
}
