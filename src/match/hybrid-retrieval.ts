import type { CompiledFilter } from '../catalog/catalog';
import { throwIfAborted } from '../errors/match-error';
import type { FusionParams } from '../index/manifest';
import type { SearchIndex, SearchResult, SearchStrategy } from '../index/search-index';
import type { SearchHit } from '../index/top-k';
import { normalise } from '../index/vectors';
import { bestPositions, fuseLists, lexicalWeight, type FusedCandidate, type ScoredLabel } from './fusion';

/** What hybrid retrieval needs of a lexical index (src/lexical/lexical-index.ts). */
export interface LexicalSearcher {
  readonly size: number;
  search(query: string, k: number, allows?: (label: number) => boolean): ScoredLabel[];
  queryStats(query: string): { terms: number; matchedTerms: number };
}

/** Why a match is where it is (MatchRequest.explain). Ranks are 1-based; 0 = not in that list. */
export interface Explanation {
  denseScore: number;
  denseRank: number;
  lexicalScore: number;
  lexicalRank: number;
  fusedScore: number;
  lexicalWeight: number;
}

export interface RetrievedHit extends SearchHit {
  /**
   * `score` is the cosine with the query capped by the score of the hit above (so scores descend
   * in the fused order, in cosine units, and min_score, checked on the exact cosine, still holds);
   * the exact cosine and why the hit ranks where it does are in `explanation`.
   */
  explanation: Explanation;
}

export interface RetrievalRequest {
  vector: Float32Array;
  /** The words to match lexically (interest_text, or the liked creators' profile terms). */
  text: string;
  k: number;
  ef: number;
  filter: CompiledFilter;
  minScore: number | undefined;
  /** The caller wants breadth (diversity or a category cap): no feedback and no centroid smoothing, which narrow the list. */
  broad?: boolean;
}

/** The cosine of a query with a category's centroid (category-centroids.ts). */
export interface CentroidLookup {
  cosine(query: Float32Array, category: string): number;
}

export interface RetrievalContext {
  search: SearchIndex;
  lexical: LexicalSearcher;
  fusion: FusionParams;
  categoryOf: (label: number) => string;
  /** The catalog's category centroids: needed when fusion.centroidGamma > 0 (else no smoothing). */
  centroids?: CentroidLookup | undefined;
  signal?: AbortSignal | undefined;
  /** Sees the first dense search (k candidates), e.g. for the online recall monitor. */
  onAnnSearch?: (k: number, result: SearchResult) => void;
}

const clamp = (s: number): number => Math.max(-1, Math.min(1, s));

/**
 * Exact cosines of the query with the labels not yet in `known`, computed where the vectors live
 * (nothing is copied out): on this thread when the backend can (scoreNow: a few hundred dot
 * products cost less than a hop to the pool), else one exact search over just those labels. The
 * labels passed the request's filter already; a label no longer live gets no cosine.
 */
async function scoreInto(ctx: RetrievalContext, query: Float32Array, labels: readonly number[], filter: CompiledFilter, known: Map<number, number>): Promise<void> {
  const wanted = labels.filter((l) => !known.has(l));
  if (wanted.length === 0) return;
  const now = ctx.search.scoreNow?.(query, wanted);
  if (now) {
    for (let i = 0; i < wanted.length; i++) if (!Number.isNaN(now[i])) known.set(wanted[i]!, clamp(now[i]!));
    return;
  }
  const r = await ctx.search.search(query, { k: wanted.length, ef: 0, filter, among: wanted }, ctx.signal);
  for (const h of r.hits) known.set(h.label, h.score);
}

/** The filter the lexical side applies: none when every live creator passes (the lexical index holds only live ones). */
function lexicalFilter(filter: CompiledFilter): ((label: number) => boolean) | undefined {
  return filter.allowsAllLive ? undefined : filter.allows;
}

/** The stored vectors of a few labels, on this thread when the backend can. */
function vectorsOf(ctx: RetrievalContext, labels: readonly number[]): Promise<Array<Float32Array | undefined>> | Array<Float32Array | undefined> {
  return ctx.search.vectorsNow?.(labels) ?? ctx.search.vectors(labels, ctx.signal);
}

/**
 * The dense side's ranking score under category-centroid smoothing (cluster-based retrieval,
 * Liu & Croft 2004, with the catalog's categories as the clusters):
 *   s(d) = cos(q, d) + gamma * cos(q, centroid(category(d)))
 * A query near a category lifts all of its creators a little, so a creator whose own text the
 * model embeds poorly still ranks when its category is the query's; a query near two categories
 * lifts both. `cosineOf` is cos(q, d); without centroids (or gamma 0) s is the cosine.
 */
