/**
 * `nice npm run bench:lexical [-- --creators 100000 --queries 1000 --k 50 --no-write]`
 *
 * The lexical side of hybrid retrieval (src/lexical/lexical-index.ts) at catalog scale: build,
 * serialize, load, memory, and query latency unfiltered and with a filter that allows 1% of
 * labels. One process builds and writes the file; a fresh one (node --expose-gc) loads it, as the
 * service loads an index version, and is measured: memory is heapUsed + external after GC minus
 * before, and the RSS delta, of loading the file. Latency is wall clock and CPU time (process.cpuUsage) per query: on a shared
 * machine the wall-clock tail is mostly time spent descheduled, which the CPU time leaves out.
 *
 * Data: the seeded sample generator (tools/sample-data) at --creators, cached under
 * .bench-cache/lexical-N/. Queries (seeded): half fan interest texts of 3+ words from the
 * generator, half spans of 3–30 consecutive words of random creators' about texts (all 7
 * languages). Filter: label → (label · 2654435761 mod 2^32) mod 100 = 0.
 *
 * The library comparison that chose this implementation (minisearch, @orama/orama, same analyzer
 * and data) was measured by this script's adapters at commit 9a50660; its rows are kept in
 * docs/bench/lexical.json under `candidates` and printed below the current figures.
 * Prints tables and writes docs/bench/lexical.json (unless --no-write).
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { profileText } from '../src/catalog/profile-text';
import { LexicalIndex, type LexicalDoc } from '../src/lexical/lexical-index';
import { mulberry32 } from '../src/util/mulberry32';
import { writeDataset } from '../tools/sample-data/dataset';
import { arg, argStr, CACHE, cpuLine, flag, fmt, percentile, ROOT, stamp, table } from './lib/common';

const run = promisify(execFile);
const OUT = path.join(ROOT, 'docs', 'bench', 'lexical.json');

interface Latency {
  p50: number;
  p99: number;
  mean: number;
  /** Queries of 5–15 words. */
  p50_5to15: number;
  p99_5to15: number;
}

interface Timing {
  wall: Latency;
  cpu: Latency;
  measured: number;
}

interface Result {
  engine: 'homemade';
  creators: number;
  terms: number;
  buildMs: number;
  serializeMs: number;
  fileBytesPerCreator: number;
  loadMs: number;
  loadedBytesPerCreator: number;
  loadedRssPerCreator: number;
  /** LexicalIndex.bytesInMemory / size. */
  estimatedBytesPerCreator: number;
  query: Timing;
  filtered: Timing & { underfilled: number };
  longQuery: { chars: number; words: number; wallMs: number; cpuMs: number };
  addMs: number;
  removeMs: number;
  meanHits: number;
}

interface CandidateRow {
  engine: string;
  buildMs: number;
  query: { p50: number; p99: number; p50_5to15: number; p99_5to15: number };
  filtered: { p50: number; p99: number };
  loadedBytesPerCreator: number;
  loadedRssPerCreator: number;
  fileBytesPerCreator: number;
  loadMs: number;
  addMs: number;
  removeMs: number;
  top10OverlapWithFirst: number;
  features: Record<string, string>;
}

const gc = (): void => {
  const g = (globalThis as { gc?: () => void }).gc;
  if (!g) throw new Error('run with node --expose-gc');
  for (let i = 0; i < 3; i++) g();
};
const heap = (): number => {
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
};

const allows1pct = (label: number): boolean => (Math.imul(label, 2654435761) >>> 0) % 100 === 0;
const wordCount = (q: string): number => q.split(/\s+/).filter(Boolean).length;

function latency(ms: number[], words: number[]): Latency {
  const sorted = [...ms].sort((a, b) => a - b);
  const mid = ms.filter((_, i) => words[i]! >= 5 && words[i]! <= 15).sort((a, b) => a - b);
  return {
    p50: percentile(sorted, 0.5),
    p99: percentile(sorted, 0.99),
    mean: ms.reduce((a, b) => a + b, 0) / ms.length,
    p50_5to15: percentile(mid, 0.5),
    p99_5to15: percentile(mid, 0.99),
  };
}

