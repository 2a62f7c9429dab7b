// Original file: proto/creatormatch/v1/creator_match.proto


/**
 * A fan interest vector. Must have the index's dimension, finite values and a
 * non-zero norm; it is L2-normalised by the service. A version's learned query adapter
 * (docs/LEARNING.md) maps text and like_creators queries, never a vector sent here: send
 * vectors in the index's own space.
 */
export interface Vector {
  'values'?: (number | string)[];
}

/**
 * A fan interest vector. Must have the index's dimension, finite values and a
 * non-zero norm; it is L2-normalised by the service. A version's learned query adapter
 * (docs/LEARNING.md) maps text and like_creators queries, never a vector sent here: send
 * vectors in the index's own space.
 */
export interface Vector__Output {
  'values': (number)[];
}
