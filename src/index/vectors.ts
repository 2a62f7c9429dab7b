/** L2-normalises in place; returns undefined for a zero or non-finite norm. */
export function normalise(v: Float32Array): Float32Array | undefined {
  let sq = 0;
  for (let i = 0; i < v.length; i++) sq += v[i]! * v[i]!;
  const norm = Math.sqrt(sq);
  if (!(norm > 0) || !Number.isFinite(norm)) return undefined;
  for (let i = 0; i < v.length; i++) v[i]! /= norm;
  return v;
}

/** The normalised weighted mean of some rows (weights default to 1), or undefined if it has zero norm. */
export function normalisedMean(rows: readonly Float32Array[], dims: number, weights?: readonly number[]): Float32Array | undefined {
  const out = new Float64Array(dims);
  rows.forEach((row, j) => {
    const w = weights?.[j] ?? 1;
    for (let i = 0; i < dims; i++) out[i]! += w * row[i]!;
  });
  return normalise(Float32Array.from(out));
}

/** Inner product of two vectors of the same length. */
export function dot(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i]! * b[i]!;
  return sum;
}
