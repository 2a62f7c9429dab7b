/**
 * `npm run bench:lexical [-- --creators 100000 --queries 1000 --k 50 --engines homemade,minisearch,orama --no-write]`
 *
 * The lexical side of hybrid retrieval at catalog scale: build, serialize, load, query latency
 * (unfiltered and with a filter that allows 1% of labels) and memory, one engine per fresh
 * process. Memory is what the service would hold: the index loaded from its serialized bytes,
 * heapUsed + external after GC (node --expose-gc) minus before, and the RSS delta. Every engine
 * gets the same analyzer (src/lexical/analyzer.ts): the libraries index pre-analyzed terms.
 *
 * Data: the seeded sample generator (tools/sample-data) at --creators, cached under
 * .bench-cache/lexical-N/. Queries (seeded): half fan interest texts from the generator, half
 * spans of 3–30 consecutive words of random creators' about texts (all 7 languages), so lengths
 * run from 3 to 30 words. Latency phases stop after --budget-s seconds (default 120) for slow
 * engines (`measured` says how many queries ran). The last column compares each engine's top 10
 * on the first 200 queries with the first engine's (same analyzer, same BM25 parameters). Filter: label → (label · 2654435761 mod 2^32) mod 100 = 0.
 * Prints a table and writes docs/bench/lexical.json (unless --no-write).
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync, mkdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { create, insert, load, remove, save, search, type AnyOrama } from '@orama/orama';
import MiniSearch, { type Options as MiniSearchOptions } from 'minisearch';
import { profileText } from '../src/catalog/profile-text';
import { analyzeDocument, analyzeQuery } from '../src/lexical/analyzer';
import { LexicalIndex } from '../src/lexical/lexical-index';
import { mulberry32 } from '../src/util/mulberry32';
import { writeDataset } from '../tools/sample-data/dataset';
import { arg, argStr, CACHE, cpuLine, flag, fmt, percentile, ROOT, stamp, table } from './lib/common';

const run = promisify(execFile);

interface BenchDoc {
  label: number;
  text: string;
  language: string;
}

interface Engine {
  build(docs: readonly BenchDoc[]): void;
  serialize(): Uint8Array;
  /** Replaces the index with the one in `bytes`. */
  load(bytes: Uint8Array): void;
  /** Labels of the top k, best first. */
  search(query: string, k: number, allows?: (label: number) => boolean): number[];
  add(doc: BenchDoc): void;
  remove(label: number): void;
  clear(): void;
}

interface Features {
  incremental: string;
  ownAnalyzer: string;
  exactBm25: string;
  filteredTopK: string;
}

const FEATURES: Record<string, Features> = {
  homemade: {
    incremental: 'yes (add/remove, compaction)',
    ownAnalyzer: 'yes',
    exactBm25: 'yes (max over a word’s stem variants)',
    filteredTopK: 'yes: scores allowed labels only',
  },
  minisearch: {
    incremental: 'yes (add, discard + vacuum)',
    ownAnalyzer: 'yes (tokenize/processTerm)',
    exactBm25: 'no: score × matched query terms; variants of a word add up',
    filteredTopK: 'post-filter of all matches (filter option)',
  },
  orama: {
    incremental: 'yes (insert/remove)',
    ownAnalyzer: 'yes (tokenizer component)',
    exactBm25: 'no: tf is divided by field length; variants add up',
    filteredTopK: 'no predicate filter: fetch all matches, then filter',
  },
};

const terms = (d: BenchDoc): string => analyzeDocument(d.text, d.language).terms.join(' ');
const queryTerms = (q: string): string[] => [...new Set(analyzeQuery(q).words.flat())];

function homemade(): Engine {
  let index = new LexicalIndex();
  return {
    build: (docs) => (index = LexicalIndex.build(docs)),
    serialize: () => index.serialize(),
    load: (bytes) => (index = LexicalIndex.deserialize(bytes)),
    search: (q, k, allows) => index.search(q, k, allows).map((h) => h.label),
    add: (d) => index.add(d.label, d.text, d.language),
    remove: (label) => index.remove(label),
    clear: () => (index = new LexicalIndex()),
  };
}

