/**
 * @jest-environment ./test/support/onnx-environment.js
 */
import path from 'node:path';
import { buildIndex } from '../../index-builder/build-index';
import { ParallelEmbedder } from '../../index-builder/parallel-embedder';
import { SAMPLE_CATALOG } from '../../src/config/config';
import { createEmbedder, ModelError, type EmbedderOptions } from '../../src/embedding';
import { loadIndexVersion } from '../../src/index/loaded-index';
import { tempDir } from '../helpers/server';
import { cosine, minOf } from './helpers';

jest.setTimeout(120_000);

// The builder's embedding on several threads: worker threads with their own model session.
const options: EmbedderOptions = { threads: 1, batchSize: 8 };
const texts = Array.from({ length: 48 }, (_, i) => `creator ${i} makes ${['podcasts about history', 'synthwave music', 'pixel art games', 'watercolour tutorials'][i % 4]} every week`);
const chunks = Array.from({ length: 6 }, (_, c) => texts.slice(c * 8, c * 8 + 8));

describe('ParallelEmbedder', () => {
  it('embeds in worker threads what this thread embeds, in order, and closes its workers', async () => {
    const reference = createEmbedder(options);
    // q8 quantises per batch: the reference embeds the same chunks (hence the same batches).
    const expected: Float32Array[] = [];
    for (const c of chunks) expected.push(...(await reference.embed(c)));
    await reference.dispose();

    const parallel = new ParallelEmbedder(createEmbedder(options), options, 1);
    try {
    await parallel.init();
    expect(parallel.workerCount).toBe(1);
    expect(parallel.dims).toBe(512);
    // Until the worker has loaded its model, this thread answers; then the worker takes calls too.
    for (let i = 0; parallel.calls.workers === 0 && i < 300; i++) {
      await parallel.embed(chunks[0]!);
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(parallel.calls.workers).toBeGreaterThan(0);
    const before = { ...parallel.calls };
    const got = (await Promise.all(chunks.map((c) => parallel.embed(c)))).flat();
    expect(parallel.calls.local).toBeGreaterThan(before.local);
    expect(parallel.calls.workers).toBeGreaterThan(before.workers);
    expect(got).toHaveLength(texts.length);
    // Same model, same batches, one intra-op thread each: the same vectors, in input order.
    expect(minOf(got.map((v, i) => cosine(v, expected[i]!)))).toBeGreaterThan(0.99999);
    } finally {
      await parallel.dispose();
      await parallel.dispose(); // idempotent
    }
  });

  it('a model that does not load fails as it does in this thread, and its workers are closed', async () => {
    const bad: EmbedderOptions = { ...options, model: path.join(__dirname, 'no-such-model-dir') };
    const parallel = new ParallelEmbedder(createEmbedder(bad), bad, 1);
    await expect(parallel.init()).rejects.toBeInstanceOf(ModelError);
    await parallel.dispose();
  });
});

describe('index:build with several embedding threads', () => {
  it('stores the vectors one thread would, and reports the threads it used', async () => {
    const dir = await tempDir();
    const one = await buildIndex({ input: SAMPLE_CATALOG, out: path.join(dir, 'one'), embedWorkers: 1, embedThreads: 1, recallSample: 50 });
    const two = await buildIndex({ input: SAMPLE_CATALOG, out: path.join(dir, 'two'), embedWorkers: 2, embedThreads: 1, recallSample: 50 });
    expect(one.embedding).toMatchObject({ workers: 1, threads: 1, inFlight: 1 });
    expect(two.embedding).toMatchObject({ workers: 2, threads: 1, inFlight: 2 });
    const a = await loadIndexVersion(path.join(dir, 'one'));
    const b = await loadIndexVersion(path.join(dir, 'two'));
    const labels = Array.from({ length: a.catalog.size }, (_, i) => i);
    const [va, vb] = await Promise.all([a.hnsw.vectors(labels), b.hnsw.vectors(labels)]);
    expect(minOf(labels.map((l) => cosine(va[l]!, vb[l]!)))).toBeGreaterThan(0.99999);
    await a.hnsw.close();
    await b.hnsw.close();
  });
});
