import type { PoolClient } from 'pg';
import pgvector from 'pgvector';
import type { Catalog, CompiledFilter } from '../catalog/catalog';
import { normaliseKey } from '../catalog/creator';
import type { PgDatabase } from './pg-database';
import { ident } from './pg-schema';
import type { SearchIndex, SearchRequest, SearchResult, SearchStrategy } from './search-index';
import type { SearchHit } from './top-k';

export interface PgSearchOptions {
  /** A filter that narrows (category/language) to at most this many creators is searched exactly. */
  exactBelow: number;
  /** pgvector's hnsw.iterative_scan: keep scanning the graph until LIMIT rows pass the WHERE. */
  iterativeScan: 'relaxed_order' | 'strict_order';
  /** pgvector's hnsw.max_scan_tuples: where an iterative scan gives up (then the exact query runs). */
  maxScanTuples: number;
}

/** pgvector's hnsw.ef_search range. */
const MAX_EF_SEARCH = 1000;

/** A WHERE clause and its parameters ($1 is always the query vector). */
interface SqlFilter {
  where: string;
  params: unknown[];
  /** Whether anything narrows beyond live/NSFW. */
  narrows: boolean;
}

/**
 * The request filter as SQL, the same rules as CompiledFilter.allows: live rows the catalog
 * knows (label < labelCount: a replica's catalog may trail the table), NSFW unless included,
 * normalised category/language in the lists, and neither an excluded id nor an excluded label
 * (the liked creators of a like_creators query).
 */
export function sqlFilter(filter: CompiledFilter, catalog: Catalog, labelCount: number, firstParam = 2): SqlFilter {
  const { spec } = filter;
  const params: unknown[] = [];
  const p = (v: unknown): string => {
    params.push(v);
    return `$${firstParam + params.length - 1}`;
  };
  const clauses = ['live', `label < ${p(labelCount)}`];
  if (!spec.includeNsfw) clauses.push('NOT nsfw');
  if (spec.categories.length > 0) clauses.push(`category_key = ANY(${p([...new Set(spec.categories.map(normaliseKey))])}::text[])`);
  if (spec.languages.length > 0) clauses.push(`language_key = ANY(${p([...new Set(spec.languages.map(normaliseKey))])}::text[])`);
  const excluded = new Set(filter.excludedLabels);
  for (const id of spec.excludeIds) {
    const label = catalog.labelOf(id);
    if (label !== undefined) excluded.add(label);
  }
  if (excluded.size > 0) clauses.push(`NOT (label = ANY(${p([...excluded])}::int[]))`);
  return { where: clauses.join(' AND '), params, narrows: spec.categories.length > 0 || spec.languages.length > 0 || excluded.size > 0 };
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
 * Each search is one read-only transaction bounded by the call's deadline and cancelled with it.
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
    const rows = await this.db.readTransaction(signal, {}, async (c) =>
      (await c.query<{ label: number; embedding: string }>(`SELECT label, embedding::text AS embedding FROM ${ident(this.table)} WHERE label = ANY($1::int[])`, [[...labels]])).rows,
    );
    const byLabel = new Map(rows.map((r) => [r.label, Float32Array.from(pgvector.fromSql(r.embedding) as number[])]));
    return labels.map((l) => (this.catalog.isLive(l) ? byLabel.get(l) : undefined));
  }

  async search(query: Float32Array, req: SearchRequest, signal?: AbortSignal): Promise<SearchResult> {
    const { k, filter, minScore } = req;
    const labelCount = this.catalog.labelCount;
    const sql = sqlFilter(filter, this.catalog, labelCount);
    const vector = pgvector.toSql(Array.from(query));
    const exactFirst = req.exact === true || (filter.candidates !== undefined && filter.candidates.length <= this.opts.exactBelow);
    const settings: Record<string, string | number> = exactFirst
      ? { enable_indexscan: 'off' }
      : { 'hnsw.ef_search': Math.min(MAX_EF_SEARCH, Math.max(req.ef, k)), 'hnsw.iterative_scan': this.opts.iterativeScan, 'hnsw.max_scan_tuples': this.opts.maxScanTuples };
    const result = await this.db.readTransaction(signal, settings, async (c) => {
      if (!exactFirst) {
        const ann = await this.ann(c, vector, sql, k, minScore);
        if (ann.fetched >= k || k === 0) return { hits: ann.hits, strategy: (sql.narrows ? 'ann_filtered' : 'ann') as SearchStrategy };
        // Fewer than k from the graph: fewer pass, or the iterative scan gave up. Exact answers both.
        await c.query('SET LOCAL enable_indexscan = off');
      }
      return { hits: await this.exact(c, vector, sql, k, minScore), strategy: (exactFirst && !req.exact ? 'exact_candidates' : 'exact_scan') as SearchStrategy };
    });
    // The SQL filter is CompiledFilter.allows; this check keeps the guarantee if they ever disagree.
    const kept = result.hits.filter((h) => filter.allows(h.label));
    return { hits: kept.slice(0, k), strategy: result.strategy };
  }

  /** The ANN query: rows in approximate order, re-sorted; `fetched` counts rows before min_score. */
  private async ann(c: PoolClient, vector: string, sql: SqlFilter, k: number, minScore: number | undefined): Promise<{ hits: SearchHit[]; fetched: number }> {
    const kParam = `$${sql.params.length + 2}`;
    const minParam = `$${sql.params.length + 3}`;
    const text =
      `WITH ann AS MATERIALIZED (SELECT label, embedding <#> $1 AS d FROM ${ident(this.table)} WHERE ${sql.where} ORDER BY embedding <#> $1 LIMIT ${kParam}) ` +
      `SELECT f.fetched, a.label, a.d FROM (SELECT count(*)::int AS fetched FROM ann) f ` +
      `LEFT JOIN ann a ON (${minParam}::float8 IS NULL OR -a.d >= ${minParam}::float8) ORDER BY a.d, a.label`;
    const rows = (await c.query<{ fetched: number; label: number | null; d: number | null }>(text, [vector, ...sql.params, k, minScore ?? null])).rows;
    const hits = rows.filter((r) => r.label !== null).map((r) => toHit(r.label!, r.d!));
    return { hits, fetched: rows[0]?.fetched ?? 0 };
  }

  /** The exact query: every allowed row's distance, top k (min_score inside the WHERE). */
  private async exact(c: PoolClient, vector: string, sql: SqlFilter, k: number, minScore: number | undefined): Promise<SearchHit[]> {
    const params: unknown[] = [vector, ...sql.params, k];
    let where = sql.where;
    if (minScore !== undefined) {
      params.push(minScore);
      where += ` AND -(embedding <#> $1) >= $${params.length}::float8`;
    }
    const text = `SELECT label, embedding <#> $1 AS d FROM ${ident(this.table)} WHERE ${where} ORDER BY d, label LIMIT $${sql.params.length + 2}`;
    return (await c.query<{ label: number; d: number }>(text, params)).rows.map((r) => toHit(r.label, r.d));
  }
}

/** pgvector's <#> is the negative inner product: cosine for normalised vectors, clamped to [-1, 1]. */
function toHit(label: number, d: number): SearchHit {
  return { label, score: Math.max(-1, Math.min(1, -d)) };
}
