import { spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { syntheticCreators } from '../helpers/synthetic';
import { tempDir, writeJsonl } from '../helpers/server';

// The index builder CLI logs like the service (pino JSON), on stderr; no progress bar off a TTY.
const ROOT = path.resolve(__dirname, '..', '..');
const TSX = path.join(ROOT, 'node_modules', '.bin', 'tsx');
let dir: string;

beforeAll(async () => {
  dir = await tempDir('creator-match-builder-log-');
  await writeJsonl(path.join(dir, 'in.jsonl'), syntheticCreators(200, 8, 5));
});
afterAll(() => fs.rm(dir, { recursive: true, force: true }));

const run = (args: string[]) => spawnSync(TSX, ['index-builder/cli.ts', ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, LOG_LEVEL: 'info' } });
interface LogLine {
  level: number;
  msg: string;
  stage?: string;
  err?: { message: string };
}
const jsonLines = (text: string): LogLine[] => text.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as LogLine);

describe('index builder logs', () => {
  it('writes JSON stage lines and a summary to stderr, the report to stdout', () => {
    const r = run(['--input', path.join(dir, 'in.jsonl'), '--out', path.join(dir, 'idx'), '--recall-sample', '50', '--json']);
    expect(r.status).toBe(0);
    expect((JSON.parse(r.stdout) as { count: number }).count).toBe(200);
    const lines = jsonLines(r.stderr); // every stderr line parses: no progress bar off a TTY
    for (const l of lines) expect(l).toMatchObject({ service: 'creator-match', component: 'index-builder' });
    expect(lines.filter((l) => l.stage).map((l) => l.stage)).toEqual(expect.arrayContaining(['read', 'insert', 'recall', 'write']));
    expect(lines.find((l) => l.msg === 'index built')).toMatchObject({ level: 30, count: 200, dims: 8, published: true });
    expect(r.stderr).not.toContain(String(syntheticCreators(200, 8, 5)[0]!.vector[0]));
  });

  it('logs a failure as an error with err', () => {
    const r = run(['--input', path.join(dir, 'missing.jsonl'), '--out', path.join(dir, 'idx2')]);
    expect(r.status).toBe(1);
    const failed = jsonLines(r.stderr).find((l) => l.level === 50)!;
    expect(failed.msg).toContain('index:build failed');
    expect(failed.err?.message).toBeTruthy();
  });
});
