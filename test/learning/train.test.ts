import { promises as fs } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { buildIndex } from '../../index-builder/build-index';
import { readCurrent, readManifest, verifyFiles } from '../../src/index/manifest';
import { QueryAdapter } from '../../src/index/query-adapter';
import { mulberry32 } from '../../src/util/mulberry32';
import { main as trainCli } from '../../tools/learning/train-cli';
import { batchLossAndGradient, trainAdapter, type EvalQuery, type TrainGroup } from '../../tools/learning/train-adapter';
import { tempDir, writeJsonl } from '../helpers/server';

const rand = mulberry32(5);
const gauss = (): number => Math.sqrt(-2 * Math.log(Math.max(rand(), 1e-12))) * Math.cos(2 * Math.PI * rand());
const unit = (v: number[]): number[] => {
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
};

describe('the InfoNCE gradient', () => {
  it('matches finite differences of the batch loss', () => {
    const d = 6;
    const r = 2;
    const count = 9;
    const vectors = Float32Array.from(Array.from({ length: count }, () => unit(Array.from({ length: d }, gauss))).flat());
    const groups: TrainGroup[] = [
      { query: Float32Array.from(unit(Array.from({ length: d }, gauss))), fan: 0, positives: [{ label: 0, weight: 1 }, { label: 1, weight: 2 }], hardNegatives: [5, 6], exclude: [] },
      { query: Float32Array.from(unit(Array.from({ length: d }, gauss))), fan: 1, positives: [{ label: 2, weight: 1 }], hardNegatives: [7], exclude: [8] },
      { query: Float32Array.from(unit(Array.from({ length: d }, gauss))), fan: 2, positives: [{ label: 3, weight: 4 }, { label: 4, weight: 1 }], hardNegatives: [], exclude: [] },
    ];
    const fanPositives = new Map(groups.map((g) => [g.fan, new Set(g.positives.map((p) => p.label))]));
    const u = Float64Array.from({ length: d * r }, () => 0.3 * gauss());
    const v = Float64Array.from({ length: d * r }, () => 0.3 * gauss());
    const cfg = { temperature: 0.2, maxHardNegatives: 8 };
    const gu = new Float64Array(d * r);
    const gv = new Float64Array(d * r);
    const { weight } = batchLossAndGradient(vectors, d, r, groups, u, v, fanPositives, cfg, gu, gv);
    const meanLoss = (): number => {
      const ignore = new Float64Array(d * r);
      const { loss } = batchLossAndGradient(vectors, d, r, groups, u, v, fanPositives, cfg, ignore, new Float64Array(d * r));
      return loss / weight;
    };
    const h = 1e-5;
    for (const [m, g] of [
      [u, gu],
      [v, gv],
    ] as const) {
      for (let i = 0; i < m.length; i++) {
        const x = m[i]!;
        m[i] = x + h;
        const plus = meanLoss();
        m[i] = x - h;
        const minus = meanLoss();
        m[i] = x;
        expect(g[i]).toBeCloseTo((plus - minus) / (2 * h), 5);
      }
    }
  });
});

/**
 * A catalog of `clusters` groups of creators around random centres. Fans of cluster c query with a
 * vector between their centre and a *different* one, perm(c) (`mix`: weight of the wrong centre):
 * the frozen similarity mixes up the two clusters, and a linear map can fix it. (The real loop's
 * analogue: non-English texts that the English-first encoder places badly.)
 */
function world(dims: number, clusters: number, perCluster: number, mix = 1) {
  const centres = Array.from({ length: clusters }, () => unit(Array.from({ length: dims }, gauss)));
  const vectors: number[][] = [];
  const clusterOf: number[] = [];
  for (let c = 0; c < clusters; c++) {
    for (let i = 0; i < perCluster; i++) {
      vectors.push(unit(centres[c]!.map((x) => x + 0.1 * gauss())));
      clusterOf.push(c);
    }
  }
  const perm = (c: number): number => (c + 1) % clusters;
  const query = (c: number): number[] => unit(centres[perm(c)]!.map((x, i) => mix * x + (1 - mix) * centres[c]![i]! + 0.05 * gauss()));
  return { centres, vectors, clusterOf, query, count: vectors.length };
}

