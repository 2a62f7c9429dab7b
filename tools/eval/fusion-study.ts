/**
 * Fusion study: dense vs BM25 vs fixed and query-adaptive hybrid fusion, plus query-side
 * pseudo-relevance feedback, on evaluation sets derived from public text (tools/eval/datasets)
 * and on the bundled sample catalog. Writes docs/bench/fusion-study.json.
 *
 *   apt-get install -y --no-install-recommends wordnet-base fortunes fortunes-min dict-gcide
 *   npm run model:prepare
 *   nice npx tsx tools/eval/fusion-study.ts [--out docs/bench/fusion-study.json] [--cache .bench-cache]
 *
 * Method (see docs/bench/fusion-study.md): every query gets a candidate pool (dense top-200 by
 * exact cosine, BM25 top-100); fusion runs on the pool with the dense list = its top 100. All
 * rules map a query to a lexical weight w in a 0.05 grid, so each (query, method, w) is scored
 * once and every rule is then evaluated by table look-ups. Rules are chosen by the mean over
 * cells of (P@5 + P@10) / 2, on all cells and leave-one-source-out.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createEmbedder } from '../../src/embedding';
import { prepareIfBundled } from '../model/prepare-default-model';
import { blend, methodName, normalise, objective, rankMetrics, rrfTerms, topPositions, type CellMetrics, type FusionMethod } from './fusion-core';
import { hybridSearch, type HybridParams } from './fusion-default';
import { dot, loadCells, type Cell, type QueryData, type QueryFeatures } from './fusion-data';

const W = Array.from({ length: 21 }, (_, i) => i / 20);
const METHODS: FusionMethod[] = [
  { kind: 'rrf', k: 10 },
  { kind: 'rrf', k: 30 },
  { kind: 'rrf', k: 60 },
  { kind: 'rrf', k: 100 },
  { kind: 'convex', norm: 'minmax' },
  { kind: 'convex', norm: 'zscore' },
  { kind: 'convex', norm: 'dbsf' },
];
const SIZES = { denseN: 100, lexN: 100, densePool: 200 };

type Feature = 'terms' | 'matched' | 'idfMass' | 'maxIdf' | 'overlap10' | 'lexGap' | 'denseTop' | 'denseGap';
const FEATURE_THRESHOLDS: Record<Feature, number[]> = {
  terms: [1, 2, 3, 4, 5, 6, 7, 8, 10, 12, 15],
  matched: [0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 12, 15],
  idfMass: [0.25, 0.5, 0.75, 1, 1.5, 2, 2.5, 3, 4, 5, 6],
  maxIdf: [0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9],
  overlap10: [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6],
  lexGap: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8],
  denseTop: [0.3, 0.4, 0.5, 0.55, 0.6, 0.65, 0.7, 0.8],
  denseGap: [0.02, 0.04, 0.06, 0.08, 0.1, 0.15, 0.2],
};
const FEATURES = Object.keys(FEATURE_THRESHOLDS) as Feature[];
const RAMP_FEATURES: Feature[] = ['terms', 'matched', 'idfMass'];

// ---------------------------------------------------------------- scoring one query

interface Scratch {
  d: Float64Array;
  l: Float64Array;
  s: Float64Array;
}
const scratch = (n: number): Scratch => ({ d: new Float64Array(n), l: new Float64Array(n), s: new Float64Array(n) });

/** Dense scores (pool) and dense list may be replaced (feedback); lexical likewise (RM3). */
interface Lists {
  dense: ArrayLike<number>;
  denseList: ArrayLike<number>;
  lex: ArrayLike<number>;
  lexList: ArrayLike<number>;
}

const listsOf = (q: QueryData): Lists => ({ dense: q.dense, denseList: q.denseList, lex: q.lex, lexList: q.lexList });

/** Normalised dense and lexical components for a method (reused across w). */
function components(m: FusionMethod, L: Lists, sc: Scratch): void {
  if (m.kind === 'rrf') {
    rrfTerms(m.k, L.denseList, sc.d);
    rrfTerms(m.k, L.lexList, sc.l);
    return;
  }
  normalise(m.norm, L.dense, L.denseList, () => true, sc.d);
  const inLex = new Uint8Array(sc.l.length);
  for (let j = 0; j < L.lexList.length; j++) inLex[L.lexList[j]!] = 1;
  normalise(m.norm, L.lex, L.lexList, (i) => inLex[i] === 1, sc.l);
}

function fusedTop(sc: Scratch, w: number, k = 10): number[] {
  blend(sc.d, sc.l, w, sc.s);
  return topPositions(sc.s, k);
}

const metricsOf = (q: QueryData, ranked: readonly number[]): CellMetrics => rankMetrics(ranked, (i) => q.rel[i] === 1, q.totalRelevant);

