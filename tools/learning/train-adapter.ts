/**
 * Training a query-side adapter on top of the frozen encoder (docs/LEARNING.md, "Training").
 *
 * Model: q' = normalise((I + U·Vᵀ) q), U and V of d × r. The creator vectors c (the index's
 * vectors.f32) are fixed. Scores are s = q'·c / τ.
 *
 * Loss: multi-positive InfoNCE per query group g (one fan, one query) with positives P_g
 * (weights w_p) and negatives N_g = the other groups' positives in the batch (in-batch
 * negatives) plus g's own hard negatives (shown above a positive and ignored), minus anything
 * that is a positive of the same fan or a creator the query excludes (its liked creators):
 *
 *   L = Σ_g Σ_{p ∈ P_g} w_p · −log( e^{s_p} / (e^{s_p} + Σ_{n ∈ N_g} e^{s_n}) ) / Σ w  +  λ ‖U·Vᵀ‖²_F
 *
 * The penalty pulls W = I + U·Vᵀ towards the identity (the frozen encoder); ‖U·Vᵀ‖²_F is computed
 * as tr((UᵀU)(VᵀV)) with r × r matrices. Initialisation: U = 0 (so W = I exactly), V Gaussian
 * with variance 1/r. Optimiser: Adam. Every `checkSteps` steps and at the end of each epoch the
 * validation queries are ranked over the catalog (exact search) and the state with the best
 * validation NDCG@k is kept; training stops after `patience` checks without improvement (check 0
 * is the identity, so a run that never improves on validation returns the identity).
 */
import { QueryAdapter } from '../../src/index/query-adapter';
import { mulberry32 } from '../../src/util/mulberry32';

export interface TrainConfig {
  rank: number;
  epochs: number;
  /** Query groups per step. */
  batchGroups: number;
  learningRate: number;
  /** λ of the pull towards the identity. */
  l2: number;
  temperature: number;
  patience: number;
  /** Hard negatives used per group (the first ones, by position). */
  maxHardNegatives: number;
  seed: number;
  /** Cut-off of the validation metrics (NDCG@k, recall@k). */
  evalK: number;
  /** Validation ranks over at most this many creators (all when the catalog is smaller; else all judged creators plus a seeded sample). */
  maxEvalCandidates: number;
  /** Minimum validation NDCG gain over the best so far that counts as an improvement. */
  minDelta: number;
  /** Validate every this many steps (and at the end of each epoch); patience counts these checks. */
  checkSteps: number;
  /**
   * What a check compares: `loss`, the InfoNCE loss of the validation groups (lower is better;
   * their positives against the other validation positives and their hard negatives), or `ndcg`,
   * NDCG@k of ranking the whole catalog against the validation fans' positives. The NDCG of
   * logged engagement favours the model that chose what was shown (exposure bias, see
   * docs/LEARNING.md); the loss compares positives with other fans' positives only.
   */
  earlyStopping: 'loss' | 'ndcg';
}

export const DEFAULT_TRAIN_CONFIG: TrainConfig = {
  rank: 32,
  epochs: 10,
  batchGroups: 64,
  learningRate: 0.003,
  l2: 0.01,
  temperature: 0.05,
  patience: 4,
  maxHardNegatives: 8,
  seed: 1,
  evalK: 10,
  maxEvalCandidates: 20_000,
  minDelta: 1e-3,
  checkSteps: 100,
  earlyStopping: 'loss',
};

/** One training query group, in labels. */
export interface TrainGroup {
  /** L2-normalised query vector of the frozen encoder (d). */
  query: Float32Array;
  /** Fan index: positives of the same fan are never negatives of each other. */
  fan: number;
  positives: ReadonlyArray<{ label: number; weight: number }>;
  hardNegatives: readonly number[];
  /** Never scored (liked creators of a like query). */
  exclude: readonly number[];
}

/** One validation query: its vector, graded judgments (label → grade ≥ 1), excluded labels. */
export interface EvalQuery {
  query: Float32Array;
  grades: ReadonlyMap<number, number>;
  exclude: readonly number[];
}

