import path from 'node:path';
import { z } from 'zod';
import { DEFAULT_TRANSPORT_LIMITS, type TransportLimits } from './transport';
import { packageRoot } from './package-root';

/** Repository/package root (where package.json is), so defaults depend neither on cwd nor on dist/. */
export const PACKAGE_ROOT = packageRoot();
export const DEFAULT_INDEX_DIR = './var/indexes';
export const SAMPLE_CATALOG = path.join(PACKAGE_ROOT, 'data', 'sample-creators.jsonl');
/** Where `npm run web:build` writes the relevance workbench's page. */
export const DEFAULT_UI_STATIC_DIR = path.join(PACKAGE_ROOT, 'web', 'dist');

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

const hostPort = z
  .string()
  .regex(/^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, 'must be host:port, e.g. 0.0.0.0:50051 or [::1]:50051');

const pgUrl = z.string().regex(/^postgres(ql)?:\/\/\S+$/, 'must be a postgres:// URL, e.g. postgres://user:password@host:5432/database');

const schema = z.object({
  MATCH_GRPC_ADDR: hostPort.default('0.0.0.0:50051'),
  MATCH_INDEX_DIR: z.string().min(1).default(DEFAULT_INDEX_DIR),
  MATCH_MODEL: z.string().min(1).optional(),
  MATCH_MODEL_DTYPE: z.enum(['fp32', 'q8']).default('q8'),
  MATCH_MODELS_DIR: z.string().min(1).optional(),
  MATCH_ALLOW_REMOTE_MODELS: bool.default(false),
  MATCH_MAX_K: int(1, 100_000).default(1000),
  MATCH_MAX_TEXT_CHARS: int(1, 1_000_000).default(4096),
  MATCH_EMBED_CACHE_SIZE: int(0, 10_000_000).default(4096),
  MATCH_EMBED_THREAD: z.enum(['worker', 'inline']).default('worker'),
  MATCH_EMBED_ONNX_THREADS: int(1, 64).optional(),
  MATCH_MAX_LIKE_CREATORS: int(1, 100_000).default(1000),
  MATCH_MAX_FILTER_IDS: int(0, 1_000_000).default(10_000),
  MATCH_EF_SEARCH: int(1, 100_000).optional(),
  MATCH_EXACT_MAX_CANDIDATES: z.union([z.literal('auto'), int(0, 10_000_000)]).default('auto'),
  MATCH_MAX_RERANK_WORK: int(1, 1_000_000_000).default(200_000),
  MATCH_MAX_RECEIVE_BYTES: int(1024, 512 * 1024 * 1024).default(4 * 1024 * 1024),
  MATCH_SHUTDOWN_GRACE_MS: int(0, 600_000).default(10_000),
  MATCH_AUTO_BUILD_SAMPLE: bool.optional(),
  MATCH_RELOAD_POLL_MS: int(0, 86_400_000).default(30_000),
  MATCH_ADMIN_TOKEN: z.string().min(16, 'must be at least 16 characters (use a random secret)').optional(),
  MATCH_ADMIN_ADDR: hostPort.optional(),
  MATCH_MAX_UPSERT_BATCH: int(1, 1_000_000).default(10_000),
  MATCH_VARIANTS_FILE: z.string().min(1).optional(),
  MATCH_RECALL_SAMPLE_RATE: z.coerce.number().min(0).max(1).default(0.01),
  MATCH_RECALL_QUEUE: int(1, 100_000).default(32),
  MATCH_RECALL_CPU_BUDGET: z.coerce.number().min(0).max(1).default(0.05),
  MATCH_TLS_CERT_FILE: z.string().min(1).optional(),
  MATCH_TLS_KEY_FILE: z.string().min(1).optional(),
  MATCH_TLS_CLIENT_CA_FILE: z.string().min(1).optional(),
  MATCH_METRICS_ADDR: z.union([z.literal('off'), hostPort]).default('0.0.0.0:9464'),
  MATCH_EXPOSURE_LOG: z.enum(['auto', 'on', 'off']).default('auto'),
  MATCH_UI_ADDR: hostPort.optional(),
  MATCH_UI_STATIC_DIR: z.string().min(1).optional(),
  MATCH_UI_JUDGMENTS_FILE: z.string().min(1).optional(),
  MATCH_UI_TASK_FILE: z.string().min(1).optional(),
  MATCH_LOAD_TIMEOUT_MS: int(0, 86_400_000).default(300_000),
  MATCH_MAX_ACTIVE_CALLS_PER_CONNECTION: int(0, 100_000).default(4),
  MATCH_MAX_CONNECTIONS: int(0, 1_000_000).default(DEFAULT_TRANSPORT_LIMITS.maxConnections),
  MATCH_MAX_CONCURRENT_STREAMS: int(1, 1_000_000).default(DEFAULT_TRANSPORT_LIMITS.maxConcurrentStreams),
  MATCH_KEEPALIVE_TIME_MS: int(0, 86_400_000).default(DEFAULT_TRANSPORT_LIMITS.keepaliveTimeMs),
  MATCH_KEEPALIVE_TIMEOUT_MS: int(1, 86_400_000).default(DEFAULT_TRANSPORT_LIMITS.keepaliveTimeoutMs),
  MATCH_MAX_CONNECTION_IDLE_MS: int(0, 86_400_000).default(DEFAULT_TRANSPORT_LIMITS.maxConnectionIdleMs),
  MATCH_MAX_CONNECTION_AGE_MS: int(0, 86_400_000 * 30).default(DEFAULT_TRANSPORT_LIMITS.maxConnectionAgeMs),
  MATCH_MAX_CONNECTION_AGE_GRACE_MS: int(0, 86_400_000).default(DEFAULT_TRANSPORT_LIMITS.maxConnectionAgeGraceMs),
  MATCH_PG_URL: pgUrl.optional(),
  MATCH_PG_READ_URL: pgUrl.optional(),
  MATCH_PG_INDEX: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'lowercase letters, digits, "_" or "-" (max 64)').default('default'),
  MATCH_PG_POOL_MAX: int(1, 1000).default(10),
  MATCH_PG_CONNECT_TIMEOUT_MS: int(100, 600_000).default(3000),
  MATCH_PG_STATEMENT_TIMEOUT_MS: int(1, 3_600_000).default(5000),
  MATCH_PG_ITERATIVE_SCAN: z.enum(['relaxed_order', 'strict_order']).default('relaxed_order'),
  MATCH_PG_MAX_SCAN_TUPLES: int(1, 2_000_000_000).default(20_000),
  MATCH_PG_EXACT_BELOW: z.union([z.literal('auto'), int(0, 100_000_000)]).default('auto'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

/** Every environment variable the service reads (the README's table lists each). */
export const CONFIG_ENV_VARS = Object.freeze(Object.keys(schema.shape));

export interface Config {
  readonly grpcAddr: string;
  readonly indexDir: string;
  /** Model for builds of the sample catalog; queries always use the index manifest's model. */
  readonly model: string | undefined;
  readonly modelDtype: 'fp32' | 'q8';
  readonly modelsDir: string | undefined;
  readonly allowRemoteModels: boolean;
  readonly maxK: number;
  readonly maxTextChars: number;
  /** Embedding cache entries (distinct query texts) per process; 0: no cache. */
  readonly embedCacheSize: number;
  /** worker: the model runs on a thread of its own (ThreadedEmbedder); inline: on the serving thread. */
  readonly embedThread: 'worker' | 'inline';
  /** ONNX Runtime intra-op threads per model session; undefined: cores - 1, clamped to 1..4. */
  readonly embedOnnxThreads: number | undefined;
  readonly maxLikeCreators: number;
  readonly maxFilterIds: number;
  /** Overrides the manifest's ef_search when set. */
  readonly efSearch: number | undefined;
  /** Filters that leave at most this many creators are searched exactly. */
  /** 'auto': sized to the catalog (see exactCandidateLimit). */
  readonly exactMaxCandidates: number | 'auto';
  /** Largest k x pool of a diversity (MMR) re-rank; above it the request is INVALID_ARGUMENT. */
  readonly maxRerankWork: number;
  readonly maxReceiveBytes: number;
  readonly shutdownGraceMs: number;
  /** Build the bundled sample catalog when the index dir has no CURRENT (default: only for the default dir). */
  readonly autoBuildSample: boolean;
  /** Fallback poll of DIR/CURRENT besides fs.watch (0: off). */
  readonly reloadPollMs: number;
  /** IndexAdmin is served only when set. */
  readonly adminToken: string | undefined;
  /** A separate address for IndexAdmin; default: the CreatorMatcher port. */
  readonly adminAddr: string | undefined;
  readonly maxUpsertBatch: number;
  /** A/B variants file (JSON); when set, it names the index dirs and MATCH_INDEX_DIR is not used. */
  readonly variantsFile: string | undefined;
  /** Online recall monitor: share of ANN searches re-run exactly off the request path (0: off). */
  readonly recallSampleRate: number;
  readonly recallQueueSize: number;
  /** Average share of one core the monitor's exact re-runs may use. */
  readonly recallCpuBudget: number;
  /** TLS for both ports: cert + key; with a client CA, clients must present certificates (mTLS). */
  readonly tls: { certFile: string | undefined; keyFile: string | undefined; clientCaFile: string | undefined };
  readonly logLevel: string;
  /** `exposure` log lines: 'auto' = while an A/B experiment runs. */
  readonly exposureLog: 'auto' | 'on' | 'off';
  /** Prometheus /metrics endpoint (host:port), or undefined when MATCH_METRICS_ADDR=off. */
  readonly metricsAddr: string | undefined;
  /** The relevance workbench (an internal tool): its HTTP address; off (nothing served) when unset. */
  readonly ui: {
    readonly addr: string | undefined;
    /** The built page (default web/dist of the package). */
    readonly staticDir: string;
    /** Append-only judgments file; judging is off when unset. */
    readonly judgmentsFile: string | undefined;
    /** A rating task CSV (labels:export) offered in task mode. */
    readonly taskFile: string | undefined;
  };
  /** A version load gives up after this many ms (0: never). */
  readonly loadTimeoutMs: number;
  /** Calls (Match, BatchMatch items) of one connection doing work at a time; 0: no limit. */
  readonly maxActiveCallsPerConnection: number;
  /** Connection and stream limits of both gRPC ports (src/grpc/transport-limits.ts). */
  readonly transport: Readonly<TransportLimits>;
  /** Serve from PostgreSQL + pgvector instead of index directories (MATCH_PG_URL set). */
  readonly pg: PgConfig | undefined;
}

export interface PgConfig {
  /** The primary: LISTEN/NOTIFY, IndexAdmin writes, and reads unless readUrl is set. */
  readonly url: string;
  /** A streaming replica for searches and version loads. */
  readonly readUrl: string | undefined;
  /** The creator_match_current row served without a variants file (with one: each variant's name). */
  readonly index: string;
  readonly poolMax: number;
  readonly connectTimeoutMs: number;
  /** Upper bound of one search's SQL; the call's deadline lowers it. */
  readonly statementTimeoutMs: number;
  readonly iterativeScan: 'relaxed_order' | 'strict_order';
  readonly maxScanTuples: number;
  /** Filters that narrow to at most this many creators are searched exactly in SQL ('auto': sqrt(1000 x catalog size)). */
  readonly exactBelow: number | 'auto';
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly issues: readonly string[]) {
    super(`invalid configuration:\n  ${issues.join('\n  ')}\nFix the environment variables above (see README "Configuration").`);
  }
}

/** Reads and validates the environment once; the result is frozen. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const known = Object.fromEntries(
    Object.keys(schema.shape)
      .filter((key) => env[key] !== undefined && env[key] !== '')
      .map((key) => [key, env[key]]),
  );
  const parsed = schema.safeParse(known);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((i) => {
        const key = String(i.path[0]);
        const shown = key.includes('TOKEN') || key.endsWith('_URL') ? '[redacted]' : JSON.stringify(String(known[key] ?? '').slice(0, 200));
        return `${i.path.join('.')}=${shown}: ${i.message}`;
      }),
    );
  }
  const e = parsed.data;
  if (e.MATCH_PG_READ_URL && !e.MATCH_PG_URL) throw new ConfigError(['MATCH_PG_READ_URL is set without MATCH_PG_URL: set MATCH_PG_URL to the primary (LISTEN/NOTIFY and IndexAdmin writes go there)']);
  return Object.freeze({
    grpcAddr: e.MATCH_GRPC_ADDR,
    indexDir: e.MATCH_INDEX_DIR,
    model: e.MATCH_MODEL,
    modelDtype: e.MATCH_MODEL_DTYPE,
    modelsDir: e.MATCH_MODELS_DIR,
    allowRemoteModels: e.MATCH_ALLOW_REMOTE_MODELS,
    maxK: e.MATCH_MAX_K,
    maxTextChars: e.MATCH_MAX_TEXT_CHARS,
    embedCacheSize: e.MATCH_EMBED_CACHE_SIZE,
    embedThread: e.MATCH_EMBED_THREAD,
    embedOnnxThreads: e.MATCH_EMBED_ONNX_THREADS,
    maxLikeCreators: e.MATCH_MAX_LIKE_CREATORS,
    maxFilterIds: e.MATCH_MAX_FILTER_IDS,
    efSearch: e.MATCH_EF_SEARCH,
    exactMaxCandidates: e.MATCH_EXACT_MAX_CANDIDATES,
    maxRerankWork: e.MATCH_MAX_RERANK_WORK,
    maxReceiveBytes: e.MATCH_MAX_RECEIVE_BYTES,
    shutdownGraceMs: e.MATCH_SHUTDOWN_GRACE_MS,
    autoBuildSample: e.MATCH_AUTO_BUILD_SAMPLE ?? path.resolve(e.MATCH_INDEX_DIR) === path.resolve(DEFAULT_INDEX_DIR),
    reloadPollMs: e.MATCH_RELOAD_POLL_MS,
    adminToken: e.MATCH_ADMIN_TOKEN,
    adminAddr: e.MATCH_ADMIN_ADDR,
    maxUpsertBatch: e.MATCH_MAX_UPSERT_BATCH,
    variantsFile: e.MATCH_VARIANTS_FILE,
    recallSampleRate: e.MATCH_RECALL_SAMPLE_RATE,
    recallQueueSize: e.MATCH_RECALL_QUEUE,
    recallCpuBudget: e.MATCH_RECALL_CPU_BUDGET,
    tls: Object.freeze({ certFile: e.MATCH_TLS_CERT_FILE, keyFile: e.MATCH_TLS_KEY_FILE, clientCaFile: e.MATCH_TLS_CLIENT_CA_FILE }),
    logLevel: e.LOG_LEVEL,
    metricsAddr: e.MATCH_METRICS_ADDR === 'off' ? undefined : e.MATCH_METRICS_ADDR,
    exposureLog: e.MATCH_EXPOSURE_LOG,
    ui: Object.freeze({
      addr: e.MATCH_UI_ADDR,
      staticDir: e.MATCH_UI_STATIC_DIR ?? DEFAULT_UI_STATIC_DIR,
      judgmentsFile: e.MATCH_UI_JUDGMENTS_FILE,
      taskFile: e.MATCH_UI_TASK_FILE,
    }),
    loadTimeoutMs: e.MATCH_LOAD_TIMEOUT_MS,
    maxActiveCallsPerConnection: e.MATCH_MAX_ACTIVE_CALLS_PER_CONNECTION,
    transport: Object.freeze({
      maxConnections: e.MATCH_MAX_CONNECTIONS,
      maxConcurrentStreams: e.MATCH_MAX_CONCURRENT_STREAMS,
      keepaliveTimeMs: e.MATCH_KEEPALIVE_TIME_MS,
      keepaliveTimeoutMs: e.MATCH_KEEPALIVE_TIMEOUT_MS,
      maxConnectionIdleMs: e.MATCH_MAX_CONNECTION_IDLE_MS,
      maxConnectionAgeMs: e.MATCH_MAX_CONNECTION_AGE_MS,
      maxConnectionAgeGraceMs: e.MATCH_MAX_CONNECTION_AGE_GRACE_MS,
    }),
    pg: e.MATCH_PG_URL
      ? Object.freeze({
          url: e.MATCH_PG_URL,
          readUrl: e.MATCH_PG_READ_URL,
          index: e.MATCH_PG_INDEX,
          poolMax: e.MATCH_PG_POOL_MAX,
          connectTimeoutMs: e.MATCH_PG_CONNECT_TIMEOUT_MS,
          statementTimeoutMs: e.MATCH_PG_STATEMENT_TIMEOUT_MS,
          iterativeScan: e.MATCH_PG_ITERATIVE_SCAN,
          maxScanTuples: e.MATCH_PG_MAX_SCAN_TUPLES,
          exactBelow: e.MATCH_PG_EXACT_BELOW,
        })
      : undefined,
  });
}
