/**
 * Short-query study: can retrieval-side smoothing lift category precision on short paraphrased
 * queries with the bundled encoder, on catalogs it was not tuned on? (docs/bench/short-query-study.md)
 *
 *   nice npx tsx tools/eval/short-query-study.ts [--out docs/bench/short-query-study.json] [--cache .bench-cache] [--sets a,b]
 *
 * Every variant runs the service's hybrid pipeline (src/match/hybrid-retrieval.ts: dense top-N,
 * BM25 top-N from the service's own lexical index, weighted RRF, Rocchio feedback, optional
 * category vote; the fusion functions are the service's) with exact dense search, and changes only
 * how the dense side scores a document d for a query vector x:
 *
 *   s(x, d) = x . w_d  +  gamma * x . mu_c(d)  +  alpha * x . m_d  -  lambda * r_d
 *
 * - w_d: the served vector (raw; or smoothed / centred, see `space`),
 * - mu_c: the centroid of d's category in the catalog (cluster-based smoothing, Liu & Croft 2004),
 * - m_d: the mean of d's k nearest catalog neighbours (neighbour smoothing as a re-rank signal),
 * - r_d: the mean cosine of d with its k nearest neighbours (CSLS hubness correction, Conneau et al. 2018),
 * applied to the first and to the feedback search alike (optionally only to the cosine top-R, as a
 * re-rank of an ANN pool would). Parameters are chosen on all cells and leave-one-source-out.
 */