// ---------------------------------------------------------------- tables

/** obj[q][m][w] and metrics[q][m][w] for one cell; top10[q][m][w] for feedback. */
interface Table {
  obj: Float32Array; // q * M * W
  met: Float32Array; // (q * M * W) * 4
  top: Int32Array; // (q * M * W) * 10, -1 padded
  nq: number;
}
const M = METHODS.length;
const NW = W.length;
const at = (q: number, m: number, w: number): number => (q * M + m) * NW + w;

function newTable(nq: number): Table {
  return { obj: new Float32Array(nq * M * NW), met: new Float32Array(nq * M * NW * 4), top: new Int32Array(nq * M * NW * 10).fill(-1), nq };
}

function record(t: Table, idx: number, q: QueryData, ranked: readonly number[]): void {
  const mt = metricsOf(q, ranked);
  t.obj[idx] = objective(mt);
  t.met.set([mt.p5, mt.p10, mt.ndcg10, mt.mrr10], idx * 4);
  for (let r = 0; r < Math.min(10, ranked.length); r++) t.top[idx * 10 + r] = ranked[r]!;
}

function baseTable(cell: Cell, methods: readonly number[] = METHODS.map((_, i) => i)): Table {
  const t = newTable(cell.queries.length);
  cell.queries.forEach((q, qi) => {
    const sc = scratch(q.pool.length);
    const L = listsOf(q);
    for (const mi of methods) {
      components(METHODS[mi]!, L, sc);
      W.forEach((w, wi) => record(t, at(qi, mi, wi), q, fusedTop(sc, w)));
    }
  });
  return t;
}

// ---------------------------------------------------------------- dense pseudo-relevance feedback

interface PrfConfig {
  feedback: 'dense' | 'fused';
  m: number;
  beta: number;
}

/** Dot products of pool documents with feedback documents, computed lazily per query. */
class GramCache {
  private readonly rows = new Map<number, Float32Array>();
  constructor(
    private readonly cell: Cell,
    private readonly q: QueryData,
  ) {}
  row(p: number): Float32Array {
    let r = this.rows.get(p);
    if (!r) {
      const { vectors, dims } = this.cell.catalog;
      const a = this.q.pool[p]! * dims;
      r = new Float32Array(this.q.pool.length);
      for (let j = 0; j < this.q.pool.length; j++) r[j] = dot(vectors, a, vectors, this.q.pool[j]! * dims, dims);
      this.rows.set(p, r);
    }
    return r;
  }
}

/** Rocchio: cos(q + beta * mean(fb), d) for every pool document; the dense list re-sorted. */
function rocchio(q: QueryData, g: GramCache, fb: readonly number[], beta: number, denseN: number): { dense: Float64Array; denseList: number[] } {
  const n = q.pool.length;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = q.dense[i]!;
  if (fb.length > 0) {
    const c = beta / fb.length;
    let qc = 0;
    let cc = 0;
    for (const f of fb) {
      const row = g.row(f);
      for (let i = 0; i < n; i++) out[i]! += c * row[i]!;
      qc += q.dense[f]!;
      for (const f2 of fb) cc += row[f2]!;
    }
    const norm = Math.sqrt(1 + (2 * beta * qc) / fb.length + (beta * beta * cc) / (fb.length * fb.length));
    for (let i = 0; i < n; i++) out[i]! /= norm;
  }
  return { dense: out, denseList: topPositions(out, denseN) };
}

function prfTable(cell: Cell, base: Table, cfg: PrfConfig, methods: readonly number[]): Table {
  const t = newTable(cell.queries.length);
  cell.queries.forEach((q, qi) => {
    const g = new GramCache(cell, q);
    const sc = scratch(q.pool.length);
    const denseFb = Array.from(q.denseAll.slice(0, cfg.m));
    const memo = new Map<string, ReturnType<typeof rocchio>>();
    for (const mi of methods) {
      W.forEach((w, wi) => {
        if (wi % 2 === 1) return; // feedback tables use the 0.1 grid (odd cells stay 0 and are never chosen)
        const idx = at(qi, mi, wi);
        const fb = cfg.feedback === 'dense' ? denseFb : Array.from(base.top.subarray(idx * 10, idx * 10 + cfg.m)).filter((p) => p >= 0);
        const key = fb.join(',');
        let r = memo.get(key);
        if (!r) memo.set(key, (r = rocchio(q, g, fb, cfg.beta, SIZES.denseN)));
        components(METHODS[mi]!, { dense: r.dense, denseList: r.denseList, lex: q.lex, lexList: q.lexList }, sc);
        record(t, idx, q, fusedTop(sc, w));
      });
    }
  });
  return t;
}