describe('trainAdapter', () => {
  const dims = 24;
  const w = world(dims, 6, 20, 0.5);
  const vectors = Float32Array.from(w.vectors.flat());
  const groupFor = (fan: number, shuffled: boolean): TrainGroup => {
    const c = fan % 6;
    const labels = w.clusterOf.flatMap((k, l) => (k === c ? [l] : []));
    const positives = Array.from({ length: 3 }, () => ({ label: shuffled ? Math.floor(rand() * w.count) : labels[Math.floor(rand() * labels.length)]!, weight: 1 }));
    return { query: Float32Array.from(w.query(c)), fan, positives, hardNegatives: [], exclude: [] };
  };
  const evalFor = (fan: number): EvalQuery => {
    const c = fan % 6;
    return { query: Float32Array.from(w.query(c)), grades: new Map(w.clusterOf.flatMap((k, l) => (k === c ? [[l, 1] as [number, number]] : []))), exclude: [] };
  };
  const validation = Array.from({ length: 60 }, (_, i) => evalFor(1000 + i));

  it('learns a systematic query shift, starting from the identity', () => {
    const train = Array.from({ length: 600 }, (_, i) => groupFor(i, false));
    const res = trainAdapter({ dims, count: w.count, vectors, train, validation }, { rank: 8, epochs: 30, learningRate: 0.01, seed: 3, earlyStopping: 'ndcg' });
    expect(res.history[0]!.epoch).toBe(0);
    expect(res.before.ndcg).toBeLessThan(0.75);
    expect(res.after.ndcg).toBeGreaterThan(0.95);
    expect(res.bestEpoch).toBeGreaterThan(0);
    // The adapter serves what validation measured: a fan of cluster 0 now finds cluster 0.
    const q = Float32Array.from(w.query(0));
    const z = res.adapter.apply(q);
    const best = [...w.vectors.keys()].sort((a, b) => dot(z, w.vectors[b]!) - dot(z, w.vectors[a]!))[0]!;
    expect(w.clusterOf[best]).toBe(0);
  });

  it('with shuffled positives keeps the identity (nothing beats it on validation)', () => {
    const train = Array.from({ length: 600 }, (_, i) => groupFor(i, true));
    const res = trainAdapter({ dims, count: w.count, vectors, train, validation }, { rank: 8, epochs: 30, learningRate: 0.01, seed: 3, earlyStopping: 'ndcg' });
    expect(res.bestEpoch).toBe(0);
    expect(res.after).toEqual(res.before);
    const q = Float32Array.from(w.query(2));
    const n = Math.hypot(...q);
    res.adapter.apply(q).forEach((x, i) => expect(x).toBeCloseTo(q[i]! / n, 5));
  });
});

const dot = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
};

