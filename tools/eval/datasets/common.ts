import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { CreatorRecord } from '../../../src/catalog/creator';
import { deriveSeed, Rng } from '../../sample-data/prng';

/**
 * Shared pieces of the evaluation-set builders: the output shape (the repo's creators JSONL and
 * fans JSONL), a seeded split into catalog / held-out queries, and small text helpers.
 *
 * Every builder derives its data at evaluation time from files that a Debian package installs
 * (nothing of the source text is committed), with labels taken from the source's own metadata.
 */

export type QueryStyle = 'short' | 'long';

/** One fans-file line (tools/eval/fans.ts): judged by category only. */
export interface FanLine {
  fan_id: string;
  interest_text: string;
  expected_categories: string[];
  language: string;
  /** Where the query came from (for audits; ignored by the fans parser). */
  source_doc?: string;
}

export interface Dataset {
  name: string;
  /** Group for leave-one-source-out (sets derived from the same text share a group). */
  source: string;
  description: string;
  creators: CreatorRecord[];
  queries: Partial<Record<QueryStyle, FanLine[]>>;
}

/** A document before the split: its category and the texts a query of each style would use. */
export interface Candidate {
  key: string;
  category: string;
  record: Omit<CreatorRecord, 'id' | 'category' | 'language' | 'is_nsfw'>;
  /** Query text if this document is held out as a short query (undefined: not eligible). */
  shortQuery?: string;
  /** Query text if this document is held out as a long query (undefined: not eligible). */
  longQuery?: string;
}

export interface SplitOptions {
  seed: number;
  /** Catalog documents per category at most (after the held-out ones are taken). */
  maxPerCategory: number;
  /** Held-out queries per category and style at most. */
  queriesPerCategory: number;
  /** Categories with fewer eligible catalog documents than this are dropped. */
  minPerCategory: number;
}

/**
 * Per category (in sorted order, each with its own seeded stream): shuffle the candidates, hold
 * out up to `queriesPerCategory` short-eligible and then long-eligible ones as queries (they
 * leave the catalog), and keep up to `maxPerCategory` of the rest as the catalog.
 */
export function split(name: string, source: string, description: string, candidates: readonly Candidate[], opts: SplitOptions): Dataset {
  const byCategory = new Map<string, Candidate[]>();
  for (const c of candidates) {
    let list = byCategory.get(c.category);
    if (!list) byCategory.set(c.category, (list = []));
    list.push(c);
  }
  const creators: CreatorRecord[] = [];
  const short: FanLine[] = [];
  const long: FanLine[] = [];
  for (const category of [...byCategory.keys()].sort()) {
    const rng = new Rng(deriveSeed(opts.seed, `${name}/${category}`));
    const pool = rng.shuffle(byCategory.get(category)!.slice().sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)));
    const held = new Set<Candidate>();
    const shortHeld = pool.filter((c) => c.shortQuery !== undefined).slice(0, opts.queriesPerCategory);
    shortHeld.forEach((c) => held.add(c));
    const longHeld = pool.filter((c) => c.longQuery !== undefined && !held.has(c)).slice(0, opts.queriesPerCategory);
    longHeld.forEach((c) => held.add(c));
    const rest = pool.filter((c) => !held.has(c)).slice(0, opts.maxPerCategory);
    if (rest.length < opts.minPerCategory) continue;
    for (const c of rest) creators.push({ id: `${name}:${creators.length + 1}`, category, language: 'en', is_nsfw: false, ...c.record });
    for (const c of shortHeld) short.push(fan(name, 's', short.length + 1, c.shortQuery!, category, c.key));
    for (const c of longHeld) long.push(fan(name, 'l', long.length + 1, c.longQuery!, category, c.key));
  }
  const queries: Partial<Record<QueryStyle, FanLine[]>> = {};
  if (short.length > 0) queries.short = short;
  if (long.length > 0) queries.long = long;
  return { name, source, description, creators, queries };
}

function fan(name: string, style: string, n: number, text: string, category: string, key: string): FanLine {
  return { fan_id: `${name}:${style}${n}`, interest_text: text, expected_categories: [category], language: 'en', source_doc: key };
}

/** Whitespace-collapsed, trimmed. */
export const clean = (s: string): string => s.replace(/\s+/g, ' ').trim();

export const wordCount = (s: string): number => (s.match(/[A-Za-z0-9']+/g) ?? []).length;

/** Writes `<dir>/<name>/creators.jsonl` and `fans-<style>.jsonl`; returns the files written. */
export function writeDataset(ds: Dataset, outDir: string): string[] {
  const dir = path.join(outDir, ds.name);
  mkdirSync(dir, { recursive: true });
  const files: string[] = [];
  const creatorsFile = path.join(dir, 'creators.jsonl');
  writeFileSync(creatorsFile, ds.creators.map((c) => JSON.stringify(c)).join('\n') + '\n');
  files.push(creatorsFile);
  for (const [style, fans] of Object.entries(ds.queries) as Array<[QueryStyle, FanLine[]]>) {
    const f = path.join(dir, `fans-${style}.jsonl`);
    writeFileSync(f, fans.map((x) => JSON.stringify(x)).join('\n') + '\n');
    files.push(f);
  }
  writeFileSync(
    path.join(dir, 'meta.json'),
    JSON.stringify(
      {
        name: ds.name,
        source: ds.source,
        description: ds.description,
        creators: ds.creators.length,
        categories: new Set(ds.creators.map((c) => c.category)).size,
        queries: Object.fromEntries(Object.entries(ds.queries).map(([k, v]) => [k, v.length])),
      },
      null,
      2,
    ) + '\n',
  );
  return files;
}

/** Throws a message naming the Debian package when a source file is missing. */
export class MissingSourceError extends Error {
  override readonly name = 'MissingSourceError';
  constructor(file: string, debianPackage: string) {
    super(`${file} not found: install it with \`apt-get install -y --no-install-recommends ${debianPackage}\``);
  }
}
