import os from 'node:os';
import { promises as fs, watch, type FSWatcher } from 'node:fs';
import path from 'node:path';
import { loadIndexVersion, type LoadedIndex } from '../index/loaded-index';
import { IndexLoadError } from '../index/load-error';
import { checkCatalogProfiles, checkIndexVectors, crossCheckVectors } from '../index/cross-check';
import { withIndexDirLock } from '../index/index-lock';
import { CURRENT_FILE, readCurrent, writeCurrent } from '../index/manifest';
import { truncateForEcho } from '../errors/echo';
import type { Logger } from '../logging/logger';
import { applyEntries } from './apply-updates';
import { appendUpdates, readUpdates, type UpdateEntry } from './update-log';
import { VersionRefusedError, type LoadOptions, type ServedIndex, type SourceEvents, type VersionSource, type WriteOutcome } from './version-source';

/** Rejected update-log lines logged one by one; the rest are counted. */
const REJECTED_LINES_LOGGED = 20;

/** A version directory as served: the loaded files, its update log for writes. */
export class DirectoryIndex implements ServedIndex {
  constructor(readonly loaded: LoadedIndex) {}

  get version(): string {
    return this.loaded.version;
  }
  get manifest(): LoadedIndex['manifest'] {
    return this.loaded.manifest;
  }
  get catalog(): LoadedIndex['catalog'] {
    return this.loaded.catalog;
  }
  get search(): LoadedIndex['search'] {
    return this.loaded.search;
  }
  get dir(): string {
    return this.loaded.dir;
  }
  get lexical(): LoadedIndex['lexical'] {
    return this.loaded.lexical;
  }
  get adapter(): LoadedIndex['adapter'] {
    return this.loaded.adapter;
  }

  /** Appends to DIR/<version>/updates.jsonl (fsync) and then applies in memory, in slices. */
  async write(entries: readonly UpdateEntry[]): Promise<WriteOutcome> {
    const notFound: string[] = [];
    const logged: UpdateEntry[] = [];
    for (const e of entries) {
      if (e.op !== 'delete') {
        logged.push(e);
        continue;
      }
      // Unknown ids are reported, not logged.
      const known = e.ids.filter((id) => this.catalog.labelOf(id) !== undefined);
      notFound.push(...e.ids.filter((id) => this.catalog.labelOf(id) === undefined));
      if (known.length > 0) logged.push({ ...e, ids: known });
    }
    let created = 0;
    if (logged.length === 0) return { created, notFound };
    await appendUpdates(this.loaded.dir, logged);
    // Durable from here on: applied in slices (other calls run in between).
    await applyEntries(this.loaded, logged, (_e, isNew) => {
      if (isNew) created++;
    });
    return { created, notFound };
  }

  close(): Promise<void> {
    return this.loaded.hnsw.close();
  }
}

export interface DirectorySourceOptions {
  indexDir: string;
  logger: Logger;
  /** Fallback poll of CURRENT (network filesystems miss watch events); 0 disables. */
  pollMs: number;
}

/** Versions as directories: DIR/<version>/ (manifest, checksums) and DIR/CURRENT, followed by fs.watch plus a jittered poll. */
export class DirectoryVersionSource implements VersionSource {
  private watcher: FSWatcher | undefined;
  private pollTimer: NodeJS.Timeout | undefined;
  private closed = false;
  readonly pointer = 'CURRENT file';

  constructor(private readonly opts: DirectorySourceOptions) {}

  get where(): string {
    return this.opts.indexDir;
  }

  current(): Promise<string | undefined> {
    return readCurrent(this.opts.indexDir);
  }

  async assertExists(version: string): Promise<void> {
    if (!/^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$/.test(version)) {
      throw new VersionRefusedError('VERSION_NOT_FOUND', `invalid version name ${JSON.stringify(truncateForEcho(version))}`);
    }
    const stat = await fs.lstat(path.join(this.opts.indexDir, version)).catch(() => undefined);
    if (!stat?.isDirectory()) throw new VersionRefusedError('VERSION_NOT_FOUND', `no index version ${version} in ${this.opts.indexDir}`);
  }

