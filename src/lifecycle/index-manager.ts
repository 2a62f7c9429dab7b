import { EventEmitter } from 'node:events';
import type { Embedder } from '../embedding/embedder';
import { MatchError } from '../errors/match-error';
import { IndexLoadError, refusalReasonOf, type RefusalReason } from '../index/load-error';
import type { Logger } from '../logging/logger';
import type { SearchSample } from '../experiments/recall-monitor';
import { Matcher, type MatcherOptions, type TextEmbedding } from '../match/matcher';
import { DirectoryVersionSource } from './directory-version-source';
import { EmbedderPool, type ModelSpec } from './embedder-pool';
import { VersionRefusedError, type ServedIndex, type VersionSource } from './version-source';

export { VersionRefusedError };

/** One loaded version and the calls using it. */
export interface Serving {
  readonly matcher: Matcher;
  readonly index: ServedIndex;
  readonly embedder: Embedder | undefined;
  readonly loadedAt: Date;
  refs: number;
  retired: boolean;
}

export interface Refusal {
  version: string;
  /** What was wrong (a sentence, shown in GetIndexInfo and logs). */
  reason: string;
  /** The same as a low-cardinality label (metrics). */
  code: RefusalReason;
  at: Date;
}

export interface ReloadResult {
  version: string;
  previousVersion: string | undefined;
  changed: boolean;
}

export interface IndexManagerOptions {
  indexDir: string;
  logger: Logger;
  matcher: Omit<MatcherOptions, 'onAnnSearch'>;
  /** Sees every ANN search with the version that served it (online recall monitor). */
  onAnnSearch?(version: string, sample: SearchSample): void;
  models: { modelsDir?: string | undefined; allowRemoteModels: boolean };
  /** Fallback poll of CURRENT (network filesystems miss watch events); 0 disables. */
  pollMs: number;
  /** Where versions come from; default: the directory indexDir (CURRENT, fs.watch + poll). */
  source?: VersionSource;
}

/**
 * Owns the serving index: loads a version off the request path, validates it (manifest, checksums,
 * shapes, model, a smoke query), then swaps one reference. Calls hold a lease on the version they
 * started with; a retired version is released once its last call finishes. Reloads and updates are
 * serialised. Emits 'loaded' ({version, ms, source}), 'refused' (Refusal), 'updated' and 'health'
 * ({up, reason}: the backend, e.g. a database, went away or came back).
 */
export class IndexManager extends EventEmitter {
  private serving: Serving | undefined;
  private refused: Refusal | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private watching = false;
  private closed = false;
  private backendUp = true;
  private readonly pool: EmbedderPool;
  /** Where versions come from (a directory, or PostgreSQL). */
  readonly source: VersionSource;

  constructor(private readonly opts: IndexManagerOptions) {
    super();
    this.pool = new EmbedderPool({ allowRemoteModels: opts.models.allowRemoteModels, ...(opts.models.modelsDir ? { modelsDir: opts.models.modelsDir } : {}) });
    this.source = opts.source ?? new DirectoryVersionSource({ indexDir: opts.indexDir, logger: opts.logger, pollMs: opts.pollMs });
  }

  get indexDir(): string {
    return this.opts.indexDir;
  }

  /** False while the backend (a database) is unreachable; calls then fail UNAVAILABLE. */
  get healthy(): boolean {
    return this.backendUp;
  }

  get current(): Serving | undefined {
    return this.serving;
  }

  get lastRefused(): Refusal | undefined {
    return this.refused;
  }

  /** Takes a lease on the serving version; call `release` when the call is done. */
  acquire(): Serving | undefined {
    const s = this.serving;
    if (s) s.refs++;
    return s;
  }

  release(s: Serving): void {
    s.refs--;
    if (s.retired && s.refs === 0) void this.dispose(s);
  }

  /** Runs `fn` after every earlier reload/update has finished. */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /**
   * Loads `version` (default: the one CURRENT names) and serves it. An explicit version is also
   * published (CURRENT points at it: a rollback). A bad version is refused and the old one keeps serving.
   */
  reload(version?: string, source = 'admin', force = false): Promise<ReloadResult> {
    return this.exclusive(async () => {
      const previousVersion = this.serving?.index.version;
      const versions = this.source;
      const target = version ?? (await versions.current());
      if (!target) throw new VersionRefusedError('VERSION_NOT_FOUND', `no published index in ${versions.where} (no ${versions.pointer})`);
      if (target === previousVersion && !force) {
        if (version !== undefined) await versions.publish(target);
        return { version: target, previousVersion, changed: false };
      }
      if (version !== undefined) await versions.assertExists(version);
      const started = performance.now();
      let next: Serving;
      try {
        next = await this.loadVersion(target);
      } catch (err) {
        // An unreachable database says nothing about the version: not a refusal, retried when it is back.
        if (err instanceof MatchError && err.code === 'DATABASE_UNAVAILABLE') throw err;
        const reason = err instanceof Error ? err.message : String(err);
        this.refused = { version: target, reason, code: refusalReasonOf(err), at: new Date() };
        this.opts.logger.error({ err, version: target, serving: previousVersion ?? null, source }, 'index version refused; the previous version keeps serving');
        this.emit('refused', this.refused);
        throw new VersionRefusedError('VERSION_REFUSED', `index version ${target} was refused: ${reason}`);
      }
      if (version !== undefined) {
        try {
          await versions.publish(target);
        } catch (err) {
          await this.dispose(next);
          throw err;
        }
      }
      this.swap(next);
      const ms = performance.now() - started;
      this.opts.logger.info({ version: target, previous: previousVersion ?? null, count: next.index.catalog.size, ms: Math.round(ms), source }, 'index version now serving');
      this.emit('loaded', { version: target, ms, source, count: next.index.catalog.size });
      return { version: target, previousVersion, changed: true };
    });
  }

