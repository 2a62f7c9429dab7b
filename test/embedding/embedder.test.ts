/**
 * @jest-environment ./test/support/onnx-environment.js
 */
import path from 'node:path';
import { createEmbedder, DEFAULT_MODEL_ID, ModelError, type Embedder } from '../../src/embedding';
import { defaultModelsDir } from '../../src/embedding/paths';
import { cosine } from './helpers';

describe('createEmbedder (bundled USE-lite)', () => {
  let q8: Embedder;

  beforeAll(async () => {
    q8 = createEmbedder({ batchSize: 4 });
    await q8.init();
  });
  afterAll(async () => {
    await q8.dispose();
  });

  it('describes the loaded model', () => {
    expect(q8.modelId).toBe(DEFAULT_MODEL_ID);
    expect(q8.dims).toBe(512);
    expect(q8.revision).toMatch(/^q8:[0-9a-f]{16}$/);
  });

  it('returns [] for no texts', async () => {
    await expect(q8.embed([])).resolves.toEqual([]);
  });

  // q8 quantises activations per batch (dynamic per-tensor scale), so a vector depends very
  // slightly on its batch mates; fp32 batch invariance is checked in parity.test.ts.
  it('returns unit vectors in input order regardless of length-sorted batching', async () => {
    const texts = ['a much longer sentence about cooking pasta with friends on a sunday', 'hi', 'guitar lessons', 'x', 'the stock market today', 'cats'];
    const batched = await q8.embed(texts);
    expect(batched).toHaveLength(texts.length);
    for (let i = 0; i < texts.length; i++) {
      const [single] = await q8.embed([texts[i]!]);
      expect(batched[i]).toHaveLength(512);
      expect(cosine(batched[i]!, single!)).toBeGreaterThan(0.999);
      expect(Math.hypot(...batched[i]!)).toBeCloseTo(1, 4);
    }
  });

  it('embeds duplicates and empty strings', async () => {
    const [a, b, e] = await q8.embed(['same text', 'same text', '']);
    expect(cosine(a!, b!)).toBeGreaterThan(0.99999);
    expect(e).toHaveLength(512);
    expect(Number.isFinite(e![0])).toBe(true);
  });

  it('stops between batches when the signal is aborted', async () => {
    const ac = new AbortController();
    ac.abort(new Error('client went away'));
    await expect(q8.embed(['one', 'two'], ac.signal)).rejects.toThrow('client went away');
  });

  it('round-trips modelId + dtype through createEmbedder, and loads a local directory path', async () => {
    const again = createEmbedder({ model: q8.modelId, dtype: 'q8' });
    const dir = createEmbedder({ model: path.join(defaultModelsDir(), 'creator-match', 'use-lite'), dtype: 'q8' });
    try {
      const [x] = await q8.embed(['round trip']);
      const [y] = await again.embed(['round trip']);
      const [z] = await dir.embed(['round trip']);
      expect(again.revision).toBe(q8.revision);
      expect(dir.modelId).toBe(path.join(defaultModelsDir(), 'creator-match', 'use-lite'));
      expect(cosine(x!, y!)).toBeGreaterThan(0.99999);
      expect(cosine(x!, z!)).toBeGreaterThan(0.99999);
    } finally {
      await again.dispose();
      await dir.dispose();
    }
  });

  it('dispose is idempotent and embed afterwards fails clearly', async () => {
    const e = createEmbedder({ dtype: 'fp32' });
    await e.init();
    expect(e.revision).toMatch(/^fp32:[0-9a-f]{16}$/);
    await e.dispose();
    await e.dispose();
    await expect(e.embed(['x'])).rejects.toMatchObject({ code: 'EMBEDDER_NOT_READY' });
  });
});

describe('createEmbedder errors', () => {
  it('rejects a hub id that is not available offline, without downloading', async () => {
    const e = createEmbedder({ model: 'Xenova/definitely-not-here' });
    await expect(e.init()).rejects.toBeInstanceOf(ModelError);
    await expect(e.init()).rejects.toMatchObject({ code: 'MODEL_NOT_FOUND' });
  });

  it('rejects a missing local directory', async () => {
    await expect(createEmbedder({ model: '/nonexistent/model/dir' }).init()).rejects.toMatchObject({ code: 'MODEL_NOT_FOUND' });
  });

  it('rejects an invalid dtype or batch size', () => {
    expect(() => createEmbedder({ dtype: 'fp16' as never })).toThrow(RangeError);
    expect(() => createEmbedder({ batchSize: 0 })).toThrow(RangeError);
    expect(() => createEmbedder({ threads: 0 })).toThrow(RangeError);
  });
});
