import { Catalog } from '../../src/catalog/catalog';
import { RecallMonitor } from '../../src/experiments/recall-monitor';
import { assignVariant, bucket, parseExperiment } from '../../src/experiments/variants';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { HnswIndex } from '../../src/index/hnsw-index';
import { NativeHnswIndex } from '../../src/index/native-hnsw';
import { VectorMatrix } from '../../src/index/vector-matrix';
import { IndexVectors } from '../../src/index/vector-store';

describe('variant assignment', () => {
  const exp = parseExperiment({ experiment: 'e', salt: 's', variants: [{ name: 'control', indexDir: 'a', traffic: 0.9 }, { name: 'treatment', indexDir: 'b', traffic: 0.1 }] });

  it('is a stable function of salt and fan_id (regression values)', () => {
    expect(bucket('s', 'fan-1')).toBeCloseTo(bucket('s', 'fan-1'), 12);
    expect(bucket('s', 'fan-1')).not.toBe(bucket('t', 'fan-1'));
    expect(bucket('exp-2026-11', 'fan-42')).toBeCloseTo(0.9704060594, 9);
  });

  it('follows the traffic split', () => {
    const n = 20_000;
    const treated = Array.from({ length: n }, (_, i) => assignVariant(exp, `f${i}`, '')!.name).filter((v) => v === 'treatment').length;
    expect(treated / n).toBeGreaterThan(0.085);
    expect(treated / n).toBeLessThan(0.115);
    expect(assignVariant(exp, '', '')!.name).toBe('control');
    expect(assignVariant(exp, 'f1', 'treatment')!.name).toBe('treatment');
    expect(assignVariant(exp, 'f1', 'nope')).toBeUndefined();
  });

  it.each([
    [{ experiment: 'e', salt: 's', variants: [{ name: 'a', indexDir: 'x', traffic: 0.5 }] }, /sum to 1/],
    [{ experiment: 'e', salt: 's', variants: [{ name: 'a', indexDir: 'x', traffic: 0.5 }, { name: 'a', indexDir: 'y', traffic: 0.5 }] }, /unique/],
    [{ experiment: 'e', salt: '', variants: [{ name: 'a', indexDir: 'x', traffic: 1 }] }, /salt/],
    [{ experiment: 'e', salt: 's', variants: [{ name: 'Big Name', indexDir: 'x', traffic: 1 }] }, /lowercase/],
  ])('rejects a bad variants file %#', (raw, message) => {
    expect(() => parseExperiment(raw)).toThrow(message);
  });
});

describe('RecallMonitor', () => {
  const vectors = new VectorMatrix(2, Float32Array.from([1, 0, 0.9, 0.1, 0.8, 0.2, 0, 1]));
  const filter = new Catalog([0, 1, 2, 3].map((i) => ({ id: `c${i}`, name: '', category: '', tags: [], language: '', is_nsfw: false }))).compile({
    excludeIds: [],
    categories: [],
    languages: [],
    includeNsfw: false,
  });
  const query = Float32Array.from([1, 0]);

  it('measures recall@k against exact search (in chunks), per variant and version', async () => {
    const m = new RecallMonitor({ sampleRate: 1, queueSize: 10, chunkRows: 1 });
    m.offer('control', 'v1', { query, k: 2, filter, vectors, hits: [{ label: 0, score: 1 }, { label: 1, score: 0.9 }] });
    m.offer('control', 'v1', { query, k: 2, filter, vectors, hits: [{ label: 0, score: 1 }, { label: 3, score: 0 }] });
    await m.idle();
    expect(m.statsFor('control', 'v1')).toEqual({ samples: 2, mean: 0.75, dropped: 0 });
    expect(m.statsFor('control', 'v2').samples).toBe(0);
  });

  it('samples at the configured rate and drops (counting) when the queue is full', async () => {
    const never = new RecallMonitor({ sampleRate: 0.5, queueSize: 10, random: () => 0.7 });
    never.offer('a', 'v', { query, k: 1, filter, vectors, hits: [] });
    await never.idle();
    expect(never.statsFor('a', 'v')).toEqual({ samples: 0, mean: 0, dropped: 0 });
    const broke = new RecallMonitor({ sampleRate: 1, queueSize: 10, burstMs: 0, cpuBudget: 0 });
    broke.offer('a', 'v', { query, k: 1, filter, vectors, hits: [] });
    await broke.idle();
    expect(broke.statsFor('a', 'v')).toEqual({ samples: 0, mean: 0, dropped: 1 });
    const full = new RecallMonitor({ sampleRate: 1, queueSize: 1 });
    for (let i = 0; i < 5; i++) full.offer('a', 'v', { query, k: 1, filter, vectors, hits: [{ label: 0, score: 1 }] });
    await full.idle();
    expect(full.statsFor('a', 'v')).toEqual({ samples: 1, mean: 1, dropped: 4 });
  });

  it('measures on the native index, and drops a sample whose version was closed while it waited', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'recall-native-'));
    try {
      const built = HnswIndex.build(vectors, { m: 4, efConstruction: 10, efSearch: 10, randomSeed: 1 });
      await built.save(path.join(dir, 'i.hnsw'));
      built.close();
      const index = await NativeHnswIndex.load(path.join(dir, 'i.hnsw'), 2);
      const store = new IndexVectors(index, 4);
      const m = new RecallMonitor({ sampleRate: 1, queueSize: 10, chunkRows: 1 });
      m.offer('control', 'v1', { query, k: 2, filter, vectors: store, hits: [{ label: 0, score: 1 }, { label: 3, score: 0 }] });
      await m.idle();
      expect(m.statsFor('control', 'v1')).toEqual({ samples: 1, mean: 0.5, dropped: 0 });
      m.offer('control', 'v1', { query, k: 2, filter, vectors: store, hits: [{ label: 0, score: 1 }] });
      index.close(); // swapped out before the monitor got to it
      await m.idle();
      expect(m.statsFor('control', 'v1')).toEqual({ samples: 1, mean: 0.5, dropped: 1 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
