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
}

export interface MatchLimits {
  maxK: number;
  defaultK: number;
  maxTextChars: number;
  maxLikeCreators: number;
  maxFilterIds: number;
}

export const DEFAULT_K = 10;