function timed(queries: readonly string[], fn: (q: string) => void): Timing {
  const wall: number[] = [];
  const cpu: number[] = [];
  for (const q of queries) {
    const c = process.cpuUsage();
    const s = performance.now();
    fn(q);
    wall.push(performance.now() - s);
    const used = process.cpuUsage(c);
    cpu.push((used.user + used.system) / 1000);
  }
  const words = queries.map(wordCount);
  return { wall: latency(wall, words), cpu: latency(cpu, words), measured: queries.length };
}

function readDocs(dir: string): LexicalDoc[] {
  const lines = readFileSync(path.join(dir, 'sample-creators.jsonl'), 'utf8').split('\n').filter(Boolean);
  return lines.map((l, label) => {
    const c = JSON.parse(l) as { name: string; about: string; tags: string[]; category: string; language: string };
    return { label, text: profileText(c), language: c.language };
  });
}

type BuildPart = Pick<Result, 'creators' | 'terms' | 'buildMs' | 'serializeMs' | 'fileBytesPerCreator'>;
type ServePart = Omit<Result, keyof BuildPart | 'engine'>;

/** Process 1: build from the texts, serialize to `file`. */
function buildChild(dir: string, file: string): BuildPart {
  const docs = readDocs(dir);
  let t = performance.now();
  const index = LexicalIndex.build(docs);
  const buildMs = performance.now() - t;
  t = performance.now();
  const bytes = index.serialize();
  const serializeMs = performance.now() - t;
  writeFileSync(file, bytes);
  return { creators: docs.length, terms: index.vocabularySize, buildMs, serializeMs, fileBytesPerCreator: bytes.length / docs.length };
}

/** Deserializes `file`, timed; its bytes are garbage once this returns (before the heap is measured). */
function loadTimed(file: string): { index: LexicalIndex; loadMs: number } {
  const bytes = readFileSync(file);
  const t0 = performance.now();
  const index = LexicalIndex.deserialize(bytes);
  return { index, loadMs: performance.now() - t0 };
}

/** Process 2 (fresh, as a service loads a version): load `file`, memory, queries, updates. */
function serveChild(dir: string, file: string, k: number): ServePart {
  const queries = JSON.parse(readFileSync(path.join(dir, 'queries.json'), 'utf8')) as string[];
  const h0 = heap();
  const r0 = process.memoryUsage.rss();
  const { index, loadMs } = loadTimed(file);
  const h1 = heap();
  const r1 = process.memoryUsage.rss();
  const n = index.size;

  for (let i = 0; i < 300; i++) index.search(queries[i % queries.length]!, k);
  for (let i = 0; i < 100; i++) index.search(queries[i % queries.length]!, k, allows1pct);
  let hits = 0;
  const query = timed(queries, (q) => {
    hits += index.search(q, k).length;
  });
  let underfilled = 0;
  const filtered = timed(queries, (q) => {
    const res = index.search(q, k, allows1pct);
    if (res.some((h) => !allows1pct(h.label))) throw new Error('filtered search returned a label the filter rejects');
    if (res.length < k) underfilled++;
  });
  // A 4,000-character query of hundreds of distinct words.
  const long = queries.join(' ').slice(0, 4000);
  const longTiming = timed([long, long, long, long, long], (q) => index.search(q, k));

  const docs = readDocs(dir).slice(0, 1000);
  let t = performance.now();
  for (const d of docs) index.add(n + d.label, d.text, d.language);
  const addMs = (performance.now() - t) / docs.length;
  t = performance.now();
  for (const d of docs) index.remove(d.label);
  const removeMs = (performance.now() - t) / docs.length;

  return {
    loadMs,
    loadedBytesPerCreator: (h1 - h0) / n,
    loadedRssPerCreator: (r1 - r0) / n,
    estimatedBytesPerCreator: index.bytesInMemory / index.size,
    query,
    filtered: { ...filtered, underfilled },
    longQuery: { chars: long.length, words: wordCount(long), wallMs: longTiming.wall.p50, cpuMs: longTiming.cpu.p50 },
    addMs,
    removeMs,
    meanHits: hits / queries.length,
  };
}

