import { escapeLiteral } from 'pg';
import pgvector from 'pgvector';
import type { Catalog, CompiledFilter } from '../catalog/catalog';
import { normaliseKey } from '../catalog/creator';
import type { PgDatabase } from './pg-database';
import { ident } from './pg-schema';
import type { SearchIndex, SearchRequest, SearchResult, SearchStrategy } from './search-index';
import type { SearchHit } from './top-k';

export interface PgSearchOptions {
  /**
   * A filter that narrows (category/language) to at most this many creators is searched exactly;
   * 'auto': pgExactLimit(catalog size).
   */
  exactBelow: number | 'auto';
  /** pgvector's hnsw.iterative_scan: keep scanning the graph until LIMIT rows pass the WHERE. */
  iterativeScan: 'relaxed_order' | 'strict_order';
  /** pgvector's hnsw.max_scan_tuples: where an iterative scan gives up (then the exact query runs). */
  maxScanTuples: number;
}

/**
 * Candidates an exact SQL query may cover for about the cost of an HNSW query: an exact query reads
 * ~5 µs per allowed row (scattered heap pages, 512 dims, vectors inline), an unfiltered HNSW query
 * ~5 ms at 100k, a filtered one t / selectivity when the filter is independent of the query and far
 * more when it is correlated with it. They break even near sqrt(1000 n): 10k at 100k creators, 32k
 * at 1M (`npm run bench:pg`, docs/SCALING.md).
 */
export function pgExactLimit(catalogSize: number): number {
  return Math.max(1000, Math.round(Math.sqrt(1000 * catalogSize)));
}

/** pgvector's hnsw.ef_search range. */
const MAX_EF_SEARCH = 1000;

/** A WHERE clause with its values inlined as literals (one simple-protocol round trip per search). */
interface SqlFilter {
  where: string;
  /** Whether anything narrows beyond live/NSFW. */
  narrows: boolean;
}

const textArray = (values: readonly string[]): string => `ARRAY[${values.map((v) => escapeLiteral(v)).join(',')}]::text[]`;
const intArray = (values: Iterable<number>): string => {
  const out: string[] = [];
  for (const v of values) {
    if (!Number.isInteger(v)) throw new TypeError(`label ${v} is not an integer`);
    out.push(String(v));
  }
  return `'{${out.join(',')}}'::int[]`;
};

/** A vector literal ('[0.1,0.2,...]'); every value is a finite number (validated upstream, checked here). */
export function vectorLiteral(v: ArrayLike<number>): string {
  const parts = new Array<string>(v.length);
  for (let i = 0; i < v.length; i++) {
    const x = v[i]!;
    if (!Number.isFinite(x)) throw new TypeError(`vector[${i}] is not finite`);
    parts[i] = String(x);
  }
  return `'[${parts.join(',')}]'`;
}

/**
 * The request filter as SQL, the same rules as CompiledFilter.allows: live rows the catalog
 * knows (label < labelCount: a replica's catalog may trail the table), NSFW unless included,
 * normalised category/language in the lists, and neither an excluded id nor an excluded label
 * (the liked creators of a like_creators query). Strings are escaped (pg.escapeLiteral), labels
 * are integers.
 */
export function sqlFilter(filter: CompiledFilter, catalog: Catalog, labelCount: number): SqlFilter {
  const { spec } = filter;
  const clauses = ['live', `label < ${labelCount | 0}`];
  if (!spec.includeNsfw) clauses.push('NOT nsfw');
  if (spec.categories.length > 0) clauses.push(`category_key = ANY(${textArray([...new Set(spec.categories.map(normaliseKey))])})`);
  if (spec.languages.length > 0) clauses.push(`language_key = ANY(${textArray([...new Set(spec.languages.map(normaliseKey))])})`);
  const excluded = new Set(filter.excludedLabels);
  for (const id of spec.excludeIds) {
    const label = catalog.labelOf(id);
    if (label !== undefined) excluded.add(label);
  }
  if (excluded.size > 0) clauses.push(`NOT (label = ANY(${intArray(excluded)}))`);
  return { where: clauses.join(' AND '), narrows: spec.categories.length > 0 || spec.languages.length > 0 || excluded.size > 0 };
}

/**
 * The vector side of a version served from PostgreSQL: one table per version with an HNSW index.
 *
 * - A filter that narrows to few creators (catalog posting lists, at most `exactBelow`) is
 *   answered exactly: index scans off, so the planner reads the allowed rows through the
 *   category/language B-trees and sorts them by distance ('exact_candidates').
 * - Otherwise one ANN query with the whole filter in its WHERE clause and
 *   hnsw.iterative_scan on, so pgvector keeps walking the graph until k rows pass
 *   ('ann', 'ann_filtered'); min_score is applied around it (a distance bound inside would make
 *   the iterative scan run to max_scan_tuples).
 * - Fewer than k rows from the ANN query means either fewer than k pass, or the scan gave up
 *   (max_scan_tuples): the exact query then answers ('exact_scan'). So k hits come back
 *   whenever k creators pass, and no disallowed creator ever does (CompiledFilter.allows checks
 *   the rows on the way out as well).
 *
 * Each query is one round trip (simple protocol: SET LOCAL settings and the statement in one
 * implicit transaction, values inlined as checked literals), bounded by the call's deadline
 * (statement_timeout) and cancelled with it.
 */
