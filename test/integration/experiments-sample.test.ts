/**
 * @jest-environment ./test/support/onnx-environment.js
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { buildIndex } from '../../index-builder/build-index';
import { SAMPLE_CATALOG } from '../../src/config/config';
import { assignVariant, parseExperiment } from '../../src/experiments/variants';
import { startServer, tempDir, unary, type Running } from '../helpers/server';

// A/B variants and the online recall monitor on the sample catalog with the real model: the
// control and a treatment with a different HNSW search setting, fans from data/sample-fans.jsonl.
let dir: string;
let running: Running;
let fans: Array<{ fan_id: string; interest_text: string; expected_categories: string[]; language: string }>;
let categoryOf: Map<string, string>;
let experiment: ReturnType<typeof parseExperiment>;

beforeAll(async () => {
  dir = await tempDir();
  await buildIndex({ input: SAMPLE_CATALOG, out: path.join(dir, 'control') });
  await buildIndex({ input: SAMPLE_CATALOG, out: path.join(dir, 'treatment'), efSearch: 24, m: 12 });
  const file = {
    experiment: 'hnsw-params',
    salt: 'sample-2026',
    variants: [
      { name: 'control', indexDir: path.join(dir, 'control'), traffic: 0.5 },
      { name: 'treatment', indexDir: path.join(dir, 'treatment'), traffic: 0.5 },
    ],
  };
  experiment = parseExperiment(file);
  await fs.writeFile(path.join(dir, 'variants.json'), JSON.stringify(file));
  // Every search sampled, and a whole core for the exact re-runs: the default 5% budget drops
  // samples when the scans run slowly (a loaded CI machine), and this test counts them.
  running = await startServer(path.join(dir, 'unused'), { MATCH_VARIANTS_FILE: path.join(dir, 'variants.json'), MATCH_RECALL_SAMPLE_RATE: '1', MATCH_RECALL_QUEUE: '1000', MATCH_RECALL_CPU_BUDGET: '1' });
  fans = (await fs.readFile(path.join(path.dirname(SAMPLE_CATALOG), 'sample-fans.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as (typeof fans)[number]);
  const creators = (await fs.readFile(SAMPLE_CATALOG, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { id: string; category: string });
  categoryOf = new Map(creators.map((c) => [c.id, c.category]));
});
afterAll(async () => {
  await running?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

it('serves each sample fan from its assigned variant, with relevant results in both arms', async () => {
  const english = fans.filter((f) => f.language === 'en').slice(0, 120);
  const byVariant: Record<string, { fans: number; relevant: number; shown: number }> = {};
  for (const fan of english) {
    const res = await unary(running.client, 'Match', { fan_id: fan.fan_id, request_id: fan.fan_id, interest_text: fan.interest_text, k: 10 });
    expect(res.variant).toBe(assignVariant(experiment, fan.fan_id, '')!.name);
    const stats = (byVariant[res.variant] ??= { fans: 0, relevant: 0, shown: 0 });
    stats.fans++;
    stats.shown += res.matches.length;
    stats.relevant += res.matches.filter((m: { creator_id: string }) => fan.expected_categories.includes(categoryOf.get(m.creator_id)!)).length;
  }
  expect(Object.keys(byVariant).sort()).toEqual(['control', 'treatment']);
  for (const stats of Object.values(byVariant)) {
    expect(stats.fans).toBeGreaterThan(30);
    expect(stats.relevant / stats.shown).toBeGreaterThan(0.6);
  }
  // Exposure log lines (info level, only with an experiment) carry what an analyst joins on.
  const line = running.logs.find((l) => l.msg === 'exposure' && l.request_id === english[0]!.fan_id);
  expect(line).toMatchObject({
    level: 30,
    method: 'Match',
    fan_id: english[0]!.fan_id,
    experiment: 'hnsw-params',
    variant: assignVariant(experiment, english[0]!.fan_id, '')!.name,
    index_version: expect.any(String),
    creator_ids: expect.arrayContaining([expect.stringMatching(/^cr_/)]),
  });
  expect((line!.creator_ids as string[]).length).toBe(10);
});

it('measures online recall per variant and version on live traffic', async () => {
  for (const fan of fans.slice(0, 80)) {
    for (const variant of ['control', 'treatment']) await unary(running.client, 'Match', { interest_text: fan.interest_text, k: 10, variant });
  }
  await running.app.recallMonitor.idle();
  const control = await unary(running.client, 'GetIndexInfo', { variant: 'control' });
  const treatment = await unary(running.client, 'GetIndexInfo', { variant: 'treatment' });
  expect(Number(control.online_recall_samples)).toBeGreaterThanOrEqual(60);
  expect(Number(treatment.online_recall_samples)).toBeGreaterThanOrEqual(60);
  expect(control.online_recall).toBeGreaterThanOrEqual(0.95);
  expect(treatment.online_recall).toBeGreaterThan(0.5);
  expect(treatment.online_recall).toBeLessThanOrEqual(1);
  expect(control.version).not.toBe(treatment.version);
});
