import { MatchError } from '../errors/match-error';
import type { MatchSource } from '../match/matcher';
import type { UpdateEntry } from './update-log';

/** A version that cannot be served (VERSION_NOT_FOUND, VERSION_REFUSED). */
export class VersionRefusedError extends MatchError {}

/** What a durable write of update entries did. */
export interface WriteOutcome {
  /** Upserts that added a creator (the others replaced one). */
  created: number;
  /** Ids of deletes that named no live creator. */
  notFound: string[];
}

/**
 * One loaded version as IndexManager serves it, whatever the backend: what Matcher reads
 * (MatchSource) plus the version's own writes and release.
 */
export interface ServedIndex extends MatchSource {
  /**
   * Makes checked update entries durable (the version's update log, or one SQL transaction) and
   * only then applies them to this loaded version. Resolves once they are durable and applied.
   */
  write(entries: readonly UpdateEntry[]): Promise<WriteOutcome>;
  /**
   * Catches up with changes other processes made to this version (a database shared by several
   * servers); resolves true when the catalog changed. Absent where nobody else writes.
   */
  refresh?(): Promise<boolean>;
  /** Releases what the version holds (native index, nothing for a database table). */
  close(): Promise<void>;
}

export interface LoadOptions {
  signal?: AbortSignal;
  serving?: boolean;
}

/** How a version source tells its manager that something may have changed. */
export interface SourceEvents {
  /** The published version (or the served version's contents) may have changed: check. */
  changed(): void;
  /** The backend became unreachable (up = false, with why) or reachable again. */
  health(up: boolean, reason?: string): void;
}

/**
 * Where versions live and which one is published: a directory (DIR/<version>/ and DIR/CURRENT,
 * followed by fs.watch plus a poll) or PostgreSQL (a table per version and a creator_match_current
 * row, followed by LISTEN/NOTIFY plus a poll). IndexManager does the rest the same way for both:
 * loads off the request path, refuses bad versions, swaps one reference, leases.
 */
export interface VersionSource {
  /** Where versions come from, for messages ("index dir ./var/indexes", "PostgreSQL 127.0.0.1:5432/db"). */
  readonly where: string;
  /** What names the published version there ("CURRENT file", "creator_match_current row"). */
  readonly pointer: string;
  /** The published version, or undefined when nothing is published yet. */
  current(): Promise<string | undefined>;
  /** Throws VERSION_NOT_FOUND (a MatchError) unless `version` exists and could be served. */
  assertExists(version: string): Promise<void>;
  /** Publishes `version` (ReloadIndex with a version: a rollback). */
  publish(version: string): Promise<void>;
  /**
   * Loads and verifies `version` (its updates applied); throws an IndexLoadError to refuse it.
   * `signal` abandons the load (timeout, shutdown); `serving` says another version is serving
   * meanwhile (so the load leaves it a core).
   */
  load(version: string, opts?: LoadOptions): Promise<ServedIndex>;
  /** Starts following the published version; idempotent. */
  watch(events: SourceEvents): void;
  /** Stops following and releases connections; idempotent. */
  close(): Promise<void>;
}
