/** L2-normalises in place; returns undefined for a zero or non-finite norm. */
export function normalise(v: Float32Array): Float32Array | undefined {
  let sq = 0;
  for (let i = 0; i < v.length; i++) sq += v[i]! * v[i]!;
  const norm = Math.sqrt(sq);
  if (!(norm > 0) || !Number.isFinite(norm)) return undefined;
  for (let i = 0; i < v.length; i++) v[i]! /= norm;
  return v;
}

/** Largest finite float32. */
export const FLOAT32_MAX = 3.4028234663852886e38;

/**
 * Why `values` cannot be a vector (of `dims` values, when given): a non-finite value, one outside
 * the float32 range (it would become Infinity), or a zero norm once in float32. Undefined when fine.
 */
export function vectorProblem(values: ArrayLike<number>, dims?: number): string | undefined {
  if (dims !== undefined && values.length !== dims) return `vector has ${values.length} values, the index has ${dims} dimensions`;
  if (values.length === 0) return 'vector is empty';
  let sq = 0;
  for (let i = 0; i < values.length; i++) {
    const x = values[i]!;
    if (typeof x !== 'number' || !Number.isFinite(x)) return `vector[${i}] is not a finite number`;
    if (Math.abs(x) > FLOAT32_MAX) return `vector[${i}] is ${x}, outside the float32 range`;
    const f = Math.fround(x);
    sq += f * f;
  }
  if (!(sq > 0)) return 'vector has zero norm (cosine is undefined)';
  return undefined;
}

/**
 * The normalised weighted mean of some rows (weights default to 1), or undefined if it has zero
 * norm. Weights are scaled by the largest one first, so that tiny (or huge) weights that are valid
 * on their own do not underflow (or overflow) the sum; the mean is normalised in float64.
 */
export function normalisedMean(rows: readonly Float32Array[], dims: number, weights?: readonly number[]): Float32Array | undefined {
  const out = new Float64Array(dims);
  let maxWeight = 0;
  if (weights) for (const w of weights) if (w > maxWeight) maxWeight = w;
  const scale = weights && maxWeight > 0 && Number.isFinite(maxWeight) ? maxWeight : 1;
  rows.forEach((row, j) => {
    const w = (weights?.[j] ?? 1) / scale;
    for (let i = 0; i < dims; i++) out[i]! += w * row[i]!;
  });
  let sq = 0;
  for (let i = 0; i < dims; i++) sq += out[i]! * out[i]!;
  const norm = Math.sqrt(sq);
  if (!(norm > 0) || !Number.isFinite(norm)) return undefined;
  const v = new Float32Array(dims);
  for (let i = 0; i < dims; i++) v[i] = out[i]! / norm;
  return normalise(v);
}

/** Inner product of two vectors of the same length. */
export function dot(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i]! * b[i]!;
  return sum;
}
