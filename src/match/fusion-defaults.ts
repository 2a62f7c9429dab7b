import type { FusionParams, Manifest } from '../index/manifest';

/**
 * The hybrid fusion a version gets unless its build chose another (index:build --fusion FILE, or
 * a sweep: npm run eval -- --sweep-fusion). Chosen on public text the project did not generate
 * (docs/RELEVANCE.md, docs/bench/fusion-study.md, docs/bench/short-query-study.md), one rule for
 * every catalog, never tuned on one, checked leaving each source out:
 *
 *   D  = dense top 100, B = BM25 top 100 (both under the request filter)
 *   D  re-ranked by cos(q, d) + 0.75 x cos(q, centroid of d's category)   (centroid smoothing)
 *   F1 = weighted RRF, k = 60: 0.7 / (60 + rank_D) + 0.3 / (60 + rank_B)
 *   q2 = normalise(q + 2 x mean(vectors of F1[:2]))          (Rocchio feedback)
 *   D2 = D ∪ B re-ranked the same way with q2 (top 100);        answer RRF(D2, B)[:k]
 *
 * With the low lexical weight, a creator only BM25 finds cannot outrank the dense top ~80: the
 * lexical side re-orders what the model finds rather than injecting its own false matches. The
 * centroid term (gamma 0.75, chosen in every leave-one-source-out fold) lifts creators of the
 * category the query is nearest to: +0.003 to +0.063 P@5 on every held-out cell, at a small cost
 * in MRR and in two-interest coverage (docs/RELEVANCE.md).
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
  centroidGamma: 0.75,
});

/** What a version serves unless its build chose otherwise: hybrid by default, with DEFAULT_FUSION. */
export const DEFAULT_RETRIEVAL: NonNullable<Manifest['retrieval']> = Object.freeze({ default: 'hybrid', fusion: DEFAULT_FUSION, chosenBy: 'default' });