export function centroidScorer(query: Float32Array, gamma: number, centroids: CentroidLookup | undefined, categoryOf: (label: number) => string, cosineOf: (label: number) => number): (label: number) => number {
  if (!centroids || !(gamma > 0)) return cosineOf;
  const byCategory = new Map<string, number>();
  return (label) => {
    const c = categoryOf(label);
    let cc = byCategory.get(c);
    if (cc === undefined) byCategory.set(c, (cc = centroids.cosine(query, c)));
    return cosineOf(label) + gamma * cc;
  };
}

/** Labels re-ranked by a scorer (best first; ties by the given order): all, or the `limit` best. */
function rerankBy(labels: readonly number[], score: (label: number) => number, limit = labels.length): ScoredLabel[] {
  const s = new Float64Array(labels.length);
  for (let i = 0; i < labels.length; i++) s[i] = score(labels[i]!);
  const order = bestPositions(s, Math.min(limit, labels.length));
  const out = new Array<ScoredLabel>(order.length);
  for (let i = 0; i < order.length; i++) out[i] = { label: labels[order[i]!]!, score: s[order[i]!]! };
  return out;
}

/**
 * Lexical retrieval: creators sharing words with the query, by BM25, then (so that k come back
 * whenever k pass) the dense ranking for the rest. Scores are cosines; min_score applies to them.
 */
export async function lexicalRetrieve(req: RetrievalRequest, ctx: RetrievalContext): Promise<{ hits: RetrievedHit[]; strategy: SearchStrategy }> {
  const lexical = ctx.lexical.search(req.text, req.k, lexicalFilter(req.filter));
  const cos = new Map<number, number>();
  await scoreInto(ctx, req.vector, lexical.map((h) => h.label), req.filter, cos);
  const hits: RetrievedHit[] = [];
  lexical.forEach((h, i) => {
    const c = cos.get(h.label);
    if (c === undefined || (req.minScore !== undefined && c < req.minScore)) return;
    hits.push({ label: h.label, score: clamp(c), explanation: { denseScore: clamp(c), denseRank: 0, lexicalScore: h.score, lexicalRank: i + 1, fusedScore: h.score, lexicalWeight: 1 } });
  });
  let strategy: SearchStrategy = 'exact_candidates';
  if (hits.length < req.k) {
    throwIfAborted(ctx.signal);
    const taken = new Set(hits.map((h) => h.label));
    const dense = await ctx.search.search(req.vector, { k: req.k + hits.length, ef: req.ef, filter: req.filter, minScore: req.minScore }, ctx.signal);
    strategy = dense.strategy;
    dense.hits.forEach((h, i) => {
      if (hits.length >= req.k || taken.has(h.label)) return;
      hits.push({ label: h.label, score: h.score, explanation: { denseScore: h.score, denseRank: i + 1, lexicalScore: 0, lexicalRank: 0, fusedScore: 0, lexicalWeight: 1 } });
    });
  }
  // Scores descend in ranking order, in cosine units (see RetrievedHit).
  let cap = Infinity;
  for (const h of hits) h.score = cap = Math.min(cap, h.score);
  return { hits, strategy };
}

/**
 * Hybrid retrieval (docs/RELEVANCE.md): dense top-N (re-ranked by category-centroid smoothing
 * when fusion.centroidGamma > 0) and lexical top-N fused with a per-query lexical weight; then,
 * optionally, pseudo-relevance feedback (the query moved toward the first fused results re-scores
 * the union of both lists, smoothed, and is fused with the same lexical list: no second search)
 * and a category vote (a creator gains with the share of the first fused results in its category). Every hit passes the filter and
 * min_score (on its cosine), and k come back whenever k pass: the dense list alone holds
 * min(k, allowed) of them. `score` is always the cosine with the original query.
 */