export interface TrainData {
  dims: number;
  count: number;
  /** count × dims, row-major, normalised. */
  vectors: Float32Array;
  train: readonly TrainGroup[];
  validation: readonly EvalQuery[];
  /** Validation pairs as groups, for the validation loss (early stopping on `loss`). */
  validationGroups?: readonly TrainGroup[];
}

export interface EvalFigures {
  ndcg: number;
  recall: number;
  mrr: number;
  queries: number;
  /** Validation InfoNCE loss (when validation groups are given). */
  loss?: number;
}

export interface EpochStats {
  /** Epochs done at this check (fractional within an epoch: 1.25 = a quarter into epoch 2). */
  epoch: number;
  loss: number;
  penalty: number;
  validation: EvalFigures;
  seconds: number;
  improved: boolean;
}

export interface TrainHooks {
  onEpochStart?(epoch: number, steps: number): void;
  onStep?(step: number): void;
  /** `current()` gives the adapter as it is after this epoch (for diagnostics). */
  onEpochEnd?(stats: EpochStats, current: () => QueryAdapter): void;
}

export interface TrainResult {
  adapter: QueryAdapter;
  /** Epoch kept (0 = identity: nothing beat the frozen encoder on validation). */
  bestEpoch: number;
  before: EvalFigures;
  after: EvalFigures;
  history: EpochStats[];
  seconds: number;
  positives: number;
  groups: number;
}

/** z = q + U·(Vᵀq); returns the unnormalised z in `z` and a = Vᵀq in `a`. */
function forward(q: Float32Array, u: Float64Array, v: Float64Array, d: number, r: number, a: Float64Array, z: Float64Array): void {
  a.fill(0);
  for (let i = 0; i < d; i++) {
    const qi = q[i]!;
    const o = i * r;
    for (let j = 0; j < r; j++) a[j]! += v[o + j]! * qi;
  }
  for (let i = 0; i < d; i++) {
    const o = i * r;
    let s = q[i]!;
    for (let j = 0; j < r; j++) s += u[o + j]! * a[j]!;
    z[i] = s;
  }
}

function dotRow(z: Float64Array, c: Float32Array, off: number, d: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let i = 0;
  for (; i + 3 < d; i += 4) {
    s0 += z[i]! * c[off + i]!;
    s1 += z[i + 1]! * c[off + i + 1]!;
    s2 += z[i + 2]! * c[off + i + 2]!;
    s3 += z[i + 3]! * c[off + i + 3]!;
  }
  for (; i < d; i++) s0 += z[i]! * c[off + i]!;
  return s0 + s1 + s2 + s3;
}

/** Ranking figures of the adapter (U, V) on evaluation queries; graded gains 2^g − 1. */
export function evaluateQueries(data: Pick<TrainData, 'dims' | 'count' | 'vectors'>, queries: readonly EvalQuery[], u: Float64Array, v: Float64Array, r: number, k: number, candidates?: readonly number[]): EvalFigures {
  const d = data.dims;
  const a = new Float64Array(r);
  const z = new Float64Array(d);
  let ndcg = 0;
  let recall = 0;
  let mrr = 0;
  const topL = new Int32Array(k);
  const topS = new Float64Array(k);
  for (const eq of queries) {
    forward(eq.query, u, v, d, r, a, z);
    const excluded = new Set(eq.exclude);
    let n = 0;
    const consider = (label: number): void => {
      if (excluded.has(label)) return;
      const s = dotRow(z, data.vectors, label * d, d);
      if (n < k) {
        let i = n++;
        while (i > 0 && topS[i - 1]! < s) {
          topS[i] = topS[i - 1]!;
          topL[i] = topL[i - 1]!;
          i--;
        }
        topS[i] = s;
        topL[i] = label;
      } else if (s > topS[k - 1]!) {
        let i = k - 1;
        while (i > 0 && topS[i - 1]! < s) {
          topS[i] = topS[i - 1]!;
          topL[i] = topL[i - 1]!;
          i--;
        }
        topS[i] = s;
        topL[i] = label;
      }
    };
    if (candidates) for (const l of candidates) consider(l);
    else for (let l = 0; l < data.count; l++) consider(l);
    let dcg = 0;
    let hits = 0;
    let first = 0;
    for (let i = 0; i < n; i++) {
      const g = eq.grades.get(topL[i]!) ?? 0;
      if (g > 0) {
        hits++;
        if (first === 0) first = i + 1;
        dcg += (2 ** g - 1) / Math.log2(i + 2);
      }
    }
    const ideal = [...eq.grades.values()]
      .filter((g) => g > 0)
      .sort((x, y) => y - x)
      .slice(0, k);
    const idcg = ideal.reduce((s, g, i) => s + (2 ** g - 1) / Math.log2(i + 2), 0);
    ndcg += idcg > 0 ? dcg / idcg : 0;
    const judged = [...eq.grades.values()].filter((g) => g > 0).length;
    recall += judged > 0 ? hits / judged : 0;
    mrr += first > 0 ? 1 / first : 0;
  }
  const m = Math.max(1, queries.length);
  return { ndcg: ndcg / m, recall: recall / m, mrr: mrr / m, queries: queries.length };
}

