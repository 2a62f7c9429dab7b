/**
 * @jest-environment ./test/support/onnx-environment.js
 */
import path from 'node:path';
import type { Worker } from 'node:worker_threads';
import { createEmbedder, ModelError, ThreadedEmbedder } from '../../src/embedding';
import { cosine, minOf } from './helpers';

jest.setTimeout(120_000);

// The service's embedder on a thread of its own (MATCH_EMBED_THREAD=worker, the default).
const texts = Array.from({ length: 12 }, (_, i) => `fan ${i} wants ${['history podcasts', 'lo-fi beats', 'indie games', 'comics'][i % 4]}`);
const threadOf = (e: ThreadedEmbedder): Worker => (e as unknown as { worker: Worker }).worker;

describe('ThreadedEmbedder', () => {
  let threaded: ThreadedEmbedder;
  beforeAll(async () => {
    threaded = new ThreadedEmbedder({ dtype: 'q8', threads: 1 });
    await threaded.init();
  });
  afterAll(() => threaded.dispose());

  it('gives what the embedder on this thread gives', async () => {
    const inline = createEmbedder({ threads: 1 });
    await inline.init();
    try {
      expect([threaded.modelId, threaded.dims, threaded.revision]).toEqual([inline.modelId, inline.dims, inline.revision]);
      const [a, b] = [await threaded.embed(texts), await inline.embed(texts)];
      expect(a).toHaveLength(texts.length);
      expect(minOf(a.map((v, i) => cosine(v, b[i]!)))).toBeGreaterThan(0.99999);
      await expect(threaded.embed([])).resolves.toEqual([]);
    } finally {
      await inline.dispose();
    }
  });

  it('a call cancelled while it waits for the thread never reaches it', async () => {
    const long = Array.from({ length: 400 }, (_, i) => `${texts[i % texts.length]!} and more words ${i}`);
    const before = threaded.posted;
    const busy = [threaded.embed(long), threaded.embed(long)]; // both places in the thread taken
    const controller = new AbortController();
    const waiting = threaded.embed(texts, controller.signal);
    controller.abort(new Error('client went away'));
    await expect(waiting).rejects.toThrow('client went away');
    await Promise.all(busy);
    expect(threaded.posted - before).toBe(2);
  });

  it('when the thread dies its calls fail, and the next call starts a new one', async () => {
    const pending = threaded.embed(Array.from({ length: 200 }, (_, i) => `text ${i}`));
    await threadOf(threaded).terminate();
    await expect(pending).rejects.toMatchObject({ code: 'EMBEDDER_NOT_READY' });
    const again = await threaded.embed(texts.slice(0, 2));
    expect(again[0]).toHaveLength(threaded.dims);
  });

  it('keeps the ModelError code of a model that does not load', async () => {
    const bad = { dtype: 'q8' as const, model: path.join(__dirname, 'no-such-model-dir') };
    const inline = createEmbedder(bad);
    const inlineErr = await inline.init().catch((err: unknown) => err);
    const t = new ThreadedEmbedder(bad);
    const err = await t.init().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelError);
    expect((err as ModelError).code).toBe((inlineErr as ModelError).code);
    await t.dispose();
  });

  it('dispose lets calls in the thread finish, is idempotent, and refuses calls after it', async () => {
    const t = new ThreadedEmbedder({ dtype: 'q8', threads: 1 });
    await t.init();
    const inFlight = t.embed(texts);
    const closed = t.dispose();
    await expect(inFlight).resolves.toHaveLength(texts.length);
    await closed;
    await t.dispose();
    await expect(t.embed(texts)).rejects.toMatchObject({ code: 'EMBEDDER_NOT_READY' });
  });
});
