import type { FilterSpec } from '../catalog/catalog';
import type { RerankOptions } from './diversify';

/** A validated query: exactly one of the three ways to say what the fan likes. */
export type MatchQuery =
  | { kind: 'vector'; vector: Float32Array }
  | { kind: 'text'; text: string }
  | { kind: 'like'; ids: string[]; weights?: number[] };

export interface MatchFilter extends FilterSpec {
  minScore: number | undefined;
}

/** How a text query is matched; 'default' is the index's own choice (its manifest). */
export type RetrievalMode = 'default' | 'dense' | 'lexical' | 'hybrid';

/** A validated MatchRequest, independent of the wire format. */
export interface MatchInput {
  requestId: string;
  fanId: string;
  query: MatchQuery;
  k: number;
  filter: MatchFilter;
  includeProfile: boolean;
  /** MMR diversity and per-category cap, applied after filtering (absent: plain ranking). */
  rerank?: RerankOptions;
  /** How the query is matched (text queries; like_creators may add the liked creators' terms). */
  retrieval: RetrievalMode;
  /** Explain each match (dense and lexical scores and ranks, fused score). */
  explain: boolean;
}

export interface MatchLimits {
  maxK: number;
  defaultK: number;
  maxTextChars: number;
  maxLikeCreators: number;
  maxFilterIds: number;
}

export const DEFAULT_K = 10;
