import type { VectorIndex } from '../src/index/vector-index';
import type { VectorMatrix } from '../src/index/vector-matrix';
import { mulberry32 } from '../src/util/mulberry32';

export interface RecallResult {
  k: number;
  sampleSize: number;
  /** Mean fraction of the exact top-k (self excluded) that the ANN search also returned. */
  value: number;
}

/**
 * recall@k of `ann` against exact search, using a seeded sample of the indexed vectors as
 * queries. The query's own row is excluded from both result lists (it would always be found).
 */
export function measureRecall(ann: VectorIndex, matrix: VectorMatrix, opts: { k: number; sampleSize: number; ef: number; seed: number }): RecallResult {
  const n = matrix.count;
  const k = Math.min(opts.k, n - 1);
  if (k <= 0) return { k: opts.k, sampleSize: 0, value: 1 };
  const sample = sampleLabels(n, Math.min(opts.sampleSize, n), opts.seed);
  let total = 0;
  for (const label of sample) {
    const q = matrix.row(label);
    const truth = matrix.search(q, k + 1).filter((h) => h.label !== label).slice(0, k);
    const found = new Set(ann.search(q, k + 1, opts.ef).map((h) => h.label));
    total += truth.filter((h) => found.has(h.label)).length / truth.length;
  }
  return { k: opts.k, sampleSize: sample.length, value: total / sample.length };
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