function minisearch(): Engine {
  type Doc = { id: number; text: string };
  const options: MiniSearchOptions<Doc> = {
    fields: ['text'],
    storeFields: [],
    tokenize: (s: string) => s.split(' ').filter(Boolean),
    processTerm: (t: string) => t,
    searchOptions: { bm25: { k: 1.2, b: 0.75, d: 0 }, prefix: false, fuzzy: false, combineWith: 'OR' as const },
  };
  let ms = new MiniSearch<Doc>(options);
  return {
    build: (docs) => {
      ms = new MiniSearch<Doc>(options);
      ms.addAll(docs.map((d) => ({ id: d.label, text: terms(d) })));
    },
    serialize: () => Buffer.from(JSON.stringify(ms)),
    load: (bytes) => (ms = MiniSearch.loadJSON<Doc>(Buffer.from(bytes).toString('utf8'), options)),
    search: (q, k, allows) => {
      const t = queryTerms(q);
      if (t.length === 0) return [];
      const hits = ms.search(t.join(' '), allows ? { filter: (r) => allows(r.id as number) } : {});
      return hits.slice(0, k).map((h) => h.id as number);
    },
    add: (d) => ms.add({ id: d.label, text: terms(d) }),
    remove: (label) => ms.discard(label),
    clear: () => (ms = new MiniSearch<Doc>(options)),
  };
}

function orama(): Engine {
  const make = (): AnyOrama =>
    create({
      schema: { text: 'string' } as const,
      components: { tokenizer: { language: 'english', normalizationCache: new Map(), tokenize: (raw: string) => raw.split(' ').filter(Boolean) } },
    }) as AnyOrama;
  let db = make();
  const sync = <T>(v: T | Promise<T>): T => {
    if (v instanceof Promise) throw new Error('orama returned a promise; expected sync components');
    return v;
  };
  const relevance = { k: 1.2, b: 0.75, d: 0 };
  return {
    build: (docs) => {
      db = make();
      for (const d of docs) sync(insert(db, { id: String(d.label), text: terms(d) }));
    },
    serialize: () => Buffer.from(JSON.stringify(save(db))),
    load: (bytes) => {
      db = make();
      load(db, JSON.parse(Buffer.from(bytes).toString('utf8')));
    },
    search: (q, k, allows) => {
      const t = queryTerms(q);
      if (t.length === 0) return [];
      const limit = allows ? 1_000_000 : k;
      const res = sync(search(db, { term: t.join(' '), properties: ['text'], limit, threshold: 1, relevance }));
      const out: number[] = [];
      for (const h of res.hits) {
        const label = Number(h.id);
        if (allows && !allows(label)) continue;
        out.push(label);
        if (out.length === k) break;
      }
      return out;
    },
    add: (d) => sync(insert(db, { id: String(d.label), text: terms(d) })),
    remove: (label) => sync(remove(db, String(label))),
    clear: () => (db = make()),
  };
}

const ENGINES: Record<string, () => Engine> = { homemade, minisearch, orama };

