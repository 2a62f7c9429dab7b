import type { Catalog } from '../catalog/catalog';
import type { UpdateEntry } from './update-log';
import type { ServedIndex, WriteOutcome } from './version-source';
import type { LexicalIndex } from '../lexical/lexical-index';
import type { Manifest } from '../index/manifest';
import type { QueryAdapter } from '../index/query-adapter';
import { applyChanges, changesSince } from '../index/pg-catalog';
import type { PgDatabase } from '../index/pg-database';
import { VERSIONS_TABLE } from '../index/pg-schema';
import { PgSearch, type PgSearchOptions } from '../index/pg-search';
import { writeEntries } from './pg-writes';

/** How long a write waits for the read database (a replica) to show it before acknowledging anyway. */
const READ_YOUR_WRITES_MS = 5000;

/**
 * A version served from PostgreSQL: its manifest and catalog in memory (loaded from the version
 * table), searches in SQL (PgSearch), IndexAdmin writes as one transaction on the primary, and
 * the changes every server made replayed onto the catalog in commit order (`refresh`).
 */
export class PgIndex implements ServedIndex {
  readonly search: PgSearch;
  /**
   * The BM25 index (versions built with hybrid retrieval), as published: creators written through
   * IndexAdmin later are found by the dense side only until the next build.
   */
  readonly lexical: LexicalIndex | undefined;
  readonly adapter: QueryAdapter | undefined;

  constructor(
    private readonly db: PgDatabase,
    readonly version: string,
    readonly manifest: Manifest,
    readonly catalog: Catalog,
    readonly table: string,
    /** The change_seq the catalog reflects. */
    private appliedSeq: number,
    searchOptions: PgSearchOptions,
    extras: { lexical?: LexicalIndex; adapter?: QueryAdapter } = {},
  ) {
    this.search = new PgSearch(db, table, manifest.dims, catalog, searchOptions);
    this.lexical = extras.lexical;
    this.adapter = extras.adapter;
  }

  /** The last change applied to the catalog. */
  get seq(): number {
    return this.appliedSeq;
  }

  /** One transaction on the primary (durable on commit), then the catalog catches up with it. */
  async write(entries: readonly UpdateEntry[]): Promise<WriteOutcome> {
    const out = await this.db.writeTransaction((c) => writeEntries(c, this.version, this.table, entries));
    // Committed: acknowledged whatever happens next. The catalog shows it once the read database
    // does (at once on the primary; a replica replays it within moments).
    const until = Date.now() + READ_YOUR_WRITES_MS;
    while (this.appliedSeq < out.seq) {
      const ok = await this.refresh().then(
        () => true,
        () => false, // the next poll or notification retries (and a mismatch reloads the version)
      );
      if (!ok || this.appliedSeq >= out.seq || Date.now() > until) break;
      await new Promise((r) => setTimeout(r, 25));
    }
    return { created: out.created, notFound: out.notFound };
  }

  /** Applies changes committed since the last refresh; true when the catalog changed. */
  async refresh(): Promise<boolean> {
    const changes = await this.db.readTransaction(undefined, {}, async (c) => {
      // The version row first: a poll with nothing new never touches the version table.
      const row = (await c.query<{ seq: string }>(`SELECT change_seq::text AS seq FROM ${VERSIONS_TABLE} WHERE version = $1`, [this.version])).rows[0];
      if (!row || Number(row.seq) <= this.appliedSeq) return [];
      return changesSince(c, this.version, this.table, this.appliedSeq);
    });
    for (const c of changes) {
      applyChanges(this.catalog, [c], this.table); // one at a time: a failure leaves appliedSeq on the last good one
      this.appliedSeq = c.seq;
    }
    return changes.length > 0;
  }

  /** Nothing to release: connections belong to the source. */
  async close(): Promise<void> {}
}
