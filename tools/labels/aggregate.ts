/**
 * Aggregating crowd ratings (pure functions, no I/O): majority vote, Dawid–Skene EM, Fleiss'
 * kappa, rater accuracy on gold items. Grades are integers 0 … K−1 (K = 3 here: 0 not relevant,
 * 1 somewhat, 2 very relevant).
 */

export interface Rating {
  item: string;
  rater: string;
  grade: number;
}

/** Ratings per item: counts n[item][grade]. */
export function countsByItem(ratings: readonly Rating[], classes: number): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const r of ratings) {
    let c = out.get(r.item);
    if (!c) out.set(r.item, (c = new Array<number>(classes).fill(0)));
    c[r.grade]!++;
  }
  return out;
}

/**
 * Majority vote per item. A tie is broken towards the tied grade nearest the item's mean rating,
 * and then towards the lower grade (ordinal grades: a 0-vs-2 tie with a mean of 1 gives the lower
 * of the two, 0, rather than a grade nobody gave).
 */
export function majorityVote(counts: ReadonlyMap<string, readonly number[]>): Map<string, { grade: number; agreement: number; ratings: number }> {
  const out = new Map<string, { grade: number; agreement: number; ratings: number }>();
  for (const [item, c] of counts) {
    const n = c.reduce((a, b) => a + b, 0);
    if (n === 0) continue;
    const mean = c.reduce((s, x, g) => s + x * g, 0) / n;
    const top = Math.max(...c);
    let best = -1;
    for (let g = 0; g < c.length; g++) {
      if (c[g] !== top) continue;
      if (best < 0 || Math.abs(g - mean) < Math.abs(best - mean) - 1e-12) best = g;
    }
    out.set(item, { grade: best, agreement: top / n, ratings: n });
  }
  return out;
}

export interface FleissKappa {
  kappa: number;
  /** Mean observed agreement P̄ and chance agreement P̄e. */
  observed: number;
  expected: number;
  /** Items with at least two ratings (the only ones that count). */
  items: number;
  /** Share of all ratings in each grade (p_j). */
  proportions: number[];
}

/**
 * Fleiss' kappa over items with at least two ratings: κ = (P̄ − P̄e) / (1 − P̄e) with
 * P_i = (Σ_j n_ij² − n_i) / (n_i (n_i − 1)), P̄ their mean, p_j = Σ_i n_ij / Σ_i n_i and
 * P̄e = Σ_j p_j². With the same number of raters per item this is Fleiss (1971); with varying
 * numbers it is the usual generalisation (each item's P_i over its own n_i). NaN when P̄e = 1
 * (everyone always gave the same grade).
 */
export function fleissKappa(counts: ReadonlyMap<string, readonly number[]> | ReadonlyArray<readonly number[]>, classes?: number): FleissKappa {
  const all0: ReadonlyArray<readonly number[]> = Array.isArray(counts) ? counts : [...(counts as ReadonlyMap<string, readonly number[]>).values()];
  const rows = all0.filter((c) => c.reduce((a, b) => a + b, 0) >= 2);
  const k = classes ?? rows[0]?.length ?? 0;
  const totals = new Array<number>(k).fill(0);
  let all = 0;
  let sumP = 0;
  for (const c of rows) {
    const n = c.reduce((a, b) => a + b, 0);
    let sq = 0;
    c.forEach((x, j) => {
      sq += x * x;
      totals[j]! += x;
    });
    all += n;
    sumP += (sq - n) / (n * (n - 1));
  }
  const proportions = totals.map((t) => (all ? t / all : 0));
  const observed = rows.length ? sumP / rows.length : NaN;
  const expected = proportions.reduce((s, p) => s + p * p, 0);
  return { kappa: (observed - expected) / (1 - expected), observed, expected, items: rows.length, proportions };
}

export interface DawidSkeneResult {
  /** Item → posterior over grades. */
  posteriors: Map<string, number[]>;
  /** Grade priors. */
  priors: number[];
  /** Rater → confusion matrix [true grade][given grade] (rows sum to 1). */
  confusion: Map<string, number[][]>;
  iterations: number;
  converged: boolean;
  logLikelihood: number;
}

export interface DawidSkeneOptions {
  classes: number;
  maxIterations?: number;
  /** Stop when no posterior moves by more than this (default 1e-6). */
  tolerance?: number;
  /** … or when the log-likelihood rises by less than this share of its size (default 1e-6). */
  relativeLogLikelihoodTolerance?: number;
  /** Added to every confusion count (0: the classic maximum-likelihood estimate). */
  smoothing?: number;
  /** Start from majority-vote proportions (default) or from given posteriors. */
  init?: Map<string, number[]>;
}

/**
 * Dawid & Skene (1979) EM. Initialised with each item's vote proportions. M-step: priors
 * p_k = mean_i T_ik; confusion π_j[k][l] = (Σ_i T_ik n_ijl + s) / (Σ_l' Σ_i T_ik n_ijl' + K s).
 * E-step: T_ik ∝ p_k Π_j Π_l π_j[k][l]^n_ijl (in logs). Repeats M then E until the posteriors move
 * by less than `tolerance` or the log-likelihood stops rising (EM can drift for hundreds of
 * iterations along a nearly flat likelihood when a grade is barely used).
 */
