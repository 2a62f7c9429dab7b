import type { FusionParams } from '../index/manifest';

/**
 * The hybrid fusion a version gets unless its build chose another by evaluation (index:build
 * --eval-fans with --sweep-fusion, or --fusion FILE). Chosen by the fusion study on public text the
 * project did not generate (docs/RELEVANCE.md, docs/bench/fusion-study.md): one rule for every
 * catalog, never tuned on one.
 */
export const DEFAULT_FUSION: FusionParams = Object.freeze({
  method: 'rrf',
  rrfK: 60,
  wLexShort: 0.2,
  wLexLong: 0.5,
  shortTerms: 3,
  longTerms: 12,
  denseN: 100,
  lexicalN: 100,
  feedbackM: 0,
  feedbackBeta: 0,
  voteGamma: 0,
  voteM: 0,
});
