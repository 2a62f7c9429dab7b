import { readFileSync } from 'node:fs';
import { promises as fs } from 'node:fs';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { status as GrpcStatus } from '@grpc/grpc-js';
import type { PackageDefinition } from '@grpc/proto-loader';
import type { Catalog } from '../catalog/catalog';
import type { CreatorMatcherHandlers } from '../contract/creatormatch/v1/CreatorMatcher';
import { MatchError } from '../errors/match-error';
import { TlsConfigError, type TlsConfig } from '../grpc/tls';
import type { Logger } from '../logging/logger';
import { MAX_SEARCH_CHARS, MAX_SEARCH_LIMIT, searchCreators } from './creator-search';
import { isJsonContentType, readBody, SECURITY_HEADERS, sendJson } from './http-util';
import { GatewayError, JsonGateway, sendError } from './json-gateway';
import { JudgmentsWriter, parseJudgment } from './judgments-writer';
import { MAX_TASK_BYTES, parseRatingTask } from './rating-task';
import { StaticFiles } from './static-files';

/**
 * The relevance workbench's HTTP server (MATCH_UI_ADDR; off when unset): the built page
 * (web/dist), the HTTP/JSON form of CreatorMatcher's unary methods, and the page's own endpoints
 * under /ui/api/ (creator search, judgments, rating tasks). Over TLS with the gRPC port's
 * MATCH_TLS_* files (a client CA makes browsers present a client certificate too).
 *
 * Building (the constructor: reads the page, makes the server) is separate from listening, as for
 * the gRPC servers.
 */

export interface UiServerOptions {
  staticDir: string;
  /** Judgments are accepted only when set. */
  judgmentsFile: string | undefined;
  /** A rating task (labels:export's CSV) offered in task mode. */
  taskFile: string | undefined;
  tls: TlsConfig;
  handlers: Pick<CreatorMatcherHandlers, 'Match' | 'GetIndexInfo'>;
  packageDefinition: PackageDefinition;
  /** Largest JSON API body (MATCH_MAX_RECEIVE_BYTES). */
  maxBodyBytes: number;
  experiment: { name: string; variants: readonly string[] };
  /** The serving catalog of a variant ('' = the first); throws UNKNOWN_VARIANT; undefined before an index is loaded. */
  catalog(variant: string): Catalog | undefined;
  limits: { maxK: number; maxTextChars: number; maxLikeCreators: number };
  shutdownGraceMs: number;
  logger: Logger;
}

/** host:port or [v6]:port → the parts net.Server#listen takes. */
export function splitHostPort(addr: string): { host: string; port: number } {
  const at = addr.lastIndexOf(':');
  const host = addr.slice(0, at).replace(/^\[(.*)\]$/, '$1');
  return { host, port: Number(addr.slice(at + 1)) };
}

const JUDGMENT_BODY_BYTES = 64 * 1024;

export class UiServer {
  readonly server: http.Server;
  readonly gateway: JsonGateway;
  readonly staticFiles: StaticFiles;
  readonly transport: 'plaintext' | 'tls' | 'mtls';
  private judgments: JudgmentsWriter | undefined;
  private closing: Promise<void> | undefined;

  constructor(private readonly opts: UiServerOptions) {
    this.staticFiles = new StaticFiles(opts.staticDir);
    const { tls } = opts;
    if (!tls.certFile !== !tls.keyFile) throw new TlsConfigError('set both MATCH_TLS_CERT_FILE and MATCH_TLS_KEY_FILE (or neither)');
    const read = (file: string, what: string): Buffer => {
      try {
        return readFileSync(file);
      } catch (err) {
        throw new TlsConfigError(`cannot read the TLS ${what} ${file}: ${(err as Error).message}`);
      }
    };
    const handler = (req: IncomingMessage, res: ServerResponse): void => void this.route(req, res);
    if (tls.certFile && tls.keyFile) {
      const ca = tls.clientCaFile ? read(tls.clientCaFile, 'client CA') : undefined;
      this.server = https.createServer(
        { cert: read(tls.certFile, 'certificate'), key: read(tls.keyFile, 'private key'), ...(ca ? { ca, requestCert: true, rejectUnauthorized: true } : {}) },
        handler,
      );
      this.transport = ca ? 'mtls' : 'tls';
    } else {
      if (tls.clientCaFile) throw new TlsConfigError('MATCH_TLS_CLIENT_CA_FILE needs MATCH_TLS_CERT_FILE and MATCH_TLS_KEY_FILE');
      this.server = http.createServer(handler);
      this.transport = 'plaintext';
    }
    this.server.headersTimeout = 30_000;
    this.server.requestTimeout = 120_000;
    this.gateway = new JsonGateway({ handlers: opts.handlers, packageDefinition: opts.packageDefinition, maxBodyBytes: opts.maxBodyBytes, logger: opts.logger, secure: this.transport !== 'plaintext' });
  }

