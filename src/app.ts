import type * as grpc from '@grpc/grpc-js';
import { buildIndex } from '../index-builder/build-index';
import { SAMPLE_CATALOG, type Config } from './config/config';
import { createEmbedder } from './embedding';
import type { Embedder } from './embedding/embedder';
import { MatchError } from './errors/match-error';
import { bindServer, buildGrpcServer, shutdownServer, type GrpcServerParts } from './grpc/server';
import { createMatcherService } from './grpc/matcher-service';
import { loadMatchPackageDefinition } from './grpc/proto';
import { loadIndexVersion } from './index/loaded-index';
import { readCurrent } from './index/manifest';
import type { Logger } from './logging/logger';
import { DEFAULT_K } from './match/match-input';
import { Matcher, type TextEmbedding } from './match/matcher';
import { telemetryInterceptor } from './telemetry/grpc-interceptor';
import { IndexMetrics } from './telemetry/instruments';
import type { Telemetry } from './telemetry/sdk';
import { servedIndexOf } from './telemetry/served-index';

/**
 * The service: index + model + gRPC server. Building is separate from listening (tests build and
 * listen on port 0; main listens on the configured address). init() and close() are idempotent.
 */
export class MatchApp {
  readonly grpc: GrpcServerParts;
  private matcher: Matcher | undefined;
  private embedder: Embedder | undefined;
  private initPromise: Promise<void> | undefined;
  private closePromise: Promise<void> | undefined;
  /** Index gauges (version, size) and load/refusal counts. */
  readonly indexMetrics = new IndexMetrics();

  constructor(
    readonly config: Config,
    readonly logger: Logger,
    /** The started OTel SDK (main, metrics tests); close() shuts it down last. */
    private readonly telemetry?: Pick<Telemetry, 'shutdown'>,
  ) {
    const matcherService = createMatcherService({
      current: () => this.matcher,
      limits: {
        maxK: config.maxK,
        defaultK: DEFAULT_K,
        maxTextChars: config.maxTextChars,
        maxLikeCreators: config.maxLikeCreators,
        maxFilterIds: config.maxFilterIds,
      },
      logger,
    });
    this.grpc = buildGrpcServer({ packageDefinition: loadMatchPackageDefinition(), matcher: matcherService, maxReceiveBytes: config.maxReceiveBytes, interceptors: [telemetryInterceptor()] });
  }

  get server(): grpc.Server {
    return this.grpc.server;
  }

  get currentMatcher(): Matcher | undefined {
    return this.matcher;
  }

  init(): Promise<void> {
    this.initPromise ??= this.doInit();
    return this.initPromise;
  }

  /** Binds the configured (or given) address; returns the bound port. */
  async listen(addr = this.config.grpcAddr): Promise<number> {
    const port = await bindServer(this.server, addr);
    this.logger.info({ addr, port }, 'gRPC server listening');
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
    const started = performance.now();
    const index = await loadIndexVersion(config.indexDir).catch((err: unknown) => {
      this.indexMetrics.refused('unusable', (performance.now() - started) / 1000);
      throw err;
    });
    const text = await this.loadTextEmbedding(index.manifest);
    this.matcher = new Matcher(index, text, {
      ...(config.efSearch !== undefined ? { efSearch: config.efSearch } : {}),
      exactMaxCandidates: config.exactMaxCandidates,
    });
    this.indexMetrics.loaded(servedIndexOf(index), (performance.now() - started) / 1000);
    this.grpc.setServing('SERVING');
    logger.info(
      { version: index.version, count: index.manifest.count, dims: index.manifest.dims, model: index.manifest.model?.id ?? null, ms: Math.round(performance.now() - started) },
      'index loaded; serving',
    );
  }

  /** The manifest's own model, so a query is never embedded by another model than the index. */
  private async loadTextEmbedding(manifest: Matcher['index']['manifest']): Promise<TextEmbedding> {
    if (!manifest.model) {
      return { unavailable: new MatchError('TEXT_QUERY_UNSUPPORTED', 'this index was built from provided vectors without a model; query by vector or like_creators') };
    }
    const embedder = createEmbedder({
      model: manifest.model.id,
      dtype: manifest.model.dtype,
      ...(this.config.modelsDir ? { modelsDir: this.config.modelsDir } : {}),
      allowRemoteModels: this.config.allowRemoteModels,
    });
    try {
      await embedder.init();
      if (embedder.dims !== manifest.dims) throw new Error(`model ${manifest.model.id} has ${embedder.dims} dims, index has ${manifest.dims}`);
      this.embedder = embedder;
      return { embedder };
    } catch (err) {
      await embedder.dispose();
      this.logger.error({ err, model: manifest.model.id }, 'cannot load the index model; text queries are unavailable');
      return { unavailable: new MatchError('MODEL_UNAVAILABLE', `the index's model ${manifest.model.id} could not be loaded; query by vector or like_creators`) };
    }
  }

  private async doClose(): Promise<void> {
    this.grpc.setServing('NOT_SERVING');
    const graceful = await shutdownServer(this.server, this.config.shutdownGraceMs);
    this.logger.info({ graceful }, 'gRPC server stopped');
    await this.embedder?.dispose();
    this.matcher?.index.ann.close();
    this.matcher = undefined;
    this.indexMetrics.close();
    await this.telemetry?.shutdown();
  }
}