// ---------------------------------------------------------------- rules

type Rule =
  | { kind: 'fixed'; method: number; w: number }
  | { kind: 'step'; method: number; feature: Feature; threshold: number; wLo: number; wHi: number }
  | { kind: 'ramp'; method: number; feature: Feature; t1: number; t2: number; wLo: number; wHi: number };

const snap = (w: number): number => Math.max(0, Math.min(NW - 1, Math.round(w * 20)));

/** Grid index of the lexical weight a rule gives a query. */
function weightIndex(r: Rule, f: QueryFeatures): number {
  if (r.kind === 'fixed') return r.w;
  const x = f[r.feature];
  if (r.kind === 'step') return x <= r.threshold ? r.wLo : r.wHi;
  if (x <= r.t1) return r.wLo;
  if (x >= r.t2) return r.wHi;
  const a = W[r.wLo]!;
  const b = W[r.wHi]!;
  return snap(a + ((b - a) * (x - r.t1)) / (r.t2 - r.t1));
}

export function describeRule(r: Rule): string {
  const m = methodName(METHODS[r.method]!);
  if (r.kind === 'fixed') return `${m} w_lex=${W[r.w]}`;
  if (r.kind === 'step') return `${m} w_lex = ${r.feature} <= ${r.threshold} ? ${W[r.wLo]} : ${W[r.wHi]}`;
  return `${m} w_lex = ramp(${r.feature}: <=${r.t1} -> ${W[r.wLo]}, >=${r.t2} -> ${W[r.wHi]})`;
}

interface Scored {
  cell: Cell;
  table: Table;
}

function cellScore(s: Scored, r: Rule): number {
  let sum = 0;
  s.cell.queries.forEach((q, qi) => (sum += s.table.obj[at(qi, r.method, weightIndex(r, q.features))]!));
  return sum / s.cell.queries.length;
}

function cellMetrics(s: Scored, r: Rule): CellMetrics {
  const acc = [0, 0, 0, 0];
  s.cell.queries.forEach((q, qi) => {
    const idx = at(qi, r.method, weightIndex(r, q.features)) * 4;
    for (let k = 0; k < 4; k++) acc[k]! += s.table.met[idx + k]!;
  });
  const n = s.cell.queries.length;
  return { p5: acc[0]! / n, p10: acc[1]! / n, ndcg10: acc[2]! / n, mrr10: acc[3]! / n };
}

const meanScore = (cells: readonly Scored[], r: Rule): number => cells.reduce((s, c) => s + cellScore(c, r), 0) / cells.length;

/** Best rule of a family on `cells` (mean over cells of the per-cell mean objective). */
function bestRule(cells: readonly Scored[], family: 'fixed' | 'step' | 'ramp', methods: readonly number[]): { rule: Rule; score: number } {
  let best: { rule: Rule; score: number } = { rule: { kind: 'fixed', method: methods[0]!, w: 0 }, score: -1 };
  const consider = (rule: Rule, score: number): void => {
    if (score > best.score + 1e-12) best = { rule, score };
  };
  for (const mi of methods) {
    if (family === 'fixed') {
      for (let wi = 0; wi < NW; wi++) consider({ kind: 'fixed', method: mi, w: wi }, meanScore(cells, { kind: 'fixed', method: mi, w: wi }));
      continue;
    }
    for (const feature of family === 'ramp' ? RAMP_FEATURES : FEATURES) {
      const ts = FEATURE_THRESHOLDS[feature];
      if (family === 'step') {
        for (const threshold of ts) {
          // per cell: sums of the objective over low / high queries at each w
          const lo = cells.map(() => new Float64Array(NW));
          const hi = cells.map(() => new Float64Array(NW));
          cells.forEach((c, ci) =>
            c.cell.queries.forEach((q, qi) => {
              const tgt = q.features[feature] <= threshold ? lo[ci]! : hi[ci]!;
              for (let wi = 0; wi < NW; wi++) tgt[wi]! += c.table.obj[at(qi, mi, wi)]!;
            }),
          );
          for (let a = 0; a < NW; a++)
            for (let b = 0; b < NW; b++) {
              let s = 0;
              cells.forEach((c, ci) => (s += (lo[ci]![a]! + hi[ci]![b]!) / c.cell.queries.length));
              consider({ kind: 'step', method: mi, feature, threshold, wLo: a, wHi: b }, s / cells.length);
            }
        }
      } else {
        for (let i = 0; i < ts.length; i++)
          for (let j = i + 1; j < ts.length; j++)
            for (let a = 0; a < NW; a += 2)
              for (let b = 0; b < NW; b += 2) {
                const rule: Rule = { kind: 'ramp', method: mi, feature, t1: ts[i]!, t2: ts[j]!, wLo: a, wHi: b };
                consider(rule, meanScore(cells, rule));
              }
      }
    }
  }
  return best;
}

