/**
 * Property: every filter returns exactly k when k creators pass, against PostgreSQL. For random
 * filters (categories, languages, excluded ids, excluded labels as like_creators makes them,
 * NSFW, min_score), k and queries, PgSearch returns exactly min(k, passing) distinct hits, every
 * one of them passing, where `passing` is counted by an exact SQL query written independently here.
 * Run with search settings that force every path: the HNSW iterative scan, its give-up
 * (hnsw.max_scan_tuples tiny: the exact fallback), and exact search of narrow filters; and both
 * with the planner free (on 3,000 rows it often prefers an exact plan by itself) and with
 * sequential scans, bitmap scans and sorts off for the session, so the HNSW index is walked.
 *
 * MATCH_PG_TESTS=off skips it.
 */
import path from 'node:path';
import fc from 'fast-check';
import { Client } from 'pg';
import pgvector from 'pgvector';
import { buildToPg } from '../../index-builder/build-to-pg';
import { startPrimary, type PgServer } from '../../scripts/pg/local-pg';
import type { FilterSpec } from '../../src/catalog/catalog';
import { PgSearch, type PgSearchOptions } from '../../src/index/pg-search';
import { PgDatabase } from '../../src/index/pg-database';
import type { PgIndex } from '../../src/lifecycle/pg-index';
import { PgVersionSource } from '../../src/lifecycle/pg-version-source';
import { silentLogger } from '../helpers/pg';
import { tempDir, writeJsonl } from '../helpers/server';
import { prng } from '../helpers/synthetic';

const OFF = process.env.MATCH_PG_TESTS === 'off';
const describePg = OFF ? describe.skip : describe;

const N = 3000;
const DIMS = 16;
// Skewed: 'rare' holds ~1% of the creators, 'common' ~60%.
const CATEGORIES = ['common', 'mid', 'small', 'rare'];
const LANGUAGES = ['en', 'es', 'ja'];

function creators(): Array<Record<string, unknown>> {
  const rand = prng(11);
  const gauss = (): number => Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());
  return Array.from({ length: N }, (_, i) => {
    const r = rand();
    const category = r < 0.6 ? 'common' : r < 0.9 ? 'mid' : r < 0.99 ? 'small' : 'rare';
    const v = Array.from({ length: DIMS }, gauss);
    const norm = Math.hypot(...v);
    return {
      id: `cr_${i}`,
      name: `Creator ${i}`,
      about: '',
      category: i % 7 === 0 ? category.toUpperCase() : category, // mixed case: filters compare normalised keys
      tags: [],
      language: LANGUAGES[Math.floor(rand() * 3)]!,
      is_nsfw: i % 13 === 0,
      vector: v.map((x) => x / norm),
    };
  });
}

