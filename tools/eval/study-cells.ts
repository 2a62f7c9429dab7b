import { existsSync } from 'node:fs';
import path from 'node:path';
import { profileText } from '../../src/catalog/profile-text';
import type { Embedder } from '../../src/embedding/embedder';
import { LexicalIndex } from '../../src/lexical/lexical-index';
import type { ScoredLabel } from '../../src/match/fusion';
import { DATASET_NAMES, buildDatasets } from './datasets/cli';
import { writeDataset } from './datasets/common';
import { readFans } from './fans';
import { embedCached, readCreatorsFile } from './fusion-data';

/**
 * The evaluation cells (catalog x query style) of the short-query study, in memory: each
 * catalog's vectors (embedded as the service embeds them, cached on disk), its category of every
 * document, the service's own BM25 index (src/lexical) over the same profile text, and per query
 * the full cosine row and the BM25 top list. Sets: tools/eval/datasets/README.md, plus the
 * bundled sample (non-NSFW creators, 240 fans).
 */

export interface StudyQuery {
  fanId: string;
  text: string;
  /** L2-normalised query vector. */
  q: Float32Array;
  /** Category indexes judged relevant. */
  expected: number[];
  /** Relevant documents in the catalog (for the ideal DCG). */
  totalRelevant: number;
  /** q . v_d for every document d. */
  cos: Float32Array;
  /** Service BM25 top list (label, score), best first. */
  lex: ScoredLabel[];
  /** Query words present in the catalog (0: the service gives the lexical side no weight). */
  matched: number;
  language: string;
}

export interface StudyCatalog {
  set: string;
  source: string;
  n: number;
  dims: number;
  /** Row-major, L2-normalised, n x dims. */
  vectors: Float32Array;
  /** Category index per document. */
  category: Int32Array;
  categoryNames: string[];
  categorySize: number[];
  texts: string[];
  lexical: LexicalIndex;
  /** Embedding of each category's name (underscores as spaces), L2-normalised, C x dims. */
  nameVectors: Float32Array;
}

export interface StudyCell {
  name: string;
  source: string;
  style: string;
  catalog: StudyCatalog;
  queries: StudyQuery[];
}

export const SOURCES: Record<string, string> = { 'wordnet-lexfile': 'wordnet', 'wordnet-domain': 'wordnet', gcide: 'gcide', fortunes: 'fortunes', sample: 'sample' };

/** out[d] = q . v_d over the catalog. */
export function scan(v: Float32Array, dims: number, q: Float32Array, out: Float32Array): Float32Array {
  const n = out.length;
  for (let d = 0, off = 0; d < n; d++, off += dims) {
    let s = 0;
    for (let i = 0; i < dims; i++) s += q[i]! * v[off + i]!;
    out[d] = s;
  }
  return out;
}

/** Every row of an n x dims matrix scaled to unit length, in place; returns the matrix. */
export function unitRows(m: Float32Array, dims: number): Float32Array {
  for (let off = 0; off < m.length; off += dims) {
    let s = 0;
    for (let i = 0; i < dims; i++) s += m[off + i]! ** 2;
    const norm = Math.sqrt(s) || 1;
    for (let i = 0; i < dims; i++) m[off + i]! /= norm;
  }
  return m;
}

/**
 * How a document's vector is made: `full` = the profile text embedded whole (as the service does);
 * `segments` = the mean of its segments' unit vectors ("name. category.", each sentence of about,
 * the tags line), each embedded alone; `mix` = the full vector plus that mean (both unit).
 */
export type DocVectors = 'full' | 'segments' | 'mix';

/** Replaces `vectors` (n x dims, unnormalised model output) by the segment mean, or adds it (mix). */
async function segmentVectors(docs: ReturnType<typeof readCreatorsFile>, embedder: Embedder, embDir: string, vectors: Float32Array, mix: boolean): Promise<void> {
  const dims = embedder.dims;
  const segsOf = docs.map((d) => {
    const head = profileText({ name: d.name, category: d.category, about: '', tags: [] });
    const sentences = d.about.split(/(?<=[.!?])\s+/).map((x) => x.trim()).filter(Boolean);
    return [head, ...sentences, ...(d.tags.length ? [`Tags: ${d.tags.join(', ')}.`] : [])].filter(Boolean);
  });
  const sv = await embedCached(embedder, segsOf.flat(), embDir);
  const unitInto = (src: Float32Array, off: number, acc: Float64Array, w: number): void => {
    let s = 0;
    for (let i = 0; i < dims; i++) s += src[off + i]! ** 2;
    const norm = Math.sqrt(s) || 1;
    for (let i = 0; i < dims; i++) acc[i]! += (w * src[off + i]!) / norm;
  };
  let at = 0;
  for (let d = 0; d < docs.length; d++) {
    const acc = new Float64Array(dims);
    for (let j = 0; j < segsOf[d]!.length; j++, at++) unitInto(sv, at * dims, acc, 1);
    const mean = new Float32Array(acc);
    const out = new Float64Array(dims);
    unitInto(mean, 0, out, 1);
    if (mix) unitInto(vectors, d * dims, out, 1);
    for (let i = 0; i < dims; i++) vectors[d * dims + i] = out[i]!;
  }
}