// ---------------------------------------------------------------- category vote (risk study)

/** Fused pool scores of a rule (dense possibly after feedback), then + gamma * share of the top-m's categories. */
function categoryVoteMetrics(cell: Cell, base: Table, rule: Rule, prf: PrfConfig | undefined, gamma: number, m: number): CellMetrics {
  const acc = [0, 0, 0, 0];
  cell.queries.forEach((q, qi) => {
    const wi = weightIndex(rule, q.features);
    const sc = scratch(q.pool.length);
    let L = listsOf(q);
    if (prf) {
      const g = new GramCache(cell, q);
      const idx = at(qi, rule.method, wi);
      const fb = prf.feedback === 'dense' ? Array.from(q.denseAll.slice(0, prf.m)) : Array.from(base.top.subarray(idx * 10, idx * 10 + prf.m)).filter((p) => p >= 0);
      const r = rocchio(q, g, fb, prf.beta, SIZES.denseN);
      L = { ...L, dense: r.dense, denseList: r.denseList };
    }
    components(METHODS[rule.method]!, L, sc);
    blend(sc.d, sc.l, W[wi]!, sc.s);
    const top = topPositions(sc.s, 50);
    const lo = sc.s[top[top.length - 1]!]!;
    const hi = sc.s[top[0]!]!;
    const share = new Map<string, number>();
    for (const p of top.slice(0, m)) {
      const c = cell.catalog.categories[q.pool[p]!]!;
      share.set(c, (share.get(c) ?? 0) + 1 / m);
    }
    const s2 = new Float64Array(top.length);
    top.forEach((p, i) => (s2[i] = (sc.s[p]! - lo) / (hi - lo || 1) + gamma * (share.get(cell.catalog.categories[q.pool[p]!]!) ?? 0)));
    const ranked = topPositions(s2, 10).map((i) => top[i]!);
    const mt = metricsOf(q, ranked);
    acc[0]! += mt.p5;
    acc[1]! += mt.p10;
    acc[2]! += mt.ndcg10;
    acc[3]! += mt.mrr10;
  });
  const n = cell.queries.length;
  return { p5: acc[0]! / n, p10: acc[1]! / n, ndcg10: acc[2]! / n, mrr10: acc[3]! / n };
}

// ---------------------------------------------------------------- lexical feedback (RM3)

function rm3Metrics(cell: Cell, base: Table, rule: Rule, fbM: number, terms: number, lambda: number, prf: PrfConfig | undefined): CellMetrics {
  const acc = [0, 0, 0, 0];
  const lexIdx = cell.catalog.lexical;
  cell.queries.forEach((q, qi) => {
    const wi = weightIndex(rule, q.features);
    const idx = at(qi, rule.method, wi);
    const fbPos = Array.from(base.top.subarray(idx * 10, idx * 10 + fbM)).filter((p) => p >= 0);
    const expanded = lexIdx.rm3(lexIdx.queryWeights(q.text), fbPos.map((p, r) => ({ label: q.pool[p]!, weight: 1 / (r + 1) })), terms, lambda);
    const hits = lexIdx.search(expanded, SIZES.lexN);
    // a new pool: old pool + new lexical hits
    const pos = new Map<number, number>();
    q.pool.forEach((l, i) => pos.set(l, i));
    const pool = Array.from(q.pool);
    for (const h of hits) if (!pos.has(h.label)) pos.set(h.label, pool.push(h.label) - 1);
    const n = pool.length;
    const { vectors, dims } = cell.catalog;
    const dense = new Float64Array(n);
    for (let i = 0; i < n; i++) dense[i] = i < q.pool.length ? q.dense[i]! : dot(q.qvec, 0, vectors, pool[i]! * dims, dims);
    let denseList: ArrayLike<number> = q.denseList;
    let denseScores: ArrayLike<number> = dense;
    if (prf) {
      // feedback re-scoring restricted to the original pool (new lexical-only documents keep their cosine)
      const g = new GramCache(cell, q);
      const fb = prf.feedback === 'dense' ? Array.from(q.denseAll.slice(0, prf.m)) : fbPos.slice(0, prf.m);
      const r = rocchio(q, g, fb, prf.beta, SIZES.denseN);
      const d2 = new Float64Array(n);
      for (let i = 0; i < n; i++) d2[i] = i < q.pool.length ? r.dense[i]! : dense[i]!;
      denseScores = d2;
      denseList = r.denseList;
    }
    const lex = new Float64Array(n);
    const lexList = hits.map((h) => pos.get(h.label)!);
    hits.forEach((h, j) => (lex[lexList[j]!] = h.score));
    const sc = scratch(n);
    components(METHODS[rule.method]!, { dense: denseScores, denseList, lex, lexList }, sc);
    const ranked = fusedTop(sc, W[wi]!);
    const rel = (i: number): boolean => q.expected.has(cell.catalog.categories[pool[i]!]!);
    const mt = rankMetrics(ranked, rel, q.totalRelevant);
    acc[0]! += mt.p5;
    acc[1]! += mt.p10;
    acc[2]! += mt.ndcg10;
    acc[3]! += mt.mrr10;
  });
  const n = cell.queries.length;
  return { p5: acc[0]! / n, p10: acc[1]! / n, ndcg10: acc[2]! / n, mrr10: acc[3]! / n };
}