  /** Follows the published version (DIR/CURRENT: fs.watch plus a jittered poll; PostgreSQL: LISTEN plus a poll). */
  watch(): void {
    if (this.closed || this.watching) return;
    this.watching = true;
    this.source.watch({
      changed: () => void this.checkCurrent(),
      health: (up, reason) => {
        if (up === this.backendUp) return;
        this.backendUp = up;
        if (up) this.opts.logger.info({ where: this.source.where }, 'index backend reachable again');
        else this.opts.logger.error({ where: this.source.where, reason }, 'index backend unreachable; calls fail UNAVAILABLE until it is back');
        this.emit('health', { up, reason });
      },
    });
  }

  private async checkCurrent(): Promise<void> {
    if (this.closed) return;
    try {
      const target = await this.source.current();
      if (target && target !== this.serving?.index.version && target !== this.refused?.version) {
        await this.reload(undefined, 'watch');
        return;
      }
      if (this.serving?.index.refresh) await this.refreshServing();
    } catch (err) {
      if (!(err instanceof VersionRefusedError) && !this.closed) this.opts.logger.warn({ err }, 'checking CURRENT failed');
    }
  }

  /**
   * Applies changes others made to the served version (a shared database), between updates. When
   * they cannot be applied (the catalog no longer mirrors the table), the version is loaded anew.
   */
  private async refreshServing(): Promise<void> {
    try {
      await this.exclusive(async () => {
        const s = this.serving;
        if (!s?.index.refresh || !(await s.index.refresh())) return;
        s.matcher.invalidateShape();
        this.emit('updated', { version: s.index.version, refreshed: true });
      });
    } catch (err) {
      if (this.closed) return;
      if (err instanceof MatchError && err.code === 'DATABASE_UNAVAILABLE') throw err;
      this.opts.logger.error({ err, version: this.serving?.index.version }, 'cannot apply the served version\'s changes; loading it anew');
      await this.reload(undefined, 'refresh', true);
    }
  }

  private async loadVersion(version: string): Promise<Serving> {
    const index = await this.source.load(version);
    let embedder: Embedder | undefined;
    try {
      const text = await this.textEmbedding(index);
      embedder = 'embedder' in text ? text.embedder : undefined;
      const { efSearch, exactMaxCandidates, maxRerankWork } = this.opts.matcher;
      const onAnnSearch = this.opts.onAnnSearch;
      const matcher = new Matcher(index, text, {
        exactMaxCandidates,
        maxRerankWork,
        efSearch,
        ...(onAnnSearch ? { onAnnSearch: (sample: SearchSample) => onAnnSearch(version, sample) } : {}),
      });
      return { matcher, index, embedder, loadedAt: new Date(), refs: 0, retired: false };
    } catch (err) {
      if (embedder) await this.pool.release(embedder, modelSpec(index)!);
      await index.close();
      throw err;
    }
  }

  /** The version's own model, loaded (or shared) and checked against the manifest. */
  private async textEmbedding(index: ServedIndex): Promise<TextEmbedding> {
    const spec = modelSpec(index);
    if (!spec) {
      return { unavailable: new MatchError('TEXT_QUERY_UNSUPPORTED', 'this index was built from provided vectors without a model; query by vector or like_creators') };
    }
    const embedder = await this.pool.acquire(spec).catch((err: unknown) => {
      throw new IndexLoadError(`its model ${spec.id} (${spec.dtype}) cannot be loaded: ${(err as Error).message}`, 'model', { cause: err });
    });
    const revision = index.manifest.model!.revision;
    const problem =
      embedder.dims !== index.manifest.dims
        ? `its model ${spec.id} makes ${embedder.dims}-d vectors, the index has ${index.manifest.dims}`
        : revision !== 'external' && revision !== embedder.revision
          ? `it was embedded by ${spec.id} revision ${revision}, but the local model is revision ${embedder.revision}`
          : undefined;
    if (problem) {
      await this.pool.release(embedder, spec);
      throw new IndexLoadError(problem, 'model');
    }
    return { embedder };
  }

  private swap(next: Serving): void {
    const old = this.serving;
    this.serving = next;
    if (old) {
      old.retired = true;
      if (old.refs === 0) void this.dispose(old);
    }
  }

  private async dispose(s: Serving): Promise<void> {
    await s.index.close();
    if (s.embedder) await this.pool.release(s.embedder, modelSpec(s.index)!);
  }

  /** Idempotent: stops watching and releases every version and model. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.source.close();
    await this.queue.catch(() => undefined);
    const s = this.serving;
    this.serving = undefined;
    if (s) {
      s.retired = true;
      await s.index.close();
    }
    await this.pool.close();
  }
}

function modelSpec(index: ServedIndex): ModelSpec | undefined {
  const m = index.manifest.model;
  return m ? { id: m.id, dtype: m.dtype } : undefined;
}
