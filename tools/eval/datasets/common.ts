import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { CreatorRecord } from '../../../src/catalog/creator';
import { profileText } from '../../../src/catalog/profile-text';
import { deriveSeed, Rng } from '../../common/prng';

/**
 * Shared pieces of the evaluation-set builders: the output shape (the repo's creators JSONL and
 * fans JSONL), a seeded split into catalog / held-out queries, and small text helpers.
 *
 * Every builder derives its data at evaluation time from files that a Debian package installs
 * (nothing of the source text is committed), with labels taken from the source's own metadata.
 */

/**
 * short: 2-6 words whose vocabulary mostly does not occur in the relevant documents (fewer than
 * half of its content words occur in the catalog text of its category); keyword: the same kind of
 * 2-6 word query without that condition (often shares words with its category); long: a held-out
 * document's own text.
 */
export type QueryStyle = 'short' | 'keyword' | 'long';

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
  /** Short candidates held out per category (the short style keeps those that pass the vocabulary test). Default 3 x queriesPerCategory. */
  shortCandidatesPerCategory?: number;
  /** Categories with fewer eligible catalog documents than this are dropped. */
  minPerCategory: number;
}

/**
 * Per category (in sorted order, each with its own seeded stream): shuffle the candidates, hold
 * out up to `shortCandidatesPerCategory` short-eligible and `queriesPerCategory` long-eligible
 * ones (they all leave the catalog, queries or not), and keep up to `maxPerCategory` of the rest
 * as the catalog. Then, per category, the first `queriesPerCategory` short candidates are the
 * keyword queries, and the first `queriesPerCategory` of them that pass the vocabulary test
 * (fewer than half of their content words occur in the category's catalog text) are the short
 * (paraphrase) queries.
 */
export function split(name: string, source: string, description: string, candidates: readonly Candidate[], opts: SplitOptions): Dataset {
  const byCategory = new Map<string, Candidate[]>();
  for (const c of candidates) {
    let list = byCategory.get(c.category);
    if (!list) byCategory.set(c.category, (list = []));
    list.push(c);
  }
  const creators: CreatorRecord[] = [];
  const shortCands: Array<{ c: Candidate; category: string }> = [];
  const long: FanLine[] = [];
  const kept: string[] = [];
  for (const category of [...byCategory.keys()].sort()) {
    const rng = new Rng(deriveSeed(opts.seed, `${name}/${category}`));
    const pool = rng.shuffle(byCategory.get(category)!.slice().sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)));
    const held = new Set<Candidate>();
    const shortHeld = pool.filter((c) => c.shortQuery !== undefined).slice(0, opts.shortCandidatesPerCategory ?? 3 * opts.queriesPerCategory);
    shortHeld.forEach((c) => held.add(c));
    const longHeld = pool.filter((c) => c.longQuery !== undefined && !held.has(c)).slice(0, opts.queriesPerCategory);
    longHeld.forEach((c) => held.add(c));
    const rest = pool.filter((c) => !held.has(c)).slice(0, opts.maxPerCategory);
    if (rest.length < opts.minPerCategory) continue;
    kept.push(category);
    for (const c of rest) creators.push({ id: `${name}:${creators.length + 1}`, category, language: 'en', is_nsfw: false, ...c.record });
    for (const c of shortHeld) shortCands.push({ c, category });
    for (const c of longHeld) long.push(fan(name, 'l', long.length + 1, c.longQuery!, category, c.key));
  }
  // The vocabulary test needs the final catalog: content words of each category's documents.
  const vocab = new Map<string, Set<string>>();
  for (const r of creators) {
    let v = vocab.get(r.category);
    if (!v) vocab.set(r.category, (v = new Set()));
    for (const w of contentWords(profileText(r))) v.add(w);
  }
  const short: FanLine[] = [];
  const keyword: FanLine[] = [];
  const perCat = new Map<string, { s: number; k: number }>();
  for (const { c, category } of shortCands) {
    const n = perCat.get(category) ?? { s: 0, k: 0 };
    perCat.set(category, n);
    if (n.k < opts.queriesPerCategory) {
      keyword.push(fan(name, 'k', keyword.length + 1, c.shortQuery!, category, c.key));
      n.k++;
    }
    if (n.s < opts.queriesPerCategory && relevantVocabularyShare(c.shortQuery!, vocab.get(category)!) < 0.5) {
      short.push(fan(name, 's', short.length + 1, c.shortQuery!, category, c.key));
      n.s++;
    }
  }
  const queries: Partial<Record<QueryStyle, FanLine[]>> = {};
  if (short.length > 0) queries.short = short;
  if (keyword.length > 0) queries.keyword = keyword;
  if (long.length > 0) queries.long = long;
  return { name, source, description, creators, queries };
}

const STOP = new Set(
  'a an and are as at be but by for from has have he her his i in into is it its of on or she that the their them then there these they this to was were which who whom will with you your not no can may any all some one two also used called esp etc'.split(' '),
);

/**
 * Lower-cased words without stop words, with a plain plural "s" stripped: a deliberately generic
 * analyzer (not the BM25 one) for "does this word occur verbatim in the documents".
 */
export function contentWords(text: string): string[] {
  return (text.toLowerCase().match(/[a-z0-9]+/g) ?? []).filter((w) => w.length > 1 && !STOP.has(w)).map((w) => (w.length > 3 && w.endsWith('s') && !w.endsWith('ss') ? w.slice(0, -1) : w));
}

/** Share of a query's distinct content words that occur in `vocab` (0 for a query without any). */
export function relevantVocabularyShare(query: string, vocab: ReadonlySet<string>): number {
  const words = [...new Set(contentWords(query))];
  if (words.length === 0) return 1;
  return words.filter((w) => vocab.has(w)).length / words.length;
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