  /** CURRENT := version, under the index-dir lock (a builder's prune cannot remove it meanwhile). */
  async publish(version: string): Promise<void> {
    if ((await readCurrent(this.opts.indexDir).catch(() => undefined)) === version) return;
    await withIndexDirLock(this.opts.indexDir, () => writeCurrent(this.opts.indexDir, version), { timeoutMs: 30_000 });
  }

  /** Loads and verifies the files, cross-checks them, replays the update log, and runs the smoke query. */
  async load(version: string, opts: LoadOptions = {}): Promise<ServedIndex> {
    const { signal } = opts;
    const index = await loadIndexVersion(this.opts.indexDir, version, signal);
    try {
      // vectors.f32 against the vectors inside index.hnsw, and the profiles' types, before anything is applied on top.
      await crossCheckVectors(index, signal);
      await checkIndexVectors(index, signal);
      await checkCatalogProfiles(index, signal);
      const log = await readUpdates(index.dir, index.manifest.dims, signal);
      if (log.tornTail) this.opts.logger.warn({ version }, 'ignoring a torn last line in the update log (never acknowledged)');
      for (const r of log.rejected.slice(0, REJECTED_LINES_LOGGED)) this.opts.logger.error({ version, line: r.line, reason: r.reason }, 'update log line rejected; the other updates are applied');
      if (log.rejected.length > REJECTED_LINES_LOGGED) {
        this.opts.logger.error({ version, rejected: log.rejected.length }, `${log.rejected.length - REJECTED_LINES_LOGGED} more update log lines rejected`);
      }
      signal?.throwIfAborted();
      // Nothing searches this version yet: large inserts; all cores when no other version is serving.
      const cores = os.availableParallelism();
      await applyEntries(index, log.entries, undefined, { insertRows: 4096, insertThreads: opts.serving ? Math.max(1, cores - 1) : cores });
      signal?.throwIfAborted();
      await smokeTest(index);
      return new DirectoryIndex(index);
    } catch (err) {
      await index.hnsw.close();
      throw err;
    }
  }

  watch(events: SourceEvents): void {
    if (this.closed || this.watcher || this.pollTimer) return;
    const check = (): void => events.changed();
    try {
      this.watcher = watch(this.opts.indexDir, (_event, file) => {
        if (file === null || file === CURRENT_FILE) check();
      });
      this.watcher.on('error', (err) => this.opts.logger.warn({ err }, 'index dir watch failed; relying on polling'));
      this.watcher.unref();
    } catch (err) {
      this.opts.logger.warn({ err }, 'cannot watch the index dir; relying on polling');
    }
    const schedule = (): void => {
      if (this.closed || this.opts.pollMs <= 0) return;
      const jittered = this.opts.pollMs * (0.8 + Math.random() * 0.4);
      this.pollTimer = setTimeout(() => {
        check();
        schedule();
      }, jittered).unref();
    };
    schedule();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.watcher?.close();
    if (this.pollTimer) clearTimeout(this.pollTimer);
  }
}

/** A live creator's own vector must find itself: catches a graph/vector file mismatch. */
async function smokeTest(index: LoadedIndex): Promise<void> {
  const live = index.catalog.liveLabels();
  if (live.length === 0) return;
  const probe = live[Math.floor(live.length / 2)]!;
  const [row] = await index.hnsw.vectors([probe]);
  const [hit] = row ? await index.hnsw.search(row, 1, Math.max(index.manifest.ann.efSearch, 10)) : [];
  if (!hit || hit.score < 0.99) {
    throw new IndexLoadError(`smoke query failed: creator ${index.catalog.idOf(probe)}'s own vector scored ${hit?.score.toFixed(4) ?? 'nothing'} in HNSW`, 'shape');
  }
}
