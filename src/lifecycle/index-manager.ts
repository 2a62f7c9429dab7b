import { EventEmitter } from 'node:events';
import type { Embedder } from '../embedding/embedder';
import { MatchError } from '../errors/match-error';
import { IndexLoadError, refusalReasonOf, type RefusalReason } from '../index/load-error';
import { withTimeout } from '../index/safe-files';
import { truncateForEcho } from '../errors/echo';
import type { Logger } from '../logging/logger';
import type { SearchSample } from '../experiments/recall-monitor';
import { Matcher, type MatcherOptions, type TextEmbedding } from '../match/matcher';
import { DirectoryVersionSource } from './directory-version-source';
import { EmbedderPool, type ModelSpec } from './embedder-pool';
import { VersionRefusedError, type ServedIndex, type VersionSource } from './version-source';

export { VersionRefusedError };

/** The name a refusal of the published-version pointer itself (not of a version) is recorded under. */
const CURRENT_POINTER = 'CURRENT';

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
  onAnnSearch?: (version: string, sample: SearchSample) => void;
  /** Model loading (EmbedderPoolOptions): cache size (MATCH_EMBED_CACHE_SIZE), where the model runs (MATCH_EMBED_THREAD), ONNX threads (MATCH_EMBED_ONNX_THREADS). */
  models: { modelsDir?: string | undefined; allowRemoteModels: boolean; cacheSize?: number; thread?: 'worker' | 'inline'; onnxThreads?: number | undefined };
  /** Fallback poll of CURRENT (network filesystems miss watch events); 0 disables. */
  pollMs: number;
  /** A version load (verification, catalog, HNSW, update-log replay, model) gives up after this (0: never). */
  loadTimeoutMs?: number;
  /** Where versions come from; default: the directory indexDir (CURRENT, fs.watch + poll). */
  source?: VersionSource;
}

/** Default of loadTimeoutMs (MATCH_LOAD_TIMEOUT_MS). */
export const DEFAULT_LOAD_TIMEOUT_MS = 300_000;
/** How long close() waits for a reload or update in flight before it releases everything anyway. */
const CLOSE_WAIT_MS = 5_000;

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
  /** Aborted by close(): loads and replays in flight stop at their next check. */
  private readonly stopping = new AbortController();
  /** The last problem with the published-version pointer itself (logged once, not on every poll). */
  private currentProblem: string | undefined;
  private backendUp = true;
  private readonly pool: EmbedderPool;
  /** Where versions come from (a directory, or PostgreSQL). */
  readonly source: VersionSource;

  constructor(private readonly opts: IndexManagerOptions) {
    super();
    this.pool = new EmbedderPool({
      allowRemoteModels: opts.models.allowRemoteModels,
      ...(opts.models.modelsDir ? { modelsDir: opts.models.modelsDir } : {}),
      ...(opts.models.cacheSize ? { cacheSize: opts.models.cacheSize } : {}),
      thread: opts.models.thread ?? 'worker',
      onnxThreads: opts.models.onnxThreads,
    });
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
      if (this.closed) throw new VersionRefusedError('INDEX_NOT_READY', 'the service is shutting down; no version is loaded now');
      const previousVersion = this.serving?.index.version;
      const versions = this.source;
      let target: string | undefined;
      try {
        target = version ?? (await versions.current());
      } catch (err) {
        if (err instanceof MatchError && err.code === 'DATABASE_UNAVAILABLE') throw err;
        // The pointer itself is unusable (CURRENT: not a version name, a symlink, a FIFO, too large, ...).
        const reason = err instanceof Error ? err.message : String(err);
        this.currentProblem = reason; // the watch does not refuse the same pointer again on every poll
        this.refuse(CURRENT_POINTER, reason, err, previousVersion, source);
        throw new VersionRefusedError('VERSION_REFUSED', `the ${versions.pointer} in ${versions.where} is unusable: ${truncateForEcho(reason, 500)}`);
      }
      if (!target) throw new VersionRefusedError('VERSION_NOT_FOUND', `no published index in ${versions.where} (no ${versions.pointer})`);
      if (target === previousVersion && !force) {
        if (version !== undefined) await versions.publish(target);
        return { version: target, previousVersion, changed: false };
      }
      if (version !== undefined) await versions.assertExists(version);
      const started = performance.now();
      this.opts.logger.info({ version: target, serving: previousVersion ?? null, source }, 'loading index version');
      let next: Serving;
      try {
        next = await withTimeout((signal) => this.loadVersion(target, signal), this.opts.loadTimeoutMs ?? DEFAULT_LOAD_TIMEOUT_MS, `loading version ${target}`, {
          outer: this.stopping.signal,
          onLate: (late) => this.dispose(late),
        });
      } catch (err) {
        if (this.closed) throw new VersionRefusedError('INDEX_NOT_READY', 'the service is shutting down; no version is loaded now');
        // An unreachable database says nothing about the version: not a refusal, retried when it is back.
        if (err instanceof MatchError && err.code === 'DATABASE_UNAVAILABLE') throw err;
        const reason = err instanceof Error ? err.message : String(err);
        this.refuse(target, reason, err, previousVersion, source);
        throw new VersionRefusedError('VERSION_REFUSED', `index version ${target} was refused: ${truncateForEcho(reason, 500)}`);
      }
      if (this.closed) {
        // Loaded while the service was stopping: never served, released at once.
        await this.dispose(next);
        throw new VersionRefusedError('INDEX_NOT_READY', 'the service is shutting down; no version is loaded now');
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

  private refuse(version: string, reason: string, err: unknown, serving: string | undefined, source: string): void {
    this.refused = { version, reason: truncateForEcho(reason, 1000), code: refusalReasonOf(err), at: new Date() };
    this.opts.logger.error({ err, version, serving: serving ?? null, source }, 'index version refused; the previous version keeps serving');
    this.emit('refused', this.refused);
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
      let target: string | undefined;
      try {
        target = await this.source.current();
      } catch (err) {
        if (err instanceof MatchError && err.code === 'DATABASE_UNAVAILABLE') throw err;
        // Refused once per distinct problem, not on every poll.
        const problem = err instanceof Error ? err.message : String(err);
        if (problem === this.currentProblem) return;
        await this.reload(undefined, 'watch');
        return;
      }
      this.currentProblem = undefined;
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

  private async loadVersion(version: string, signal: AbortSignal): Promise<Serving> {
    // Nothing searches a first version yet: its update-log replay may use every core.
    const index = await this.source.load(version, { signal, serving: this.serving !== undefined });
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
      // Category centroids for smoothing (when the fusion uses them): computed before the version serves.
      await matcher.centroids();
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

  /**
   * Idempotent: stops watching, stops a load in flight, and releases every version and model. A
   * reload or update still running after CLOSE_WAIT_MS (stuck in the file system) is not waited for.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stopping.abort(new Error('the service is shutting down'));
    await this.source.close();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.queue.catch(() => undefined), new Promise((resolve) => (timer = setTimeout(resolve, CLOSE_WAIT_MS).unref()))]);
    clearTimeout(timer);
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
