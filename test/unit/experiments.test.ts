import { Catalog } from '../../src/catalog/catalog';
import { RecallMonitor } from '../../src/experiments/recall-monitor';
import { assignVariant, bucket, parseExperiment } from '../../src/experiments/variants';
import { HnswIndex } from '../../src/index/hnsw-index';
import { HnswSearch } from '../../src/index/hnsw-search';

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
  const rows = Float32Array.from([1, 0, 0.9, 0.1, 0.8, 0.2, 0, 1]);
  const filter = new Catalog([0, 1, 2, 3].map((i) => ({ id: `c${i}`, name: '', category: '', tags: [], language: '', is_nsfw: false }))).compile({
    excludeIds: [],
    categories: [],
    languages: [],
    includeNsfw: false,
  });
  const query = Float32Array.from([1, 0]);
  let index: HnswIndex;
  let search: HnswSearch;
  beforeEach(async () => {
    index = HnswIndex.create(2, { m: 4, efConstruction: 10, randomSeed: 1 }, 4);
    const normalised = Float32Array.from(rows);
    for (let i = 0; i < 4; i++) {
      const n = Math.hypot(normalised[2 * i]!, normalised[2 * i + 1]!);
      normalised[2 * i]! /= n;
      normalised[2 * i + 1]! /= n;
    }
    await index.insert(normalised, Uint32Array.from([0, 1, 2, 3]), 1);
    search = new HnswSearch(index, 4);
  });
  afterEach(() => index.close());

  it('measures recall@k against exact search (on the thread pool), per variant and version', async () => {
    const m = new RecallMonitor({ sampleRate: 1, queueSize: 10 });
    m.offer('control', 'v1', { query, k: 2, filter, search, hits: [{ label: 0, score: 1 }, { label: 1, score: 0.9 }] });
    m.offer('control', 'v1', { query, k: 2, filter, search, hits: [{ label: 0, score: 1 }, { label: 3, score: 0 }] });
    await m.idle();
    expect(m.statsFor('control', 'v1')).toEqual({ samples: 2, mean: 0.75, dropped: 0 });
    expect(m.statsFor('control', 'v2').samples).toBe(0);
  });

  it('samples at the configured rate and drops (counting) when the queue is full', async () => {
    const never = new RecallMonitor({ sampleRate: 0.5, queueSize: 10, random: () => 0.7 });
    never.offer('a', 'v', { query, k: 1, filter, search, hits: [] });
    await never.idle();
    expect(never.statsFor('a', 'v')).toEqual({ samples: 0, mean: 0, dropped: 0 });
    const broke = new RecallMonitor({ sampleRate: 1, queueSize: 10, burstMs: 0, cpuBudget: 0 });
    broke.offer('a', 'v', { query, k: 1, filter, search, hits: [] });
    await broke.idle();
    expect(broke.statsFor('a', 'v')).toEqual({ samples: 0, mean: 0, dropped: 1 });
    const full = new RecallMonitor({ sampleRate: 1, queueSize: 1 });
    for (let i = 0; i < 5; i++) full.offer('a', 'v', { query, k: 1, filter, search, hits: [{ label: 0, score: 1 }] });
    await full.idle();
    expect(full.statsFor('a', 'v')).toEqual({ samples: 1, mean: 1, dropped: 4 });
  });

  it('drops a sample whose version was closed while it waited', async () => {
    const m = new RecallMonitor({ sampleRate: 1, queueSize: 10 });
    m.offer('control', 'v1', { query, k: 2, filter, search, hits: [{ label: 0, score: 1 }, { label: 3, score: 0 }] });
    await m.idle();
    expect(m.statsFor('control', 'v1')).toEqual({ samples: 1, mean: 0.5, dropped: 0 });
    m.offer('control', 'v1', { query, k: 2, filter, search, hits: [{ label: 0, score: 1 }] });
    await index.close(); // swapped out before the monitor got to it
    await m.idle();
    expect(m.statsFor('control', 'v1')).toEqual({ samples: 1, mean: 0.5, dropped: 1 });
  });
});