describe('npm run train (provided vectors, like_creators queries)', () => {
  let dir: string;
  const dims = 24;
  const w = world(dims, 6, 20);
  beforeAll(async () => {
    dir = await tempDir('train-');
    const creators = w.vectors.map((v, i) => ({ id: `cr_${i}`, name: `Creator ${i}`, category: `c${w.clusterOf[i]}`, language: 'en', vector: v }));
    await writeJsonl(path.join(dir, 'creators.jsonl'), creators);
    await buildIndex({ input: path.join(dir, 'creators.jsonl'), out: path.join(dir, 'idx'), recallSample: 50 });
    // "Fans of cluster c+1 support cluster c": like queries over cluster c+1, positives in cluster c.
    const byCluster = (c: number): number[] => w.clusterOf.flatMap((k, l) => (k === c ? [l] : []));
    const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)]!;
    const rows: object[] = [];
    const shuffledRows: object[] = [];
    for (let f = 0; f < 900; f++) {
      const c = f % 6;
      const liked = [pick(byCluster((c + 1) % 6)), pick(byCluster((c + 1) % 6))];
      for (let p = 0; p < 3; p++) {
        const row = { fan_id: `fan_${f}`, like_creators: liked.map((l) => `cr_${l}`), creator_id: `cr_${pick(byCluster(c))}`, label: 1 };
        rows.push(row);
        shuffledRows.push({ ...row, creator_id: `cr_${Math.floor(rand() * w.count)}` });
      }
      rows.push({ fan_id: `fan_${f}`, like_creators: liked.map((l) => `cr_${l}`), creator_id: `cr_${pick(byCluster((c + 3) % 6))}`, label: 0 });
    }
    await writeJsonl(path.join(dir, 'interactions.jsonl'), rows);
    await writeJsonl(path.join(dir, 'shuffled.jsonl'), shuffledRows);
  });
  afterAll(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  const run = async (file: string, extra: string[] = []): Promise<{ code: number; out: string; err: string }> => {
    const out: string[] = [];
    const err: string[] = [];
    const args = ['--index', path.join(dir, 'idx'), '--interactions', path.join(dir, file), '--out', path.join(dir, 'idx'), '--rank', '8', '--learning-rate', '0.01', '--test-share', '0.2', '--log-format', 'human', ...extra];
    const code = await trainCli(args, (s) => out.push(s), (s) => err.push(s));
    return { code, out: out.join(''), err: err.join('') };
  };

  it('a shuffled-label run is written but refused by the gate (exit 3, CURRENT unchanged)', async () => {
    const before = await readCurrent(path.join(dir, 'idx'));
    const r = await run('shuffled.jsonl');
    expect(r.code).toBe(3);
    expect(r.out).toMatch(/refused: /);
    expect(r.out).toMatch(/version written, not published: \S+ in .*; CURRENT still names /);
    expect(await readCurrent(path.join(dir, 'idx'))).toBe(before);
  });

  it('a real signal is learned, written with adapter.f32 in the manifest, gated against CURRENT and published', async () => {
    const before = await readCurrent(path.join(dir, 'idx'));
    const json = path.join(dir, 'train.json');
    const r = await run('interactions.jsonl', ['--json', json]);
    expect(r.err).toMatch(/epoch 0 \(identity\): validation loss [\d.]+, NDCG@10/);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/passed: /);
    const current = (await readCurrent(path.join(dir, 'idx')))!;
    expect(current).not.toBe(before);
    const versionDir = path.join(dir, 'idx', current);
    const manifest = await readManifest(versionDir);
    await verifyFiles(versionDir, manifest);
    // The base version's files (with the lexical index's lexical.bin and texts.jsonl), copied, plus the adapter.
    expect(Object.keys(manifest.files).sort()).toEqual(['adapter.f32', 'creators.jsonl', 'index.hnsw', 'lexical.bin', 'texts.jsonl', 'vectors.f32']);
    expect(manifest.adapter).toMatchObject({ file: 'adapter.f32', format: 'identity-plus-low-rank', dims, rank: 8, appliesTo: ['like'], baseVersion: before });
    expect(manifest.adapter!.trainingData).toMatchObject({ sha256: expect.stringMatching(/^[0-9a-f]{64}$/), files: [expect.objectContaining({ name: 'interactions.jsonl' })] });
    expect(manifest.adapter!.hyperParameters).toMatchObject({ rank: 8, learningRate: 0.01, temperature: 0.05 });
    const val = manifest.adapter!.validation as { before: { ndcg: number }; after: { ndcg: number } };
    expect(val.after.ndcg).toBeGreaterThan(val.before.ndcg + 0.2);
    const adapter = await QueryAdapter.read(path.join(versionDir, 'adapter.f32'), dims);
    expect(adapter.rank).toBe(8);
    const reportJson = z.object({ gate: z.object({ ok: z.boolean(), rise: z.object({ low: z.number() }) }), published: z.boolean(), fusion: z.unknown() });
    const report = reportJson.parse(JSON.parse(await fs.readFile(json, 'utf8')));
    // No model in this version, so no text queries: there is no hybrid fusion to train.
    expect(report.fusion).toBeNull();
    expect(report.gate.ok).toBe(true);
    expect(report.gate.rise.low).toBeGreaterThan(0);
    expect(report.published).toBe(true);
    // Trained again on the same data, the new version must beat the published (adapted) one: it cannot.
    const again = await run('interactions.jsonl');
    expect(again.code).toBe(3);
    expect(await readCurrent(path.join(dir, 'idx'))).toBe(current);
  });

  it('usage errors are one line with the fix and exit 2; a missing file exits 1', async () => {
    const err: string[] = [];
    const spy = jest.spyOn(process.stderr, 'write').mockImplementation((s) => (err.push(String(s)), true));
    try {
      expect(await trainCli(['--index', dir], () => undefined, () => undefined)).toBe(2);
      expect(await trainCli(['--index', path.join(dir, 'idx'), '--interactions', path.join(dir, 'nope.jsonl'), '--out', path.join(dir, 'idx'), '--log-format', 'human'], () => undefined, () => undefined)).toBe(1);
      expect(await trainCli(['--index', path.join(dir, 'idx'), '--interactions', path.join(dir, 'nope.jsonl'), '--out', path.join(dir, 'idx'), '--log-format', 'json'], () => undefined, () => undefined)).toBe(1);
    } finally {
      spy.mockRestore();
    }
    expect(err[0]).toMatch(/required option .* \(see npm run train -- --help\)\n$/);
    expect(err[1]).toMatch(/^train failed: cannot read --interactions .*nope.jsonl: ENOENT/);
    expect(err[1]).not.toMatch(/unexpected/);
    // --log-format json: the same failure as one JSON error line (cli-kit), without a stack.
    expect(err).toHaveLength(3);
    const line = z.object({ level: z.number(), msg: z.string(), err: z.object({ type: z.string(), stack: z.string() }) }).parse(JSON.parse(err[2]!));
    expect(line.level).toBe(50);
    expect(line.msg).toMatch(/^train failed: cannot read --interactions .*nope.jsonl: ENOENT/);
    expect(line.err.stack).not.toMatch(/\n\s+at /);
  });

  it('--help and --version print and exit 0', async () => {
    const out: string[] = [];
    const spy = jest.spyOn(process.stdout, 'write').mockImplementation((s) => (out.push(String(s)), true));
    try {
      expect(await trainCli(['--version'], () => undefined, () => undefined)).toBe(0);
      expect(await trainCli(['--help'], () => undefined, () => undefined)).toBe(0);
    } finally {
      spy.mockRestore();
    }
    expect(out[0]).toMatch(/^\d+\.\d+\.\d+\n$/);
    expect(out.join('')).toMatch(/--log-format <format>/);
  });
});
