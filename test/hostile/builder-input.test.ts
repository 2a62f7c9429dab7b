/**
 * Builder input and output (item 10): --skip-invalid skips vectors that cannot be used (zero
 * norm, beyond float32, wrong length) with the right reason; without it the build fails naming
 * the line; an --out under /proc fails at once instead of hanging.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { buildIndex } from '../../index-builder/build-index';
import { runTs } from '../helpers/child';
import { tempDir } from '../helpers/server';
import { syntheticCreators } from '../helpers/synthetic';

const DIMS = 8;
let dir: string;
beforeAll(async () => {
  dir = await tempDir('creator-match-binput-');
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

async function input(extra: Array<{ at: number; line: string }>): Promise<string> {
  const lines = syntheticCreators(80, DIMS, 1).map((c) => JSON.stringify(c));
  for (const e of extra) lines.splice(e.at, 0, e.line);
  const file = path.join(dir, `in-${Date.now()}-${Math.random()}.jsonl`);
  await fs.writeFile(file, lines.join('\n') + '\n');
  return file;
}

// 1e39 is a finite JSON number, but Infinity in float32 (it used to be reported as "zero norm").
const BAD = [
  { at: 10, line: JSON.stringify({ id: 'zero', vector: new Array(DIMS).fill(0) }) },
  { at: 20, line: `{"id":"huge","vector":[1e39${',0.1'.repeat(DIMS - 1)}]}` },
  { at: 30, line: JSON.stringify({ id: 'tiny', vector: new Array(DIMS).fill(1e-50) }) },
  { at: 40, line: JSON.stringify({ id: 'short', vector: [1, 2] }) },
];

it('--skip-invalid skips zero-norm, beyond-float32 and wrong-length vectors, each with its reason', async () => {
  const report = await buildIndex({ input: await input(BAD), out: path.join(dir, 'skip'), skipInvalid: true, recallSample: 20, minRecall: 0 });
  expect(report.count).toBe(80);
  expect(report.skipped).toEqual([
    { line: 11, reason: 'vector has zero norm (cosine is undefined)' },
    { line: 21, reason: 'vector[0] is 1e+39, outside the float32 range' },
    { line: 31, reason: 'vector has zero norm (cosine is undefined)' },
    { line: 41, reason: 'vector has 2 values, the first line has 8' },
  ]);
});

it('without --skip-invalid the build fails naming the first such line; 1e39 is not called "zero norm"', async () => {
  await expect(buildIndex({ input: await input([BAD[1]!]), out: path.join(dir, 'noskip'), recallSample: 20, minRecall: 0 })).rejects.toThrow('line 21: vector[0] is 1e+39, outside the float32 range');
});

it('--out under /proc fails at once with the error (it used to hang forever in a recursive mkdir)', async () => {
  const file = await input([]);
  const r = await runTs('index-builder/cli.ts', ['--input', file, '--out', '/proc/creator-match-test/idx', '--no-progress', '--min-recall', '0'], { timeoutMs: 60_000, env: { LOG_LEVEL: 'info' } });
  expect({ timedOut: r.timedOut, code: r.code }).toEqual({ timedOut: false, code: 1 });
  expect(r.stderr).toMatch(/index:build failed: .*(ENOENT|EACCES|EPERM).*\/proc\/creator-match-test/);
});