describePg('PostgreSQL filters return exactly k when k pass (property, against exact SQL)', () => {
  let server: PgServer;
  let source: PgVersionSource;
  let index: PgIndex;
  let sql: Client;
  let table: string;
  /** Connections whose planner must use an index (the HNSW index for ANN queries). */
  let forced: PgDatabase;
  const data = creators();

  beforeAll(async () => {
    server = await startPrimary();
    const dir = await tempDir();
    await writeJsonl(path.join(dir, 'c.jsonl'), data);
    const built = await buildToPg({ input: path.join(dir, 'c.jsonl'), out: path.join(dir, 'idx'), recallSample: 100, minRecall: 0.9 }, { url: server.url, minRecall: 0.8 });
    table = built.pg.table;
    source = new PgVersionSource({
      settings: { url: server.url, poolMax: 4, connectTimeoutMs: 3000, statementTimeoutMs: 30_000 },
      indexName: 'default',
      search: { exactBelow: 0, iterativeScan: 'relaxed_order', maxScanTuples: 20_000 },
      logger: silentLogger(),
      pollMs: 0,
    });
    index = (await source.load(built.version)) as PgIndex;
    sql = new Client({ connectionString: server.url });
    await sql.connect();
    const u = new URL(server.url);
    u.searchParams.set('options', '-c enable_seqscan=off -c enable_bitmapscan=off -c enable_sort=off');
    forced = new PgDatabase({ url: u.toString(), poolMax: 2, connectTimeoutMs: 3000, statementTimeoutMs: 30_000 });
  });

  afterAll(async () => {
    await sql?.end();
    await forced?.close();
    await source?.close();
    await server?.stop();
  });

  /** How many creators pass, counted by SQL written here (not PgSearch's). */
  async function passing(spec: FilterSpec, excludedLabels: number[], query: number[], minScore: number | undefined): Promise<number> {
    const excludedIds = new Set(spec.excludeIds);
    const rows = (await sql.query<{ label: number; category: string; language: string; nsfw: boolean; id: string; score: number }>(
      `SELECT label, category_key AS category, language_key AS language, nsfw, creator_id AS id, -(embedding <#> $1) AS score FROM "${table}" WHERE live`,
      [pgvector.toSql(query)],
    )).rows;
    const cats = new Set(spec.categories.map((c) => c.toLowerCase()));
    const langs = new Set(spec.languages.map((c) => c.toLowerCase()));
    return rows.filter(
      (r) =>
        (spec.includeNsfw || !r.nsfw) &&
        (cats.size === 0 || cats.has(r.category)) &&
        (langs.size === 0 || langs.has(r.language)) &&
        !excludedIds.has(r.id) &&
        !excludedLabels.includes(r.label) &&
        (minScore === undefined || r.score >= minScore),
    ).length;
  }

  const settings = fc.constantFrom<PgSearchOptions>(
    { exactBelow: 0, iterativeScan: 'relaxed_order', maxScanTuples: 20_000 }, // ANN with iterative scans
    { exactBelow: 0, iterativeScan: 'strict_order', maxScanTuples: 20_000 },
    { exactBelow: 0, iterativeScan: 'relaxed_order', maxScanTuples: 50 }, // the scan gives up: exact fallback
    { exactBelow: 5000, iterativeScan: 'relaxed_order', maxScanTuples: 20_000 }, // narrow filters searched exactly
  );
  const spec = fc.record({
    categories: fc.subarray([...CATEGORIES, 'RARE'], { maxLength: 3 }),
    languages: fc.subarray(LANGUAGES, { maxLength: 2 }),
    excludeIds: fc.oneof(fc.constant<string[]>([]), fc.array(fc.integer({ min: 0, max: N + 50 }).map((i) => `cr_${i}`), { maxLength: 40 })),
    includeNsfw: fc.boolean(),
  });

  it('returns min(k, passing) hits, all passing, for any filter, k and query', async () => {
    const strategies = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(
        spec,
        fc.oneof(fc.constant<number[]>([]), fc.array(fc.integer({ min: 0, max: N - 1 }), { maxLength: 5 })), // like_creators' labels, excluded
        fc.integer({ min: 1, max: 120 }),
        fc.integer({ min: 0, max: N - 1 }),
        fc.option(fc.double({ min: -0.5, max: 0.7, noNaN: true }), { nil: undefined }),
        settings,
        fc.boolean(),
        async (s, liked, k, queryOf, minScore, options, forceIndex) => {
          const search = new PgSearch(forceIndex ? forced : source.db, table, DIMS, index.catalog, options);
          const query = data[queryOf]!.vector as number[];
          const filter = index.catalog.compile(s, liked, 5000);
          const { hits, strategy } = await search.search(Float32Array.from(query), { k, ef: 40, filter, minScore }, undefined);
          strategies.set(strategy, (strategies.get(strategy) ?? 0) + 1);
          const expected = Math.min(k, await passing(s, liked, query, minScore));
          expect(hits).toHaveLength(expected);
          expect(new Set(hits.map((h) => h.label)).size).toBe(hits.length);
          for (const h of hits) {
            expect(filter.allows(h.label)).toBe(true);
            if (minScore !== undefined) expect(h.score).toBeGreaterThanOrEqual(minScore - 1e-9);
          }
          for (let i = 1; i < hits.length; i++) expect(hits[i]!.score).toBeLessThanOrEqual(hits[i - 1]!.score + 1e-9);
        },
      ),
      { numRuns: 200, seed: 20261201 },
    );
    // Every path of the plan was taken (the ANN query, its exact fallback, exact narrow filters).
    expect([...strategies.keys()].sort()).toEqual(['ann', 'ann_filtered', 'exact_candidates', 'exact_scan']);
  });

  it('scores exactly the labels `among` names that pass the filter (the exact SQL order)', async () => {
    const query = data[23]!.vector as number[];
    const among = Array.from({ length: 120 }, (_, i) => (i * 7) % N);
    const s: FilterSpec = { categories: [], languages: [], excludeIds: [], includeNsfw: false };
    const truth = (
      await sql.query<{ label: number }>(`SELECT label FROM "${table}" WHERE live AND NOT nsfw AND label = ANY($2::int[]) ORDER BY embedding <#> $1, label`, [pgvector.toSql(query), among])
    ).rows.map((r) => r.label);
    expect(truth.length).toBeGreaterThan(0);
    expect(truth.length).toBeLessThan(among.length);
    const search = new PgSearch(source.db, table, DIMS, index.catalog, { exactBelow: 0, iterativeScan: 'relaxed_order', maxScanTuples: 20_000 });
    const r = await search.search(Float32Array.from(query), { k: among.length, ef: 40, filter: index.catalog.compile(s), among });
    expect(r.strategy).toBe('exact_candidates');
    expect(r.hits.map((h) => h.label)).toEqual(truth);
    expect((await search.search(Float32Array.from(query), { k: 10, ef: 40, filter: index.catalog.compile(s), among: [] })).hits).toEqual([]);
  });

  it.each([
    ['a narrow filter, searched exactly', { categories: ['rare', 'small'], languages: [], excludeIds: [], includeNsfw: false }, 25, { exactBelow: 5000, iterativeScan: 'relaxed_order', maxScanTuples: 20_000 }, 'exact_candidates'],
    // 95% of the labels excluded (no index narrows that): the graph walk runs out at max_scan_tuples.
    ['an iterative scan that gives up, then the exact query', { categories: [], languages: [], excludeIds: [], includeNsfw: true }, 100, { exactBelow: 0, iterativeScan: 'relaxed_order', maxScanTuples: 1 }, 'exact_scan'],
  ] as Array<[string, FilterSpec, number, PgSearchOptions, string]>)('%s agrees with the exact SQL top k', async (_name, s, k, options, strategy) => {
    const query = data[17]!.vector as number[];
    const excluded = s.categories.length ? [] : Array.from({ length: N }, (_, i) => i).filter((i) => i % 20 !== 0);
    const truth = (
      await sql.query<{ label: number }>(
        `SELECT label FROM "${table}" WHERE live AND ($3 OR NOT nsfw) AND (cardinality($2::text[]) = 0 OR category_key = ANY($2)) AND NOT (label = ANY($4::int[])) ORDER BY embedding <#> $1, label LIMIT ${k}`,
        [pgvector.toSql(query), s.categories, s.includeNsfw, excluded],
      )
    ).rows.map((r) => r.label);
    const search = new PgSearch(forced, table, DIMS, index.catalog, options);
    const r = await search.search(Float32Array.from(query), { k, ef: 40, filter: index.catalog.compile(s, excluded, 5000) });
    expect(r.strategy).toBe(strategy);
    expect(r.hits.map((h) => h.label)).toEqual(truth);
  });
});
