// Original file: proto/creatormatch/v1/creator_match.proto

import type { CreatorMatch as _creatormatch_v1_CreatorMatch, CreatorMatch__Output as _creatormatch_v1_CreatorMatch__Output } from '../../creatormatch/v1/CreatorMatch';
import type { MatchError as _creatormatch_v1_MatchError, MatchError__Output as _creatormatch_v1_MatchError__Output } from '../../creatormatch/v1/MatchError';
import type { Retrieval as _creatormatch_v1_Retrieval, Retrieval__Output as _creatormatch_v1_Retrieval__Output } from '../../creatormatch/v1/Retrieval';

export interface MatchResponse {
  'request_id'?: (string);
  /**
   * Best first.
   */
  'matches'?: (_creatormatch_v1_CreatorMatch)[];
  'index_version'?: (string);
  'model_id'?: (string);
  /**
   * Set only on BatchMatch items that failed; `matches` is then empty.
   */
  'error'?: (_creatormatch_v1_MatchError | null);
  /**
   * The A/B variant that served the request ("default" without an experiment).
   */
  'variant'?: (string);
  /**
   * The retrieval mode that answered (never unspecified on a success).
   */
  'retrieval'?: (_creatormatch_v1_Retrieval);
}

export interface MatchResponse__Output {
  'request_id': (string);
  /**
   * Best first.
   */
  'matches': (_creatormatch_v1_CreatorMatch__Output)[];
  'index_version': (string);
  'model_id': (string);
  /**
   * Set only on BatchMatch items that failed; `matches` is then empty.
   */
  'error': (_creatormatch_v1_MatchError__Output | null);
  /**
   * The A/B variant that served the request ("default" without an experiment).
   */
  'variant': (string);
  /**
   * The retrieval mode that answered (never unspecified on a success).
   */
  'retrieval': (_creatormatch_v1_Retrieval__Output);
}