  /** Opens the judgments file (if configured) and binds; resolves with the port. */
  async listen(addr: string): Promise<number> {
    if (this.opts.judgmentsFile && !this.judgments) this.judgments = await JudgmentsWriter.open(this.opts.judgmentsFile, this.opts.logger);
    const { host, port } = splitHostPort(addr);
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error): void => reject(err);
      this.server.once('error', onError);
      this.server.listen(port, host, () => {
        this.server.off('error', onError);
        resolve();
      });
    });
    return (this.server.address() as AddressInfo).port;
  }

  /** New JSON API calls get UNAVAILABLE; open requests finish for up to the grace, then are cut. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.gateway.drain();
      if (this.server.listening) {
        const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
        this.server.closeIdleConnections();
        const timer = setTimeout(() => this.server.closeAllConnections(), this.opts.shutdownGraceMs);
        await closed;
        clearTimeout(timer);
      }
      await this.judgments?.close();
    })();
    return this.closing;
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let pathname: string;
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://workbench.invalid');
      pathname = decodeURIComponent(url.pathname);
    } catch {
      res.writeHead(400, { ...SECURITY_HEADERS, 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('bad request path\n');
      return;
    }
    try {
      if (this.gateway.handles(pathname)) return await this.gateway.serve(req, res, pathname);
      if (pathname.startsWith('/ui/api/')) return await this.api(req, res, pathname, url.searchParams);
      if (this.staticFiles.serve(req, res, pathname)) return;
      res.writeHead(404, { ...SECURITY_HEADERS, 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' });
      res.end('not found\n');
    } catch (err) {
      sendError(res, err, this.opts.logger, `${req.method} ${pathname}`);
    }
  }

  private only(req: IncomingMessage, ...methods: string[]): void {
    if (!methods.includes(req.method ?? '')) throw new GatewayError(GrpcStatus.UNIMPLEMENTED, `use ${methods.join(' or ')}`, '', 405);
  }

  /** A JSON body (Content-Type application/json is required: a cross-site form cannot send it). */
  private async jsonBody(req: IncomingMessage, limit: number): Promise<unknown> {
    if (!isJsonContentType(req.headers['content-type'])) throw new GatewayError(GrpcStatus.INVALID_ARGUMENT, 'send Content-Type: application/json', 'INVALID_BODY', 415);
    const text = (await readBody(req, limit)).toString('utf8');
    try {
      return JSON.parse(text) as unknown;
    } catch (err) {
      throw new MatchError('INVALID_BODY', `the body is not JSON: ${(err as Error).message}`);
    }
  }

  private catalogOf(variant: string): Catalog {
    const catalog = this.opts.catalog(variant);
    if (!catalog) throw new MatchError('INDEX_NOT_READY', 'no index is loaded yet; retry shortly');
    return catalog;
  }

  private async api(req: IncomingMessage, res: ServerResponse, pathname: string, params: URLSearchParams): Promise<void> {
    switch (pathname) {
      case '/ui/api/config': {
        this.only(req, 'GET');
        sendJson(res, 200, {
          experiment: this.opts.experiment.name,
          variants: this.opts.experiment.variants,
          judgments: this.judgments !== undefined,
          task_file: this.opts.taskFile !== undefined,
          limits: { max_k: this.opts.limits.maxK, max_text_chars: this.opts.limits.maxTextChars, max_like_creators: this.opts.limits.maxLikeCreators, max_search: MAX_SEARCH_LIMIT },
          transport: this.transport,
        });
        return;
      }
      case '/ui/api/creators': {
        this.only(req, 'GET');
        const q = params.get('q') ?? '';
        if (q.length > MAX_SEARCH_CHARS) throw new MatchError('INVALID_QUERY', `q is longer than ${MAX_SEARCH_CHARS} characters`);
        const limit = Number(params.get('limit') ?? 10);
        if (!Number.isInteger(limit) || limit < 1 || limit > MAX_SEARCH_LIMIT) throw new MatchError('INVALID_QUERY', `limit must be an integer in [1, ${MAX_SEARCH_LIMIT}]`);
        sendJson(res, 200, { creators: searchCreators(this.catalogOf(params.get('variant') ?? ''), q, limit) });
        return;
      }
      case '/ui/api/judgments': {
        this.only(req, 'GET', 'POST');
        const writer = this.judgments;
        if (!writer) throw new MatchError('NOT_CONFIGURED', 'judgments are off: set MATCH_UI_JUDGMENTS_FILE to a file the service may append to');
        if (req.method === 'GET') {
          const rater = params.get('rater_id') ?? '';
          if (!rater) throw new MatchError('INVALID_QUERY', 'rater_id is required');
          const fan = params.get('fan_id');
          sendJson(res, 200, { judgments: writer.ratingsOf(rater, fan ?? undefined) });
          return;
        }
        const line = parseJudgment(await this.jsonBody(req, JUDGMENT_BODY_BYTES));
        const catalog = this.catalogOf(line.variant ?? '');
        if (catalog.labelOf(line.creator_id) === undefined) throw new MatchError('UNKNOWN_CREATORS', `creator ${JSON.stringify(line.creator_id)} is not in the serving index`);
        await writer.append(line);
        this.opts.logger.info({ rater_id: line.rater_id, fan_id: line.fan_id, creator_id: line.creator_id, grade: line.grade, mode: line.mode }, 'judgment recorded');
        sendJson(res, 200, { judgment: line });
        return;
      }
      case '/ui/api/task': {
        this.only(req, 'GET', 'POST');
        if (req.method === 'GET') {
          if (!this.opts.taskFile) throw new MatchError('NOT_CONFIGURED', 'no rating task is configured (MATCH_UI_TASK_FILE); upload one instead');
          const csv = await fs.readFile(this.opts.taskFile, 'utf8');
          sendJson(res, 200, { source: this.opts.taskFile, items: parseRatingTask(csv) });
          return;
        }
        if (!/^text\/csv\s*(;|$)/i.test(req.headers['content-type'] ?? '')) throw new GatewayError(GrpcStatus.INVALID_ARGUMENT, 'send the task as Content-Type: text/csv', 'INVALID_BODY', 415);
        const csv = (await readBody(req, MAX_TASK_BYTES)).toString('utf8');
        sendJson(res, 200, { source: 'upload', items: parseRatingTask(csv) });
        return;
      }
      default:
        throw new GatewayError(GrpcStatus.UNIMPLEMENTED, `no endpoint ${pathname}`, '', 404);
    }
  }
}
