// Original file: proto/creatormatch/v1/creator_match.proto

/**
 * How a text query (interest_text) is matched.
 */
export const Retrieval = {
  /**
   * The index's default mode (GetIndexInfo.default_retrieval), chosen by evaluation when the index
   * was built.
   */
  RETRIEVAL_UNSPECIFIED: 'RETRIEVAL_UNSPECIFIED',
  /**
   * Embeddings and HNSW only.
   */
  RETRIEVAL_DENSE: 'RETRIEVAL_DENSE',
  /**
   * BM25 over the profile text (name, category, about, tags) only; creators that share no term
   * with the query come after those that do, ranked by the dense side, so k still come back.
   */
  RETRIEVAL_LEXICAL: 'RETRIEVAL_LEXICAL',
  /**
   * Both, fused: the index's fusion (GetIndexInfo.fusion) weighs the two lists per query.
   */
  RETRIEVAL_HYBRID: 'RETRIEVAL_HYBRID',
} as const;

/**
 * How a text query (interest_text) is matched.
 */
export type Retrieval =
  /**
   * The index's default mode (GetIndexInfo.default_retrieval), chosen by evaluation when the index
   * was built.
   */
  | 'RETRIEVAL_UNSPECIFIED'
  | 0
  /**
   * Embeddings and HNSW only.
   */
  | 'RETRIEVAL_DENSE'
  | 1
  /**
   * BM25 over the profile text (name, category, about, tags) only; creators that share no term
   * with the query come after those that do, ranked by the dense side, so k still come back.
   */
  | 'RETRIEVAL_LEXICAL'
  | 2
  /**
   * Both, fused: the index's fusion (GetIndexInfo.fusion) weighs the two lists per query.
   */
  | 'RETRIEVAL_HYBRID'
  | 3

/**
 * How a text query (interest_text) is matched.
 */
export type Retrieval__Output = typeof Retrieval[keyof typeof Retrieval]