export class PgSearch implements SearchIndex {
  constructor(
    private readonly db: PgDatabase,
    readonly table: string,
    readonly dims: number,
    private readonly catalog: Catalog,
    private readonly opts: PgSearchOptions,
  ) {}

  get labelCount(): number {
    return this.catalog.labelCount;
  }

  async vectors(labels: readonly number[], signal?: AbortSignal): Promise<Array<Float32Array | undefined>> {
    if (labels.length === 0) return [];
    const rows = await this.db.read1<{ label: number; embedding: string }>(signal, {}, `SELECT label, embedding::text AS embedding FROM ${ident(this.table)} WHERE label = ANY(${intArray(labels)})`);
    const byLabel = new Map(rows.map((r) => [r.label, Float32Array.from(pgvector.fromSql(r.embedding) as number[])]));
    return labels.map((l) => (this.catalog.isLive(l) ? byLabel.get(l) : undefined));
  }

  async search(query: Float32Array, req: SearchRequest, signal?: AbortSignal): Promise<SearchResult> {
    const { k, filter, minScore } = req;
    if (!Number.isInteger(k) || k < 0) throw new RangeError(`k must be a non-negative integer, got ${k}`);
    if (minScore !== undefined && !Number.isFinite(minScore)) throw new RangeError('min_score must be finite');
    const sql = sqlFilter(filter, this.catalog, this.catalog.labelCount);
    const vector = `${vectorLiteral(query)}::vector`;
    const exactBelow = this.opts.exactBelow === 'auto' ? pgExactLimit(this.catalog.size) : this.opts.exactBelow;
    if (req.among !== undefined) {
      if (req.among.length === 0 || k === 0) return { hits: [], strategy: 'exact_candidates' };
      // A pool of labels: read through the label key (not a scan of the table), exact order.
      const among: SqlFilter = { where: `${sql.where} AND label = ANY(${intArray(new Set(req.among))})`, narrows: true };
      const hits = await this.exact(vector, among, k, minScore, signal, {});
      return { hits: hits.filter((h) => filter.allows(h.label)).slice(0, k), strategy: 'exact_candidates' };
    }
    const exactFirst = req.exact === true || (filter.candidates !== undefined && filter.candidates.length <= exactBelow);
    let hits: SearchHit[];
    let strategy: SearchStrategy;
    if (!exactFirst) {
      const ann = await this.db.read1<{ fetched: number; label: number | null; d: number | null }>(
        signal,
        { 'hnsw.ef_search': Math.min(MAX_EF_SEARCH, Math.max(req.ef, k)), 'hnsw.iterative_scan': this.opts.iterativeScan, 'hnsw.max_scan_tuples': this.opts.maxScanTuples },
        this.annSql(vector, sql, k, minScore),
      );
      const fetched = ann[0]?.fetched ?? 0;
      hits = ann.filter((r) => r.label !== null).map((r) => toHit(r.label!, r.d!));
      strategy = sql.narrows ? 'ann_filtered' : 'ann';
      // Fewer than k from the graph: fewer pass, or the iterative scan gave up. Exact answers both.
      if (fetched < k) {
        hits = await this.exact(vector, sql, k, minScore, signal);
        strategy = 'exact_scan';
      }
    } else {
      hits = await this.exact(vector, sql, k, minScore, signal);
      strategy = req.exact ? 'exact_scan' : 'exact_candidates';
    }
    // The SQL filter is CompiledFilter.allows; this check keeps the guarantee if they ever disagree.
    return { hits: hits.filter((h) => filter.allows(h.label)).slice(0, k), strategy };
  }

  /** The ANN query: rows in approximate order, re-sorted; `fetched` counts rows before min_score. */
  private annSql(vector: string, sql: SqlFilter, k: number, minScore: number | undefined): string {
    const passes = minScore === undefined ? 'true' : `-a.d >= ${String(minScore)}::float8`;
    return (
      `WITH ann AS MATERIALIZED (SELECT label, embedding <#> ${vector} AS d FROM ${ident(this.table)} WHERE ${sql.where} ORDER BY embedding <#> ${vector} LIMIT ${k}) ` +
      `SELECT f.fetched, a.label, a.d FROM (SELECT count(*)::int AS fetched FROM ann) f LEFT JOIN ann a ON ${passes} ORDER BY a.d, a.label`
    );
  }

  /** The exact query: every allowed row's distance, top k (min_score inside the WHERE), index scans off. */
  private async exact(vector: string, sql: SqlFilter, k: number, minScore: number | undefined, signal: AbortSignal | undefined, settings: Record<string, string> = { enable_indexscan: 'off' }): Promise<SearchHit[]> {
    const where = minScore === undefined ? sql.where : `${sql.where} AND -(embedding <#> ${vector}) >= ${String(minScore)}::float8`;
    const rows = await this.db.read1<{ label: number; d: number }>(signal, settings, `SELECT label, embedding <#> ${vector} AS d FROM ${ident(this.table)} WHERE ${where} ORDER BY d, label LIMIT ${k}`);
    return rows.map((r) => toHit(r.label, r.d));
  }
}

/** pgvector's <#> is the negative inner product: cosine for normalised vectors, clamped to [-1, 1]. */
function toHit(label: number, d: number): SearchHit {
  return { label, score: Math.max(-1, Math.min(1, -d)) };
}
