/**
 * The recommended hybrid rule as one function over a catalog, the way the service would run it:
 * real searches (exact dense top-N here; HNSW in the service), no candidate-pool shortcut. The
 * fusion study evaluates it with this code, so the numbers in docs/bench/fusion-study.md are the
 * numbers of this pseudocode.
 *
 *   D  = dense_search(q, N_d)                      # cosine top-N_d
 *   B  = lexical_search(text, N_b)                 # BM25 top-N_b
 *   F1 = fuse(D, B, w_lex)                         # weighted RRF (or a normalised blend)
 *   c  = mean(vector(d) for d in F1[:m])           # feedback: the first m fused results
 *   q2 = normalise(q + beta * c)                   # Rocchio
 *   D2 = dense_search(q2, N_d)                     # second dense search
 *   F2 = fuse(D2, B, w_lex)                        # same lexical list, same weight
 *   optional category vote: s(d) += gamma * share of F2[:vote_m] with d's category
 *   return F2[:k]
 */
import { fuseLists as serviceFuseLists } from '../../src/match/fusion';
import type { FusionMethod } from './fusion-core';
import { denseTop, dot, type Catalog } from './fusion-data';

export interface HybridParams {
  method: FusionMethod;
  /** Lexical weight (dense weight = 1 - wLex). */
  wLex: number;
  denseN: number;
  lexN: number;
  /** Feedback documents (0: no feedback). */
  feedbackM: number;
  beta: number;
  /** Category vote weight (0: off) and how many fused results vote. */
  voteGamma: number;
  voteM: number;
  /** Feedback only when the feedback documents' mean pairwise cosine is at least this (undefined: always). */
  feedbackGate?: number;
  /** Feedback only when the most common category of the first-pass top 10 holds at least this share of it (undefined: always). */
  purityGate?: number;
  /** Final list = RRF(k=60) of the first-pass and the feedback fused lists, this weight on the first pass (undefined: feedback list only). */
  firstPassWeight?: number;
}

interface Hit {
  label: number;
  score: number;
}

/** Fuses a dense and a lexical list with the service's fuseLists; returns every candidate with its fused score, best first. */
export function fuseLists(method: FusionMethod, wLex: number, dense: readonly Hit[], lex: readonly Hit[], cosineOf: (label: number) => number): Hit[] {
  const params = method.kind === 'rrf' ? { method: 'rrf' as const, rrfK: method.k } : { method: method.norm, rrfK: 60 };
  return serviceFuseLists(params, wLex, dense, lex, cosineOf).map((c) => ({ label: c.label, score: c.fused }));
}

/** Top-k catalog labels for one query (vector + text) under the rule. */
export function hybridSearch(cat: Catalog, qvec: Float32Array, text: string, p: HybridParams, k: number): number[] {
  const cosineOf = (label: number): number => dot(qvec, 0, cat.vectors, label * cat.dims, cat.dims);
  const lex = cat.bm25.search(text, p.lexN);
  let fused = fuseLists(p.method, p.wLex, denseTop(cat, qvec, p.denseN), lex, cosineOf);
  const fb = fused.slice(0, p.feedbackM);
  const gateOk = (p.feedbackGate === undefined || coherence(cat, fb) >= p.feedbackGate) && (p.purityGate === undefined || purity(cat, fused.slice(0, 10)) >= p.purityGate);
  if (p.feedbackM > 0 && p.beta > 0 && gateOk) {
    const q2 = Float32Array.from(qvec);
    for (const h of fb) for (let i = 0; i < cat.dims; i++) q2[i]! += (p.beta / fb.length) * cat.vectors[h.label * cat.dims + i]!;
    let norm = 0;
    for (let i = 0; i < cat.dims; i++) norm += q2[i]! * q2[i]!;
    norm = Math.sqrt(norm) || 1;
    for (let i = 0; i < cat.dims; i++) q2[i]! /= norm;
    const cos2 = (label: number): number => dot(q2, 0, cat.vectors, label * cat.dims, cat.dims);
    const second = fuseLists(p.method, p.wLex, denseTop(cat, q2, p.denseN), lex, cos2);
    if (p.firstPassWeight === undefined) fused = second;
    else {
      const rank = (list: readonly Hit[]): Hit[] => list.slice(0, 100).map((h, i) => ({ label: h.label, score: -i }));
      fused = fuseLists({ kind: 'rrf', k: 60 }, p.firstPassWeight, rank(second), rank(fused), () => 0);
    }
  }
  if (p.voteGamma > 0) {
    const top = fused.slice(0, 50);
    const hi = top[0]?.score ?? 0;
    const lo = top[top.length - 1]?.score ?? 0;
    const share = new Map<string, number>();
    for (const h of top.slice(0, p.voteM)) share.set(cat.categories[h.label]!, (share.get(cat.categories[h.label]!) ?? 0) + 1 / p.voteM);
    fused = top
      .map((h) => ({ label: h.label, score: (h.score - lo) / (hi - lo || 1) + p.voteGamma * (share.get(cat.categories[h.label]!) ?? 0) }))
      .sort((a, b) => b.score - a.score);
  }
  return fused.slice(0, k).map((h) => h.label);
}

/** Mean pairwise cosine of documents (1 for fewer than two). */
function coherence(cat: Catalog, hits: readonly Hit[]): number {
  if (hits.length < 2) return 1;
  let s = 0;
  let n = 0;
  for (let i = 0; i < hits.length; i++)
    for (let j = i + 1; j < hits.length; j++) {
      s += dot(cat.vectors, hits[i]!.label * cat.dims, cat.vectors, hits[j]!.label * cat.dims, cat.dims);
      n++;
    }
  return s / n;
}

/** Share of the most common category among the hits. */
function purity(cat: Catalog, hits: readonly Hit[]): number {
  const n = new Map<string, number>();
  let best = 0;
  for (const h of hits) {
    const c = cat.categories[h.label]!;
    const v = (n.get(c) ?? 0) + 1;
    n.set(c, v);
    best = Math.max(best, v);
  }
  return hits.length === 0 ? 0 : best / hits.length;
}
