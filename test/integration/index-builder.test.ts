import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { buildIndex } from '../../index-builder/build-index';
import { loadIndexVersion } from '../../src/index/loaded-index';
import { readCurrent, verifyFiles } from '../../src/index/manifest';
import { syntheticCreators } from '../helpers/synthetic';
import { tempDir, writeJsonl } from '../helpers/server';

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '..', '..');
const TSX = path.join(ROOT, 'node_modules', '.bin', 'tsx');
const creators = syntheticCreators(400, 16, 11);

let dir: string;
beforeEach(async () => {
  dir = await tempDir();
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

async function input(lines: string[]): Promise<string> {
  const file = path.join(dir, 'in.jsonl');
  await fs.writeFile(file, lines.join('\n') + '\n');
  return file;
}
const good = creators.map((c) => JSON.stringify(c));

describe('index builder', () => {
  it('publishes a verified version and points CURRENT at it atomically', async () => {
    const report = await buildIndex({ input: await input(good), out: path.join(dir, 'idx'), recallSample: 100 });
    expect(report).toMatchObject({ count: 400, dims: 16, published: true, modelId: null });
    expect(report.recall.value).toBeGreaterThanOrEqual(0.95);
    expect(await readCurrent(path.join(dir, 'idx'))).toBe(report.version);
    const loaded = await loadIndexVersion(path.join(dir, 'idx'));
    await verifyFiles(loaded.dir, loaded.manifest);
    expect(loaded.manifest).toMatchObject({ count: 400, dims: 16, vectorSource: 'provided', metric: 'cosine', ann: { m: 16, efConstruction: 200 } });
    expect(loaded.catalog.profile(0).id).toBe(creators[0]!.id);
    const entries = await fs.readdir(path.join(dir, 'idx'));
    expect(entries.sort()).toEqual([report.version, 'CURRENT'].sort());
  });

  it('reports a bad line with its number and reason, and fails without --skip-invalid', async () => {
    const lines = [...good.slice(0, 5), '{"id": "x", "is_nsfw": "nope", "vector": [1]}', ...good.slice(5, 10), 'garbage'];
    await expect(buildIndex({ input: await input(lines), out: path.join(dir, 'idx') })).rejects.toThrow(/line 6: is_nsfw must be true or false[\s\S]*line 12: invalid JSON/);
    expect(await readCurrent(path.join(dir, 'idx'))).toBeUndefined();
    const report = await buildIndex({ input: await input(lines), out: path.join(dir, 'idx'), skipInvalid: true, minRecall: 0 });
    expect(report.count).toBe(10);
    expect(report.skipped.map((s) => s.line)).toEqual([6, 12]);
  });

  it('fails on duplicate ids and on mixed vector/no-vector input', async () => {
    await expect(buildIndex({ input: await input([good[0]!, good[1]!, good[0]!]), out: path.join(dir, 'idx') })).rejects.toThrow(
      /duplicate creator id "cr_000000" on lines 1 and 3/,
    );
    const noVector = JSON.stringify({ id: 'plain', name: 'No vector' });
    await expect(buildIndex({ input: await input([good[0]!, noVector]), out: path.join(dir, 'idx') })).rejects.toThrow(/all creators or none/);
    const wrongDims = JSON.stringify({ id: 'short', vector: [1, 2] });
    await expect(buildIndex({ input: await input([good[0]!, wrongDims]), out: path.join(dir, 'idx') })).rejects.toThrow(/line 2: vector has 2 values/);
  });

  it('refuses to publish below --min-recall and keeps the served version', async () => {
    const out = path.join(dir, 'idx');
    const first = await buildIndex({ input: await input(good), out, recallSample: 50 });
    await expect(buildIndex({ input: await input(good), out, m: 2, efConstruction: 2, efSearch: 1, minRecall: 0.9999 })).rejects.toThrow(/below --min-recall/);
    expect(await readCurrent(out)).toBe(first.version);
    expect((await fs.readdir(out)).sort()).toEqual([first.version, 'CURRENT'].sort());
  });

  it('reads CSV input', async () => {
    const file = path.join(dir, 'in.csv');
    const rows = creators.slice(0, 50).map((c) => [c.id, `"${c.name}"`, c.category, c.language, String(c.is_nsfw), c.tags.join('|'), `"${JSON.stringify(c.vector)}"`].join(','));
    await fs.writeFile(file, ['id,name,category,language,is_nsfw,tags,vector', ...rows].join('\n'));
    const report = await buildIndex({ input: file, out: path.join(dir, 'idx'), minRecall: 0 });
    expect(report.count).toBe(50);
    const loaded = await loadIndexVersion(path.join(dir, 'idx'));
    expect(loaded.catalog.profile(3)).toMatchObject({ id: creators[3]!.id, category: creators[3]!.category, tags: creators[3]!.tags });
  });

  it('has a CLI with --help and a readable failure', async () => {
    const help = await run(TSX, ['index-builder/cli.ts', '--help'], { cwd: ROOT });
    expect(help.stdout).toContain('--min-recall');
    expect(help.stdout).toContain('--skip-invalid');
    const file = path.join(dir, 'in.jsonl');
    await writeJsonl(file, creators.slice(0, 100));
    const ok = await run(TSX, ['index-builder/cli.ts', '--input', file, '--out', path.join(dir, 'idx'), '--min-recall', '0'], { cwd: ROOT });
    expect(ok.stdout).toMatch(/version\s+\S+ \(published/);
    const bad = await run(TSX, ['index-builder/cli.ts', '--input', path.join(dir, 'missing.jsonl'), '--out', path.join(dir, 'idx')], { cwd: ROOT }).catch(
      (e: { code: number; stderr: string }) => e,
    );
    expect((bad as { code: number }).code).toBe(1);
    expect((bad as { stderr: string }).stderr).toContain('index:build failed');
  });
});
