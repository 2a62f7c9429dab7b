// Original file: proto/creatormatch/v1/creator_match.proto


/**
 * Creator ids, as in the catalog the index was built from.
 */
export interface CreatorIds {
  'ids'?: (string)[];
  /**
   * Optional, only in like_creators: one weight per id (pledge amount, recency,
   * ...), positive and finite; the query is then the weighted mean. Empty: all 1.
   * A repeated id gets the sum of its weights.
   */
  'weights'?: (number | string)[];
}

/**
 * Creator ids, as in the catalog the index was built from.
 */
export interface CreatorIds__Output {
  'ids': (string)[];
  /**
   * Optional, only in like_creators: one weight per id (pledge amount, recency,
   * ...), positive and finite; the query is then the weighted mean. Empty: all 1.
   * A repeated id gets the sum of its weights.
   */
  'weights': (number)[];
}
