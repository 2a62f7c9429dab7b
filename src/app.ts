import type * as grpc from '@grpc/grpc-js';
import type { Catalog } from './catalog/catalog';
import type { Config } from './config/config';
import { createAdminService } from './grpc/admin-service';
import { createMatcherService } from './grpc/matcher-service';
import { loadMatchPackageDefinition } from './grpc/proto';
import { bindServer, buildAdminServer, buildGrpcServer, shutdownServer, type GrpcServerParts } from './grpc/server';
import { serverCredentials } from './grpc/tls';
import { FairShare } from './grpc/fair-share';
import { IndexManager, type Refusal } from './lifecycle/index-manager';
import { pgSourceFromConfig } from './lifecycle/pg-version-source';
import type { Logger } from './logging/logger';
import { shortId } from './errors/echo';
import { MatchError } from './errors/match-error';
import { RecallMonitor } from './experiments/recall-monitor';
import { assignVariant, defaultExperiment, loadExperiment, type Experiment } from './experiments/variants';
import { DEFAULT_K } from './match/match-input';
import type { Matcher } from './match/matcher';
import { telemetryInterceptor } from './telemetry/grpc-interceptor';
import { IndexMetrics, recordOnlineRecall } from './telemetry/instruments';
import type { Telemetry } from './telemetry/sdk';
import { servedIndexOf } from './telemetry/served-index';
import { UiServer } from './ui/ui-server';

/**
 * The service: index manager + gRPC servers. Building is separate from listening (tests build and
 * listen on port 0; main listens on the configured addresses). init() and close() are idempotent.
 */
export class MatchApp {
  readonly grpc: GrpcServerParts;
  readonly experiment: Experiment;
  /** One index manager per A/B variant (a single "default" one without an experiment). */
  readonly managers: ReadonlyMap<string, IndexManager>;
  readonly recallMonitor: RecallMonitor;
  /** IndexAdmin on its own server when MATCH_ADMIN_ADDR is set. */
  readonly adminServer: grpc.Server | undefined;
  private initPromise: Promise<void> | undefined;
  private closePromise: Promise<void> | undefined;
  private readonly credentials: grpc.ServerCredentials;
  private readonly transport: 'plaintext' | 'tls' | 'mtls';
  /** Index gauges (version, size, recall) and load/refusal counts. */
  readonly indexMetrics: IndexMetrics;
  /** The relevance workbench's HTTP server (page + JSON API), only when MATCH_UI_ADDR is set. */
  readonly ui: UiServer | undefined;