// ---------------------------------------------------------------- category vote choice, full-pipeline evaluation

const VOTES = [0.1, 0.25, 0.5, 1].flatMap((gamma) => [5, 10].map((m) => ({ gamma, m })));

function chooseVote(cells: readonly Scored[], rule: Rule, prf: PrfConfig): { gamma: number; m: number; score: number } {
  let best = { gamma: 0, m: 5, score: -1 };
  for (const v of VOTES) {
    const sc = cells.reduce((a, c) => a + objective(categoryVoteMetrics(c.cell, c.table, rule, prf, v.gamma, v.m)), 0) / cells.length;
    if (sc > best.score) best = { ...v, score: sc };
  }
  return best;
}

function paramsOf(rule: Rule, prf: PrfConfig | undefined, vote: { gamma: number; m: number } | undefined): HybridParams {
  if (rule.kind !== 'fixed') throw new Error('the full pipeline takes a fixed weight');
  if (prf && prf.feedback !== 'fused') throw new Error('the full pipeline feeds back fused results');
  return {
    method: METHODS[rule.method]!,
    wLex: W[rule.w]!,
    denseN: SIZES.denseN,
    lexN: SIZES.lexN,
    feedbackM: prf?.m ?? 0,
    beta: prf?.beta ?? 0,
    voteGamma: vote?.gamma ?? 0,
    voteM: vote?.m ?? 5,
  };
}

interface PipelineResult extends CellMetrics {
  /** Fans with 2+ expected categories: mean share of their categories present in the top 10. */
  multiCategoryCoverage?: number;
}

function pipelineMetrics(cell: Cell, p: HybridParams): PipelineResult {
  const acc = [0, 0, 0, 0];
  let cov = 0;
  let multi = 0;
  for (const q of cell.queries) {
    const labels = hybridSearch(cell.catalog, q.qvec, q.text, p, 10);
    const mt = rankMetrics(
      labels.map((_, i) => i),
      (i) => q.expected.has(cell.catalog.categories[labels[i]!]!),
      q.totalRelevant,
    );
    acc[0]! += mt.p5;
    acc[1]! += mt.p10;
    acc[2]! += mt.ndcg10;
    acc[3]! += mt.mrr10;
    if (q.expected.size > 1) {
      const seen = new Set(labels.map((l) => cell.catalog.categories[l]!));
      cov += [...q.expected].filter((c) => seen.has(c)).length / q.expected.size;
      multi++;
    }
  }
  const n = cell.queries.length;
  const out: PipelineResult = { p5: r4(acc[0]! / n), p10: r4(acc[1]! / n), ndcg10: r4(acc[2]! / n), mrr10: r4(acc[3]! / n) };
  if (multi > 0) out.multiCategoryCoverage = r4(cov / multi);
  return out;
}

// ---------------------------------------------------------------- main

const r4 = (x: number): number => Math.round(x * 10000) / 10000;
const rm = (m: CellMetrics): CellMetrics => ({ p5: r4(m.p5), p10: r4(m.p10), ndcg10: r4(m.ndcg10), mrr10: r4(m.mrr10) });

function bm25Metrics(cell: Cell): CellMetrics {
  const acc = [0, 0, 0, 0];
  for (const q of cell.queries) {
    const mt = metricsOf(q, Array.from(q.lexList.slice(0, 10)));
    acc[0]! += mt.p5;
    acc[1]! += mt.p10;
    acc[2]! += mt.ndcg10;
    acc[3]! += mt.mrr10;
  }
  const n = cell.queries.length;
  return { p5: acc[0]! / n, p10: acc[1]! / n, ndcg10: acc[2]! / n, mrr10: acc[3]! / n };
}

