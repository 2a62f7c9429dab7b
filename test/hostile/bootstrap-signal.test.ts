/**
 * Item 10: Ctrl-C during the first `npm start` (prestart: index-builder/bootstrap.ts converts the
 * model and builds the sample catalog; then src/main.ts serves). The whole process group gets
 * SIGINT, as from a terminal: everything stops within seconds, nothing serves, nothing is
 * published; and a conversion lock left by a killed process does not hold up the next start.
 *
 * Bounds are "does not hang" bounds (the old service logged "bye", kept building, served, then
 * exited 1; a dead conversion lock held the next start for 120 s).
 */
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT, runTs } from '../helpers/child';
import { tempDir, waitFor } from '../helpers/server';

let dir: string;
beforeEach(async () => {
  dir = await tempDir('creator-match-boot-');
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

it('SIGINT to the process group while the first start builds the sample: all of it exits within 20 s, nothing serves or is published', async () => {
  const env = { ...process.env, MATCH_INDEX_DIR: path.join(dir, 'idx'), MATCH_AUTO_BUILD_SAMPLE: 'true', MATCH_MODELS_DIR: path.join(dir, 'models'), MATCH_GRPC_ADDR: '127.0.0.1:0', MATCH_METRICS_ADDR: 'off', LOG_LEVEL: 'info' };
  const child = spawn('npm', ['start'], { cwd: ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  try {
    await waitFor(() => out.includes('building the bundled sample catalog'), 90_000, 'the sample build to start');
    process.kill(-child.pid!, 'SIGINT');
    const t = Date.now();
    const result = await Promise.race([exited, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 20_000))]);
    expect(result).not.toBe('hung');
    expect(Date.now() - t).toBeLessThan(20_000);
    // Nobody of the group is left running.
    await waitFor(() => {
      try {
        process.kill(-child.pid!, 0);
        return false;
      } catch {
        return true;
      }
    }, 10_000, 'the process group to be gone');
    expect(out).not.toContain('gRPC server listening');
    expect(out).not.toContain('index version now serving');
    const entries = await fs.readdir(path.join(dir, 'idx')).catch(() => []);
    expect(entries).not.toContain('CURRENT');
  } finally {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // gone
    }
  }
});

it('a model-conversion lock left by a killed process is taken over at once', async () => {
  const models = path.join(dir, 'models');
  const lock = path.join(models, 'creator-match', 'use-lite.lock');
  await fs.mkdir(lock, { recursive: true });
  const dead = spawn(process.execPath, ['-e', '0']);
  await new Promise((r) => dead.once('exit', r));
  await fs.writeFile(path.join(lock, 'owner.json'), JSON.stringify({ pid: dead.pid, host: os.hostname() }));
  const r = await runTs('index-builder/bootstrap.ts', [], { timeoutMs: 60_000, env: { MATCH_MODELS_DIR: models, MATCH_AUTO_BUILD_SAMPLE: 'false', MATCH_INDEX_DIR: path.join(dir, 'idx') } });
  expect({ timedOut: r.timedOut, code: r.code }).toEqual({ timedOut: false, code: 0 });
  expect(r.ms).toBeLessThan(60_000);
  await expect(fs.stat(path.join(models, 'creator-match', 'use-lite', 'config.json'))).resolves.toBeDefined();
  await expect(fs.stat(lock)).rejects.toMatchObject({ code: 'ENOENT' });
});
