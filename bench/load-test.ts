/**
 * `npm run bench:load [-- --seconds 60 --clients 3 --ramp-seconds 5 --levels 1,2,4,8,16,32 --no-write]`
 *
 * Builds the bundled sample catalog (real model) into a temp dir, starts the service as a child
 * process on 127.0.0.1 with bench/load/probe.cjs preloaded (RSS + event-loop delay once a second),
 * ramps the concurrency until QPS stops growing (the measured peak), then runs `--seconds` at the
 * peak with a mixed Match/BatchMatch/text load from `--clients` processes. Writes its figures into
 * docs/RELIABILITY.md (between the load-test markers) unless --no-write. Exit 1 on any error or
 * RSS growth above 10% after warm-up. Loopback only; every phase is bounded in time and count.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { ROOT, startServerProcess } from './load/server-process';
import { DEFAULT_MIX, eventLoopSummary, rssSummary, runLoad, type LoadResult, type Workload } from './load/workload';

const WARMUP_SECONDS = 10;

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
}

const f1 = (x: number): string => x.toFixed(1);
const f2 = (x: number): string => x.toFixed(2);

function phaseLine(r: LoadResult): string {
  return `concurrency ${String(r.concurrency).padStart(3)}: ${f1(r.qps).padStart(7)} queries/s, ${f1(r.callsPerSec).padStart(7)} calls/s, errors ${r.errors}, p99 vector ${f1(r.byType.vector.p99)} ms, text ${f1(r.byType.text.p99)} ms, batch ${f1(r.byType.batch.p99)} ms`;
}

async function main(): Promise<void> {
  const seconds = Number(arg('seconds', '60'));
  const clients = Number(arg('clients', '3'));
  const rampSeconds = Number(arg('ramp-seconds', '5'));
  const levels = arg('levels', '1,2,4,8,16,32').split(',').map(Number);
  const write = !process.argv.includes('--no-write');
  if (![seconds, clients, rampSeconds, ...levels].every((n) => Number.isInteger(n) && n > 0 && n <= 3600)) throw new Error('--seconds, --clients, --ramp-seconds and --levels take positive integers');

  const work = await mkdtemp(path.join(os.tmpdir(), 'creator-match-load-'));
  const indexDir = path.join(work, 'idx');
  try {
    const t0 = Date.now();
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'index-builder/cli.ts', '--input', 'data/sample-creators.jsonl', '--out', indexDir, '--no-progress', '--json'], { cwd: ROOT, maxBuffer: 64 << 20 });
    const report = JSON.parse(stdout) as { version: string; dims: number; count: number };
    console.log(`built the sample index ${report.version} (${report.count} creators, ${report.dims} dims) in ${f1((Date.now() - t0) / 1000)} s`);

    const creators = (await readFile(path.join(ROOT, 'data/sample-creators.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { id: string; category: string });
    const fans = (await readFile(path.join(ROOT, 'data/sample-fans.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { interest_text: string });
    const workload: Workload = {
      dims: report.dims,
      texts: fans.map((f) => f.interest_text),
      likeIds: creators.map((c) => c.id),
      categories: [...new Set(creators.map((c) => c.category))],
      mix: DEFAULT_MIX,
      k: 10,
      batchSize: 16,
      expectVersion: report.version,
    };

    const loadBefore = os.loadavg();
    const server = await startServerProcess({ indexDir, workDir: work, probe: true, name: 'load' });
    console.log(`server pid ${server.child.pid} on ${server.addr}`);
    let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    try {
      const warm = await runLoad({ server, workload, clients, concurrency: 2, seconds: 3, workDir: work });
      console.log(`warm-up ${phaseLine(warm)}`);

      const ramp: LoadResult[] = [];
      let best: LoadResult | undefined;
      let flat = 0;
      for (const level of levels) {
        const r = await runLoad({ server, workload, clients, concurrency: level, seconds: rampSeconds, workDir: work, seed: level });
        ramp.push(r);
        console.log(`ramp    ${phaseLine(r)}`);
        // QPS has stopped growing after two steps in a row without a 5% gain over the best so far.
        if (best && r.qps < best.qps * 1.05) {
          if (r.qps > best.qps) best = r;
          if (++flat === 2) break;
        } else {
          best = r;
          flat = 0;
        }
      }
      // The knee: the lowest concurrency within 5% of the best queries/s (more workers past it only queue).
      const peak = ramp.find((r) => r.qps >= best!.qps * 0.95)!;
      const perClient = peak.concurrency / clients;
      console.log(`measured peak: concurrency ${peak.concurrency} (${perClient} per client), ${f1(peak.qps)} queries/s; now ${seconds} s at it`);

      const main = await runLoad({ server, workload, clients, concurrency: perClient, seconds, workDir: work, seed: 99 });
      console.log(`main    ${phaseLine(main)}`);
      const rss = rssSummary(main.probes, WARMUP_SECONDS);
      const el = eventLoopSummary(main.probes);
      const loadAfter = os.loadavg();
      exit = await server.stop();
      const errorsLogged = (await server.logs()).filter((l) => Number(l.level) >= 50).length;

      const cpu = os.cpus()[0]?.model.trim() ?? 'unknown CPU';
      const date = new Date().toISOString().slice(0, 19).replace('T', ' ');
      const lines = [
        `### Load test — ${date} UTC`,
        '',
        `Command: \`npm run bench:load -- --seconds ${seconds}${clients !== 3 ? ` --clients ${clients}` : ''}\`. Machine: ${cpu}, ${os.cpus().length} cores (os.cpus), ${f1(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${os.platform()}/${os.arch()}. ` +
          `The server, the ${clients} client processes and this driver share these cores; load average (1/5/15 min) ${loadBefore.map(f2).join('/')} before the run, ${loadAfter.map(f2).join('/')} at the end of it (above ${os.cpus().length} means other jobs competed for the CPU). Index: the bundled sample catalog (${report.count} creators, ${report.dims}-d, model creator-match/use-lite q8). ` +
          `Mix per call: ${Object.entries(DEFAULT_MIX).map(([t, w]) => `${t} ${Math.round(w * 100)}%`).join(', ')}; k = 10, 30% of queries with a category filter, BatchMatch streams of ${workload.batchSize} (vector/text/like) items; every answer is checked (k matches, best first, right request_id and index version).`,
        '',
        `**Ramp** (${rampSeconds} s per step, closed-loop workers; queries/s counts each BatchMatch item):`,
        '',
        '| concurrency | queries/s | calls/s | errors | p99 vector (ms) | p99 text (ms) | p99 batch (ms) |',
        '| ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
        ...ramp.map((r) => `| ${r.concurrency} | ${f1(r.qps)} | ${f1(r.callsPerSec)} | ${r.errors} | ${f1(r.byType.vector.p99)} | ${f1(r.byType.text.p99)} | ${f1(r.byType.batch.p99)} |`),
        '',
        `Measured peak: concurrency **${peak.concurrency}** (${perClient} per client process), the lowest concurrency within 5% of the ramp's best queries/s; the ramp stopped after two steps in a row without a 5% gain.`,
        '',
        `**${f1(main.seconds)} s at the peak** (concurrency ${main.concurrency}): **${f1(main.qps)} queries/s** (${f1(main.callsPerSec)} calls/s, ${main.queries} queries in ${main.calls} calls), **errors: ${main.errors}**.`,
        '',
        '| request type | calls | errors | p50 (ms) | p99 (ms) | max (ms) |',
        '| --- | ---: | ---: | ---: | ---: | ---: |',
        ...Object.entries(main.byType).map(([t, s]) => `| ${t === 'batch' ? `BatchMatch (${workload.batchSize} items)` : `Match ${t}`} | ${s.calls} | ${s.errors} | ${f2(s.p50)} | ${f2(s.p99)} | ${f2(s.max)} |`),
        '',
        `Server RSS, sampled every second in the server process (${rss.samples} samples): min ${f1(rss.minMiB)} MiB, max ${f1(rss.maxMiB)} MiB; median of the 10 samples after a ${WARMUP_SECONDS} s warm-up ${f1(rss.baselineMiB)} MiB → median of the last 10 samples ${f1(rss.lastMiB)} MiB: growth **${f1(rss.growthPct)}%** (limit 10%; the highest single sample was ${f1(rss.maxGrowthPct)}% above that baseline: RSS saws up and down with GC).`,
        '',
        `Server event-loop delay (perf_hooks.monitorEventLoopDelay, 10 ms resolution, one histogram per second): p99 median ${f1(el.p99Median)} ms, worst second's p99 **${f1(el.p99Worst)} ms** (second ${el.worstAtSec} of the run), max **${f1(el.max)} ms**, mean ${f2(el.meanOfMeans)} ms.`,
        '',
        `Shutdown after the run: SIGTERM → exit code ${exit.code}${exit.signal ? ` (signal ${exit.signal})` : ''}; error-level log lines during the run: ${errorsLogged}.`,
        ...(main.errorSamples.length ? ['', 'Error samples:', '', ...main.errorSamples.map((e) => `- ${e.type}: ${e.message}`)] : []),
        '',
      ];
      console.log('\n' + lines.join('\n'));
      if (write) {
        const doc = path.join(ROOT, 'docs', 'RELIABILITY.md');
        const text = await readFile(doc, 'utf8').catch(() => '');
        const begin = '<!-- load-test:begin -->';
        const end = '<!-- load-test:end -->';
        const block = `${begin}\n${lines.join('\n')}${end}`;
        const next = text.includes(begin) && text.includes(end) ? text.slice(0, text.indexOf(begin)) + block + text.slice(text.indexOf(end) + end.length) : `${text}\n${block}\n`;
        await writeFile(doc, next);
        console.log(`wrote ${path.relative(ROOT, doc)}`);
      }
      const ok = main.errors === 0 && rss.growthPct <= 10 && exit.code === 0;
      if (!ok) {
        console.error(`FAILED: errors ${main.errors}, RSS growth ${f1(rss.growthPct)}%, exit ${exit.code}`);
        process.exitCode = 1;
      }
    } finally {
      if (!exit) await server.stop();
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
