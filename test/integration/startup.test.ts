import { spawn } from 'node:child_process';
import path from 'node:path';
import { status } from '@grpc/grpc-js';
import { buildIndex } from '../../index-builder/build-index';
import { healthCheck, startServer, tempDir, unary, unaryError, waitFor, writeJsonl } from '../helpers/server';
import { syntheticCreators } from '../helpers/synthetic';

const ROOT = path.resolve(__dirname, '..', '..');

describe('startup', () => {
  it('with nothing published: listens NOT_SERVING, answers INDEX_NOT_READY, and serves the first version published', async () => {
    const dir = await tempDir('startup-empty-');
    const indexDir = path.join(dir, 'idx');
    const running = await startServer(indexDir, { MATCH_RELOAD_POLL_MS: '200' });
    try {
      expect(await healthCheck(running.port)).toBe('NOT_SERVING');
      const err = await unaryError(running.client, 'Match', { vector: { values: [1, 0, 0, 0, 0, 0, 0, 0] } });
      expect({ code: err.code, reason: err.reason }).toEqual({ code: status.UNAVAILABLE, reason: 'INDEX_NOT_READY' });
      expect(running.logs.some((l) => String(l.msg).startsWith(`no published index in ${indexDir} yet`))).toBe(true);
      const input = path.join(dir, 'creators.jsonl');
      const creators = syntheticCreators(50, 8, 4);
      await writeJsonl(input, creators);
      await buildIndex({ input, out: indexDir });
      await waitFor(async () => (await healthCheck(running.port)) === 'SERVING', 20_000, 'SERVING after the first build');
      const res = await unary(running.client, 'Match', { vector: { values: creators[0]!.vector }, k: 1, filter: { include_nsfw: true } });
      expect(res.matches[0]!.creator_id).toBe(creators[0]!.id);
    } finally {
      await running.stop();
    }
  });

  it('a port already in use: exit 1 with one line that says so and what to change (no stack, no repeated message)', async () => {
    const dir = await tempDir('startup-busy-');
    const indexDir = path.join(dir, 'idx');
    const input = path.join(dir, 'creators.jsonl');
    await writeJsonl(input, syntheticCreators(30, 8, 5));
    await buildIndex({ input, out: indexDir });
    const first = await startServer(indexDir);
    try {
      const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
        cwd: ROOT,
        env: { ...process.env, MATCH_INDEX_DIR: indexDir, MATCH_GRPC_ADDR: `127.0.0.1:${first.port}`, MATCH_METRICS_ADDR: 'off', LOG_LEVEL: 'info' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.on('data', (d: Buffer) => (output += d.toString()));
      child.stderr.on('data', (d: Buffer) => (output += d.toString()));
      const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
      expect(code).toBe(1);
      const lines = output.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { level: number; msg: string; err?: unknown });
      const problems = lines.filter((l) => l.level >= 40);
      expect(problems).toHaveLength(1);
      expect(problems[0]!.msg).toMatch(/^cannot listen: the address is already in use .*set MATCH_GRPC_ADDR/);
      expect(problems[0]!.err).toBeUndefined();
      expect(output).not.toContain('No address added out of total 1 resolved\n');
    } finally {
      await first.stop();
    }
  });
});
