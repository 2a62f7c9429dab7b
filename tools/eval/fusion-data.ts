import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseCreatorLine, type CreatorRecord } from '../../src/catalog/creator';
import { profileText } from '../../src/catalog/profile-text';
import type { Embedder } from '../../src/embedding/embedder';
import { TopK } from '../../src/index/top-k';
import { LexicalIndex as ServiceLexicalIndex } from '../../src/lexical/lexical-index';
import { DATASET_NAMES, buildDatasets } from './datasets/cli';
import { writeDataset } from './datasets/common';
import { readFans, type Fan } from './fans';
import { LexicalIndex, type QueryTermStats } from './fusion-lexical';

/**
 * Loading a study cell (one catalog + one fans file), embedding with an on-disk cache, and the
 * per-query candidate pools that the fusion rules work on.
 */

export interface Catalog {
  set: string;
  source: string;
  docs: CreatorRecord[];
  texts: string[];
  /** Row-major, L2-normalised, docs.length x dims. */
  vectors: Float32Array;
  dims: number;
  categories: string[];
  /** Documents per category. */
  categorySize: Map<string, number>;
  /** The service's BM25 (src/lexical) over the same texts. */
  bm25: { search(query: string, k: number): Array<{ label: number; score: number }> };
  lexical: LexicalIndex;
}

export interface QueryFeatures extends QueryTermStats {
  /** Overlap of the dense and lexical top 10 (0..1). */
  overlap10: number;
  /** Lexical documents returned (capped at N_b). */
  lexHits: number;
  /** (b1 - b10) / b1 over the lexical list (0 with no hits). */
  lexGap: number;
  /** Dense top-1 cosine and top-1 minus top-10 cosine. */
  denseTop: number;
  denseGap: number;
}

export interface QueryData {
  fanId: string;
  text: string;
  expected: Set<string>;
  /** Catalog labels of the pool. */
  pool: Int32Array;
  /** Cosine of the query with each pool document. */
  dense: Float32Array;
  /** BM25 score of each pool document (0 when not in the lexical top list). */
  lex: Float32Array;
  /** Pool positions of the dense top-N_d and the lexical top-N_b, best first. */
  denseList: Int32Array;
  lexList: Int32Array;
  /** Pool positions of the dense top-P (the whole dense part of the pool), best first. */
  denseAll: Int32Array;
  rel: Uint8Array;
  totalRelevant: number;
  features: QueryFeatures;
  qvec: Float32Array;
}

export interface Cell {
  name: string;
  set: string;
  source: string;
  style: string;
  catalog: Catalog;
  queries: QueryData[];
}

export interface PoolSizes {
  /** Dense list used for fusion statistics and RRF ranks. */
  denseN: number;
  /** Lexical list. */
  lexN: number;
  /** Dense documents in the pool (>= denseN; the extra ones are for feedback re-scoring). */
  densePool: number;
}

export function readCreatorsFile(file: string): CreatorRecord[] {
  const out: CreatorRecord[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    const r = parseCreatorLine(line);
    if (!r.ok) throw new Error(`${file}: ${r.reason}`);
    if (!r.record.is_nsfw) out.push(r.record); // the default filter never returns NSFW creators
  }
  return out;
}

/** Embeds texts, caching the vectors under `cacheDir` by model revision and text content. */
export async function embedCached(embedder: Embedder, texts: readonly string[], cacheDir: string): Promise<Float32Array> {
  const key = createHash('sha256').update(`${embedder.modelId}\n${embedder.revision}\n`).update(JSON.stringify(texts)).digest('hex').slice(0, 32);
  const file = path.join(cacheDir, `${key}.f32`);
  if (existsSync(file)) {
    const buf = readFileSync(file);
    return new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4).slice();
  }
  const vecs = await embedder.embed(texts);
  const out = new Float32Array(texts.length * embedder.dims);
  vecs.forEach((v, i) => out.set(v, i * embedder.dims));
  mkdirSync(cacheDir, { recursive: true });
  writeFileSync(file, Buffer.from(out.buffer, out.byteOffset, out.byteLength));
  return out;
}

export async function loadCatalog(set: string, source: string, docs: CreatorRecord[], embedder: Embedder, cacheDir: string): Promise<Catalog> {
  const texts = docs.map((d) => profileText(d));
  const vectors = await embedCached(embedder, texts, cacheDir);
  const categories = docs.map((d) => d.category);
  const categorySize = new Map<string, number>();
  for (const c of categories) categorySize.set(c, (categorySize.get(c) ?? 0) + 1);
  return { set, source, docs, texts, vectors, dims: embedder.dims, categories, categorySize, bm25: ServiceLexicalIndex.build(texts.map((text, label) => ({ label, text, language: docs[label]!.language }))), lexical: new LexicalIndex(texts) };
}

export function dot(a: Float32Array, aOff: number, b: Float32Array, bOff: number, dims: number): number {
  let s = 0;
  for (let i = 0; i < dims; i++) s += a[aOff + i]! * b[bOff + i]!;
  return s;
}