import { mkdirSync, writeFileSync, existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { createEmbedder } from '../../src/embedding';
import type { FusionParams } from '../../src/index/manifest';
import { TopK } from '../../src/index/top-k';
import { DEFAULT_FUSION } from '../../src/match/fusion-defaults';
import { fuseLists, lexicalWeight, type FusedCandidate, type ScoredLabel } from '../../src/match/fusion';
import { categoryVote, hybridRetrieve } from '../../src/match/hybrid-retrieval';
import { CategoryCentroids } from '../../src/match/category-centroids';
import type { CompiledFilter } from '../../src/catalog/catalog';
import type { SearchIndex, SearchRequest, SearchResult } from '../../src/index/search-index';
import { prepareIfBundled } from '../model/prepare-default-model';
import { loadStudyCells, scan, unitRows as normaliseRows, type DocVectors, type StudyCatalog, type StudyCell, type StudyQuery } from './study-cells';

export interface Smooth {
  /** raw: the model's vectors; knnK-A: normalise(v + A * mean of its K nearest) served; centerD: mean removed and the top D principal directions (D = 0: mean only). */
  space: string;
  /** Category-centroid term weight (0: off); 'norm' = normalised centroid, 'mean' = mean cosine with the category. */
  gamma: number;
  centroid: 'norm' | 'mean';
  /** Neighbour term: alpha * x . mean(k nearest). */
  alpha: number;
  knnK: number;
  /** CSLS: - lambda * mean cosine of d with its cslsK nearest. */
  lambda: number;
  cslsK: number;
  /** Apply the extra terms only to the first R by cosine (0: the whole catalog). */
  poolR: number;
  /** Category-name term: eta * x . embedding(category name). */
  eta?: number;
  /** Texts of two or more clauses (clauses()): 'feedback' = no feedback for them, 'both' = no feedback and no smoothing. */
  clauseGate?: 'feedback' | 'both';
}

/**
 * Clauses of an interest text: parts between sentence punctuation, commas, semicolons and the
 * coordinators and / plus / also / as well as / or, with at least two words each. A text of two
 * or more such clauses may name two interests.
 */
export function clauses(text: string): string[] {
  return text
    .split(/[.;!?,]+|\b(?:and|plus|also|as well as|or)\b/i)
    .map((p) => p.trim())
    .filter((p) => (p.match(/\p{L}+/gu) ?? []).length >= 2);
}

export const NO_SMOOTH: Smooth = { space: 'raw', gamma: 0, centroid: 'norm', alpha: 0, knnK: 10, lambda: 0, cslsK: 10, poolR: 0 };

export interface Variant {
  name: string;
  family: string;
  fusion: FusionParams;
  smooth: Smooth;
}

export interface Metrics {
  p5: number;
  p10: number;
  ndcg10: number;
  mrr10: number;
  /** Queries with two or more expected categories: share of them present in the top 10 (NaN: none). */
  cov: number;
  covN: number;
}

const KNN_MAX = 20;

/** A vector space over one catalog: its document matrix and what the smoothing terms need, built lazily. */
class Space {
  private knnCache: Int32Array | undefined;
  private simCache: Float32Array | undefined;
  private readonly means = new Map<number, Float32Array>();
  private readonly r = new Map<number, Float32Array>();
  private readonly centroids = new Map<string, Float32Array>();
  /** Rows w_i . X for feedback documents i, per matrix name. */
  readonly rows = new Map<string, Map<number, Float32Array>>();

  constructor(
    readonly cat: StudyCatalog,
    readonly name: string,
    readonly w: Float32Array,
    readonly transform: (q: Float32Array) => Float32Array,
    private readonly cacheDir: string,
  ) {}

  get n(): number {
    return this.cat.n;
  }

  get dims(): number {
    return this.cat.dims;
  }

  /** KNN_MAX nearest neighbours of every document (itself excluded), and their cosines. */
  knn(): { idx: Int32Array; sim: Float32Array } {
    if (this.knnCache && this.simCache) return { idx: this.knnCache, sim: this.simCache };
    const file = path.join(this.cacheDir, `knn-${this.cat.set}-${this.name}.bin`);
    const { n, dims, w } = this;
    if (existsSync(file)) {
      const buf = readFileSync(file);
      const all = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
      this.knnCache = Int32Array.from(all.subarray(0, n * KNN_MAX));
      this.simCache = Float32Array.from(all.subarray(n * KNN_MAX));
      return { idx: this.knnCache, sim: this.simCache };
    }
    const idx = new Int32Array(n * KNN_MAX);
    const sim = new Float32Array(n * KNN_MAX);
    const row = new Float32Array(n);
    for (let d = 0; d < n; d++) {
      scan(w, dims, w.subarray(d * dims, (d + 1) * dims), row);
      row[d] = -Infinity;
      const top = new TopK(KNN_MAX);
      for (let j = 0; j < n; j++) if (row[j]! > top.threshold) top.push(j, row[j]!);
      top.sorted().forEach((h, i) => {
        idx[d * KNN_MAX + i] = h.label;
        sim[d * KNN_MAX + i] = h.score;
      });
    }
    mkdirSync(this.cacheDir, { recursive: true });
    const out = new Float32Array(2 * n * KNN_MAX);
    out.set(Float32Array.from(idx), 0);
    out.set(sim, n * KNN_MAX);
    writeFileSync(file, Buffer.from(out.buffer));
    this.knnCache = idx;
    this.simCache = sim;
    return { idx, sim };
  }

  /** m_d = mean of the k nearest neighbours' vectors (not normalised), n x dims. */
  neighbourMean(k: number): Float32Array {
    let m = this.means.get(k);
    if (m) return m;
    const { idx } = this.knn();
    const { n, dims, w } = this;
    m = new Float32Array(n * dims);
    for (let d = 0; d < n; d++) {
      for (let j = 0; j < k; j++) {
        const nb = idx[d * KNN_MAX + j]!;
        for (let i = 0; i < dims; i++) m[d * dims + i]! += w[nb * dims + i]! / k;
      }
    }
    this.means.set(k, m);
    return m;
  }

  /** r_d = mean cosine of d with its k nearest neighbours. */
  hubness(k: number): Float32Array {
    let r = this.r.get(k);
    if (r) return r;
    const { sim } = this.knn();
    r = new Float32Array(this.n);
    for (let d = 0; d < this.n; d++) {
      let s = 0;
      for (let j = 0; j < k; j++) s += sim[d * KNN_MAX + j]!;
      r[d] = s / k;
    }
    this.r.set(k, r);
    return r;
  }

  /** Category centroids (C x dims): normalised means, or plain means (x . mean = mean cosine). */
  centroid(kind: 'norm' | 'mean'): Float32Array {
    let c = this.centroids.get(kind);
    if (c) return c;
    const { n, dims, w, cat } = this;
    const C = cat.categoryNames.length;
    c = new Float32Array(C * dims);
    for (let d = 0; d < n; d++) {
      const k = cat.category[d]!;
      for (let i = 0; i < dims; i++) c[k * dims + i]! += w[d * dims + i]!;
    }
    for (let k = 0; k < C; k++) {
      let s = 0;
      for (let i = 0; i < dims; i++) s += c[k * dims + i]! ** 2;
      const div = kind === 'norm' ? Math.sqrt(s) || 1 : cat.categorySize[k]!;
      for (let i = 0; i < dims; i++) c[k * dims + i]! /= div;
    }
    this.centroids.set(kind, c);
    return c;
  }

  /** w_i . X for a document i, cached per matrix. */
  row(matrixName: string, matrix: Float32Array, label: number): Float32Array {
    let byLabel = this.rows.get(matrixName);
    if (!byLabel) this.rows.set(matrixName, (byLabel = new Map<number, Float32Array>()));
    let r = byLabel.get(label);
    if (!r) {
      r = scan(matrix, this.dims, this.w.subarray(label * this.dims, (label + 1) * this.dims), new Float32Array(this.n));
      if (byLabel.size > 4000) byLabel.clear();
      byLabel.set(label, r);
    }
    return r;
  }
}

/** Top principal directions of the (centred) rows by power iteration with deflation. */
function principalDirections(x: Float32Array, dims: number, count: number): Float32Array[] {
  const n = x.length / dims;
  const out: Float32Array[] = [];
  for (let c = 0; c < count; c++) {
    let v: Float32Array = Float32Array.from({ length: dims }, (_, i) => Math.sin(i + 1 + c));
    for (let it = 0; it < 50; it++) {
      const next = new Float32Array(dims);
      for (let d = 0; d < n; d++) {
        let p = 0;
        for (let i = 0; i < dims; i++) p += x[d * dims + i]! * v[i]!;
        for (let i = 0; i < dims; i++) next[i]! += p * x[d * dims + i]!;
      }
      for (const u of out) {
        let p = 0;
        for (let i = 0; i < dims; i++) p += next[i]! * u[i]!;
        for (let i = 0; i < dims; i++) next[i]! -= p * u[i]!;
      }
      v = normaliseRows(next, dims);
    }
    out.push(v);
  }
  return out;
}

/** Lower Cholesky factor of a symmetric positive definite d x d matrix (row-major, Float64). */
function cholesky(a: Float64Array, d: number): Float64Array {
  const l = new Float64Array(d * d);
  for (let i = 0; i < d; i++)
    for (let j = 0; j <= i; j++) {
      let s = a[i * d + j]!;
      for (let k = 0; k < j; k++) s -= l[i * d + k]! * l[j * d + k]!;
      l[i * d + j] = i === j ? Math.sqrt(Math.max(s, 1e-12)) : s / l[j * d + j]!;
    }
  return l;
}

/** y = L^-1 x (forward substitution), in place on a copy. */
function forwardSolve(l: Float64Array, d: number, x: ArrayLike<number>, out: Float32Array, off: number): void {
  for (let i = 0; i < d; i++) {
    let s = x[i]!;
    for (let k = 0; k < i; k++) s -= l[i * d + k]! * out[off + k]!;
    out[off + i] = s / l[i * d + i]!;
  }
}

/**
 * Whitening by a (shrunk) covariance: x -> L^-1 (x - shift), L L^T = (1 - eps) S + eps (tr S / d) I.
 * total: S = covariance of the documents (BERT-whitening, Su et al. 2021; shift = mean);
 * within: S = within-category covariance (WCCN, Hatch et al. 2006; no shift).
 */
function whitening(cat: StudyCatalog, kind: 'total' | 'within', eps: number): { w: Float32Array; transform: (q: Float32Array) => Float32Array } {
  const { n, dims, vectors } = cat;
  const mu = new Float64Array(dims);
  for (let d = 0; d < n; d++) for (let i = 0; i < dims; i++) mu[i]! += vectors[d * dims + i]! / n;
  const C = cat.categoryNames.length;
  const cmu = new Float64Array(C * dims);
  for (let d = 0; d < n; d++) for (let i = 0; i < dims; i++) cmu[cat.category[d]! * dims + i]! += vectors[d * dims + i]! / cat.categorySize[cat.category[d]!]!;
  const S = new Float64Array(dims * dims);
  const r = new Float64Array(dims);
  for (let d = 0; d < n; d++) {
    for (let i = 0; i < dims; i++) r[i] = vectors[d * dims + i]! - (kind === 'total' ? mu[i]! : cmu[cat.category[d]! * dims + i]!);
    for (let i = 0; i < dims; i++) {
      const ri = r[i]! / n;
      for (let j = 0; j <= i; j++) S[i * dims + j]! += ri * r[j]!;
    }
  }
  let tr = 0;
  for (let i = 0; i < dims; i++) tr += S[i * dims + i]!;
  for (let i = 0; i < dims; i++)
    for (let j = 0; j <= i; j++) {
      const v = (1 - eps) * S[i * dims + j]! + (i === j ? (eps * tr) / dims : 0);
      S[i * dims + j] = v;
      S[j * dims + i] = v;
    }
  const L = cholesky(S, dims);
  const shift = kind === 'total' ? mu : new Float64Array(dims);
  const transform = (q: Float32Array): Float32Array => {
    const x = Float64Array.from(q, (v, i) => v - shift[i]!);
    const out = new Float32Array(dims);
    forwardSolve(L, dims, x, out, 0);
    return normaliseRows(out, dims);
  };
  const w = new Float32Array(n * dims);
  const x = new Float64Array(dims);
  for (let d = 0; d < n; d++) {
    for (let i = 0; i < dims; i++) x[i] = vectors[d * dims + i]! - shift[i]!;
    forwardSolve(L, dims, x, w, d * dims);
  }
  return { w: normaliseRows(w, dims), transform };
}

/** The spaces of a catalog, by name. */
class Spaces {
  private readonly byName = new Map<string, Space>();
  constructor(
    readonly cat: StudyCatalog,
    private readonly cacheDir: string,
  ) {}

  get(name: string): Space {
    let s = this.byName.get(name);
    if (s) return s;
    const { cat } = this;
    const dims = cat.dims;
    if (name === 'raw') s = new Space(cat, 'raw', cat.vectors, (q) => q, this.cacheDir);
    else if (name.startsWith('knn')) {
      const [k, a] = name.slice(3).split('-').map(Number) as [number, number];
      const raw = this.get('raw');
      const m = raw.neighbourMean(k);
      const w = new Float32Array(cat.vectors.length);
      for (let i = 0; i < w.length; i++) w[i] = cat.vectors[i]! + a * m[i]!;
      s = new Space(cat, name, normaliseRows(w, dims), (q) => q, this.cacheDir);
    } else if (name.startsWith('center')) {
      const D = Number(name.slice(6));
      const mu = new Float32Array(dims);
      for (let d = 0; d < cat.n; d++) for (let i = 0; i < dims; i++) mu[i]! += cat.vectors[d * dims + i]! / cat.n;
      const x = new Float32Array(cat.vectors.length);
      for (let i = 0; i < x.length; i++) x[i] = cat.vectors[i]! - mu[i % dims]!;
      const pcs = principalDirections(x, dims, D);
      const project = (v: Float32Array, off: number): void => {
        for (const u of pcs) {
          let p = 0;
          for (let i = 0; i < dims; i++) p += v[off + i]! * u[i]!;
          for (let i = 0; i < dims; i++) v[off + i]! -= p * u[i]!;
        }
      };
      for (let d = 0; d < cat.n; d++) project(x, d * dims);
      const transform = (q: Float32Array): Float32Array => {
        const t = Float32Array.from(q, (v, i) => v - mu[i]!);
        project(t, 0);
        return normaliseRows(t, dims);
      };
      s = new Space(cat, name, normaliseRows(x, dims), transform, this.cacheDir);
    } else if (name.startsWith('whiten') || name.startsWith('wccn')) {
      const eps = Number(name.replace(/^[a-z]+-/, ''));
      const { w, transform } = whitening(cat, name.startsWith('wccn') ? 'within' : 'total', eps);
      s = new Space(cat, name, w, transform, this.cacheDir);
    } else throw new Error(`unknown space ${name}`);
    this.byName.set(name, s);
    return s;
  }
}

/** Per query and space: x, x . W and x . M_k (the first-pass rows, reused by every variant). */
class QueryRows {
  private readonly x = new Map<string, Float32Array>();
  private readonly rows = new Map<string, Float32Array>();
  constructor(readonly q: StudyQuery) {}

  vec(space: Space): Float32Array {
    let v = this.x.get(space.name);
    if (!v) this.x.set(space.name, (v = space.name === 'raw' ? this.q.q : space.transform(this.q.q)));
    return v;
  }

  /** x . W */
  base(space: Space): Float32Array {
    const key = `${space.name}:w`;
    let r = this.rows.get(key);
    if (!r) this.rows.set(key, (r = space.name === 'raw' ? this.q.cos : scan(space.w, space.dims, this.vec(space), new Float32Array(space.n))));
    return r;
  }

  /** x . M_k */
  knn(space: Space, k: number): Float32Array {
    const key = `${space.name}:m${k}`;
    let r = this.rows.get(key);
    if (!r) this.rows.set(key, (r = scan(space.neighbourMean(k), space.dims, this.vec(space), new Float32Array(space.n))));
    return r;
  }
}

/** Smoothed dense scores of every document for x = normalise(x0 + c * sum of w_i, i in fb), by linearity. */
function denseScores(space: Space, qr: QueryRows, sm: Smooth, fb: readonly number[], beta: number): Float32Array {
  const { n, dims } = space;
  const x0 = qr.vec(space);
  const c = fb.length ? beta / fb.length : 0;
  const x = Float32Array.from(x0);
  for (const i of fb) for (let j = 0; j < dims; j++) x[j]! += c * space.w[i * dims + j]!;
  let norm = 0;
  for (let j = 0; j < dims; j++) norm += x[j]! ** 2;
  norm = Math.sqrt(norm) || 1;
  const out = Float32Array.from(qr.base(space));
  for (const i of fb) {
    const r = space.row('w', space.w, i);
    for (let d = 0; d < n; d++) out[d]! += c * r[d]!;
  }
  for (let d = 0; d < n; d++) out[d]! /= norm;
  let extra: Float32Array | undefined;
  if (sm.gamma > 0 || sm.alpha > 0 || sm.lambda > 0 || (sm.eta ?? 0) > 0) {
    extra = new Float32Array(n);
    // A category-level term: weight * x . row(category(d)) of a C x dims matrix (centroids, or category-name embeddings).
    const addCategoryTerm = (rows: Float32Array, weight: number): void => {
      const C = space.cat.categoryNames.length;
      const xs = new Float32Array(C);
      for (let k = 0; k < C; k++) {
        let s = 0;
        for (let j = 0; j < dims; j++) s += (x[j]! / norm) * rows[k * dims + j]!;
        xs[k] = s;
      }
      for (let d = 0; d < n; d++) extra![d]! += weight * xs[space.cat.category[d]!]!;
    };
    if (sm.gamma > 0) addCategoryTerm(space.centroid(sm.centroid), sm.gamma);
    if ((sm.eta ?? 0) > 0) addCategoryTerm(space.cat.nameVectors, sm.eta!);
    if (sm.alpha > 0) {
      const m = space.neighbourMean(sm.knnK);
      const r0 = qr.knn(space, sm.knnK);
      const tmp = Float32Array.from(r0);
      for (const i of fb) {
        const r = space.row(`m${sm.knnK}`, m, i);
        for (let d = 0; d < n; d++) tmp[d]! += c * r[d]!;
      }
      for (let d = 0; d < n; d++) extra[d]! += (sm.alpha * tmp[d]!) / norm;
    }
    if (sm.lambda > 0) {
      const r = space.hubness(sm.cslsK);
      for (let d = 0; d < n; d++) extra[d]! -= sm.lambda * r[d]!;
    }
  }
  if (extra) {
    if (sm.poolR > 0) {
      const top = new TopK(sm.poolR);
      for (let d = 0; d < n; d++) if (out[d]! > top.threshold) top.push(d, out[d]!);
      const keep = top.sorted().map((h) => h.label);
      const res = new Float32Array(n).fill(-Infinity);
      for (const d of keep) res[d] = out[d]! + extra[d]!;
      return res;
    }
    for (let d = 0; d < n; d++) out[d]! += extra[d]!;
  }
  return out;
}

function topN(scores: Float32Array, k: number): ScoredLabel[] {
  const top = new TopK(k);
  for (let d = 0; d < scores.length; d++) if (scores[d]! > top.threshold) top.push(d, scores[d]!);
  return top.sorted().filter((h) => h.score > -Infinity);
}

/** The service's hybrid pipeline (hybridRetrieve) with the smoothed dense side; top 10 labels. */
export function runVariant(spaces: Spaces, qr: QueryRows, v: Variant): number[] {
  if (v.family === 'bm25') return qr.q.lex.slice(0, 10).map((h) => h.label);
  if (v.smooth.clauseGate && clauses(qr.q.text).length >= 2) {
    const { clauseGate, ...rest } = v.smooth;
    const gated: Variant = { ...v, fusion: { ...v.fusion, feedbackM: 0, feedbackBeta: 0 }, smooth: { ...rest, ...(clauseGate === 'both' ? { gamma: 0 } : {}) } };
    return runVariant(spaces, qr, gated);
  }
  const p = v.fusion;
  const space = spaces.get(v.smooth.space);
  const q = qr.q;
  const w = lexicalWeight(p, q.matched);
  const lexical = w > 0 ? q.lex.slice(0, p.lexicalN) : [];
  const cosOf = (): number => 0; // RRF uses ranks only
  const first = topN(denseScores(space, qr, v.smooth, [], 0), p.denseN);
  let fused: FusedCandidate[] = fuseLists(p, w, first, lexical, cosOf);
  if (p.feedbackM > 0 && p.feedbackBeta > 0 && fused.length > 0) {
    // As served: the moved query re-scores the union of the first dense list and the lexical list.
    const fb = fused.slice(0, p.feedbackM).map((c) => c.label);
    // The pool is already the re-ranked candidate set: the smoothing applies to all of it (no poolR cut).
    const moved = denseScores(space, qr, { ...v.smooth, poolR: 0 }, fb, p.feedbackBeta);
    const pool = [...new Set([...first.map((h) => h.label), ...lexical.map((h) => h.label)])];
    const second = pool.map((label, i) => ({ label, score: moved[label]!, i })).filter((h) => h.score > -Infinity).sort((a, b) => b.score - a.score || a.i - b.i);
    fused = fuseLists(p, w, second.slice(0, p.denseN).map(({ label, score: sc }) => ({ label, score: sc })), lexical, cosOf);
  }
  if (p.voteGamma > 0 && p.voteM > 0) fused = categoryVote(fused, p, (l) => String(space.cat.category[l]));
  return fused.slice(0, 10).map((c) => c.label);
}

function score(cat: StudyCatalog, q: StudyQuery, top: readonly number[]): Metrics {
  const rel = (l: number): boolean => q.expected.includes(cat.category[l]!);
  let h5 = 0;
  let h10 = 0;
  let dcg = 0;
  let rr = 0;
  top.forEach((l, r) => {
    if (!rel(l)) return;
    if (r < 5) h5++;
    h10++;
    dcg += 1 / Math.log2(r + 2);
    if (rr === 0) rr = 1 / (r + 1);
  });
  let idcg = 0;
  for (let r = 0; r < Math.min(10, q.totalRelevant); r++) idcg += 1 / Math.log2(r + 2);
  const two = q.expected.length >= 2;
  const cov = two ? q.expected.filter((c) => top.some((l) => cat.category[l] === c)).length / q.expected.length : NaN;
  return { p5: h5 / 5, p10: h10 / 10, ndcg10: idcg ? dcg / idcg : 0, mrr10: rr, cov, covN: two ? 1 : 0 };
}

function mean(ms: readonly Metrics[]): Metrics {
  const n = ms.length || 1;
  const two = ms.filter((m) => m.covN > 0);
  return {
    p5: ms.reduce((a, m) => a + m.p5, 0) / n,
    p10: ms.reduce((a, m) => a + m.p10, 0) / n,
    ndcg10: ms.reduce((a, m) => a + m.ndcg10, 0) / n,
    mrr10: ms.reduce((a, m) => a + m.mrr10, 0) / n,
    cov: two.length ? two.reduce((a, m) => a + m.cov, 0) / two.length : NaN,
    covN: two.length,
  };
}

export const objective = (m: Metrics): number => (m.p5 + m.p10) / 2;

/** Every variant on every query of a cell; per-variant mean metrics and ms per query. */
export function evaluateCell(cell: StudyCell, variants: readonly Variant[], cacheDir: string): Array<{ metrics: Metrics; ms: number; perQuery: number[] }> {
  const spaces = new Spaces(cell.catalog, path.join(cacheDir, 'study'));
  const per = variants.map(() => ({ ms: [] as Metrics[], t: 0, obj: [] as number[] }));
  for (const q of cell.queries) {
    const qr = new QueryRows(q);
    variants.forEach((v, i) => {
      const t0 = performance.now();
      const top = runVariant(spaces, qr, v);
      per[i]!.t += performance.now() - t0;
      const m = score(cell.catalog, q, top);
      per[i]!.ms.push(m);
      per[i]!.obj.push(objective(m));
    });
  }
  return per.map((p) => ({ metrics: mean(p.ms), ms: p.t / Math.max(1, cell.queries.length), perQuery: p.obj }));
}

const F = (o: Partial<FusionParams> = {}): FusionParams => ({ ...DEFAULT_FUSION, ...o });
const S = (o: Partial<Smooth> = {}): Smooth => ({ ...NO_SMOOTH, ...o });

/** The grid: baselines, then one family per candidate on top of the served hybrid rule (and of dense alone). */
export function variants(): Variant[] {
  const dense = F({ wLex: 0, feedbackM: 0, feedbackBeta: 0 });
  const noFb = F({ feedbackM: 0, feedbackBeta: 0 });
  const out: Variant[] = [
    { name: 'dense', family: 'baseline', fusion: dense, smooth: S() },
    { name: 'hybrid-nofb', family: 'baseline', fusion: noFb, smooth: S() },
    { name: 'hybrid', family: 'baseline', fusion: F(), smooth: S() },
  ];
  out.push({ name: 'bm25', family: 'bm25', fusion: dense, smooth: S() });
  out.push({ name: 'served', family: 'served', fusion: F(), smooth: S({ gamma: 0.75, poolR: 100 }) });
  for (const e of [0.1, 0.25, 0.5, 0.75, 1]) out.push({ name: `served+name e${e}`, family: 'served+name', fusion: F(), smooth: S({ gamma: 0.75, poolR: 100, eta: e }) });
  for (const e of [0.25, 0.5, 1]) out.push({ name: `hybrid+name-only e${e}`, family: 'hybrid+name', fusion: F(), smooth: S({ poolR: 100, eta: e }) });
  for (const e of [0.25, 0.5, 1]) out.push({ name: `dense+name e${e}`, family: 'dense+name', fusion: dense, smooth: S({ poolR: 100, eta: e }) });
  // Second round: the centroid term around the served rule (gamma, pool, feedback, with the vote or the neighbour term).
  for (const g of [0.5, 0.75, 1, 1.5, 2, 3])
    for (const R of [0, 100, 200]) out.push({ name: `hybrid+centroid2 g${g} R${R}`, family: 'hybrid+centroid2', fusion: F(), smooth: S({ gamma: g, poolR: R }) });
  for (const g of [0.5, 1]) {
    for (const [m, b] of [
      [5, 1],
      [2, 1],
      [3, 1],
    ] as const)
      out.push({ name: `hybrid-fb${m}b${b}+centroid g${g}`, family: `hybrid-fb+centroid`, fusion: F({ feedbackM: m, feedbackBeta: b }), smooth: S({ gamma: g }) });
    for (const w of [0.2, 0.4]) out.push({ name: `hybrid-w${w}+centroid g${g}`, family: `hybrid-w+centroid`, fusion: F({ wLex: w }), smooth: S({ gamma: g }) });
    out.push({ name: `hybrid+centroid g${g}+vote g0.5 m10`, family: 'hybrid+centroid+vote', fusion: F({ voteGamma: 0.5, voteM: 10 }), smooth: S({ gamma: g }) });
    out.push({ name: `hybrid+centroid g${g}+knn k20 a1`, family: 'hybrid+centroid+knn', fusion: F(), smooth: S({ gamma: g, alpha: 1, knnK: 20 }) });
    out.push({ name: `hybrid-nofb+centroid g${g}+knn k20 a1`, family: 'hybrid-nofb+centroid+knn', fusion: noFb, smooth: S({ gamma: g, alpha: 1, knnK: 20 }) });
  }
  for (const gate of ['feedback', 'both'] as const) out.push({ name: `hybrid+centroid g0.75 clause-gate ${gate}`, family: 'hybrid+centroid+clause-gate', fusion: F(), smooth: S({ gamma: 0.75, poolR: 100, clauseGate: gate }) });
  out.push({ name: 'hybrid clause-gate feedback', family: 'hybrid+clause-gate', fusion: F(), smooth: S({ clauseGate: 'feedback' }) });
  for (const g of [3, 4]) out.push({ name: `dense+centroid norm g${g}`, family: 'dense+centroid', fusion: dense, smooth: S({ gamma: g }) });
  for (const base of [
    { tag: 'dense', f: dense },
    { tag: 'hybrid', f: F() },
    { tag: 'hybrid-nofb', f: noFb },
  ]) {
    for (const g of [0.25, 0.5, 1, 2]) for (const kind of ['norm', 'mean'] as const) out.push({ name: `${base.tag}+centroid ${kind} g${g}`, family: `${base.tag}+centroid`, fusion: base.f, smooth: S({ gamma: g, centroid: kind }) });
    for (const k of [5, 10, 20]) for (const a of [0.5, 1, 2]) out.push({ name: `${base.tag}+knn-rerank k${k} a${a}`, family: `${base.tag}+knn-rerank`, fusion: base.f, smooth: S({ alpha: a, knnK: k }) });
    for (const k of [5, 10, 20]) for (const a of [0.5, 1, 2]) out.push({ name: `${base.tag}+knn-served k${k} a${a}`, family: `${base.tag}+knn-served`, fusion: base.f, smooth: S({ space: `knn${k}-${a}` }) });
    for (const k of [10]) for (const l of [0.25, 0.5, 1]) out.push({ name: `${base.tag}+csls k${k} l${l}`, family: `${base.tag}+csls`, fusion: base.f, smooth: S({ lambda: l, cslsK: k }) });
    for (const D of [0, 1, 3, 8]) out.push({ name: `${base.tag}+center${D}`, family: `${base.tag}+center`, fusion: base.f, smooth: S({ space: `center${D}` }) });
    for (const e of [0.3, 0.6]) out.push({ name: `${base.tag}+whiten e${e}`, family: `${base.tag}+whiten`, fusion: base.f, smooth: S({ space: `whiten-${e}` }) });
    for (const e of [0.3, 0.6]) out.push({ name: `${base.tag}+wccn e${e}`, family: `${base.tag}+wccn`, fusion: base.f, smooth: S({ space: `wccn-${e}` }) });
    for (const g of [0.25, 0.5, 1]) for (const m of [5, 10]) out.push({ name: `${base.tag}+vote g${g} m${m}`, family: `${base.tag}+vote`, fusion: { ...base.f, voteGamma: g, voteM: m }, smooth: S() });
  }
  return out;
}

/** Exact cosine search over a study catalog (the service's SearchIndex contract, no filter but `allows`). */
class StudySearch implements SearchIndex {
  constructor(private readonly cat: StudyCatalog) {}
  get dims(): number {
    return this.cat.dims;
  }
  get labelCount(): number {
    return this.cat.n;
  }
  search(query: Float32Array, req: SearchRequest): Promise<SearchResult> {
    const row = scan(this.cat.vectors, this.cat.dims, query, new Float32Array(this.cat.n));
    const top = new TopK(req.k);
    const among = req.among === undefined ? undefined : new Set(req.among);
    for (let d = 0; d < row.length; d++) if ((among === undefined || among.has(d)) && req.filter.allows(d) && row[d]! > top.threshold && (req.minScore === undefined || row[d]! >= req.minScore)) top.push(d, row[d]!);
    return Promise.resolve({ hits: top.sorted(), strategy: 'exact_scan' });
  }
  vectors(labels: readonly number[]): Promise<Array<Float32Array | undefined>> {
    return Promise.resolve(labels.map((l) => this.cat.vectors.slice(l * this.cat.dims, (l + 1) * this.cat.dims)));
  }
}

/**
 * Checks that the study's pipeline is the service's: the top 10 of `runVariant` against the
 * service's own hybridRetrieve (its feedback re-score, the service's CategoryCentroids) on the same
 * vectors and lexical index. Returns the mean top-10 overlap.
 */
export async function agreement(cell: StudyCell, v: Variant, cacheDir: string, queries = 60): Promise<number> {
  const cat = cell.catalog;
  const spaces = new Spaces(cat, path.join(cacheDir, 'study'));
  const search = new StudySearch(cat);
  const categoryOf = (l: number): string => cat.categoryNames[cat.category[l]!]!;
  const centroids = await CategoryCentroids.build(search, { labelCount: cat.n, size: cat.n, isLive: () => true, categoryOf });
  const filter: CompiledFilter = { spec: { excludeIds: [], categories: [], languages: [], includeNsfw: true }, excludedLabels: [], allows: () => true, candidates: undefined, estimatedAllowed: cat.n, bitset: (n) => new Uint8Array(Math.ceil(n / 8)).fill(255) };
  let same = 0;
  let total = 0;
  for (const q of cell.queries.slice(0, queries)) {
    const mine = runVariant(spaces, new QueryRows(q), v);
    const lexical = { size: cat.n, search: (t: string, k: number) => cat.lexical.search(t, k), queryStats: () => ({ terms: 1, matchedTerms: q.matched }) };
    const served = await hybridRetrieve({ vector: q.q, text: q.text, k: 10, ef: 100, filter, minScore: undefined }, { search, lexical, fusion: { ...v.fusion, centroidGamma: v.smooth.gamma }, categoryOf, centroids });
    const s = new Set(served.hits.map((h) => h.label));
    same += mine.filter((l) => s.has(l)).length;
    total += served.hits.length;
  }
  return total === 0 ? 1 : same / total;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const opt = (name: string, dflt: string): string => {
    const i = args.indexOf(name);
    return i >= 0 && args[i + 1] ? args[i + 1]! : dflt;
  };
  const cacheDir = opt('--cache', '.bench-cache');
  const outFile = opt('--out', 'docs/bench/short-query-study.json');
  const sets = args.includes('--sets') ? opt('--sets', '').split(',') : undefined;
  const only = args.includes('--variants') ? new RegExp(opt('--variants', '')) : undefined;
  const started = performance.now();
  await prepareIfBundled(undefined);
  const embedder = createEmbedder({ dtype: 'q8' });
  await embedder.init();
  const docVectors = opt('--doc-vectors', 'full') as DocVectors;
  if (!['full', 'segments', 'mix'].includes(docVectors)) throw new Error('--doc-vectors: full, segments or mix');
  const cells = await loadStudyCells(embedder, cacheDir, 100, sets, docVectors);
  await embedder.dispose();
  console.error(`loaded ${cells.length} cells in ${((performance.now() - started) / 1000).toFixed(0)} s`);
  if (args.includes('--check')) {
    // The study pipeline against the service's code, for the rule as served and with smoothing.
    const check = variants().filter((v) => v.name === 'hybrid' || v.name === 'hybrid+centroid2 g0.75 R100');
    for (const cell of cells) for (const v of check) console.log(`${cell.name.padEnd(26)} ${v.name.padEnd(28)} top-10 agreement with hybridRetrieve: ${(await agreement(cell, v, cacheDir)).toFixed(4)}`);
    return;
  }
  const vs = variants().filter((v) => !only || only.test(v.name));
  const results = cells.map((cell) => {
    const t0 = performance.now();
    const r = evaluateCell(cell, vs, cacheDir);
    console.error(`${cell.name}: ${cell.queries.length} queries, ${vs.length} variants in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
    return { cell: cell.name, source: cell.source, style: cell.style, queries: cell.queries.length, variants: vs.map((v, i) => ({ name: v.name, family: v.family, metrics: r[i]!.metrics, ms: r[i]!.ms, perQuery: r[i]!.perQuery })) };
  });
  mkdirSync(path.dirname(outFile), { recursive: true });
  const slim = results.map((c) => ({ ...c, variants: c.variants.map(({ perQuery: _, ...v }) => v) }));
  writeFileSync(outFile, JSON.stringify({ generatedBy: 'tools/eval/short-query-study.ts', variants: vs, cells: slim }, null, 1) + '\n');
  const perQueryFile = path.join(cacheDir, 'study', `${path.basename(outFile, '.json')}.per-query.json`);
  mkdirSync(path.dirname(perQueryFile), { recursive: true });
  writeFileSync(perQueryFile, JSON.stringify(results.map((c) => ({ cell: c.cell, variants: c.variants.map((v) => ({ name: v.name, perQuery: v.perQuery.map((x) => Math.round(x * 1000) / 1000) })) }))));
  console.error(`wrote ${outFile} in ${((performance.now() - started) / 1000).toFixed(0)} s`);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
