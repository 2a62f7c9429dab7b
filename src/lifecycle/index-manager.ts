import { EventEmitter } from 'node:events';
import { promises as fs, watch, type FSWatcher } from 'node:fs';
import path from 'node:path';
import type { Embedder } from '../embedding/embedder';
import { MatchError } from '../errors/match-error';
import { loadIndexVersion, type LoadedIndex } from '../index/loaded-index';
import { IndexLoadError, refusalReasonOf, type RefusalReason } from '../index/load-error';
import { CURRENT_FILE, readCurrent, writeCurrent } from '../index/manifest';
import type { Logger } from '../logging/logger';
import type { SearchSample } from '../experiments/recall-monitor';
import { Matcher, type MatcherOptions, type TextEmbedding } from '../match/matcher';
import { applyEntries } from './apply-updates';
import { EmbedderPool, type ModelSpec } from './embedder-pool';
import { readUpdates } from './update-log';

/** One loaded version and the calls using it. */
export interface Serving {
  readonly matcher: Matcher;
  readonly index: LoadedIndex;
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
}

export class VersionRefusedError extends MatchError {}

/**
 * Owns the serving index: loads a version off the request path, validates it (manifest, checksums,
 * shapes, model, a smoke query), then swaps one reference. Calls hold a lease on the version they
 * started with; a retired version is released once its last call finishes. Reloads and updates are
 * serialised. Emits 'loaded' ({version, ms, source}), 'refused' (Refusal) and 'updated'.
 */
export class IndexManager extends EventEmitter {
  private serving: Serving | undefined;
  private refused: Refusal | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private watcher: FSWatcher | undefined;
  private pollTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly pool: EmbedderPool;

  constructor(private readonly opts: IndexManagerOptions) {
    super();
    this.pool = new EmbedderPool({ allowRemoteModels: opts.models.allowRemoteModels, ...(opts.models.modelsDir ? { modelsDir: opts.models.modelsDir } : {}) });
  }

  get indexDir(): string {
    return this.opts.indexDir;
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
  reload(version?: string, source = 'admin'): Promise<ReloadResult> {
    return this.exclusive(async () => {
      const previousVersion = this.serving?.index.version;
      const target = version ?? (await readCurrent(this.opts.indexDir));
      if (!target) throw new VersionRefusedError('VERSION_NOT_FOUND', `no published index in ${this.opts.indexDir} (no CURRENT file)`);
      if (target === previousVersion) {
        if (version !== undefined && (await readCurrent(this.opts.indexDir)) !== target) await writeCurrent(this.opts.indexDir, target);
        return { version: target, previousVersion, changed: false };
      }
      if (version !== undefined) await this.assertVersionExists(version);
      const started = performance.now();
      let next: Serving;
      try {
        next = await this.loadVersion(target);
      } catch (err) {
        const reason = err instanceof Error ? err.message : String(err);
        this.refused = { version: target, reason, code: refusalReasonOf(err), at: new Date() };
        this.opts.logger.error({ err, version: target, serving: previousVersion ?? null, source }, 'index version refused; the previous version keeps serving');
        this.emit('refused', this.refused);
        throw new VersionRefusedError('VERSION_REFUSED', `index version ${target} was refused: ${reason}`);
      }
      if (version !== undefined) await writeCurrent(this.opts.indexDir, target);
      this.swap(next);
      const ms = performance.now() - started;
      this.opts.logger.info({ version: target, previous: previousVersion ?? null, count: next.index.catalog.size, ms: Math.round(ms), source }, 'index version now serving');
      this.emit('loaded', { version: target, ms, source, count: next.index.catalog.size });
      return { version: target, previousVersion, changed: true };
    });
  }

  /** Watches DIR/CURRENT (fs.watch plus a jittered poll) and reloads when it names a new version. */
  watch(): void {
    if (this.closed || this.watcher || this.pollTimer) return;
    const check = (): void => void this.checkCurrent();
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

  private async checkCurrent(): Promise<void> {
    try {
      const target = await readCurrent(this.opts.indexDir);
      if (!target || target === this.serving?.index.version || target === this.refused?.version) return;
      await this.reload(undefined, 'watch');
    } catch (err) {
      if (!(err instanceof VersionRefusedError)) this.opts.logger.warn({ err }, 'checking CURRENT failed');
    }
  }

  private async assertVersionExists(version: string): Promise<void> {
    if (!/^[A-Za-z0-9._-]+$/.test(version) || version.startsWith('.')) {
      throw new VersionRefusedError('VERSION_NOT_FOUND', `invalid version name ${JSON.stringify(version)}`);
    }
    const stat = await fs.stat(path.join(this.opts.indexDir, version)).catch(() => undefined);
    if (!stat?.isDirectory()) throw new VersionRefusedError('VERSION_NOT_FOUND', `no index version ${version} in ${this.opts.indexDir}`);
  }

  private async loadVersion(version: string): Promise<Serving> {
    const index = await loadIndexVersion(this.opts.indexDir, version);
    let embedder: Embedder | undefined;
    try {
      const log = await readUpdates(index.dir, index.manifest.dims);
      if (log.tornTail) this.opts.logger.warn({ version }, 'ignoring a torn last line in the update log (never acknowledged)');
      for (const r of log.rejected) this.opts.logger.error({ version, line: r.line, reason: r.reason }, 'update log line rejected; the other updates are applied');
      await applyEntries(index, log.entries);
      const text = await this.textEmbedding(index);
      embedder = 'embedder' in text ? text.embedder : undefined;
      await smokeTest(index);
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
      await index.hnsw.close();
      throw err;
    }
  }

  /** The version's own model, loaded (or shared) and checked against the manifest. */
  private async textEmbedding(index: LoadedIndex): Promise<TextEmbedding> {
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
    await s.index.hnsw.close();
    if (s.embedder) await this.pool.release(s.embedder, modelSpec(s.index)!);
  }

  /** Idempotent: stops watching and releases every version and model. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.watcher?.close();
    if (this.pollTimer) clearTimeout(this.pollTimer);
    await this.queue.catch(() => undefined);
    const s = this.serving;
    this.serving = undefined;
    if (s) {
      s.retired = true;
      await s.index.hnsw.close();
    }
    await this.pool.close();
  }
}

function modelSpec(index: LoadedIndex): ModelSpec | undefined {
  const m = index.manifest.model;
  return m ? { id: m.id, dtype: m.dtype } : undefined;
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
