// Original file: proto/creatormatch/v1/creator_match.proto


/**
 * Why a creator was ranked where it is (MatchRequest.explain).
 */
export interface MatchExplanation {
  /**
   * The exact cosine similarity of the query vector and the creator.
   */
  'dense_score'?: (number | string);
  /**
   * 1-based rank in the dense candidate list; 0 = not among the dense candidates.
   */
  'dense_rank'?: (number);
  /**
   * BM25 score of the creator's profile text for the query; 0 = no query term matched.
   */
  'lexical_score'?: (number | string);
  /**
   * 1-based rank in the lexical candidate list; 0 = not among the lexical candidates.
   */
  'lexical_rank'?: (number);
  /**
   * The value the ranking sorted by (dense: the cosine; lexical: BM25; hybrid: the fused score).
   */
  'fused_score'?: (number | string);
  /**
   * Hybrid: the weight the fusion gave the lexical side for this query, in [0, 1].
   */
  'lexical_weight'?: (number | string);
}

/**
 * Why a creator was ranked where it is (MatchRequest.explain).
 */
export interface MatchExplanation__Output {
  /**
   * The exact cosine similarity of the query vector and the creator.
   */
  'dense_score': (number);
  /**
   * 1-based rank in the dense candidate list; 0 = not among the dense candidates.
   */
  'dense_rank': (number);
  /**
   * BM25 score of the creator's profile text for the query; 0 = no query term matched.
   */
  'lexical_score': (number);
  /**
   * 1-based rank in the lexical candidate list; 0 = not among the lexical candidates.
   */
  'lexical_rank': (number);
  /**
   * The value the ranking sorted by (dense: the cosine; lexical: BM25; hybrid: the fused score).
   */
  'fused_score': (number);
  /**
   * Hybrid: the weight the fusion gave the lexical side for this query, in [0, 1].
   */
  'lexical_weight': (number);
}
