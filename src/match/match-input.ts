import type { FilterSpec } from '../catalog/catalog';

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
}

export interface MatchLimits {
  maxK: number;
  defaultK: number;
  maxTextChars: number;
  maxLikeCreators: number;
  maxFilterIds: number;
}

export const DEFAULT_K = 10;
