// Original file: proto/creatormatch/v1/creator_match.proto

import type { CreatorProfile as _creatormatch_v1_CreatorProfile, CreatorProfile__Output as _creatormatch_v1_CreatorProfile__Output } from '../../creatormatch/v1/CreatorProfile';
import type { MatchExplanation as _creatormatch_v1_MatchExplanation, MatchExplanation__Output as _creatormatch_v1_MatchExplanation__Output } from '../../creatormatch/v1/MatchExplanation';

export interface CreatorMatch {
  'creator_id'?: (string);
  /**
   * Cosine similarity of the query and the creator in [-1, 1], higher is better, best first. With
   * lexical or hybrid retrieval the order is the mode's, and each score is the cosine capped by the
   * score above it (so scores still descend; explanation.dense_score is the exact cosine and
   * explanation.fused_score what was sorted by). With diversity (MMR) scores are the exact
   * cosines in the picking order and need not descend.
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
   * Cosine similarity of the query and the creator in [-1, 1], higher is better, best first. With
   * lexical or hybrid retrieval the order is the mode's, and each score is the cosine capped by the
   * score above it (so scores still descend; explanation.dense_score is the exact cosine and
   * explanation.fused_score what was sorted by). With diversity (MMR) scores are the exact
   * cosines in the picking order and need not descend.
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
