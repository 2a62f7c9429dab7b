import * as grpc from '@grpc/grpc-js';
import { buildIndex } from '../index-builder/build-index';
import { SAMPLE_CATALOG, type Config } from './config/config';
import { createAdminService } from './grpc/admin-service';
import { createMatcherService } from './grpc/matcher-service';
import { clientConstructor, loadMatchPackageDefinition } from './grpc/proto';
import { bindServer, buildGrpcServer, shutdownServer, type GrpcServerParts } from './grpc/server';
import { serverCredentials } from './grpc/tls';
import { readCurrent } from './index/manifest';
import { IndexManager } from './lifecycle/index-manager';
import type { Logger } from './logging/logger';
import { DEFAULT_K } from './match/match-input';
import type { Matcher } from './match/matcher';
import { telemetryInterceptor } from './telemetry/grpc-interceptor';
import { IndexMetrics } from './telemetry/instruments';
import type { Telemetry } from './telemetry/sdk';
import { refusalReason, servedIndexOf } from './telemetry/served-index';

/**
 * The service: index manager + gRPC servers. Building is separate from listening (tests build and
 * listen on port 0; main listens on the configured addresses). init() and close() are idempotent.
 */
export class MatchApp {
  readonly grpc: GrpcServerParts;
  readonly manager: IndexManager;
  /** IndexAdmin on its own server when MATCH_ADMIN_ADDR is set. */
  readonly adminServer: grpc.Server | undefined;
  private initPromise: Promise<void> | undefined;
  private closePromise: Promise<void> | undefined;
  private readonly credentials: grpc.ServerCredentials;
  private readonly transport: 'plaintext' | 'tls' | 'mtls';
  /** Index gauges (version, size, recall) and load/refusal counts. */
  readonly indexMetrics: IndexMetrics;

  constructor(
    readonly config: Config,
    readonly logger: Logger,
    /** The started OTel SDK (main, metrics tests); close() shuts it down last. */
    private readonly telemetry?: Pick<Telemetry, 'shutdown'>,
  ) {
    ({ credentials: this.credentials, mode: this.transport } = serverCredentials(config.tls));
    this.manager = new IndexManager({
      indexDir: config.indexDir,
      logger,
      matcher: { efSearch: config.efSearch, exactMaxCandidates: config.exactMaxCandidates },
      models: { modelsDir: config.modelsDir, allowRemoteModels: config.allowRemoteModels },
      pollMs: config.reloadPollMs,
    });
    const packageDefinition = loadMatchPackageDefinition();
    const matcher = createMatcherService({
      manager: this.manager,
      limits: {
        maxK: config.maxK,
        defaultK: DEFAULT_K,
        maxTextChars: config.maxTextChars,
        maxLikeCreators: config.maxLikeCreators,
        maxFilterIds: config.maxFilterIds,
      },
      logger,
    });
    this.grpc = buildGrpcServer({ packageDefinition, matcher, maxReceiveBytes: config.maxReceiveBytes, interceptors: [telemetryInterceptor()] });
    this.indexMetrics = new IndexMetrics(() => {
      const s = this.manager.current;
      return s ? servedIndexOf(s.index) : undefined;
    });
    this.manager.on('loaded', (e: { ms: number }) => this.indexMetrics.loaded(e.ms / 1000));
    this.manager.on('refused', (r: { reason: string }) => this.indexMetrics.refused(refusalReason(r.reason)));
    if (config.adminToken) {
      const admin = createAdminService({ manager: this.manager, token: config.adminToken, maxUpsertBatch: config.maxUpsertBatch, logger });
      const definition = clientConstructor('IndexAdmin', packageDefinition).service;
      if (config.adminAddr) {
        this.adminServer = new grpc.Server({ 'grpc.max_receive_message_length': config.maxReceiveBytes, interceptors: [telemetryInterceptor()] });
        this.adminServer.addService(definition, admin);
      } else {
        this.grpc.server.addService(definition, admin);
      }
    } else {
      logger.info('MATCH_ADMIN_TOKEN is not set: the IndexAdmin service is off');
    }
  }

  get server(): grpc.Server {
    return this.grpc.server;
  }

  get currentMatcher(): Matcher | undefined {
    return this.manager.current?.matcher;
  }

  init(): Promise<void> {
    this.initPromise ??= this.doInit();
    return this.initPromise;
  }

  /** Binds the CreatorMatcher server (and IndexAdmin, when it shares the port); returns the port. */
  async listen(addr = this.config.grpcAddr): Promise<number> {
    const port = await bindServer(this.server, addr, this.credentials);
    this.logger.info({ addr, port, transport: this.transport }, 'gRPC server listening');
    return port;
  }

  /** Binds the separate IndexAdmin server (only when MATCH_ADMIN_ADDR is set). */
  async listenAdmin(addr = this.config.adminAddr): Promise<number | undefined> {
    if (!this.adminServer || !addr) return undefined;
    const port = await bindServer(this.adminServer, addr, this.credentials);
    this.logger.info({ addr, port, transport: this.transport }, 'IndexAdmin listening');
    return port;
  }

  close(): Promise<void> {
    this.closePromise ??= this.doClose();
    return this.closePromise;
  }

  private async doInit(): Promise<void> {
    const { config, logger } = this;
    if (config.autoBuildSample && (await readCurrent(config.indexDir)) === undefined) {
      logger.info({ indexDir: config.indexDir, input: SAMPLE_CATALOG }, 'no published index: building the bundled sample catalog');
      const report = await buildIndex({
        input: SAMPLE_CATALOG,
        out: config.indexDir,
        ...(config.model ? { model: config.model } : {}),
        dtype: config.modelDtype,
        ...(config.modelsDir ? { modelsDir: config.modelsDir } : {}),
        allowRemoteModels: config.allowRemoteModels,
      });
      logger.info({ version: report.version, count: report.count, recall: report.recall.value, seconds: report.seconds.total }, 'sample index built');
    }
    await this.manager.reload(undefined, 'startup');
    this.grpc.setServing('SERVING');
    this.manager.watch();
  }

  /** health NOT_SERVING → drain (grace, then force) → release index and models. */
  private async doClose(): Promise<void> {
    this.grpc.setServing('NOT_SERVING');
    const servers = [this.server, ...(this.adminServer ? [this.adminServer] : [])];
    const graceful = await Promise.all(servers.map((s) => shutdownServer(s, this.config.shutdownGraceMs)));
    this.logger.info({ graceful: graceful.every(Boolean) }, 'gRPC server stopped');
    await this.manager.close();
    this.indexMetrics.close();
    await this.telemetry?.shutdown();
  }
}
