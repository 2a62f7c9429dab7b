import type { VectorIndex } from '../src/index/vector-index';
import type { VectorMatrix } from '../src/index/vector-matrix';

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

/** A seeded sample of distinct labels (partial Fisher–Yates with mulberry32). */
export function sampleLabels(n: number, size: number, seed: number): number[] {
  let s = seed >>> 0;
  const rand = (): number => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const picked = new Map<number, number>();
  const out: number[] = [];
  for (let i = 0; i < size; i++) {
    const j = i + Math.floor(rand() * (n - i));
    out.push(picked.get(j) ?? j);
    picked.set(j, picked.get(i) ?? i);
  }
  return out;
}
