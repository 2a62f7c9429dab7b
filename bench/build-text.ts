/**
 * `npm run bench:build:text [-- --profiles 3000 --words 100 --configs 1x1,1x2,2x1 --passes 2 --no-write]` (`--quick`: 600 profiles, 1 pass)
 *
 * The builder on text profiles (no vectors): `index:build` (the real CLI, its own process) embeds
 * every profile with the default model (q8) and inserts into HNSW, against the raw transformers.js
 * pipeline embedding the very same profile texts in batches of 32, in this process, at each ONNX
 * Runtime intra-op thread count. A config WxT is `--embed-workers W --embed-threads T` (W threads
 * that embed, each its own model session with T intra-op threads; chunks in flight: one per
 * thread, the CLI's default); the reference for it is the raw pipeline on W x T intra-op threads
 * (the cores the config uses), one batch at a time. Runs alternate (reference, CLI) per config and
 * per pass.
 *
 * Profiles: the seeded sample generator (npm run data:generate's code), each `about` lengthened
 * with the about texts of other creators of the same category and language until the embedded
 * profile text has about `--words` words: realistic creator bios of ~100 words.
 */
import { createWriteStream, existsSync } from 'node:fs';
import { once } from 'node:events';
import { rename } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { profileText } from '../src/catalog/profile-text';
import type { CreatorRecord } from '../src/catalog/creator';
import { cliBuild, type CliBuild } from './build';
import { arg, boxEnd, boxLine, boxStart, CACHE, commandLine, fmt, median, MiB, QUICK, stamp, table, writeJson, writeSection } from './lib/common';
import { longProfiles } from './lib/long-profiles';
import { rawPipeline } from './lib/raw-pipeline';

const BATCH = 32;
const words = (s: string): number => s.split(/\s+/).filter(Boolean).length;

async function writeProfiles(file: string, records: CreatorRecord[]): Promise<void> {
  const out = createWriteStream(`${file}.tmp`);
  for (const r of records) if (!out.write(`${JSON.stringify(r)}\n`)) await once(out, 'drain');
  out.end();
  await once(out, 'finish');
  await rename(`${file}.tmp`, file);
}