interface ChildResult {
  engine: string;
  creators: number;
  buildMs: number;
  serializeMs: number;
  fileBytesPerCreator: number;
  loadMs: number;
  loadedBytesPerCreator: number;
  loadedRssPerCreator: number;
  query: Latency & { measured: number };
  filtered: Latency & { measured: number; underfilled: number };
  top10: number[][];
  addMs: number;
  removeMs: number;
  meanHits: number;
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

interface Latency {
  p50: number;
  p99: number;
  mean: number;
  p50_5to15: number;
  p99_5to15: number;
}

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

function readDocs(dir: string): BenchDoc[] {
  const lines = readFileSync(path.join(dir, 'sample-creators.jsonl'), 'utf8').split('\n').filter(Boolean);
  return lines.map((l, label) => {
    const c = JSON.parse(l) as { name: string; about: string; tags: string[]; category: string; language: string };
    return { label, text: profileText(c), language: c.language };
  });
}

/** Times `fn` on each query until all ran or `budgetMs` passed (slow engines: a prefix). */
function timed(queries: readonly string[], budgetMs: number, fn: (q: string) => void): number[] {
  const out: number[] = [];
  const started = performance.now();
  for (const q of queries) {
    const s = performance.now();
    fn(q);
    out.push(performance.now() - s);
    if (performance.now() - started > budgetMs) break;
  }
  return out;
}

async function child(engineName: string, dir: string, k: number, budgetMs: number): Promise<ChildResult> {
  const make = ENGINES[engineName];
  if (!make) throw new Error(`unknown engine ${engineName}`);
  const docs = readDocs(dir);
  const queries = JSON.parse(readFileSync(path.join(dir, 'queries.json'), 'utf8')) as string[];
  const words = queries.map((q) => q.split(/\s+/).filter(Boolean).length);
  const n = docs.length;
  const engine = make();

  let t = performance.now();
  engine.build(docs);
  const buildMs = performance.now() - t;
  t = performance.now();
  let bytes: Uint8Array | undefined = engine.serialize();
  const serializeMs = performance.now() - t;
  const fileBytes = bytes.length;
  const file = path.join(dir, `index.${engineName}`);
  writeFileSync(file, bytes);
  bytes = undefined;
  engine.clear();
  const h2 = heap();
  const r2 = process.memoryUsage.rss();
  let loaded: Buffer | undefined = readFileSync(file);
  t = performance.now();
  engine.load(loaded);
  const loadMs = performance.now() - t;
  loaded = undefined;
  const h3 = heap();
  const r3 = process.memoryUsage.rss();
  rmSync(file);

  for (let i = 0; i < 200; i++) engine.search(queries[i % queries.length]!, k);
  for (let i = 0; i < 50; i++) engine.search(queries[i % queries.length]!, k, allows1pct);
  let hits = 0;
  const plain = timed(queries, budgetMs, (q) => {
    hits += engine.search(q, k).length;
  });
  let underfilled = 0;
  const filtered = timed(queries, budgetMs, (q) => {
    const res = engine.search(q, k, allows1pct);
    if (res.some((l) => !allows1pct(l))) throw new Error(`${engineName}: filtered search returned a label the filter rejects`);
    if (res.length < k) underfilled++;
  });
  // Agreement sample: top 10 of the first 200 queries.
  const top10 = queries.slice(0, 200).map((q) => engine.search(q, 10));

  const extra = Math.min(1000, n);
  t = performance.now();
  for (let i = 0; i < extra; i++) engine.add({ ...docs[i]!, label: n + i });
  const addMs = (performance.now() - t) / extra;
  t = performance.now();
  for (let i = 0; i < extra; i++) engine.remove(i);
  const removeMs = (performance.now() - t) / extra;

  return {
    engine: engineName,
    creators: n,
    buildMs,
    serializeMs,
    fileBytesPerCreator: fileBytes / n,
    loadMs,
    loadedBytesPerCreator: (h3 - h2) / n,
    loadedRssPerCreator: (r3 - r2) / n,
    query: { ...latency(plain, words), measured: plain.length },
    filtered: { ...latency(filtered, words), measured: filtered.length, underfilled },
    top10,
    addMs,
    removeMs,
    meanHits: hits / queries.length,
  };
}

/** Half fan interest texts, half spans of 3–30 words of random about texts. */
function makeQueries(dir: string, count: number): string[] {
  const rand = mulberry32(7);
  const fans = readFileSync(path.join(dir, 'sample-fans.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => (JSON.parse(l) as { interest_text: string }).interest_text)
    .filter((q) => q.split(/\s+/).filter(Boolean).length >= 3);
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
    // Concatenate about texts until the span fits.
    const words: string[] = [];
    while (words.length < len) words.push(...abouts[Math.floor(rand() * abouts.length)]!);
    const start = Math.floor(rand() * (words.length - len + 1));
    out.push(words.slice(start, start + len).join(' '));
  }
  return out;
}

async function main(): Promise<void> {
  const engineArg = argStr('child', '');
  const k = arg('k', 50);
  if (engineArg) {
    const result = await child(engineArg, argStr('dir', ''), k, arg('budget-s', 120) * 1000);
    process.stdout.write(`\n${JSON.stringify(result)}\n`);
    return;
  }
  const creators = arg('creators', 100_000);
  const queryCount = arg('queries', 1000);
  const engines = argStr('engines', 'homemade,minisearch,orama').split(',');
  const dir = path.join(CACHE, `lexical-${creators}`);
  if (!existsSync(path.join(dir, 'sample-creators.jsonl')) || !existsSync(path.join(dir, 'sample-fans.jsonl'))) {
    mkdirSync(dir, { recursive: true });
    writeDataset({ creators, fans: 1000, seed: 42 }, dir);
  }
  const queries = makeQueries(dir, queryCount);
  writeFileSync(path.join(dir, 'queries.json'), JSON.stringify(queries));
  const lengths = queries.map((q) => q.split(/\s+/).filter(Boolean).length).sort((a, b) => a - b);

  const results: ChildResult[] = [];
  for (const name of engines) {
    const { stdout } = await run(
      process.execPath,
      ['--expose-gc', '--max-old-space-size=8192', '--require', 'tsx/cjs', __filename, '--child', name, '--dir', dir, '--k', String(k), '--budget-s', String(arg('budget-s', 120))],
      { cwd: ROOT, maxBuffer: 1 << 24 },
    );
    const r = JSON.parse(stdout.trim().split('\n').pop()!) as ChildResult;
    results.push(r);
    console.error(`${name}: done`);
  }

  const ms = (x: number): string => fmt(x, x < 10 ? 3 : 1);
  const ref = results[0]!;
  const overlap = (r: ChildResult): number => {
    let shared = 0;
    let total = 0;
    r.top10.forEach((top, i) => {
      const want = new Set(ref.top10[i]);
      total += Math.max(want.size, top.length);
      for (const l of top) if (want.has(l)) shared++;
    });
    return total === 0 ? 1 : shared / total;
  };
  const rows = results.map((r) => [
    r.engine,
    fmt(r.buildMs / 1000, 1),
    `${ms(r.query.p50)} / ${ms(r.query.p99)}`,
    `${ms(r.query.p50_5to15)} / ${ms(r.query.p99_5to15)}`,
    `${ms(r.filtered.p50)} / ${ms(r.filtered.p99)}`,
    fmt(r.loadedBytesPerCreator),
    fmt(r.loadedRssPerCreator),
    fmt(r.fileBytesPerCreator),
    fmt(r.loadMs),
    `${fmt(r.addMs, 3)} / ${fmt(r.removeMs, 3)}`,
    fmt(overlap(r), 3),
  ]);
  const header = ['engine', 'build s', 'query p50 / p99 ms', '5–15 words p50 / p99 ms', '1% filter p50 / p99 ms', 'loaded heap B/creator', 'loaded RSS B/creator', 'file B/creator', 'load ms', 'add / remove ms', `top-10 overlap with ${ref.engine}`];
  const load = os.loadavg().map((x) => x.toFixed(2)).join(', ');
  const lines = [
    `Lexical index — ${stamp()} UTC, ${results[0]?.creators ?? 0} creators, ${queries.length} queries (${lengths[0]}–${lengths[lengths.length - 1]} words, median ${percentile(lengths, 0.5)}), k = ${k}`,
    `${cpuLine()}; load average at the end ${load}`,
    '',
    ...table(header, rows),
    '',
    ...table(
      ['engine', 'incremental', 'own analyzer', 'exact BM25', 'filtered top-k'],
      results.map((r) => {
        const f = FEATURES[r.engine]!;
        return [r.engine, f.incremental, f.ownAnalyzer, f.exactBm25, f.filteredTopK];
      }),
    ),
  ];
  console.log(lines.join('\n'));
  if (flag('no-write')) return;
  const out = path.join(ROOT, 'docs', 'bench', 'lexical.json');
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(
    out,
    `${JSON.stringify(
      {
        generated: `${stamp()} UTC`,
        command: `nice npm run bench:lexical -- --creators ${creators} --queries ${queryCount} --k ${k} --engines ${engines.join(',')}`,
        machine: cpuLine(),
        loadAverage: os.loadavg(),
        queries: { count: queries.length, minWords: lengths[0], medianWords: percentile(lengths, 0.5), maxWords: lengths[lengths.length - 1] },
        filter: '1% of labels: (label * 2654435761 mod 2^32) mod 100 == 0',
        k,
        results: results.map((r) => {
          const { top10, ...rest } = r;
          return { ...rest, top10OverlapWithFirst: overlap(r), agreementSampleQueries: top10.length, features: FEATURES[r.engine] };
        }),
      },
      null,
      2,
    )}\n`,
  );
  console.log(`wrote ${path.relative(ROOT, out)}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