/** Checks that the study's own BM25 (used for RM3 and statistics) ranks as the service's (src/lexical) does. */
function lexicalAgreement(cells: readonly Cell[]): number {
  let same = 0;
  let total = 0;
  for (const c of cells)
    for (const q of c.queries.slice(0, 50)) {
      const mine = c.catalog.lexical.search(c.catalog.lexical.queryWeights(q.text), 10).map((h) => h.label);
      const service = Array.from(q.lexList.slice(0, 10)).map((p) => q.pool[p]!);
      const s = new Set(service);
      same += mine.filter((l) => s.has(l)).length;
      total += service.length;
    }
  return total === 0 ? 1 : same / total;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const opt = (name: string, dflt: string): string => {
    const i = args.indexOf(name);
    return i >= 0 ? (args[i + 1] ?? dflt) : dflt;
  };
  const out = opt('--out', 'docs/bench/fusion-study.json');
  const cacheDir = opt('--cache', '.bench-cache');
  const started = performance.now();
  await prepareIfBundled(undefined);
  const embedder = createEmbedder({ dtype: 'q8' });
  await embedder.init();
  const cells = await loadCells(embedder, cacheDir, SIZES);
  await embedder.dispose();
  console.error(`cells loaded in ${((performance.now() - started) / 1000).toFixed(0)} s; lexical agreement ${lexicalAgreement(cells).toFixed(4)}`);

  const base: Scored[] = cells.map((cell) => ({ cell, table: baseTable(cell) }));
  console.error(`base tables in ${((performance.now() - started) / 1000).toFixed(0)} s`);
  const allMethods = METHODS.map((_, i) => i);
  const minmax = METHODS.findIndex((m) => m.kind === 'convex' && m.norm === 'minmax');

  // per cell: dense, BM25, and the best fixed setting of each method (per-cell oracle)
  const perCell = base.map((s) => {
    const dense = cellMetrics(s, { kind: 'fixed', method: minmax, w: 0 });
    const fixed = METHODS.map((m, mi) => {
      let bestW = 0;
      let bestScore = -1;
      for (let wi = 0; wi < NW; wi++) {
        const sc = cellScore(s, { kind: 'fixed', method: mi, w: wi });
        if (sc > bestScore) [bestW, bestScore] = [wi, sc];
      }
      const half = cellMetrics(s, { kind: 'fixed', method: mi, w: 10 });
      return { method: methodName(m), bestW: W[bestW], best: rm(cellMetrics(s, { kind: 'fixed', method: mi, w: bestW })), atHalf: rm(half) };
    });
    const f = s.cell.queries.map((q) => q.features);
    const mean = (k: keyof QueryFeatures): number => r4(f.reduce((a, x) => a + x[k], 0) / f.length);
    const noMatch = r4(f.filter((x) => x.matched === 0).length / f.length);
    return {
      cell: s.cell.name,
      source: s.cell.source,
      docs: s.cell.catalog.docs.length,
      categories: s.cell.catalog.categorySize.size,
      queries: s.cell.queries.length,
      features: { terms: mean('terms'), matched: mean('matched'), idfMass: mean('idfMass'), overlap10: mean('overlap10'), noLexicalMatch: noMatch },
      dense: rm(dense),
      bm25: rm(bm25Metrics(s.cell)),
      fixed,
    };
  });

  // chosen on all cells, per family
  const families = ['fixed', 'step', 'ramp'] as const;
  const chosenAll = Object.fromEntries(families.map((fam) => [fam, bestRule(base, fam, allMethods)])) as Record<(typeof families)[number], { rule: Rule; score: number }>;
  console.error(`rules in ${((performance.now() - started) / 1000).toFixed(0)} s: ${families.map((f) => describeRule(chosenAll[f].rule)).join(' | ')}`);

  // feedback: methods kept = RRF60, min-max and DBSF
  const prfMethods = [
    METHODS.findIndex((m) => m.kind === 'rrf' && m.k === 60),
    METHODS.findIndex((m) => m.kind === 'convex' && m.norm === 'minmax'),
    METHODS.findIndex((m) => m.kind === 'convex' && m.norm === 'dbsf'),
  ];
  const prfConfigs: PrfConfig[] = [];
  for (const feedback of ['dense', 'fused'] as const) for (const m of [2, 3, 5, 10]) for (const beta of [1, 2, 4]) prfConfigs.push({ feedback, m, beta });
  const prfTables = prfConfigs.map((cfg) => {
    const t = base.map((s) => ({ cell: s.cell, table: prfTable(s.cell, s.table, cfg, prfMethods) }));
    console.error(`prf ${JSON.stringify(cfg)} in ${((performance.now() - started) / 1000).toFixed(0)} s`);
    return t;
  });
  const prfBest = (cells: readonly number[], fam: 'fixed' | 'step'): { cfg: number; rule: Rule; score: number } => {
    let best = { cfg: -1, rule: { kind: 'fixed', method: 0, w: 0 } as Rule, score: -1 };
    prfConfigs.forEach((_, ci) => {
      const r = bestRule(cells.map((i) => prfTables[ci]![i]!), fam, prfMethods);
      if (r.score > best.score) best = { cfg: ci, ...r };
    });
    return best;
  };
  const everyCell = base.map((_, i) => i);
  const prfAll = { fixed: prfBest(everyCell, 'fixed'), step: prfBest(everyCell, 'step') };

  // leave-one-source-out
  const sources = [...new Set(cells.map((c) => c.source))];
  const loso = sources.map((src) => {
    const train = everyCell.filter((i) => cells[i]!.source !== src);
    const test = everyCell.filter((i) => cells[i]!.source === src);
    const fam = Object.fromEntries(families.map((f) => [f, bestRule(train.map((i) => base[i]!), f, allMethods)]));
    const pf = { fixed: prfBest(train, 'fixed'), step: prfBest(train, 'step') };
    // the full pipeline for the fold's fixed choices (fused feedback only; dense feedback is reported in the tables)
    const fusedCfgs = prfConfigs.map((c, ci) => (c.feedback === 'fused' ? ci : -1)).filter((ci) => ci >= 0);
    let pfFused = { cfg: -1, rule: { kind: 'fixed', method: 0, w: 0 } as Rule, score: -1 };
    for (const ci of fusedCfgs) {
      const r = bestRule(train.map((i) => prfTables[ci]![i]!), 'fixed', prfMethods);
      if (r.score > pfFused.score) pfFused = { cfg: ci, ...r };
    }
    const trainScored = train.map((i) => prfTables[pfFused.cfg]![i]!);
    const vote = chooseVote(trainScored, pfFused.rule, prfConfigs[pfFused.cfg]!);
    const pipeNoVote = paramsOf(pfFused.rule, prfConfigs[pfFused.cfg], undefined);
    const pipeVote = paramsOf(pfFused.rule, prfConfigs[pfFused.cfg], vote);
    const fixedOnly = paramsOf(fam['fixed']!.rule, undefined, undefined);
    const res = test.map((i) => ({
      cell: cells[i]!.name,
      dense: perCell[i]!.dense,
      bm25: perCell[i]!.bm25,
      ...Object.fromEntries(families.map((f) => [f, { rule: describeRule(fam[f]!.rule), metrics: rm(cellMetrics(base[i]!, fam[f]!.rule)) }])),
      prfFixed: { prf: prfConfigs[pf.fixed.cfg], rule: describeRule(pf.fixed.rule), metrics: rm(cellMetrics(prfTables[pf.fixed.cfg]![i]!, pf.fixed.rule)) },
      prfStep: { prf: prfConfigs[pf.step.cfg], rule: describeRule(pf.step.rule), metrics: rm(cellMetrics(prfTables[pf.step.cfg]![i]!, pf.step.rule)) },
      pipeline: {
        fixedNoFeedback: { params: fixedOnly, metrics: pipelineMetrics(cells[i]!, fixedOnly) },
        feedback: { params: pipeNoVote, metrics: pipelineMetrics(cells[i]!, pipeNoVote) },
        feedbackVote: { params: pipeVote, metrics: pipelineMetrics(cells[i]!, pipeVote) },
      },
    }));
    console.error(`loso ${src} in ${((performance.now() - started) / 1000).toFixed(0)} s`);
    return { heldOut: src, cells: res };
  });

  // per-cell oracles for the PRF family (best config + fixed w per cell) and the all-cell choices per cell
  const chosenPerCell = base.map((s, i) => ({
    cell: s.cell.name,
    ...Object.fromEntries(families.map((f) => [f, rm(cellMetrics(s, chosenAll[f].rule))])),
    prfFixed: rm(cellMetrics(prfTables[prfAll.fixed.cfg]![i]!, prfAll.fixed.rule)),
    prfStep: rm(cellMetrics(prfTables[prfAll.step.cfg]![i]!, prfAll.step.rule)),
    oracleFixed: (() => {
      let best = { score: -1, m: rm(perCell[i]!.dense), what: '' };
      for (const mi of allMethods)
        for (let wi = 0; wi < NW; wi++) {
          const r: Rule = { kind: 'fixed', method: mi, w: wi };
          const sc = cellScore(s, r);
          if (sc > best.score) best = { score: sc, m: rm(cellMetrics(s, r)), what: describeRule(r) };
        }
      return { rule: best.what, metrics: best.m };
    })(),
    oraclePrf: (() => {
      let best = { score: -1, m: rm(perCell[i]!.dense), what: '' };
      prfConfigs.forEach((cfg, ci) => {
        for (const mi of prfMethods)
          for (let wi = 0; wi < NW; wi += 2) {
            const r: Rule = { kind: 'fixed', method: mi, w: wi };
            const sc = cellScore(prfTables[ci]![i]!, r);
            if (sc > best.score) best = { score: sc, m: rm(cellMetrics(prfTables[ci]![i]!, r)), what: `${JSON.stringify(cfg)} ${describeRule(r)}` };
          }
      });
      return { rule: best.what, metrics: best.m };
    })(),
  }));

  // the full pipeline with the all-cell choices (fused feedback), with and without the category vote
  const fusedCfgsAll = prfConfigs.map((c, ci) => (c.feedback === 'fused' ? ci : -1)).filter((ci) => ci >= 0);
  let pfFusedAll = { cfg: -1, rule: { kind: 'fixed', method: 0, w: 0 } as Rule, score: -1 };
  for (const ci of fusedCfgsAll) {
    const r = bestRule(everyCell.map((i) => prfTables[ci]![i]!), 'fixed', prfMethods);
    if (r.score > pfFusedAll.score) pfFusedAll = { cfg: ci, ...r };
  }
  const voteAll = chooseVote(everyCell.map((i) => prfTables[pfFusedAll.cfg]![i]!), pfFusedAll.rule, prfConfigs[pfFusedAll.cfg]!);
  const pipeAll = {
    dense: paramsOf({ kind: 'fixed', method: minmax, w: 0 }, undefined, undefined),
    fixed: paramsOf(chosenAll.fixed.rule, undefined, undefined),
    rrf60Equal: paramsOf({ kind: 'fixed', method: METHODS.findIndex((m) => m.kind === 'rrf' && m.k === 60), w: 10 }, undefined, undefined),
    feedback: paramsOf(pfFusedAll.rule, prfConfigs[pfFusedAll.cfg], undefined),
    feedbackVote: paramsOf(pfFusedAll.rule, prfConfigs[pfFusedAll.cfg], voteAll),
    denseFeedbackOnly: paramsOf({ kind: 'fixed', method: minmax, w: 0 }, prfConfigs[pfFusedAll.cfg], undefined),
  };
  const pipelineAll = cells.map((c) => ({ cell: c.name, ...Object.fromEntries(Object.entries(pipeAll).map(([k, p]) => [k, pipelineMetrics(c, p)])) }));
  console.error(`pipeline in ${((performance.now() - started) / 1000).toFixed(0)} s`);

  // add-ons on top of the all-cell PRF step rule: category vote and RM3
  const prfCfg = prfConfigs[prfAll.step.cfg]!;
  const addOns = base.map((s) => ({
    cell: s.cell.name,
    categoryVote: [0.1, 0.25, 0.5].flatMap((gamma) => [5, 10].map((m) => ({ gamma, m, metrics: rm(categoryVoteMetrics(s.cell, s.table, prfAll.step.rule, prfCfg, gamma, m)) }))),
    rm3: [5, 10].flatMap((m) =>
      [10, 20].flatMap((terms) =>
        [0.3, 0.5].map((lambda) => ({ m, terms, lambda, withDensePrf: rm(rm3Metrics(s.cell, s.table, prfAll.step.rule, m, terms, lambda, prfCfg)) })),
      ),
    ),
  }));
  console.error(`add-ons in ${((performance.now() - started) / 1000).toFixed(0)} s`);

  const report = {
    generatedBy: 'tools/eval/fusion-study.ts',
    model: { id: embedder.modelId, revision: embedder.revision, dtype: 'q8' },
    pool: SIZES,
    weightGrid: 'w_lex in {0, 0.05, ..., 1}',
    objective: 'mean over cells of the mean over queries of (P@5 + P@10) / 2',
    lexicalAgreementTop10: r4(lexicalAgreement(cells)),
    perCell,
    chosenOnAllCells: {
      fixed: describeRule(chosenAll.fixed.rule),
      step: describeRule(chosenAll.step.rule),
      ramp: describeRule(chosenAll.ramp.rule),
      prfFixed: { prf: prfConfigs[prfAll.fixed.cfg], rule: describeRule(prfAll.fixed.rule) },
      prfStep: { prf: prfConfigs[prfAll.step.cfg], rule: describeRule(prfAll.step.rule) },
      scores: { fixed: r4(chosenAll.fixed.score), step: r4(chosenAll.step.score), ramp: r4(chosenAll.ramp.score), prfFixed: r4(prfAll.fixed.score), prfStep: r4(prfAll.step.score) },
    },
    chosenPerCell,
    pipeline: { params: pipeAll, vote: voteAll, perCell: pipelineAll },
    leaveOneSourceOut: loso,
    addOns,
    seconds: Math.round((performance.now() - started) / 1000),
  };
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify(report, null, 1) + '\n');
  console.error(`wrote ${out} in ${report.seconds} s`);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