export function dawidSkene(ratings: readonly Rating[], opts: DawidSkeneOptions): DawidSkeneResult {
  const K = opts.classes;
  const maxIterations = opts.maxIterations ?? 200;
  const tolerance = opts.tolerance ?? 1e-6;
  const llTolerance = opts.relativeLogLikelihoodTolerance ?? 1e-6;
  const s = opts.smoothing ?? 0;
  const items = [...new Set(ratings.map((r) => r.item))];
  const raters = [...new Set(ratings.map((r) => r.rater))];
  const byItem = new Map<string, Rating[]>();
  for (const r of ratings) {
    let list = byItem.get(r.item);
    if (!list) byItem.set(r.item, (list = []));
    list.push(r);
  }
  let T = new Map<string, number[]>();
  if (opts.init) T = new Map([...opts.init].map(([k, v]) => [k, [...v]]));
  else {
    for (const [item, c] of countsByItem(ratings, K)) {
      const n = c.reduce((a, b) => a + b, 0);
      T.set(item, c.map((x) => x / n));
    }
  }
  let priors = new Array<number>(K).fill(1 / K);
  let confusion = new Map<string, number[][]>();
  let iterations = 0;
  let converged = false;
  let logLikelihood = -Infinity;
  for (; iterations < maxIterations; ) {
    iterations++;
    // M-step.
    priors = new Array<number>(K).fill(0);
    for (const item of items) T.get(item)!.forEach((t, k) => (priors[k]! += t / items.length));
    confusion = new Map(raters.map((j) => [j, Array.from({ length: K }, () => new Array<number>(K).fill(s))]));
    for (const r of ratings) {
      const t = T.get(r.item)!;
      const m = confusion.get(r.rater)!;
      for (let k = 0; k < K; k++) m[k]![r.grade]! += t[k]!;
    }
    for (const m of confusion.values()) {
      for (const row of m) {
        const sum = row.reduce((a, b) => a + b, 0);
        for (let l = 0; l < K; l++) row[l] = sum > 0 ? row[l]! / sum : 1 / K;
      }
    }
    // E-step.
    let delta = 0;
    const previous = logLikelihood;
    logLikelihood = 0;
    const next = new Map<string, number[]>();
    for (const item of items) {
      const logs = priors.map((p) => Math.log(p));
      for (const r of byItem.get(item)!) {
        const m = confusion.get(r.rater)!;
        for (let k = 0; k < K; k++) logs[k]! += Math.log(m[k]![r.grade]!);
      }
      const max = Math.max(...logs);
      const post = Number.isFinite(max) ? logs.map((l) => Math.exp(l - max)) : new Array<number>(K).fill(1);
      const z = post.reduce((a, b) => a + b, 0);
      const norm = post.map((p) => p / z);
      logLikelihood += Number.isFinite(max) ? max + Math.log(z) : -Infinity;
      const old = T.get(item)!;
      for (let k = 0; k < K; k++) delta = Math.max(delta, Math.abs(norm[k]! - old[k]!));
      next.set(item, norm);
    }
    T = next;
    if (delta < tolerance || (Number.isFinite(previous) && logLikelihood - previous < llTolerance * Math.abs(logLikelihood))) {
      converged = true;
      break;
    }
  }
  return { posteriors: T, priors, confusion, iterations, converged, logLikelihood };
}

/** argmax of a posterior (the lower grade on an exact tie). */
export function argmax(p: readonly number[]): number {
  let best = 0;
  for (let k = 1; k < p.length; k++) if (p[k]! > p[best]! + 1e-12) best = k;
  return best;
}

export interface RaterGold {
  rater: string;
  ratings: number;
  goldRated: number;
  goldCorrect: number;
  /** goldCorrect / goldRated (null without gold items). */
  goldAccuracy: number | null;
  /** Mean |grade − gold| (null without gold items). */
  goldMeanAbsError: number | null;
  /** Dawid–Skene's estimate: Σ_k prior_k π[k][k]. */
  estimatedAccuracy: number | null;
}

export function raterReport(ratings: readonly Rating[], gold: ReadonlyMap<string, number>, ds?: DawidSkeneResult): RaterGold[] {
  const by = new Map<string, RaterGold & { err: number }>();
  for (const r of ratings) {
    let row = by.get(r.rater);
    if (!row) by.set(r.rater, (row = { rater: r.rater, ratings: 0, goldRated: 0, goldCorrect: 0, goldAccuracy: null, goldMeanAbsError: null, estimatedAccuracy: null, err: 0 }));
    row.ratings++;
    const g = gold.get(r.item);
    if (g !== undefined) {
      row.goldRated++;
      if (g === r.grade) row.goldCorrect++;
      row.err += Math.abs(g - r.grade);
    }
  }
  return [...by.values()]
    .map(({ err, ...row }) => {
      const m = ds?.confusion.get(row.rater);
      return {
        ...row,
        goldAccuracy: row.goldRated ? row.goldCorrect / row.goldRated : null,
        goldMeanAbsError: row.goldRated ? err / row.goldRated : null,
        estimatedAccuracy: m && ds ? ds.priors.reduce((s, p, k) => s + p * m[k]![k]!, 0) : null,
      };
    })
    .sort((a, b) => (a.rater < b.rater ? -1 : a.rater > b.rater ? 1 : 0));
}
