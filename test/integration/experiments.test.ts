import { promises as fs } from 'node:fs';
import path from 'node:path';
import { status } from '@grpc/grpc-js';
import { buildIndex } from '../../index-builder/build-index';
import { assignVariant, parseExperiment } from '../../src/experiments/variants';
import { syntheticCreators } from '../helpers/synthetic';
import { batch, startServer, tempDir, unary, unaryError, writeJsonl, type Running } from '../helpers/server';

// A/B variants served side by side, deterministic assignment, and the online recall monitor.
const DIMS = 16;
let dir: string;
let running: Running;
const control = syntheticCreators(2000, DIMS, 1);
const treatment = syntheticCreators(2000, DIMS, 2).map((c) => ({ ...c, id: c.id.replace('cr_', 'tr_') }));
const experimentFile = {
  experiment: 'new-embeddings',
  salt: 'exp-2026-11',
  variants: [] as Array<{ name: string; indexDir: string; traffic: number }>,
};

beforeAll(async () => {
  dir = await tempDir();
  for (const [name, creators] of [['control', control], ['treatment', treatment]] as const) {
    await writeJsonl(path.join(dir, `${name}.jsonl`), creators);
    await buildIndex({ input: path.join(dir, `${name}.jsonl`), out: path.join(dir, name), recallSample: 100, efSearch: 16, m: 8, minRecall: 0.5 });
    experimentFile.variants.push({ name, indexDir: path.join(dir, name), traffic: 0.5 });
  }
  await fs.writeFile(path.join(dir, 'variants.json'), JSON.stringify(experimentFile));
  running = await startServer(path.join(dir, 'unused'), { MATCH_VARIANTS_FILE: path.join(dir, 'variants.json'), MATCH_RECALL_SAMPLE_RATE: '1', MATCH_RECALL_QUEUE: '10000' });
});
afterAll(async () => {
  await running?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

const query = { vector: { values: control[0]!.vector }, k: 5 };

describe('A/B variants', () => {
  it('assigns fans deterministically by fan_id, about evenly, and serves each from its own index', async () => {
    const counts: Record<string, number> = { control: 0, treatment: 0 };
    const expectedExperiment = parseExperiment(experimentFile);
    for (let i = 0; i < 200; i++) {
      const fan = `fan-${i}`;
      const a = await unary(running.client, 'Match', { ...query, fan_id: fan });
      const b = await unary(running.client, 'Match', { ...query, fan_id: fan });
      expect(b.variant).toBe(a.variant);
      expect(a.variant).toBe(assignVariant(expectedExperiment, fan, '')!.name);
      const prefix = a.variant === 'control' ? 'cr_' : 'tr_';
      for (const m of a.matches) expect(m.creator_id.startsWith(prefix)).toBe(true);
      counts[a.variant]!++;
    }
    expect(counts.control).toBeGreaterThan(70);
    expect(counts.treatment).toBeGreaterThan(70);
  });

  it('lets a request name its variant, and rejects unknown names', async () => {
    const forced = await unary(running.client, 'Match', { ...query, fan_id: 'someone', variant: 'treatment' });
    expect(forced.variant).toBe('treatment');
    expect(forced.matches[0]!.creator_id).toMatch(/^tr_/);
    const err = await unaryError(running.client, 'Match', { ...query, variant: 'shiny' });
    expect(err.code).toBe(status.INVALID_ARGUMENT);
    expect(err.reason).toBe('UNKNOWN_VARIANT');
    expect(err.details).toContain('served variants: control, treatment');
    const [item] = await batch(running.client, [{ ...query, request_id: 'x', variant: 'shiny' }]);
    expect(item?.error?.reason).toBe('UNKNOWN_VARIANT');
  });

  it('sends requests without fan_id to the control, and labels logs and index info with the variant', async () => {
    const res = await unary(running.client, 'Match', { ...query, request_id: 'no-fan' });
    expect(res.variant).toBe('control');
    const info = await unary(running.client, 'GetIndexInfo', { variant: 'treatment' });
    expect(info).toMatchObject({ variant: 'treatment', experiment: 'new-embeddings', variants: ['control', 'treatment'] });
    expect(info.version).not.toBe(res.index_version);
    running.logs.length = 0;
    await unaryError(running.client, 'Match', { vector: { values: [1] }, fan_id: 'fan-1', request_id: 'bad-1' });
    const line = running.logs.find((l) => l.request_id === 'bad-1');
    expect(line).toMatchObject({ method: 'Match', variant: expect.stringMatching(/^(control|treatment)$/), reason: 'DIMENSION_MISMATCH' });
  });
});

describe('online recall monitor', () => {
  it('re-runs sampled ANN searches exactly and reports recall per variant and version', async () => {
    for (let i = 0; i < 60; i++) {
      await unary(running.client, 'Match', { vector: { values: control[i]!.vector }, k: 10, variant: i % 2 ? 'control' : 'treatment' });
    }
    await running.app.recallMonitor.idle();
    for (const variant of ['control', 'treatment']) {
      const info = await unary(running.client, 'GetIndexInfo', { variant });
      expect(Number(info.online_recall_samples)).toBeGreaterThanOrEqual(30);
      expect(info.online_recall).toBeGreaterThan(0.5);
      expect(info.online_recall).toBeLessThanOrEqual(1);
      expect(running.app.recallMonitor.statsFor(variant, info.version).samples).toBe(Number(info.online_recall_samples));
    }
  });
});
