/** Recording a rater's grade for a result (POST /ui/api/judgments). */
import type { JudgmentInput } from '../../src/ui/api-types';
import { api, type MatchRequest, type MatchResponse } from './api';
import type { Ctx } from './context';

export type JudgeFn = (creatorId: string, rank: number, grade: number) => Promise<void>;

/** A judge callback for results of `req`, or the reason judging is not possible now. */
export function judgeFor(ctx: Ctx, req: MatchRequest, res: MatchResponse, mode: 'query' | 'compare', onDone: (msg: string, ok: boolean) => void): { judge?: JudgeFn; hint?: string } {
  if (!ctx.config.judgments) return { hint: 'judging is off (MATCH_UI_JUDGMENTS_FILE)' };
  if (!ctx.rater) return { hint: 'set a rater id (top right) to judge' };
  const fan = req.fan_id ?? '';
  if (!fan) return { hint: 'set a fan id to judge: judgments are recorded per fan' };
  const query: NonNullable<JudgmentInput['query']> = req.interest_text !== undefined ? { interest_text: req.interest_text } : req.like_creators ? { like_creator_ids: req.like_creators.ids ?? [] } : { vector: true };
  return {
    judge: async (creatorId, rank, grade) => {
      try {
        await api.judge({
          rater_id: ctx.rater,
          fan_id: fan,
          creator_id: creatorId,
          grade,
          variant: res.variant,
          index_version: res.index_version,
          retrieval: res.retrieval,
          request_id: res.request_id,
          rank,
          query,
          mode,
        });
        ctx.setGrade(fan, creatorId, grade);
        onDone(`recorded: ${creatorId} = ${grade} for ${fan}`, true);
      } catch (err) {
        onDone(`not recorded: ${String(err)}`, false);
      }
    },
  };
}