async function loadCatalog(set: string, creatorsFile: string, embedder: Embedder, embDir: string, docVectors: DocVectors): Promise<StudyCatalog> {
  const docs = readCreatorsFile(creatorsFile);
  const texts = docs.map((d) => profileText(d));
  const dims = embedder.dims;
  const vectors = await embedCached(embedder, texts, embDir);
  if (docVectors !== 'full') await segmentVectors(docs, embedder, embDir, vectors, docVectors === 'mix');
  unitRows(vectors, dims);
  const categoryNames = [...new Set(docs.map((d) => d.category))].sort();
  const idx = new Map(categoryNames.map((c, i) => [c, i]));
  const category = Int32Array.from(docs, (d) => idx.get(d.category)!);
  const categorySize = categoryNames.map(() => 0);
  for (const c of category) categorySize[c]!++;
  const lexical = LexicalIndex.build(docs.map((d, label) => ({ label, text: texts[label]!, language: d.language })));
  const nameVectors = await embedCached(embedder, categoryNames.map((c) => c.replace(/[_-]+/g, ' ')), embDir);
  unitRows(nameVectors, dims);
  return { set, source: SOURCES[set]!, n: docs.length, dims, vectors, category, categoryNames, categorySize, texts, lexical, nameVectors };
}

async function loadCell(name: string, style: string, cat: StudyCatalog, fansFile: string, embedder: Embedder, embDir: string, lexN: number): Promise<StudyCell> {
  const fans = (await readFans(fansFile)).filter((f) => f.text && (f.expectedCategories?.length ?? 0) > 0);
  const qv = await embedCached(embedder, fans.map((f) => f.text!), embDir);
  const idx = new Map(cat.categoryNames.map((c, i) => [c, i]));
  const queries = fans.map((fan, i): StudyQuery => {
    const q = qv.slice(i * cat.dims, (i + 1) * cat.dims);
    let s = 0;
    for (const x of q) s += x * x;
    const norm = Math.sqrt(s) || 1;
    for (let j = 0; j < q.length; j++) q[j]! /= norm;
    const expected = fan.expectedCategories!.map((c) => idx.get(c)).filter((c): c is number => c !== undefined);
    return {
      fanId: fan.fanId,
      text: fan.text!,
      q,
      expected,
      totalRelevant: expected.reduce((a, c) => a + cat.categorySize[c]!, 0),
      cos: scan(cat.vectors, cat.dims, q, new Float32Array(cat.n)),
      lex: cat.lexical.search(fan.text!, lexN),
      matched: cat.lexical.queryStats(fan.text!).matchedTerms,
      language: fan.language ?? 'en',
    };
  });
  return { name, source: cat.source, style, catalog: cat, queries: queries.filter((q) => q.expected.length > 0) };
}

/** Every cell: the derived sets (built into `<cacheDir>/datasets` when missing) and the sample. */
export async function loadStudyCells(embedder: Embedder, cacheDir: string, lexN = 100, only?: readonly string[], docVectors: DocVectors = 'full'): Promise<StudyCell[]> {
  const dsDir = path.join(cacheDir, 'datasets');
  const embDir = path.join(cacheDir, 'embeddings');
  const missing = DATASET_NAMES.filter((n) => !existsSync(path.join(dsDir, n, 'creators.jsonl')));
  if (missing.length > 0) for (const ds of buildDatasets(missing, 1)) writeDataset(ds, dsDir);
  const cells: StudyCell[] = [];
  for (const name of [...DATASET_NAMES, 'sample']) {
    if (only && !only.includes(name)) continue;
    if (name === 'sample') {
      const cat = await loadCatalog('sample', 'data/sample-creators.jsonl', embedder, embDir, docVectors);
      cells.push(await loadCell('sample/fans', 'sample', cat, 'data/sample-fans.jsonl', embedder, embDir, lexN));
      continue;
    }
    const dir = path.join(dsDir, name);
    const cat = await loadCatalog(name, path.join(dir, 'creators.jsonl'), embedder, embDir, docVectors);
    for (const style of ['short', 'keyword', 'long']) {
      const f = path.join(dir, `fans-${style}.jsonl`);
      if (existsSync(f)) cells.push(await loadCell(`${name}/${style}`, style, cat, f, embedder, embDir, lexN));
    }
  }
  return cells;
}
