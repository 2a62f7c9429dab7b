/**
 * Ranking metrics over one ranked list and a set of graded relevance judgments.
 *
 * Pure functions with no I/O, shared by the offline evaluation (`npm run eval`), the builder's
 * release gate, and anything online that needs the same numbers (A/B comparisons, recall
 * monitors). Gains are non-negative numbers: binary judgments use 1, graded ones any value > 0.
 */

/** Relevance judgments for one query: creator id → gain (> 0). Missing ids have gain 0. */
export type Judgments = ReadonlyMap<string, number>;

/** Gain of a graded judgment for NDCG: 2^grade − 1 (grade 0 → 0, 1 → 1, 2 → 3). */
export const gradedGain = (grade: number): number => 2 ** grade - 1;

/**
 * Judgments from grades (0 = not relevant, 1 = somewhat, 2 = very, …) with gains 2^g − 1;
 * grade-0 creators are left out (gain 0). `keep` drops creators the request could not return.
 */
export function gradedJudgments(grades: ReadonlyMap<string, number>, keep: (creatorId: string) => boolean = () => true): Judgments {
  const out = new Map<string, number>();
  for (const [id, g] of grades) if (g > 0 && keep(id)) out.set(id, gradedGain(g));
  return out;
}

export interface RankingMetrics {
  precision: number;
  recall: number;
  ndcg: number;
  /** Reciprocal rank of the first relevant result within the top k (0 if none). */
  mrr: number;
}

export const METRIC_NAMES = ['precision', 'recall', 'ndcg', 'mrr'] as const satisfies ReadonlyArray<keyof RankingMetrics>;
export type MetricName = (typeof METRIC_NAMES)[number];

const gainOf = (judgments: Judgments, id: string): number => judgments.get(id) ?? 0;

/** Relevant results in the top k, divided by k (a short list still divides by k). */
export function precisionAt(ranked: readonly string[], judgments: Judgments, k: number): number {
  if (k <= 0) return 0;
  let hits = 0;
  for (const id of ranked.slice(0, k)) if (gainOf(judgments, id) > 0) hits++;
  return hits / k;
}

/** Relevant results in the top k, divided by the number of relevant creators (0 if there are none). */
export function recallAt(ranked: readonly string[], judgments: Judgments, k: number): number {
  let relevant = 0;
  for (const g of judgments.values()) if (g > 0) relevant++;
  if (relevant === 0) return 0;
  let hits = 0;
  for (const id of ranked.slice(0, k)) if (gainOf(judgments, id) > 0) hits++;
  return hits / relevant;
}

/**
 * NDCG@k with linear gains and log2 discounts: DCG = Σ gain_i / log2(i + 2) over the top k,
 * divided by the DCG of the ideal ordering of all judged creators. 0 when nothing is relevant.
 */
export function ndcgAt(ranked: readonly string[], judgments: Judgments, k: number): number {
  let dcg = 0;
  ranked.slice(0, k).forEach((id, i) => {
    dcg += gainOf(judgments, id) / Math.log2(i + 2);
  });
  const ideal = [...judgments.values()].filter((g) => g > 0).sort((a, b) => b - a).slice(0, k);
  let idcg = 0;
  ideal.forEach((g, i) => {
    idcg += g / Math.log2(i + 2);
  });
  return idcg === 0 ? 0 : dcg / idcg;
}

/** 1 / rank of the first relevant result within the top k, or 0. */
export function reciprocalRankAt(ranked: readonly string[], judgments: Judgments, k: number): number {
  const top = ranked.slice(0, k);
  const i = top.findIndex((id) => gainOf(judgments, id) > 0);
  return i < 0 ? 0 : 1 / (i + 1);
}

export function rankingMetrics(ranked: readonly string[], judgments: Judgments, k: number): RankingMetrics {
  return {
    precision: precisionAt(ranked, judgments, k),
    recall: recallAt(ranked, judgments, k),
    ndcg: ndcgAt(ranked, judgments, k),
    mrr: reciprocalRankAt(ranked, judgments, k),
  };
}

/** Share of the exact top k that an approximate top k found (ANN recall@k). */
export function overlapAt(approx: readonly string[], exact: readonly string[], k: number): number {
  const truth = exact.slice(0, k);
  if (truth.length === 0) return 1;
  const found = new Set(approx.slice(0, k));
  return truth.filter((id) => found.has(id)).length / truth.length;
}

/** Running mean of metric records (all records must have the same keys). */
export class MeanAccumulator<K extends string> {
  private readonly sums = new Map<K, number>();
  count = 0;

  add(values: Readonly<Record<K, number>>): void {
    this.count++;
    for (const [key, v] of Object.entries(values) as Array<[K, number]>) this.sums.set(key, (this.sums.get(key) ?? 0) + v);
  }

  mean(): Record<K, number> {
    const out = {} as Record<K, number>;
    for (const [key, sum] of this.sums) out[key] = this.count === 0 ? 0 : sum / this.count;
    return out;
  }
}
