// Original file: proto/creatormatch/v1/creator_match.proto

import type { CreatorProfile as _creatormatch_v1_CreatorProfile, CreatorProfile__Output as _creatormatch_v1_CreatorProfile__Output } from '../../creatormatch/v1/CreatorProfile';

export interface CreatorMatch {
  'creator_id'?: (string);
  /**
   * Cosine similarity in [-1, 1]; higher is better.
   */
  'score'?: (number | string);
  /**
   * Only with include_profile.
   */
  'profile'?: (_creatormatch_v1_CreatorProfile | null);
}

export interface CreatorMatch__Output {
  'creator_id': (string);
  /**
   * Cosine similarity in [-1, 1]; higher is better.
   */
  'score': (number);
  /**
   * Only with include_profile.
   */
  'profile': (_creatormatch_v1_CreatorProfile__Output | null);
}
