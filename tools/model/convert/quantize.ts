/**
 * Symmetric weight quantisation helpers for the int8 (q8) model.
 *
 * Matmul weights use 7 bits per column (range +-63). Reason: onnxruntime's u8s8 int8 GEMM on
 * AVX2 CPUs without VNNI multiplies pairs with `vpmaddubsw`, which saturates at int16:
 * 255*127*2 overflows, 255*63*2 does not. Full 8-bit weights measured min cosine 0.92 vs fp32
 * on such a CPU; 7-bit gives >= 0.99 (onnxruntime's own `reduce_range` option does the same).
 */
export interface QuantizedMatrix {
  readonly q: Int8Array;
  /** One scale per column (matmul weights) or per row (embedding table). */
  readonly scale: Float32Array;
}

/** Per-column symmetric quantisation of a row-major [rows, cols] matrix to +-maxQ. */
export function quantizeColumns(w: Float32Array, rows: number, cols: number, maxQ = 63): QuantizedMatrix {
  const scale = new Float32Array(cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) scale[c] = Math.max(scale[c]!, Math.abs(w[r * cols + c]!));
  }
  for (let c = 0; c < cols; c++) scale[c] = scale[c]! > 0 ? scale[c]! / maxQ : 1;
  const q = new Int8Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) q[r * cols + c] = clampRound(w[r * cols + c]! / scale[c]!, maxQ);
  }
  return { q, scale };
}

/** Per-row symmetric quantisation (for gathered tables; no integer matmul, so full 8 bits). */
export function quantizeRows(w: Float32Array, rows: number, cols: number, maxQ = 127): QuantizedMatrix {
  const scale = new Float32Array(rows);
  const q = new Int8Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    let m = 0;
    for (let c = 0; c < cols; c++) m = Math.max(m, Math.abs(w[r * cols + c]!));
    const s = m > 0 ? m / maxQ : 1;
    scale[r] = s;
    for (let c = 0; c < cols; c++) q[r * cols + c] = clampRound(w[r * cols + c]! / s, maxQ);
  }
  return { q, scale };
}

function clampRound(v: number, maxQ: number): number {
  return Math.max(-maxQ, Math.min(maxQ, Math.round(v)));
}
