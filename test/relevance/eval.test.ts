/**
 * @jest-environment ./test/support/onnx-environment.js
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { buildIndex, ReleaseGateError } from '../../index-builder/build-index';
import { main as buildCli } from '../../index-builder/cli';
import { main as evalCli } from '../../tools/eval/cli';
import { SAMPLE_CATALOG } from '../../src/config/config';
import { evaluateIndex, rankLogged, type EvalReport } from '../../tools/eval/evaluate';
import { readFans } from '../../tools/eval/fans';
import { loadIndexVersion, type LoadedIndex } from '../../src/index/loaded-index';
import { readCurrent, readManifest } from '../../src/index/manifest';
import { DEFAULT_FUSION } from '../../src/match/fusion-defaults';
import { readFusionFile } from '../../tools/eval/fusion-file';
import { sweepFusion } from '../../tools/eval/sweep';
import { tempDir, writeJsonl } from '../helpers/server';

// Offline evaluation and the builder's release gate on the sample catalog with the real model.
const SAMPLE_FANS = path.join(path.dirname(SAMPLE_CATALOG), 'sample-fans.jsonl');
let dir: string;
let index: LoadedIndex;
let report: EvalReport;

beforeAll(async () => {
  dir = await tempDir();
  await buildIndex({ input: SAMPLE_CATALOG, out: dir });
  index = await loadIndexVersion(dir);
  report = await evaluateIndex(index, await readFans(SAMPLE_FANS), { k: 10, rerank: { diversity: 0, maxPerCategory: 3 } });
});
afterAll(async () => {
  await index?.hnsw.close();
  await fs.rm(dir, { recursive: true, force: true });
});

describe('npm run eval on the sample fans', () => {
  it('evaluates every fan with every system', () => {
    expect(report.fans).toEqual({ total: 240, evaluated: 240, skipped: [] });
    for (const name of ['model', 'lexical', 'hybrid', 'default', 'model_reranked', 'exact', 'bm25'] as const) expect(report.systems[name]?.fans).toBe(240);
    expect(report.bm25Text).toBe('profile');
    expect(report.retrieval).toMatchObject({ default: 'hybrid', lexicalIndex: 'version' });
  });

  it('the model beats BM25 on NDCG@10 and P@10, and the served default (hybrid) beats both', () => {
    const { model, bm25, hybrid } = report.systems;
    // bm25 is the version's own lexical index (the service's BM25), a stronger baseline than the
    // wink library it replaced (NDCG@10 0.788 then, 0.809 now).
    expect(model!.ndcg).toBeGreaterThan(bm25!.ndcg);
    expect(model!.precision).toBeGreaterThan(bm25!.precision);
    expect(hybrid!.ndcg).toBeGreaterThan(Math.max(model!.ndcg, bm25!.ndcg) + 0.05);
    expect(hybrid!.precision).toBeGreaterThan(bm25!.precision + 0.05);
    expect(report.systems.default).toEqual(hybrid);
  });

  it('with logged exposures, every system ranks exactly what each fan was shown (the learning gate on engagement)', async () => {
    const fans = (await readFans(SAMPLE_FANS)).filter((f) => f.text && f.expectedCategories?.length === 1).slice(0, 4);
    const { catalog } = index;
    const ids = (inCategory: boolean, cat: string): string[] =>
      Array.from({ length: catalog.size }, (_, l) => l).filter((l) => (catalog.categoryOf(l) === cat) === inCategory).slice(0, 3).map((l) => catalog.idOf(l));
    const cat = fans[0]!.expectedCategories![0]!;
    // Fan 0 was shown 3 creators of its category and 3 of others; the other fans were shown nothing.
    const logged = new Map([[fans[0]!.fanId, new Set([...ids(true, cat), ...ids(false, cat)])]]);
    const r = await evaluateIndex(index, fans, { k: 10, logged });
    expect(r.logged).toBe(true);
    expect(r.fans.evaluated).toBe(1);
    expect(r.fans.skipped.map((s) => s.reason)).toEqual(Array(3).fill('no logged exposures for this fan'));
    // All 6 are ranked (those a system did not retrieve come last): 3 relevant of 10, all found.
    for (const name of ['model', 'hybrid', 'exact', 'bm25'] as const) {
      expect(r.systems[name]!.precision).toBeCloseTo(0.3, 10);
      expect(r.systems[name]!.recall).toBeCloseTo(1, 10);
    }
    expect(rankLogged(['x', 'a', 'y', 'c'], new Set(['c', 'b', 'a']))).toEqual(['a', 'c', 'b']);
    expect(rankLogged([], new Set(['b', 'a']))).toEqual(['a', 'b']);
  });

  it('a version without a lexical index: dense by default, bm25 built from the creators file', async () => {
    const manifest = { ...index.manifest };
    delete manifest.lexical;
    delete manifest.retrieval;
    const dense = await evaluateIndex({ ...index, manifest, lexical: undefined }, (await readFans(SAMPLE_FANS)).slice(0, 30));
    expect(Object.keys(dense.systems).sort()).toEqual(['bm25', 'default', 'exact', 'model']);
    expect(dense.systems.default).toEqual(dense.systems.model);
    expect(dense.retrieval).toMatchObject({ default: 'dense', fusion: null, lexicalIndex: 'built-for-eval' });
    expect(dense.bm25Text).toBe('profile');
    const own = await evaluateIndex(index, (await readFans(SAMPLE_FANS)).slice(0, 30), { systems: ['bm25'] });
    expect(dense.systems.bm25!.ndcg).toBeCloseTo(own.systems.bm25!.ndcg, 6);
  });

  it('reports progress per stage, ending at the total (the CLI draws its progress bars from it)', async () => {
    const fans = (await readFans(SAMPLE_FANS)).slice(0, 100);
    const seen: Array<[string, number, number]> = [];
    await evaluateIndex(index, fans, { systems: ['model'], onProgress: (stage, done, total) => seen.push([stage, done, total]) });
    const embedding = seen.filter(([s]) => s === 'embedding');
    const matching = seen.filter(([s]) => s === 'matching');
    expect(embedding.map(([, d]) => d)).toEqual([0, 64, 100]);
    expect(matching[matching.length - 1]).toEqual(['matching', 100, 100]);
    expect(matching.map(([, d]) => d)).toEqual([...Array(101).keys()]);
    // Embedding comes first, then matching.
    expect(seen.map(([s]) => s)).toEqual([...embedding.map(() => 'embedding'), ...matching.map(() => 'matching')]);
  });

  it('HNSW stays close to exact search', () => {
    expect(report.annRecall).toBeGreaterThanOrEqual(0.98);
    expect(Math.abs(report.systems.model!.ndcg - report.systems.exact!.ndcg)).toBeLessThan(0.01);
    expect(report.strategies.ann_overfetch ?? 0).toBe(240);
  });

  it('reports per language, and English is where the English-first model is good', () => {
    expect(Object.keys(report.perLanguage).sort()).toEqual(['de', 'en', 'es', 'fr', 'it', 'ja', 'pt']);
    const fans = Object.values(report.perLanguage).reduce((n, l) => n + l.fans, 0);
    expect(fans).toBe(240);
    const en = report.perLanguage.en!.systems.model!.ndcg;
    for (const [language, l] of Object.entries(report.perLanguage)) if (language !== 'en') expect(l.systems.model!.ndcg).toBeLessThan(en);
  });

  it('a per-category cap of 3 trades precision for category coverage', () => {
    const { model, model_reranked } = report.systems;
    expect(model_reranked!.precision).toBeLessThan(model!.precision - 0.2);
    expect(model_reranked!.categories).toBeGreaterThan(model!.categories + 1);
  });

  it('queries by followed creators (weighted) and judges by relevant_creator_ids', async () => {
    const fans = (await readFans(SAMPLE_FANS)).slice(0, 20).map((f) => ({ ...f, weights: f.follows!.map((_, i) => i + 1) }));
    const byFollows = await evaluateIndex(index, fans, { queryMode: 'follows' });
    expect(byFollows.fans.evaluated).toBe(20);
    expect(byFollows.perFan.every((f) => f.query === 'follows')).toBe(true);
    expect(byFollows.systems.model!.ndcg).toBeGreaterThan(0.7);

    // Judged by explicit ids only: the fan's followed creators are the relevant set.
    const fan = { ...fans[0]!, expectedCategories: [], relevantCreatorIds: fans[0]!.follows! };
    const byIds = await evaluateIndex(index, [fan], { queryMode: 'text', k: 50 });
    expect(byIds.perFan[0]!.relevant).toBe(fan.follows!.length);
    const none = await evaluateIndex(index, [{ ...fan, relevantCreatorIds: ['cr_999999'] }]);
    expect(none.fans.skipped[0]?.reason).toMatch(/no relevant creator/);
  });

  it('the CLI prints the table and writes JSON', async () => {
    const jsonFile = path.join(dir, 'eval.json');
    let printed = '';
    const code = await evalCli(['--index', dir, '--fans', SAMPLE_FANS, '--json', jsonFile], (s) => (printed += s));
    expect(code).toBe(0);
    expect(printed).toMatch(/^system\s+P@10\s+R@10\s+NDCG@10\s+MRR/m);
    expect(printed).toMatch(/^model\s+0\.\d{4}/m);
    expect(printed).toMatch(/^bm25\s+0\.\d{4}/m);
    for (const mode of ['lexical', 'hybrid', 'default']) expect(printed).toMatch(new RegExp(`^${mode}\\s+0\\.\\d{4}`, 'm'));
    expect(printed).toMatch(/default = hybrid/);
    expect(printed).toMatch(/ANN recall@10 vs exact: /);
    const json = JSON.parse(await fs.readFile(jsonFile, 'utf8')) as EvalReport;
    expect(json.systems.model!.ndcg).toBeCloseTo(report.systems.model!.ndcg, 6);
    expect(json.perFan).toBeUndefined();
  });

  it('the CLI fails clearly on a bad fans file', async () => {
    const bad = path.join(dir, 'bad-fans.jsonl');
    await fs.writeFile(bad, '{"fan_id":"a","interest_text":"x"}\nnot json\n');
    expect(await evalCli(['--index', dir, '--fans', bad], () => undefined)).toBe(1);
  });
});

describe('fusion sweep (npm run eval -- --sweep-fusion)', () => {
  it('evaluates each setting through the served path, best first, the current one included', async () => {
    const fans = (await readFans(SAMPLE_FANS)).slice(0, 40);
    const grid = [DEFAULT_FUSION, { ...DEFAULT_FUSION, centroidGamma: 0, feedbackM: 0, feedbackBeta: 0 }, { ...DEFAULT_FUSION, wLex: 1, centroidGamma: 0 }];
    const r = await sweepFusion(index, fans, { grid, objective: 'ndcg' });
    expect(r.rows).toHaveLength(3);
    expect(r.fans).toBe(40);
    expect(r.current.fusion).toEqual(index.manifest.retrieval!.fusion);
    for (let i = 1; i < r.rows.length; i++) expect(r.rows[i - 1]!.value).toBeGreaterThanOrEqual(r.rows[i]!.value);
    // The served default's row is what npm run eval reports for hybrid on the same fans.
    const served = await evaluateIndex(index, fans, { systems: ['hybrid'] });
    expect(r.current.metrics.ndcg).toBeCloseTo(served.systems.hybrid!.ndcg, 10);
    // All lexical weight: BM25 order first, clearly worse than the default.
    expect(r.rows.find((x) => x.fusion.wLex === 1)!.value).toBeLessThan(r.current.value);
  });

  it('the CLI writes the best setting as a fusion file, with where it came from', async () => {
    const fans = path.join(dir, 'fans-20.jsonl');
    await fs.writeFile(fans, (await fs.readFile(SAMPLE_FANS, 'utf8')).split('\n').slice(0, 20).join('\n') + '\n');
    const file = path.join(dir, 'fusion.json');
    let printed = '';
    const spy = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      expect(await evalCli(['--index', dir, '--fans', fans, '--sweep-fusion', '--sweep-objective', 'p5', '--write', file], (x) => (printed += x))).toBe(0);
    } finally {
      spy.mockRestore();
    }
    expect(printed).toMatch(/^sweep of 160 hybrid fusion settings/m);
    expect(printed).toMatch(/^current\s+0\.\d{4}/m);
    const written = await readFusionFile(file);
    expect(written.chosenBy).toMatch(/--sweep-fusion: best P@5 of 160 settings on .*fans-20\.jsonl \(20 fans\)/);
    const raw = JSON.parse(await fs.readFile(file, 'utf8')) as { _doc: Record<string, string>; sweep: { best: unknown[] } };
    expect(Object.keys(raw._doc)).toEqual(expect.arrayContaining(Object.keys(DEFAULT_FUSION)));
    expect(raw.sweep.best.length).toBe(10);
    // A file that is not a fusion setting is refused by the builder before anything is built.
    const bad = path.join(dir, 'bad-fusion.json');
    await fs.writeFile(bad, JSON.stringify({ ...DEFAULT_FUSION, wLex: 2 }));
    const stderr: string[] = [];
    const spy2 = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => (stderr.push(String(chunk)), true));
    try {
      expect(await buildCli(['--input', SAMPLE_CATALOG, '--out', dir, '--fusion', bad, '--no-progress'])).not.toBe(0);
    } finally {
      spy2.mockRestore();
    }
    expect(stderr.join('')).toMatch(/bad-fusion\.json is not a fusion setting: wLex/);
  });
});

describe('release gate (index:build --eval-fans)', () => {
  it('publishes a version that does not regress', async () => {
    const before = await readCurrent(dir);
    const built = await buildIndex({ input: SAMPLE_CATALOG, out: dir, evalFans: SAMPLE_FANS, maxRegression: 0.01 });
    expect(built.published).toBe(true);
    expect(built.gate?.ok).toBe(true);
    expect(built.gate?.baseline).toBe(before);
    expect(await readCurrent(dir)).toBe(built.version);
  });

  it('compares the mode each version serves: a candidate that would serve dense is refused against a hybrid one, and records --fusion and --retrieval', async () => {
    const before = await readCurrent(dir);
    expect((await readManifest(path.join(dir, before!))).retrieval?.default).toBe('hybrid');
    const fusionFile = path.join(dir, 'fusion-nofb.json');
    await fs.writeFile(fusionFile, JSON.stringify({ ...DEFAULT_FUSION, feedbackM: 0, feedbackBeta: 0, chosenBy: 'a test file' }));
    const versionsBefore = new Set((await fs.readdir(dir)).filter((f) => /^\d{8}T/.test(f)));
    const stderr: string[] = [];
    const spy = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => (stderr.push(String(chunk)), true));
    let code: number;
    try {
      code = await buildCli(['--input', SAMPLE_CATALOG, '--out', dir, '--retrieval', 'dense', '--fusion', fusionFile, '--eval-fans', SAMPLE_FANS, '--no-progress']);
    } finally {
      spy.mockRestore();
    }
    // Same vectors, but it would serve dense (NDCG@10 ~0.83) where CURRENT serves hybrid (~0.89).
    expect(code).toBe(3);
    expect(stderr.join('')).toMatch(/release gate \(served mode hybrid -> dense\): precision 0\.\d+ -> 0\.\d+/);
    expect(await readCurrent(dir)).toBe(before);
    const written = (await fs.readdir(dir)).filter((f) => /^\d{8}T/.test(f) && !versionsBefore.has(f));
    expect(written).toHaveLength(1);
    const m = await readManifest(path.join(dir, written[0]!));
    expect(m.retrieval).toEqual({ default: 'dense', fusion: { ...DEFAULT_FUSION, feedbackM: 0, feedbackBeta: 0 }, chosenBy: 'a test file; default mode dense by --retrieval' });
  });

  it('refuses to publish a regressed version: written, CURRENT unchanged, exit code 3', async () => {
    const before = await readCurrent(dir);
    // Same catalog, but random vectors labelled as the model's: text queries now match noise.
    const creators = (await fs.readFile(SAMPLE_CATALOG, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    let s = 7;
    const rand = () => ((s = (s * 16807) % 2147483647) / 2147483647) - 0.5;
    const input = path.join(dir, 'random-vectors.jsonl');
    await writeJsonl(input, creators.map((c) => ({ ...c, vector: Array.from({ length: 512 }, rand) })));

    await expect(buildIndex({ input, out: dir, model: 'creator-match/use-lite', minRecall: 0.5, evalFans: SAMPLE_FANS })).rejects.toThrow(ReleaseGateError);
    expect(await readCurrent(dir)).toBe(before);

    const versionsBefore = (await fs.readdir(dir)).filter((f) => /^\d{8}T/.test(f));
    const stderr: string[] = [];
    const spy = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => (stderr.push(String(chunk)), true));
    let code: number;
    try {
      code = await buildCli(['--input', input, '--out', dir, '--model', 'creator-match/use-lite', '--min-recall', '0.5', '--eval-fans', SAMPLE_FANS, '--no-progress']);
    } finally {
      spy.mockRestore();
    }
    expect(code).toBe(3);
    expect(stderr.join('')).toMatch(/release gate \(served mode hybrid -> hybrid\): .*ndcg 0\.\d+ -> 0\.\d+.*not published \(CURRENT still names/);
    expect(await readCurrent(dir)).toBe(before);
    expect((await fs.readdir(dir)).filter((f) => /^\d{8}T/.test(f)).length).toBe(versionsBefore.length + 1);
  });
});
