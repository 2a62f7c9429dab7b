import type { Logger } from '../logging/logger';
import type { MatchInput } from '../match/match-input';
import type { MatchResult } from '../match/matcher';
import { truncateForEcho } from '../errors/echo';

/** Longest interest_text kept in an exposure line (training data wants the text, logs want a bound). */
export const EXPOSURE_TEXT_CHARS = 512;
/** Most liked creator ids kept in an exposure line. */
export const EXPOSURE_LIKED_IDS = 100;

/**
 * One `exposure` line per answered Match: who was shown which creators, in which order, by which
 * variant, version and retrieval mode, for what query. `npm run data:prepare` joins these with
 * engagement events (docs/LEARNING.md). The child logger carries request_id, fan_id and variant.
 */
export function logExposure(log: Logger, experiment: string, input: MatchInput, result: MatchResult): void {
  const q = input.query;
  log.info(
    {
      experiment,
      index_version: result.indexVersion,
      retrieval: result.retrieval,
      creator_ids: result.matches.map((m) => m.creatorId),
      query_kind: q.kind === 'like' ? 'like' : q.kind,
      ...(q.kind === 'text' ? { interest_text: truncateForEcho(q.text, EXPOSURE_TEXT_CHARS) } : {}),
      ...(q.kind === 'like' ? { like_creator_ids: q.ids.slice(0, EXPOSURE_LIKED_IDS) } : {}),
    },
    'exposure',
  );
}
