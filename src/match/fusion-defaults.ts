import type { FusionParams } from '../index/manifest';

/**
 * The hybrid fusion a version gets unless its build chose another (index:build --fusion FILE, or
 * a sweep: npm run eval -- --sweep-fusion). Chosen by the fusion study on public text the project
 * did not generate (docs/RELEVANCE.md, docs/bench/fusion-study.md), one rule for every catalog,
 * never tuned on one, checked leaving each source out:
 *
 *   D  = dense top 100, B = BM25 top 100 (both under the request filter)
 *   F1 = weighted RRF, k = 60: 0.7 / (60 + rank_D) + 0.3 / (60 + rank_B)
 *   q2 = normalise(q + 2 x mean(vectors of F1[:2]))          (Rocchio feedback)
 *   D2 = dense top 100 for q2;  answer RRF(D2, B)[:k]
 *
 * With the low lexical weight, a creator only BM25 finds cannot outrank the dense top ~80: the
 * lexical side re-orders what the model finds rather than injecting its own false matches.
 */
export const DEFAULT_FUSION: FusionParams = Object.freeze({
  method: 'rrf',
  rrfK: 60,
  wLex: 0.3,
  denseN: 100,
  lexicalN: 100,
  feedbackM: 2,
  feedbackBeta: 2,
  voteGamma: 0,
  voteM: 0,
});
