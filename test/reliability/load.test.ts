/**
 * The short CI form of `npm run bench:load`: the same load generator (client processes with a mix of
 * Match vector/text/like_creators and BatchMatch) for about 5 s at modest concurrency against the
 * real service in its own process. Asserts correctness and counts, never latency.
 */
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { ROOT, startServerProcess, type ServerProcess } from '../../bench/load/server-process';
import { DEFAULT_MIX, REQUEST_TYPES, rssSummary, runLoad, type Workload } from '../../bench/load/workload';
import { tempDir } from '../helpers/server';

let work: string;
let server: ServerProcess | undefined;
afterAll(async () => {
  await server?.stop();
  if (work) await fs.rm(work, { recursive: true, force: true });
});

it('serves a mixed load from several client processes with zero errors and flat RSS', async () => {
  work = await tempDir('creator-match-load-');
  const lines = (await fs.readFile(path.join(ROOT, 'data/sample-creators.jsonl'), 'utf8')).trim().split('\n').slice(0, 240);
  await fs.writeFile(path.join(work, 'creators.jsonl'), lines.join('\n') + '\n');
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', 'index-builder/cli.ts', '--input', path.join(work, 'creators.jsonl'), '--out', path.join(work, 'idx'), '--no-progress', '--json', '--recall-sample', '100'],
    { cwd: ROOT, maxBuffer: 16 << 20 },
  );
  const report = JSON.parse(stdout) as { version: string; dims: number };
  const creators = lines.map((l) => JSON.parse(l) as { id: string; category: string });
  const fans = (await fs.readFile(path.join(ROOT, 'data/sample-fans.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { interest_text: string });
  const workload: Workload = {
    dims: report.dims,
    texts: fans.map((f) => f.interest_text),
    likeIds: creators.map((c) => c.id),
    categories: [...new Set(creators.map((c) => c.category))].filter((c) => creators.filter((x) => x.category === c).length >= 12),
    mix: DEFAULT_MIX,
    k: 5,
    batchSize: 8,
    expectVersion: report.version,
  };

  // No fixed ports: the metrics endpoint (default 0.0.0.0:9464) is off; other jobs on the box may hold it.
  server = await startServerProcess({ indexDir: path.join(work, 'idx'), workDir: work, probe: true, name: 'load-ci', env: { MATCH_METRICS_ADDR: 'off' } });
  const r = await runLoad({ server, workload, clients: 2, concurrency: 3, seconds: 5, workDir: work, seed: 7 });
  expect(r.errorSamples).toEqual([]);
  expect(r.errors).toBe(0);
  for (const t of REQUEST_TYPES) expect(r.byType[t].calls).toBeGreaterThan(0);
  expect(r.queries).toBeGreaterThan(r.calls); // BatchMatch items count as queries
  const rss = rssSummary(r.probes, 1);
  expect(rss.samples).toBeGreaterThanOrEqual(3);
  expect(rss.growthPct).toBeLessThan(50);
  const exit = await server.stop();
  server = undefined;
  expect(exit).toEqual({ code: 0, signal: null });
});