  constructor(
    readonly config: Config,
    readonly logger: Logger,
    /** The started OTel SDK (main, metrics tests); close() shuts it down last. */
    private readonly telemetry?: Pick<Telemetry, 'shutdown'>,
  ) {
    ({ credentials: this.credentials, mode: this.transport } = serverCredentials(config.tls));
    this.experiment = config.variantsFile ? loadExperiment(config.variantsFile) : defaultExperiment(config.indexDir);
    this.recallMonitor = new RecallMonitor({
      sampleRate: config.recallSampleRate,
      queueSize: config.recallQueueSize,
      cpuBudget: config.recallCpuBudget,
      onResult: (r) => {
        recordOnlineRecall(r.variant, r.version, r.recall);
        logger.debug({ variant: r.variant, version: r.version, k: r.k, recall: r.recall }, 'online recall sample');
      },
    });
    this.managers = new Map(
      this.experiment.variants.map((v) => [
        v.name,
        new IndexManager({
          indexDir: v.indexDir,
          // With MATCH_PG_URL, versions come from PostgreSQL: the index named MATCH_PG_INDEX, or each variant's name.
          ...(config.pg ? { source: pgSourceFromConfig(config.pg, config.variantsFile ? v.name : config.pg.index, config.reloadPollMs, logger.child({ variant: v.name })) } : {}),
          logger: logger.child({ variant: v.name }),
          matcher: { efSearch: config.efSearch, exactMaxCandidates: config.exactMaxCandidates, maxRerankWork: config.maxRerankWork },
          models: { modelsDir: config.modelsDir, allowRemoteModels: config.allowRemoteModels, cacheSize: config.embedCacheSize, thread: config.embedThread, onnxThreads: config.embedOnnxThreads },
          pollMs: config.reloadPollMs,
          loadTimeoutMs: config.loadTimeoutMs,
          onAnnSearch: (version, sample) => this.recallMonitor.offer(v.name, version, sample),
        }),
      ]),
    );
    const packageDefinition = loadMatchPackageDefinition();
    const matcher = createMatcherService({
      route: (fanId, explicit) => {
        const variant = assignVariant(this.experiment, fanId, explicit);
        if (!variant) throw this.unknownVariant(explicit);
        return { name: variant.name, manager: this.managers.get(variant.name)! };
      },
      experiment: { name: this.experiment.name, variants: this.experiment.variants.map((v) => v.name) },
      onlineRecall: (variant, version) => this.recallMonitor.statsFor(variant, version),
      limits: {
        maxK: config.maxK,
        defaultK: DEFAULT_K,
        maxTextChars: config.maxTextChars,
        maxLikeCreators: config.maxLikeCreators,
        maxFilterIds: config.maxFilterIds,
      },
      logger,
      exposureLog: config.exposureLog === 'on' || (config.exposureLog === 'auto' && this.experiment.name !== 'none'),
      ...(config.maxActiveCallsPerConnection > 0 ? { fairShare: new FairShare(config.maxActiveCallsPerConnection) } : {}),
    });
    const admin = config.adminToken
      ? createAdminService({
          manager: (name) => {
            const m = this.managers.get(name || this.experiment.variants[0]!.name);
            if (!m) throw this.unknownVariant(name);
            return m;
          },
          token: config.adminToken,
          maxUpsertBatch: config.maxUpsertBatch,
          logger,
        })
      : undefined;
    if (!admin) logger.info('MATCH_ADMIN_TOKEN is not set: the IndexAdmin service is off');
    const serverOpts = { packageDefinition, maxReceiveBytes: config.maxReceiveBytes, interceptors: [telemetryInterceptor()], transport: config.transport };
    this.grpc = buildGrpcServer({ ...serverOpts, matcher, admin: config.adminAddr ? undefined : admin });
    this.adminServer = admin && config.adminAddr ? buildAdminServer({ ...serverOpts, admin }) : undefined;
    this.ui = config.ui.addr
      ? new UiServer({
          ...config.ui,
          tls: config.tls,
          handlers: matcher,
          packageDefinition,
          maxBodyBytes: config.maxReceiveBytes,
          experiment: { name: this.experiment.name, variants: this.experiment.variants.map((v) => v.name) },
          catalog: (variant) => this.catalogOf(variant),
          limits: { maxK: config.maxK, maxTextChars: config.maxTextChars, maxLikeCreators: config.maxLikeCreators },
          shutdownGraceMs: config.shutdownGraceMs,
          logger: logger.child({ component: 'workbench' }),
        })
      : undefined;
    this.indexMetrics = new IndexMetrics(() =>
      [...this.managers].flatMap(([variant, m]) => (m.current ? [servedIndexOf(m.current.index, variant)] : [])),
    );
    for (const m of this.managers.values()) {
      m.on('loaded', (e: { ms: number }) => this.indexMetrics.loaded(e.ms / 1000));
      m.on('refused', (r: Refusal) => this.indexMetrics.refused(r.code));
      // A backend (database) that goes away makes the service NOT_SERVING until it is back.
      m.on('health', () => {
        if (this.initPromise && !this.closePromise) this.grpc.setServing(this.ready() ? 'SERVING' : 'NOT_SERVING');
      });
    }
  }

  get server(): grpc.Server {
    return this.grpc.server;
  }

  /** The first (control, or only) variant's manager. */
  get manager(): IndexManager {
    return this.managers.get(this.experiment.variants[0]!.name)!;
  }

  get currentMatcher(): Matcher | undefined {
    return this.manager.current?.matcher;
  }

  /** The serving catalog of a variant by name ('' = the first); UNKNOWN_VARIANT for other names. */
  private catalogOf(variant: string): Catalog | undefined {
    const v = variant ? this.experiment.variants.find((x) => x.name === variant) : this.experiment.variants[0];
    if (!v) throw this.unknownVariant(variant);
    return this.managers.get(v.name)?.current?.matcher.index.catalog;
  }

  /** Every variant serves a version and its backend is reachable. */
  private ready(): boolean {
    return [...this.managers.values()].every((m) => m.current !== undefined && m.healthy);
  }

  private unknownVariant(name: string): MatchError {
    const names = this.experiment.variants.map((v) => v.name).join(', ');
    return new MatchError('UNKNOWN_VARIANT', `unknown variant ${shortId(name)}; served variants: ${names}`);
  }

  init(): Promise<void> {
    this.initPromise ??= this.doInit();
    return this.initPromise;
  }