async function main(): Promise<void> {
  const box = boxStart();
  const n = arg('profiles', QUICK ? 600 : 3000);
  const target = arg('words', 100);
  const cores = os.availableParallelism();
  const configs = (process.argv.includes('--configs') ? process.argv[process.argv.indexOf('--configs') + 1]! : cores > 1 ? `1x1,1x${cores},${Math.min(4, cores)}x1` : '1x1')
    .split(',')
    .map((c) => c.split('x').map(Number) as [number, number]);
  const passes = arg('passes', QUICK ? 1 : 2);
  const records = longProfiles(n, target);
  const texts = records.map(profileText);
  const wordCounts = texts.map(words).sort((a, b) => a - b);
  const input = path.join(CACHE, `text-profiles-${n}-${target}w.jsonl`);
  if (!existsSync(input)) await writeProfiles(input, records);

  type Run = { workers: number; threads: number; ref: number[]; refSorted: number[]; cli: CliBuild[] };
  const runs: Run[] = configs.map(([workers, threads]) => ({ workers, threads, ref: [], refSorted: [], cli: [] }));
  const sortedTexts = [...texts].sort((a, b) => a.length - b.length);
  for (let pass = 0; pass < passes; pass++) {
    for (const r of runs) {
      // The reference: the raw pipeline, batches of 32 in input order (and, for information, length-sorted).
      const raw = await rawPipeline({ threads: r.workers * r.threads });
      await raw.embed(texts.slice(0, BATCH));
      for (const [list, into] of [
        [texts, r.ref],
        [sortedTexts, r.refSorted],
      ] as const) {
        const t0 = performance.now();
        for (let i = 0; i < list.length; i += BATCH) await raw.embed(list.slice(i, i + BATCH));
        into.push(list.length / ((performance.now() - t0) / 1000));
      }
      await raw.dispose();
      const b = await cliBuild(['--input', input, '--embed-workers', String(r.workers), '--embed-threads', String(r.threads), '--recall-sample', '200']);
      r.cli.push(b);
      process.stderr.write(
        `pass ${pass + 1}, ${r.workers}x${r.threads}: raw ${r.ref[r.ref.length - 1]!.toFixed(0)}/s (sorted ${r.refSorted[r.refSorted.length - 1]!.toFixed(0)}/s); ` +
          `index:build ${b.wall.toFixed(1)} s wall = ${(n / b.wall).toFixed(0)}/s, ${(b.cpuSeconds / b.wall).toFixed(2)} cores; ${JSON.stringify(b.seconds)}\n`,
      );
    }
  }
  const end = boxEnd(box);
  const rows: (string | number)[][] = [];
  const summary: Record<string, number>[] = [];
  const best = Math.max(...runs.map((r) => median(r.ref)));
  for (const r of runs) {
    const ref = median(r.ref);
    const cliRate = median(r.cli.map((b) => n / b.wall));
    const embedRate = median(r.cli.map((b) => n / b.seconds.embed!));
    const coresUsed = median(r.cli.map((b) => b.cpuSeconds / b.wall));
    const pick = r.cli[Math.floor(r.cli.length / 2)]!;
    const s = pick.seconds;
    const all = r.workers * r.threads;
    rows.push([`raw transformers.js pipeline, batches of ${BATCH}, input order (reference)`, `1 x ${all}`, fmt(ref), '1.00x', '-', '-', '-']);
    rows.push([`raw pipeline, batches of ${BATCH}, length-sorted`, `1 x ${all}`, fmt(median(r.refSorted)), `${fmt(median(r.refSorted) / ref, 2)}x`, '-', '-', '-']);
    rows.push([
      `index:build --embed-workers ${r.workers} --embed-threads ${r.threads}, whole CLI (model load ${fmt(s.modelLoad ?? NaN, 1)} s, embed ${fmt(s.embed!, 1)} s with inserts overlapped (busy ${fmt(s.insert!, 1)} s, tail ${fmt(s.insertTail ?? NaN, 2)} s), recall ${fmt(s.recall!, 1)} s, write ${fmt(s.write!, 1)} s)`,
      `${r.workers} x ${r.threads}`,
      fmt(cliRate),
      `**${fmt(cliRate / ref, 2)}x**`,
      fmt(coresUsed, 2),
      fmt(median(r.cli.map((b) => b.wall)), 1),
      MiB(median(r.cli.map((b) => b.maxRss))),
    ]);
    rows.push([`index:build, embedding stage alone`, `${r.workers} x ${r.threads}`, fmt(embedRate), `${fmt(embedRate / ref, 2)}x`, '-', '-', '-']);
    summary.push({ workers: r.workers, threads: r.threads, refTextsPerSec: ref, cliTextsPerSec: cliRate, cliVsRef: cliRate / ref, cliVsBestRef: cliRate / best, embedStageVsRef: embedRate / ref, coresUsed });
  }
  const lines = [
    `### Builder on text profiles (${stamp()} UTC)`,
    '',
    `Command: \`${commandLine('bench:build:text')}\`. ${boxLine(end)}`,
    '',
    `${n} generated creator profiles of ${wordCounts[0]}–${wordCounts[wordCounts.length - 1]} words (median ${wordCounts[Math.floor(n / 2)]}) as embedded (name, category, about, tags), no vectors: \`index:build --input ${path.basename(input)} --embed-workers W --embed-threads T\` (default model, q8, M 16, efC 200, recall check on 200). ` +
      `texts/s of the CLI = profiles / whole wall time of the process (Node start, model load, embedding, HNSW, recall check, write); "vs ref" divides by the raw pipeline (one session) on W x T intra-op threads in the same pass order; cores = the process's CPU seconds / wall. Median of ${passes} pass(es).`,
    '',
    ...table(['what', 'sessions x ONNX threads', 'texts/s', 'vs ref', 'cores used', 'wall s', 'peak RSS MiB'], rows),
    '',
    ...summary.map((s) => `- ${s.workers} embedding thread(s) x ${s.threads} ONNX thread(s): index:build ${fmt(s.cliTextsPerSec!)} profiles/s = **${fmt(s.cliVsRef!, 2)}x** the raw pipeline (${fmt(s.cliVsBestRef!, 2)}x its best thread count), on ${fmt(s.coresUsed!, 2)} cores; the embedding stage alone ${fmt(s.embedStageVsRef!, 2)}x.`),
    '',
  ];
  await writeJson('build-text', { box: end, n, target, wordCounts: { min: wordCounts[0], median: wordCounts[Math.floor(n / 2)], max: wordCounts[wordCounts.length - 1] }, runs: runs.map((r) => ({ ...r, cli: r.cli.map((b) => ({ ...b, report: undefined })) })), summary });
  await writeSection('build-text', lines);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