/** Exact dense top-k of a query vector over the catalog. */
export function denseTop(cat: Catalog, q: Float32Array, k: number): Array<{ label: number; score: number }> {
  const top = new TopK(k);
  const n = cat.docs.length;
  for (let d = 0; d < n; d++) {
    const s = dot(q, 0, cat.vectors, d * cat.dims, cat.dims);
    if (s > top.threshold) top.push(d, s);
  }
  return top.sorted();
}

export async function loadCell(name: string, style: string, cat: Catalog, fans: Fan[], embedder: Embedder, cacheDir: string, sizes: PoolSizes): Promise<Cell> {
  const usable = fans.filter((f) => f.text && (f.expectedCategories?.length ?? 0) > 0);
  const qv = await embedCached(embedder, usable.map((f) => f.text!), cacheDir);
  const queries: QueryData[] = usable.map((fan, qi) => {
    const qvec = qv.slice(qi * cat.dims, (qi + 1) * cat.dims);
    const dHits = denseTop(cat, qvec, sizes.densePool);
    const lHits = cat.bm25.search(fan.text!, sizes.lexN);
    const labels: number[] = [];
    const pos = new Map<number, number>();
    const add = (l: number): number => {
      let p = pos.get(l);
      if (p === undefined) {
        p = labels.length;
        pos.set(l, p);
        labels.push(l);
      }
      return p;
    };
    const denseAll = Int32Array.from(dHits.map((h) => add(h.label)));
    const lexList = Int32Array.from(lHits.map((h) => add(h.label)));
    const pool = Int32Array.from(labels);
    const dense = new Float32Array(pool.length);
    pool.forEach((l, i) => (dense[i] = dot(qvec, 0, cat.vectors, l * cat.dims, cat.dims)));
    const lex = new Float32Array(pool.length);
    lHits.forEach((h, j) => (lex[lexList[j]!] = h.score));
    const expected = new Set(fan.expectedCategories);
    const rel = Uint8Array.from(pool, (l) => (expected.has(cat.categories[l]!) ? 1 : 0));
    let totalRelevant = 0;
    for (const c of expected) totalRelevant += cat.categorySize.get(c) ?? 0;
    const denseList = denseAll.slice(0, sizes.denseN);
    const d10 = new Set(Array.from(denseList.slice(0, 10)));
    const overlap10 = Array.from(lexList.slice(0, 10)).filter((p) => d10.has(p)).length / 10;
    const b1 = lHits[0]?.score ?? 0;
    const b10 = lHits[Math.min(9, lHits.length - 1)]?.score ?? 0;
    const features: QueryFeatures = {
      ...cat.lexical.stats(fan.text!),
      overlap10,
      lexHits: lHits.length,
      lexGap: b1 > 0 ? (b1 - (lHits.length >= 10 ? b10 : 0)) / b1 : 0,
      denseTop: dHits[0]?.score ?? 0,
      denseGap: (dHits[0]?.score ?? 0) - (dHits[9]?.score ?? 0),
    };
    return { fanId: fan.fanId, text: fan.text!, expected, pool, dense, lex, denseList, lexList, denseAll, rel, totalRelevant, features, qvec };
  });
  return { name, set: cat.set, source: cat.source, style, catalog: cat, queries };
}

export async function loadFansFile(file: string): Promise<Fan[]> {
  return readFans(file);
}

/** Every study cell: the derived sets (built into `<cacheDir>/datasets` when missing) and the sample catalog. */
export async function loadCells(embedder: Embedder, cacheDir: string, sizes: PoolSizes): Promise<Cell[]> {
  const dsDir = path.join(cacheDir, 'datasets');
  const embDir = path.join(cacheDir, 'embeddings');
  const missing = DATASET_NAMES.filter((n) => !existsSync(path.join(dsDir, n, 'creators.jsonl')));
  if (missing.length > 0) for (const ds of buildDatasets(missing, 1)) writeDataset(ds, dsDir);
  const cells: Cell[] = [];
  const sources: Record<string, string> = { 'wordnet-lexfile': 'wordnet', 'wordnet-domain': 'wordnet', gcide: 'gcide', fortunes: 'fortunes' };
  for (const name of DATASET_NAMES) {
    const dir = path.join(dsDir, name);
    const cat = await loadCatalog(name, sources[name]!, readCreatorsFile(path.join(dir, 'creators.jsonl')), embedder, embDir);
    for (const style of ['short', 'keyword', 'long']) {
      const f = path.join(dir, `fans-${style}.jsonl`);
      if (existsSync(f)) cells.push(await loadCell(`${name}/${style}`, style, cat, await loadFansFile(f), embedder, embDir, sizes));
    }
    console.error(`loaded ${name}: ${cat.docs.length} docs`);
  }
  const sample = await loadCatalog('sample', 'sample', readCreatorsFile('data/sample-creators.jsonl'), embedder, embDir);
  cells.push(await loadCell('sample/fans', 'sample', sample, await loadFansFile('data/sample-fans.jsonl'), embedder, embDir, sizes));
  return cells;
}

