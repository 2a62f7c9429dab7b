// Original file: proto/creatormatch/v1/creator_match.proto

import type { CreatorProfile as _creatormatch_v1_CreatorProfile, CreatorProfile__Output as _creatormatch_v1_CreatorProfile__Output } from '../../creatormatch/v1/CreatorProfile';
import type { MatchExplanation as _creatormatch_v1_MatchExplanation, MatchExplanation__Output as _creatormatch_v1_MatchExplanation__Output } from '../../creatormatch/v1/MatchExplanation';

export interface CreatorMatch {
  'creator_id'?: (string);
  /**
   * Cosine similarity of the query and the creator in [-1, 1], in every retrieval mode. Matches
   * come best first by the mode's ranking, so with lexical or hybrid retrieval (or diversity) the
   * scores need not be in descending order; explanation.fused_score is what was sorted by.
   */
  'score'?: (number | string);
  /**
   * Only with include_profile.
   */
  'profile'?: (_creatormatch_v1_CreatorProfile | null);
  /**
   * Only with explain.
   */
  'explanation'?: (_creatormatch_v1_MatchExplanation | null);
}

export interface CreatorMatch__Output {
  'creator_id': (string);
  /**
   * Cosine similarity of the query and the creator in [-1, 1], in every retrieval mode. Matches
   * come best first by the mode's ranking, so with lexical or hybrid retrieval (or diversity) the
   * scores need not be in descending order; explanation.fused_score is what was sorted by.
   */
  'score': (number);
  /**
   * Only with include_profile.
   */
  'profile': (_creatormatch_v1_CreatorProfile__Output | null);
  /**
   * Only with explain.
   */
  'explanation': (_creatormatch_v1_MatchExplanation__Output | null);
}