  /** Binds the CreatorMatcher server (and IndexAdmin, when it shares the port); returns the port. */
  async listen(addr = this.config.grpcAddr): Promise<number> {
    if (this.closePromise) throw new Error('the service is shutting down; not listening');
    const port = await bindServer(this.server, addr, this.credentials, this.config.transport, (remote) => this.connectionDropped(remote));
    this.logger.info({ addr, port, transport: this.transport }, 'gRPC server listening');
    return port;
  }

  /** Binds the separate IndexAdmin server (only when MATCH_ADMIN_ADDR is set). */
  async listenAdmin(addr = this.config.adminAddr): Promise<number | undefined> {
    if (!this.adminServer || !addr || this.closePromise) return undefined;
    const port = await bindServer(this.adminServer, addr, this.credentials, this.config.transport, (remote) => this.connectionDropped(remote));
    this.logger.info({ addr, port, transport: this.transport }, 'IndexAdmin listening');
    return port;
  }

  /** Binds the workbench's HTTP server (only when MATCH_UI_ADDR is set); returns the port. */
  async listenUi(addr = this.config.ui.addr): Promise<number | undefined> {
    if (!this.ui || !addr) return undefined;
    const port = await this.ui.listen(addr);
    this.logger.info({ addr, port, transport: this.ui.transport }, 'relevance workbench listening (an internal tool)');
    return port;
  }

  private droppedConnections = 0;

  /** A connection refused at MATCH_MAX_CONNECTIONS: logged at most once a second (with the count). */
  private connectionDropped(remote: string): void {
    this.droppedConnections++;
    const now = Date.now();
    if (now - this.lastDropLog < 1000) return;
    this.lastDropLog = now;
    this.logger.warn({ remote, dropped: this.droppedConnections, maxConnections: this.config.transport.maxConnections }, 'connection refused: MATCH_MAX_CONNECTIONS reached');
  }

  private lastDropLog = 0;

  close(): Promise<void> {
    this.closePromise ??= this.doClose();
    return this.closePromise;
  }

  private async doInit(): Promise<void> {
    const { config, logger } = this;
    const waiting: IndexManager[] = [];
    for (const m of this.managers.values()) {
      try {
        await m.reload(undefined, 'startup');
      } catch (err) {
        if (!(err instanceof MatchError)) throw err;
        if (this.closePromise) return; // stopped during startup
        if (err.code === 'DATABASE_UNAVAILABLE') {
          // The database is not reachable yet: serve NOT_SERVING and pick the version up when it is.
          logger.warn({ where: m.source.where, reason: err.message }, `${err.message}; waiting for it`);
        } else if (err.code === 'VERSION_NOT_FOUND') {
          // Nothing published yet: serve NOT_SERVING and pick the first version up when it appears.
          if (config.pg) logger.warn({ where: m.source.where }, `no published index in ${m.source.where} yet; waiting for one (build it with npm run index:build -- --input FILE --out DIR --pg URL)`);
          else logger.warn({ indexDir: m.indexDir }, `no published index in ${m.indexDir} yet; waiting for one (build it with npm run index:build -- --out ${m.indexDir})`);
        } else {
          // The published version (or its pointer) is unusable: nothing published may keep the
          // service from starting. It listens NOT_SERVING and serves the first version that loads.
          logger.error({ where: m.source.where, reason: err.message }, `the published index in ${m.source.where} was refused; serving NOT_SERVING until a valid version is published (npm run index:rollback or index:build)`);
        }
        waiting.push(m);
      }
    }
    if (this.ready()) this.grpc.setServing('SERVING');
    for (const m of waiting) {
      m.once('loaded', () => {
        if (this.ready() && !this.closePromise) this.grpc.setServing('SERVING');
      });
    }
    for (const m of this.managers.values()) m.watch();
    if (config.variantsFile) {
      logger.info({ experiment: this.experiment.name, variants: this.experiment.variants.map((v) => `${v.name}:${v.traffic}`) }, 'A/B variants serving');
    }
  }

  /** health NOT_SERVING → drain (grace, then force) → workbench server closed → release index and models. */
  private async doClose(): Promise<void> {
    this.grpc.setServing('NOT_SERVING');
    this.ui?.gateway.drain();
    const servers = [this.server, ...(this.adminServer ? [this.adminServer] : [])];
    const graceful = await Promise.all(servers.map((s) => shutdownServer(s, this.config.shutdownGraceMs)));
    this.logger.info({ graceful: graceful.every(Boolean) }, 'gRPC server stopped');
    await this.ui?.close();
    this.recallMonitor.close();
    await Promise.all([...this.managers.values()].map((m) => m.close()));
    this.indexMetrics.close();
    await this.telemetry?.shutdown();
  }
}