export function trainAdapter(data: TrainData, config: Partial<TrainConfig> = {}, hooks: TrainHooks = {}): TrainResult {
  const cfg = { ...DEFAULT_TRAIN_CONFIG, ...config };
  const d = data.dims;
  const r = cfg.rank;
  if (!Number.isInteger(r) || r < 1 || r > d) throw new Error(`rank must be an integer in 1..${d}, got ${r}`);
  if (data.vectors.length !== data.count * d) throw new Error(`vectors hold ${data.vectors.length} floats, expected ${data.count} x ${d}`);
  const groups = data.train.filter((g) => g.positives.length > 0);
  if (groups.length === 0) throw new Error('no training query has a positive');
  const t0 = performance.now();
  const rand = mulberry32(cfg.seed >>> 0);
  const gauss = (): number => Math.sqrt(-2 * Math.log(Math.max(rand(), 1e-12))) * Math.cos(2 * Math.PI * rand());

  const u = new Float64Array(d * r);
  const v = new Float64Array(d * r);
  for (let i = 0; i < v.length; i++) v[i] = gauss() / Math.sqrt(r);
  const gu = new Float64Array(d * r);
  const gv = new Float64Array(d * r);
  const adam = { mu: new Float64Array(d * r), vu: new Float64Array(d * r), mv: new Float64Array(d * r), vv: new Float64Array(d * r), t: 0 };
  const beta1 = 0.9;
  const beta2 = 0.999;
  const eps = 1e-8;

  // Validation candidates: the whole catalog, or judged creators plus a seeded sample.
  let candidates: number[] | undefined;
  if (data.count > cfg.maxEvalCandidates) {
    const set = new Set<number>();
    for (const q of data.validation) for (const l of q.grades.keys()) set.add(l);
    const sampler = mulberry32((cfg.seed ^ 0x9e3779b9) >>> 0);
    while (set.size < Math.min(data.count, cfg.maxEvalCandidates)) set.add(Math.floor(sampler() * data.count));
    candidates = [...set].sort((x, y) => x - y);
  }
  const valGroups = (data.validationGroups ?? []).filter((g) => g.positives.length > 0);
  if (cfg.earlyStopping === 'loss' && valGroups.length === 0) throw new Error('early stopping on the validation loss needs validation groups with positives');
  const valFanPositives = new Map<number, Set<number>>();
  for (const g of valGroups) {
    let s = valFanPositives.get(g.fan);
    if (!s) valFanPositives.set(g.fan, (s = new Set()));
    for (const p of g.positives) s.add(p.label);
  }
  const scratchU = new Float64Array(d * r);
  const scratchV = new Float64Array(d * r);
  const valLoss = (): number => {
    let loss = 0;
    let weight = 0;
    const B = Math.max(1, cfg.batchGroups);
    for (let i = 0; i < valGroups.length; i += B) {
      const part = batchLossAndGradient(data.vectors, d, r, valGroups.slice(i, i + B), u, v, valFanPositives, cfg, scratchU, scratchV);
      loss += part.loss;
      weight += part.weight;
    }
    return weight > 0 ? loss / weight : 0;
  };
  const validate = (): EvalFigures => ({ ...evaluateQueries(data, data.validation, u, v, r, cfg.evalK, candidates), ...(valGroups.length ? { loss: valLoss() } : {}) });
  /** Higher is better. */
  const score = (f: EvalFigures): number => (cfg.earlyStopping === 'loss' ? -(f.loss ?? 0) : f.ndcg);

  // Positives of each fan (across its groups) are never negatives of that fan.
  const fanPositives = new Map<number, Set<number>>();
  for (const g of groups) {
    let s = fanPositives.get(g.fan);
    if (!s) fanPositives.set(g.fan, (s = new Set()));
    for (const p of g.positives) s.add(p.label);
  }
  const positives = groups.reduce((n, g) => n + g.positives.length, 0);

  const before = validate();
  const history: EpochStats[] = [{ epoch: 0, loss: NaN, penalty: 0, validation: before, seconds: (performance.now() - t0) / 1000, improved: true }];
  const snapshot = (): QueryAdapter => QueryAdapter.fromFactors(d, r, Float32Array.from(u), Float32Array.from(v));
  hooks.onEpochEnd?.(history[0]!, snapshot);
  let best = { epoch: 0, score: score(before), u: Float64Array.from(u), v: Float64Array.from(v), figures: before };
  let sinceBest = 0;

  const order = groups.map((_, i) => i);
  const B = Math.max(1, cfg.batchGroups);
  const work = workFor(B, d, r);
  const uu = new Float64Array(r * r);
  const vvm = new Float64Array(r * r);

  let stop = false;
  for (let epoch = 1; epoch <= cfg.epochs && !stop; epoch++) {
    let te = performance.now();
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    const steps = Math.ceil(order.length / B);
    hooks.onEpochStart?.(epoch, steps);
    let lossSum = 0;
    let weightSum = 0;
    let penalty = 0;
    for (let step = 0; step < steps && !stop; step++) {
      const batch = order.slice(step * B, (step + 1) * B).map((i) => groups[i]!);
      const { loss, weight } = batchLossAndGradient(data.vectors, d, r, batch, u, v, fanPositives, cfg, gu, gv, work);
      lossSum += loss;
      weightSum += weight;
      // Penalty λ‖UVᵀ‖² = λ tr((UᵀU)(VᵀV)); gradients 2λ U (VᵀV) and 2λ V (UᵀU).
      if (cfg.l2 > 0) {
        gram(u, d, r, uu);
        gram(v, d, r, vvm);
        let tr = 0;
        for (let i = 0; i < r * r; i++) tr += uu[i]! * vvm[i]!;
        penalty = cfg.l2 * tr;
        const c = 2 * cfg.l2;
        for (let i = 0; i < d; i++) {
          const o = i * r;
          for (let j = 0; j < r; j++) {
            let su = 0;
            let sv = 0;
            for (let k = 0; k < r; k++) {
              su += u[o + k]! * vvm[k * r + j]!;
              sv += v[o + k]! * uu[k * r + j]!;
            }
            gu[o + j]! += c * su;
            gv[o + j]! += c * sv;
          }
        }
      }
      // Adam.
      adam.t++;
      const bc1 = 1 - beta1 ** adam.t;
      const bc2 = 1 - beta2 ** adam.t;
      const lr = cfg.learningRate;
      for (let i = 0; i < u.length; i++) {
        const g1 = gu[i]!;
        adam.mu[i] = beta1 * adam.mu[i]! + (1 - beta1) * g1;
        adam.vu[i] = beta2 * adam.vu[i]! + (1 - beta2) * g1 * g1;
        u[i]! -= (lr * (adam.mu[i]! / bc1)) / (Math.sqrt(adam.vu[i]! / bc2) + eps);
        const g2 = gv[i]!;
        adam.mv[i] = beta1 * adam.mv[i]! + (1 - beta1) * g2;
        adam.vv[i] = beta2 * adam.vv[i]! + (1 - beta2) * g2 * g2;
        v[i]! -= (lr * (adam.mv[i]! / bc1)) / (Math.sqrt(adam.vv[i]! / bc2) + eps);
      }
      hooks.onStep?.(step + 1);
      // A check: every checkSteps steps and at the end of the epoch.
      const every = Math.max(1, cfg.checkSteps);
      if (step !== steps - 1 && ((step + 1) % every !== 0 || steps - (step + 1) < every / 2)) continue;
      for (let i = 0; i < u.length; i++) {
        if (!Number.isFinite(u[i]!) || !Number.isFinite(v[i]!)) throw new Error(`training diverged in epoch ${epoch} (non-finite weights); lower --learning-rate`);
      }
      const at = Math.round((epoch - 1 + (step + 1) / steps) * 100) / 100;
      const figures = validate();
      const improved = score(figures) > best.score + cfg.minDelta;
      const stats: EpochStats = { epoch: at, loss: lossSum / Math.max(weightSum, 1e-12), penalty, validation: figures, seconds: (performance.now() - te) / 1000, improved };
      history.push(stats);
      hooks.onEpochEnd?.(stats, snapshot);
      lossSum = 0;
      weightSum = 0;
      te = performance.now();
      if (improved) {
        best = { epoch: at, score: score(figures), u: Float64Array.from(u), v: Float64Array.from(v), figures };
        sinceBest = 0;
      } else if (++sinceBest >= cfg.patience) stop = true;
    }
  }
  const adapter =
    best.epoch === 0
      ? QueryAdapter.fromFactors(d, r, new Float32Array(d * r), Float32Array.from(best.v))
      : QueryAdapter.fromFactors(d, r, Float32Array.from(best.u), Float32Array.from(best.v));
  return { adapter, bestEpoch: best.epoch, before, after: best.figures, history, seconds: (performance.now() - t0) / 1000, positives, groups: groups.length };
}

