// Original file: proto/creatormatch/v1/creator_match.proto


/**
 * A per-item error inside a BatchMatch stream.
 */
export interface MatchError {
  /**
   * A google.rpc.Code value (3 = INVALID_ARGUMENT, 5 = NOT_FOUND, ...).
   */
  'code'?: (number);
  'message'?: (string);
  /**
   * Machine-readable reason, one of the codes in docs/ERRORS.md.
   */
  'reason'?: (string);
}

/**
 * A per-item error inside a BatchMatch stream.
 */
export interface MatchError__Output {
  /**
   * A google.rpc.Code value (3 = INVALID_ARGUMENT, 5 = NOT_FOUND, ...).
   */
  'code': (number);
  'message': (string);
  /**
   * Machine-readable reason, one of the codes in docs/ERRORS.md.
   */
  'reason': (string);
}
