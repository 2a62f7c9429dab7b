import type { HnswIndex } from '../src/index/hnsw-index';
import { TopK } from '../src/index/top-k';
import type { VectorMatrix } from './vector-matrix';
import { mulberry32 } from '../src/util/mulberry32';

export interface RecallResult {
  k: number;
  sampleSize: number;
  /** Mean fraction of the exact top-k (self excluded) that the ANN search also returned. */
  value: number;
}

export interface RecallOptions {
  k: number;
  sampleSize: number;
  seed: number;
}

/** Which rows are the recall queries, and the k actually measured (at most n - 1). */
export interface RecallPlan {
  k: number;
  labels: number[];
}

/** The exact answers for a plan: neighbours[i] is the exact top-k of labels[i], itself excluded. */
export interface RecallTruth extends RecallPlan {
  neighbours: number[][];
}

/** The seeded query sample for `n` rows; k = 0 (nothing to measure) when n < 2. */
export function recallPlan(n: number, opts: RecallOptions): RecallPlan {
  const k = Math.min(opts.k, n - 1);
  if (k <= 0) return { k: 0, labels: [] };
  return { k, labels: sampleLabels(n, Math.min(opts.sampleSize, n), opts.seed) };
}

/**
 * Exact search for the plan's queries: the same scores and ties as VectorMatrix.search per query,
 * but in one pass over the rows (each row is scored against every query while it is in cache)
 * rather than one pass per query, which streamed the whole matrix from memory `sample` times.
 * This is the expensive half of the recall check (sample x n x dims); the index builder runs it on
 * its parse worker while the main thread is still inserting.
 */
export function exactTruth(matrix: VectorMatrix, plan: RecallPlan): RecallTruth {
  const queries = plan.labels.map((label) => matrix.row(label));
  const tops = plan.labels.map(() => new TopK(plan.k + 1));
  for (let label = 0; label < matrix.count; label++) {
    for (let q = 0; q < queries.length; q++) tops[q]!.push(label, matrix.dot(label, queries[q]!));
  }
  const neighbours = tops.map((top, q) =>
    top
      .sorted()
      .filter((h) => h.label !== plan.labels[q])
      .slice(0, plan.k)
      .map((h) => h.label),
  );
  return { ...plan, neighbours };
}

/**
 * The plan's exact answers from the index's own exact search over its stored vectors (on the
 * thread pool, every core, with the addon's SIMD kernel): what measureRecall uses when no truth was
 * computed ahead (text builds, publishVersion callers); 148 s → seconds at 1M creators.
 */
async function indexTruth(ann: HnswIndex, matrix: VectorMatrix, plan: RecallPlan): Promise<RecallTruth> {
  const found = await Promise.all(plan.labels.map((label) => ann.search(matrix.row(label), plan.k + 1, 0, { exact: true })));
  const neighbours = found.map((hits, q) => hits.map((h) => h.label).filter((label) => label !== plan.labels[q]).slice(0, plan.k));
  return { ...plan, neighbours };
}

/**
 * recall@k of `ann` against exact search, using a seeded sample of the indexed vectors as
 * queries. The query's own row is excluded from both result lists (it would always be found).
 * `truth`, when given, must be the exact answers for recallPlan(matrix.count, opts).
 */
export async function measureRecall(ann: HnswIndex, matrix: VectorMatrix, opts: RecallOptions & { ef: number }, truth?: RecallTruth): Promise<RecallResult> {
  const plan = recallPlan(matrix.count, opts);
  if (plan.k <= 0) return { k: opts.k, sampleSize: 0, value: 1 };
  if (truth && (truth.k !== plan.k || truth.labels.length !== plan.labels.length || truth.labels.some((l, i) => l !== plan.labels[i]))) {
    throw new Error('recall truth was computed for another sample');
  }
  const exact = truth ?? (await indexTruth(ann, matrix, plan));
  // The queries run concurrently on the thread pool (every core).
  const found = await Promise.all(exact.labels.map((label) => ann.search(matrix.row(label), plan.k + 1, opts.ef)));
  let total = 0;
  exact.labels.forEach((_, i) => {
    const want = exact.neighbours[i]!;
    const got = new Set(found[i]!.map((h) => h.label));
    total += want.filter((l) => got.has(l)).length / want.length;
  });
  return { k: opts.k, sampleSize: exact.labels.length, value: total / exact.labels.length };
}

/** A seeded sample of distinct labels (partial Fisher–Yates). */
export function sampleLabels(n: number, size: number, seed: number): number[] {
  const rand = mulberry32(seed);
  const picked = new Map<number, number>();
  const out: number[] = [];
  for (let i = 0; i < size; i++) {
    const j = i + Math.floor(rand() * (n - i));
    out.push(picked.get(j) ?? j);
    picked.set(j, picked.get(i) ?? i);
  }
  return out;
}
