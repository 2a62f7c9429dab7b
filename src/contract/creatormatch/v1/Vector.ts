// Original file: proto/creatormatch/v1/creator_match.proto


/**
 * A fan interest vector. Must have the index's dimension, finite values and a
 * non-zero norm; it is L2-normalised by the service.
 */
export interface Vector {
  'values'?: (number | string)[];
}

/**
 * A fan interest vector. Must have the index's dimension, finite values and a
 * non-zero norm; it is L2-normalised by the service.
 */
export interface Vector__Output {
  'values': (number)[];
}
