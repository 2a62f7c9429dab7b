import path from 'node:path';
import { promises as fs } from 'node:fs';
import { buildIndex } from '../../index-builder/build-index';
import { main as batchMatch } from '../../tools/batch-match/cli';
import { startServer, tempDir, writeJsonl } from '../helpers/server';
import { syntheticCreators } from '../helpers/synthetic';

// The batch-match CLI waits for a server that is still starting (no index yet), and says clearly
// when none comes up.
const creators = syntheticCreators(40, 8, 9);

function capture(stream: NodeJS.WriteStream): { text(): string; restore(): void } {
  const chunks: string[] = [];
  const spy = jest.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => (chunks.push(String(chunk)), true));
  return { text: () => chunks.join(''), restore: () => spy.mockRestore() };
}

describe('npm run batch-match', () => {
  it('waits for the server to serve an index, then matches every fan', async () => {
    const dir = await tempDir('batch-cli-');
    const idx = path.join(dir, 'idx');
    const running = await startServer(idx, { MATCH_RELOAD_POLL_MS: '100' });
    const fans = path.join(dir, 'fans.jsonl');
    await writeJsonl(fans, creators.slice(0, 10).map((c, i) => ({ fan_id: `f${i}`, vector: c.vector })));
    const input = path.join(dir, 'creators.jsonl');
    await writeJsonl(input, creators);
    const stdout = capture(process.stdout);
    const stderr = capture(process.stderr);
    try {
      const run = batchMatch(['--fans', fans, '--out', path.join(dir, 'recs.jsonl'), '--addr', `127.0.0.1:${running.port}`, '--wait-ms', '20000', '--log-format', 'human']);
      await new Promise((r) => setTimeout(r, 500));
      await buildIndex({ input, out: idx });
      expect(await run).toBe(0);
    } finally {
      stdout.restore();
      stderr.restore();
      await running.stop();
    }
    expect(stdout.text()).toMatch(/^done: 10\/10 lines/m);
    expect((await fs.readFile(path.join(dir, 'recs.jsonl'), 'utf8')).trim().split('\n')).toHaveLength(10);
  });

  it('fails with one line when no server comes up in time', async () => {
    const dir = await tempDir('batch-cli-none-');
    const fans = path.join(dir, 'fans.jsonl');
    await writeJsonl(fans, [{ fan_id: 'f', interest_text: 'x' }]);
    const stderr = capture(process.stderr);
    let code: number;
    try {
      code = await batchMatch(['--fans', fans, '--out', path.join(dir, 'recs.jsonl'), '--addr', '127.0.0.1:1', '--wait-ms', '300', '--log-format', 'human']);
    } finally {
      stderr.restore();
    }
    expect(code).toBe(1);
    const lines = stderr.text().trim().split('\n');
    expect(lines[0]).toMatch(/^batch-match: the server at 127\.0\.0\.1:1 did not answer with an index within 300 ms .*start it \(npm start\) or raise --wait-ms/);
    expect(lines).toHaveLength(1);
  });
});
