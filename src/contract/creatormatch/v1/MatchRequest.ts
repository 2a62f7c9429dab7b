// Original file: proto/creatormatch/v1/creator_match.proto

import type { Vector as _creatormatch_v1_Vector, Vector__Output as _creatormatch_v1_Vector__Output } from '../../creatormatch/v1/Vector';
import type { CreatorIds as _creatormatch_v1_CreatorIds, CreatorIds__Output as _creatormatch_v1_CreatorIds__Output } from '../../creatormatch/v1/CreatorIds';
import type { Filter as _creatormatch_v1_Filter, Filter__Output as _creatormatch_v1_Filter__Output } from '../../creatormatch/v1/Filter';
import type { Retrieval as _creatormatch_v1_Retrieval, Retrieval__Output as _creatormatch_v1_Retrieval__Output } from '../../creatormatch/v1/Retrieval';

export interface MatchRequest {
  /**
   * Echoed in the response; free-form, chosen by the caller.
   */
  'request_id'?: (string);
  /**
   * A fan interest vector of the index's dimension.
   */
  'vector'?: (_creatormatch_v1_Vector | null);
  /**
   * Free text, embedded by the service with the index's own model.
   */
  'interest_text'?: (string);
  /**
   * "Fans of these creators": the query is the normalised mean of their
   * vectors; they are never returned. Unknown ids are NOT_FOUND.
   */
  'like_creators'?: (_creatormatch_v1_CreatorIds | null);
  /**
   * Number of matches wanted. 0 means 10; above the configured maximum
   * (MATCH_MAX_K, default 1000) is INVALID_ARGUMENT.
   */
  'k'?: (number);
  'filter'?: (_creatormatch_v1_Filter | null);
  /**
   * The fan this request is for (logging; later A/B bucketing).
   */
  'fan_id'?: (string);
  /**
   * Fill CreatorMatch.profile.
   */
  'include_profile'?: (boolean);
  /**
   * MMR diversity λ in [0, 1]; 0 (default) = off. Applied after filtering:
   * results are picked greedily by (1 - λ)·score - λ·(highest similarity to a
   * result already picked). Scores stay cosine similarities, so with λ > 0 they
   * need not be in descending order. Outside [0, 1]: INVALID_ARGUMENT.
   */
  'diversity'?: (number | string);
  /**
   * At most this many results per category (0 = no cap), applied after
   * filtering (and after MMR). Fewer than k come back only if fewer pass.
   */
  'max_per_category'?: (number);
  /**
   * How interest_text is matched (unspecified: the index's default). Vector queries are always
   * dense; like_creators queries are dense unless RETRIEVAL_HYBRID or RETRIEVAL_LEXICAL asks to
   * add the liked creators' own profile terms ("more like this").
   */
  'retrieval'?: (_creatormatch_v1_Retrieval);
  /**
   * Fill CreatorMatch.explanation (dense and lexical scores and ranks, fused score).
   */
  'explain'?: (boolean);
  /**
   * A/B experiments: serve this request from the named variant instead of the one fan_id is
   * assigned to. Unknown names are INVALID_ARGUMENT.
   */
  'variant'?: (string);
  'query'?: "vector"|"interest_text"|"like_creators";
}

export interface MatchRequest__Output {
  /**
   * Echoed in the response; free-form, chosen by the caller.
   */
  'request_id': (string);
  /**
   * A fan interest vector of the index's dimension.
   */
  'vector'?: (_creatormatch_v1_Vector__Output | null);
  /**
   * Free text, embedded by the service with the index's own model.
   */
  'interest_text'?: (string);
  /**
   * "Fans of these creators": the query is the normalised mean of their
   * vectors; they are never returned. Unknown ids are NOT_FOUND.
   */
  'like_creators'?: (_creatormatch_v1_CreatorIds__Output | null);
  /**
   * Number of matches wanted. 0 means 10; above the configured maximum
   * (MATCH_MAX_K, default 1000) is INVALID_ARGUMENT.
   */
  'k': (number);
  'filter': (_creatormatch_v1_Filter__Output | null);
  /**
   * The fan this request is for (logging; later A/B bucketing).
   */
  'fan_id': (string);
  /**
   * Fill CreatorMatch.profile.
   */
  'include_profile': (boolean);
  /**
   * MMR diversity λ in [0, 1]; 0 (default) = off. Applied after filtering:
   * results are picked greedily by (1 - λ)·score - λ·(highest similarity to a
   * result already picked). Scores stay cosine similarities, so with λ > 0 they
   * need not be in descending order. Outside [0, 1]: INVALID_ARGUMENT.
   */
  'diversity': (number);
  /**
   * At most this many results per category (0 = no cap), applied after
   * filtering (and after MMR). Fewer than k come back only if fewer pass.
   */
  'max_per_category': (number);
  /**
   * How interest_text is matched (unspecified: the index's default). Vector queries are always
   * dense; like_creators queries are dense unless RETRIEVAL_HYBRID or RETRIEVAL_LEXICAL asks to
   * add the liked creators' own profile terms ("more like this").
   */
  'retrieval': (_creatormatch_v1_Retrieval__Output);
  /**
   * Fill CreatorMatch.explanation (dense and lexical scores and ranks, fused score).
   */
  'explain': (boolean);
  /**
   * A/B experiments: serve this request from the named variant instead of the one fan_id is
   * assigned to. Unknown names are INVALID_ARGUMENT.
   */
  'variant': (string);
  'query'?: "vector"|"interest_text"|"like_creators";
}