/** Half fan interest texts (3+ words), half spans of 3–30 words of random about texts. */
function makeQueries(dir: string, count: number): string[] {
  const rand = mulberry32(7);
  const fans = readFileSync(path.join(dir, 'sample-fans.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => (JSON.parse(l) as { interest_text: string }).interest_text)
    .filter((q) => wordCount(q) >= 3);
  const abouts = readFileSync(path.join(dir, 'sample-creators.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => (JSON.parse(l) as { about: string }).about.split(/\s+/).filter(Boolean));
  const out: string[] = [];
  while (out.length < count) {
    if (out.length % 2 === 0) {
      out.push(fans[Math.floor(rand() * fans.length)]!);
      continue;
    }
    const len = 3 + Math.floor(rand() * 28);
    const words: string[] = [];
    while (words.length < len) words.push(...abouts[Math.floor(rand() * abouts.length)]!);
    const start = Math.floor(rand() * (words.length - len + 1));
    out.push(words.slice(start, start + len).join(' '));
  }
  return out;
}

async function main(): Promise<void> {
  const k = arg('k', 50);
  const role = argStr('child', '');
  if (role) {
    const dir = argStr('dir', '');
    const file = path.join(dir, 'index.lexical');
    const part = role === 'build' ? buildChild(dir, file) : serveChild(dir, file, k);
    process.stdout.write(`\n${JSON.stringify(part)}\n`);
    return;
  }
  const creators = arg('creators', 100_000);
  const queryCount = arg('queries', 1000);
  const dir = path.join(CACHE, `lexical-${creators}`);
  if (!existsSync(path.join(dir, 'sample-creators.jsonl')) || !existsSync(path.join(dir, 'sample-fans.jsonl'))) {
    mkdirSync(dir, { recursive: true });
    writeDataset({ creators, fans: 1000, seed: 42 }, dir);
  }
  const queries = makeQueries(dir, queryCount);
  writeFileSync(path.join(dir, 'queries.json'), JSON.stringify(queries));
  const lengths = queries.map(wordCount).sort((a, b) => a - b);
  const part = async (role: 'build' | 'serve'): Promise<unknown> => {
    const { stdout } = await run(
      process.execPath,
      ['--expose-gc', '--require', 'tsx/cjs', __filename, '--child', role, '--dir', dir, '--k', String(k)],
      { cwd: ROOT, maxBuffer: 1 << 24 },
    );
    return JSON.parse(stdout.trim().split('\n').pop()!);
  };
  const built = (await part('build')) as BuildPart;
  const served = (await part('serve')) as ServePart;
  rmSync(path.join(dir, 'index.lexical'));
  const r: Result = { engine: 'homemade', ...built, ...served };
  const load = os.loadavg();

  const ms = (x: number): string => fmt(x, x < 10 ? 3 : 1);
  const pair = (a: number, b: number): string => `${ms(a)} / ${ms(b)}`;
  const lines = [
    `Lexical index — ${stamp()} UTC, ${r.creators} creators (${r.terms} terms), ${queries.length} queries (${lengths[0]}–${lengths[lengths.length - 1]} words, median ${percentile(lengths, 0.5)}), k = ${k}`,
    `${cpuLine()}; load average at the end ${load.map((x) => x.toFixed(2)).join(', ')}`,
    '',
    ...table(
      ['measure', 'value'],
      [
        ['build (100k texts, analyzer included) s', fmt(r.buildMs / 1000, 2)],
        ['serialize ms / file bytes per creator', `${fmt(r.serializeMs)} / ${fmt(r.fileBytesPerCreator, 1)}`],
        ['load (deserialize, validated) ms', fmt(r.loadMs)],
        ['loaded heap / RSS / estimate bytes per creator', `${fmt(r.loadedBytesPerCreator)} / ${fmt(r.loadedRssPerCreator)} / ${fmt(r.estimatedBytesPerCreator)}`],
        ['query wall p50 / p99 ms (all; 5–15 words)', `${pair(r.query.wall.p50, r.query.wall.p99)}; ${pair(r.query.wall.p50_5to15, r.query.wall.p99_5to15)}`],
        ['query CPU p50 / p99 ms (all; 5–15 words)', `${pair(r.query.cpu.p50, r.query.cpu.p99)}; ${pair(r.query.cpu.p50_5to15, r.query.cpu.p99_5to15)}`],
        ['1% filter wall p50 / p99 ms', pair(r.filtered.wall.p50, r.filtered.wall.p99)],
        ['1% filter CPU p50 / p99 ms', pair(r.filtered.cpu.p50, r.filtered.cpu.p99)],
        ['1% filter: queries with fewer than k allowed matches', `${r.filtered.underfilled} of ${r.filtered.measured}`],
        [`${r.longQuery.chars}-character query (${r.longQuery.words} words) wall / CPU ms`, pair(r.longQuery.wallMs, r.longQuery.cpuMs)],
        ['add / remove ms per document', `${fmt(r.addMs, 3)} / ${fmt(r.removeMs, 4)}`],
      ],
    ),
  ];
  const previous = existsSync(OUT) ? (JSON.parse(readFileSync(OUT, 'utf8')) as { candidates?: { commit: string; loadAverage: number[]; results: CandidateRow[] } }) : {};
  const candidates = previous.candidates;
  if (candidates) {
    lines.push(
      '',
      `Library comparison (commit ${candidates.commit}, same data, analyzer and queries; wall clock under load average ${candidates.loadAverage.map((x) => x.toFixed(1)).join(', ')}):`,
      '',
      ...table(
        ['engine', 'build s', 'query p50 / p99 ms', '5–15 words p50 / p99 ms', '1% filter p50 / p99 ms', 'loaded heap B/creator', 'loaded RSS B/creator', 'file B/creator', 'load ms', 'add / remove ms', 'top-10 overlap', 'exact BM25', 'filtered top-k'],
        candidates.results.map((c) => [
          c.engine,
          fmt(c.buildMs / 1000, 1),
          pair(c.query.p50, c.query.p99),
          pair(c.query.p50_5to15, c.query.p99_5to15),
          pair(c.filtered.p50, c.filtered.p99),
          fmt(c.loadedBytesPerCreator),
          fmt(c.loadedRssPerCreator),
          fmt(c.fileBytesPerCreator),
          fmt(c.loadMs),
          `${fmt(c.addMs, 3)} / ${fmt(c.removeMs, 3)}`,
          fmt(c.top10OverlapWithFirst, 2),
          c.features.exactBm25 ?? '',
          c.features.filteredTopK ?? '',
        ]),
      ),
    );
  }
  console.log(lines.join('\n'));
  if (flag('no-write')) return;
  mkdirSync(path.dirname(OUT), { recursive: true });
  const report = {
    generated: `${stamp()} UTC`,
    command: `nice npm run bench:lexical -- --creators ${creators} --queries ${queryCount} --k ${k}`,
    machine: cpuLine(),
    loadAverage: load,
    queries: { count: queries.length, minWords: lengths[0], medianWords: percentile(lengths, 0.5), maxWords: lengths[lengths.length - 1] },
    filter: '1% of labels: (label * 2654435761 mod 2^32) mod 100 == 0',
    k,
    result: r,
    candidates,
  };
  writeFileSync(OUT, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`wrote ${path.relative(ROOT, OUT)}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