export async function hybridRetrieve(req: RetrievalRequest, ctx: RetrievalContext): Promise<{ hits: RetrievedHit[]; strategy: SearchStrategy }> {
  const p = ctx.fusion;
  const stats = ctx.lexical.queryStats(req.text);
  const w = lexicalWeight(p, stats.matchedTerms);
  const denseN = Math.max(req.k, p.denseN);
  const cosQ = new Map<number, number>();

  // BM25 runs here while the first dense search runs on the backend's threads.
  const firstSearch = ctx.search.search(req.vector, { k: denseN, ef: Math.max(req.ef, denseN), filter: req.filter, minScore: req.minScore }, ctx.signal);
  let lexicalAll: ScoredLabel[];
  try {
    lexicalAll = w > 0 ? ctx.lexical.search(req.text, Math.max(req.k, p.lexicalN), lexicalFilter(req.filter)) : [];
  } catch (err) {
    await firstSearch.catch(() => undefined);
    throw err;
  }
  const first = await firstSearch;
  ctx.onAnnSearch?.(denseN, first);
  for (const h of first.hits) cosQ.set(h.label, h.score);
  await scoreInto(ctx, req.vector, lexicalAll.map((h) => h.label), req.filter, cosQ);
  // min_score thresholds the cosine in every mode: lexical candidates below it are dropped.
  const lexical = lexicalAll.filter((h) => cosQ.has(h.label) && (req.minScore === undefined || cosQ.get(h.label)! >= req.minScore));

  // Like feedback, smoothing narrows the list towards the query's category: off when breadth is asked for.
  const gamma = req.broad ? 0 : (p.centroidGamma ?? 0);
  const scoreQ = centroidScorer(req.vector, gamma, ctx.centroids, ctx.categoryOf, (l) => cosQ.get(l) ?? -1);
  // Only the best few of a fusion are read: the answer's k (or the category vote's 50), the feedback's M.
  const voting = p.voteGamma > 0 && p.voteM > 0;
  const answerLimit = voting ? Math.max(50, p.voteM, req.k) : req.k;
  const feedback = p.feedbackM > 0 && p.feedbackBeta > 0 && !req.broad;
  const firstLabels = first.hits.map((h) => h.label);
  let fused = fuseLists(p, w, rerankBy(firstLabels, scoreQ), lexical, scoreQ, feedback ? Math.max(answerLimit, p.feedbackM) : answerLimit);
  if (feedback && fused.length > 0) {
    throwIfAborted(ctx.signal);
    const top = fused.slice(0, p.feedbackM).map((c) => c.label);
    const rows = (await vectorsOf(ctx, top)).filter((r): r is Float32Array => r !== undefined);
    const q2 = Float32Array.from(req.vector);
    for (const r of rows) for (let i = 0; i < q2.length; i++) q2[i]! += (p.feedbackBeta / rows.length) * r[i]!;
    if (normalise(q2)) {
      // The moved query re-scores what either list found (every one passed the filter and
      // min_score): its dense ranking over that pool, fused again with the same lexical list.
      const pool = [...new Set([...firstLabels, ...lexical.map((h) => h.label)])];
      const cos2 = new Map<number, number>();
      await scoreInto(ctx, q2, pool, req.filter, cos2);
      const score2 = centroidScorer(q2, gamma, ctx.centroids, ctx.categoryOf, (l) => cos2.get(l) ?? -1);
      fused = fuseLists(p, w, rerankBy(pool, score2, denseN), lexical, score2, answerLimit);
    }
  }
  if (voting) fused = categoryVote(fused, p, ctx.categoryOf);

  let cap = Infinity;
  const hits = fused.slice(0, req.k).map((c): RetrievedHit => {
    const cos = clamp(cosQ.get(c.label) ?? -1);
    cap = Math.min(cap, cos);
    return { label: c.label, score: cap, explanation: { denseScore: cos, denseRank: c.denseRank, lexicalScore: c.lexicalScore, lexicalRank: c.lexicalRank, fusedScore: c.fused, lexicalWeight: w } };
  });
  return { hits, strategy: first.strategy };
}

/** Re-scores the first 50 fused candidates: min-max of the fused score + gamma x the category's share of the first voteM. */
export function categoryVote(fused: FusedCandidate[], p: FusionParams, categoryOf: (label: number) => string): FusedCandidate[] {
  const top = fused.slice(0, Math.max(50, p.voteM));
  const hi = top[0]?.fused ?? 0;
  const lo = top[top.length - 1]?.fused ?? 0;
  const share = new Map<string, number>();
  const voters = top.slice(0, p.voteM);
  for (const c of voters) share.set(categoryOf(c.label), (share.get(categoryOf(c.label)) ?? 0) + 1 / voters.length);
  const rescored = top
    .map((c) => ({ ...c, fused: (c.fused - lo) / (hi - lo || 1) + p.voteGamma * (share.get(categoryOf(c.label)) ?? 0) }))
    .sort((a, b) => b.fused - a.fused || a.label - b.label);
  return [...rescored, ...fused.slice(top.length)];
}