/** Scratch space of batchLossAndGradient, sized for a batch of `groups` queries. */
export interface Work {
  a: Float64Array;
  z: Float64Array;
  zn: Float64Array;
  norms: Float64Array;
  gz: Float64Array;
  ga: Float64Array;
}

export function workFor(groups: number, d: number, r: number): Work {
  return { a: new Float64Array(groups * r), z: new Float64Array(groups * d), zn: new Float64Array(groups * d), norms: new Float64Array(groups), gz: new Float64Array(d), ga: new Float64Array(r) };
}

/**
 * The InfoNCE loss of one batch (Σ w·L, before dividing by Σ w) and, into gu / gv (zeroed here),
 * the gradient of the batch's mean loss Σ w·L / Σ w with respect to U and V. No penalty term.
 */
export function batchLossAndGradient(
  vectors: Float32Array,
  d: number,
  r: number,
  batch: readonly TrainGroup[],
  u: Float64Array,
  v: Float64Array,
  fanPositives: ReadonlyMap<number, ReadonlySet<number>>,
  cfg: Pick<TrainConfig, 'temperature' | 'maxHardNegatives'>,
  gu: Float64Array,
  gv: Float64Array,
  work: Work = workFor(batch.length, d, r),
): { loss: number; weight: number } {
  const { a, z, zn, norms, gz, ga } = work;
  const data = { vectors };
  const invTau = 1 / cfg.temperature;
  let lossSum = 0;
  gu.fill(0);
  gv.fill(0);
  // Forward: adapted, normalised queries.
  batch.forEach((g, b) => {
    const ab = a.subarray(b * r, (b + 1) * r);
    const zb = z.subarray(b * d, (b + 1) * d);
    forward(g.query, u, v, d, r, ab, zb);
    let sq = 0;
    for (let i = 0; i < d; i++) sq += zb[i]! * zb[i]!;
    const n = Math.sqrt(sq) || 1;
    norms[b] = n;
    for (let i = 0; i < d; i++) zn[b * d + i] = zb[i]! / n;
  });
  // The batch's pool of in-batch negatives: every group's positives.
  const pool = [...new Set(batch.flatMap((g) => g.positives.map((p) => p.label)))];
  let batchWeight = 0;
  for (const g of batch) for (const p of g.positives) batchWeight += p.weight;
  batch.forEach((g, b) => {
    const zb = zn.subarray(b * d, (b + 1) * d);
    const own = fanPositives.get(g.fan) ?? new Set<number>();
    const excluded = new Set(g.exclude);
    // Negatives: pool minus the fan's positives and exclusions, plus own hard negatives.
    const negs: number[] = [];
    for (const l of pool) if (!own.has(l) && !excluded.has(l)) negs.push(l);
    const inPool = new Set(negs);
    let h = 0;
    for (const l of g.hardNegatives) {
      if (h >= cfg.maxHardNegatives) break;
      if (own.has(l) || excluded.has(l) || inPool.has(l)) continue;
      negs.push(l);
      inPool.add(l);
      h++;
    }
    const posS = g.positives.map((p) => dotRow(zb, data.vectors, p.label * d, d) * invTau);
    const negS = negs.map((l) => dotRow(zb, data.vectors, l * d, d) * invTau);
    let m = -Infinity;
    for (const s of posS) m = Math.max(m, s);
    for (const s of negS) m = Math.max(m, s);
    let eNeg = 0;
    const negE = negS.map((s) => Math.exp(s - m));
    for (const e of negE) eNeg += e;
    // Coefficients of dL/ds: positive p gets w(π_p − 1), negative n gets e_n Σ_p w/denom_p.
    gz.fill(0);
    let negCoef = 0;
    g.positives.forEach((p, i) => {
      const ep = Math.exp(posS[i]! - m);
      const denom = ep + eNeg;
      lossSum += p.weight * (Math.log(denom) - (posS[i]! - m));
      const c = (p.weight * (ep / denom - 1)) / batchWeight;
      const off = p.label * d;
      for (let k = 0; k < d; k++) gz[k]! += c * data.vectors[off + k]!;
      negCoef += p.weight / denom;
    });
    negCoef /= batchWeight;
    negs.forEach((l, i) => {
      const c = negE[i]! * negCoef;
      if (c < 1e-12) return;
      const off = l * d;
      for (let k = 0; k < d; k++) gz[k]! += c * data.vectors[off + k]!;
    });
    // Back through s = ẑ·c/τ, the normalisation and z = q + U·a.
    let proj = 0;
    for (let k = 0; k < d; k++) proj += gz[k]! * zb[k]!;
    const scale = invTau / norms[b]!;
    for (let k = 0; k < d; k++) gz[k] = (gz[k]! - zb[k]! * proj) * scale;
    const ab = a.subarray(b * r, (b + 1) * r);
    ga.fill(0);
    for (let i = 0; i < d; i++) {
      const gi = gz[i]!;
      const o = i * r;
      for (let j = 0; j < r; j++) {
        gu[o + j]! += gi * ab[j]!;
        ga[j]! += u[o + j]! * gi;
      }
    }
    const q = g.query;
    for (let i = 0; i < d; i++) {
      const qi = q[i]!;
      const o = i * r;
      for (let j = 0; j < r; j++) gv[o + j]! += qi * ga[j]!;
    }
  });
  return { loss: lossSum, weight: batchWeight };
}

/** G = MᵀM for M of d × r (row-major) into out (r × r). */
function gram(m: Float64Array, d: number, r: number, out: Float64Array): void {
  out.fill(0);
  for (let i = 0; i < d; i++) {
    const o = i * r;
    for (let j = 0; j < r; j++) {
      const x = m[o + j]!;
      if (x === 0) continue;
      for (let k = 0; k < r; k++) out[j * r + k]! += x * m[o + k]!;
    }
  }
}
