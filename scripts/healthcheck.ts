/**
 * Docker HEALTHCHECK and Kubernetes exec probe: asks grpc.health.v1.Health/Check on the local
 * server and exits 0 only when it answers SERVING. `node dist/scripts/healthcheck.js [host:port] [service]`;
 * the address defaults to 127.0.0.1 and the port of MATCH_GRPC_ADDR (50051).
 *
 * It speaks the server's transport, from the same environment as the service:
 * - no MATCH_TLS_CERT_FILE: plaintext;
 * - MATCH_TLS_CERT_FILE set: TLS. The probe checks health, not identity (it calls its own
 *   container on loopback, where the certificate's names do not match), so the server's
 *   certificate is not verified unless MATCH_HEALTHCHECK_CA_FILE names the CA to verify it
 *   against (with MATCH_HEALTHCHECK_SERVER_NAME as the name to expect, default: the address's host);
 * - MATCH_TLS_CLIENT_CA_FILE set too (mutual TLS): it presents MATCH_HEALTHCHECK_CERT_FILE and
 *   MATCH_HEALTHCHECK_KEY_FILE, by default the server's own certificate and key (which then must be
 *   signed by the client CA and allowed for client authentication).
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { service as healthService } from 'grpc-health-check';

export function healthTarget(argv: string[], env: NodeJS.ProcessEnv): string {
  if (argv[0]) return argv[0];
  const port = /:(\d+)$/.exec(env.MATCH_GRPC_ADDR ?? '')?.[1] ?? '50051';
  return `127.0.0.1:${port}`;
}

export interface HealthTransport {
  mode: 'plaintext' | 'tls' | 'mtls';
  /** Whether the server's certificate is verified (only with MATCH_HEALTHCHECK_CA_FILE). */
  verified: boolean;
  credentials: grpc.ChannelCredentials;
  /** Channel options (the TLS name to expect when verifying). */
  options: grpc.ChannelOptions;
}

const set = (v: string | undefined): v is string => v !== undefined && v !== '';

export function healthTransport(env: NodeJS.ProcessEnv, target = healthTarget([], env)): HealthTransport {
  if (!set(env.MATCH_TLS_CERT_FILE)) return { mode: 'plaintext', verified: false, credentials: grpc.credentials.createInsecure(), options: {} };
  const read = (file: string): Buffer => readFileSync(file);
  const mtls = set(env.MATCH_TLS_CLIENT_CA_FILE);
  const certFile = env.MATCH_HEALTHCHECK_CERT_FILE || env.MATCH_TLS_CERT_FILE;
  const keyFile = env.MATCH_HEALTHCHECK_KEY_FILE || env.MATCH_TLS_KEY_FILE;
  if (mtls && !set(keyFile)) throw new Error('mutual TLS: set MATCH_HEALTHCHECK_KEY_FILE (or MATCH_TLS_KEY_FILE)');
  const ca = set(env.MATCH_HEALTHCHECK_CA_FILE) ? read(env.MATCH_HEALTHCHECK_CA_FILE) : null;
  const verifyOptions: grpc.VerifyOptions = ca ? {} : { rejectUnauthorized: false, checkServerIdentity: () => undefined };
  const credentials = grpc.credentials.createSsl(ca, mtls ? read(keyFile!) : null, mtls ? read(certFile) : null, verifyOptions);
  const host = /^\[?([^\]]*)\]?:\d+$/.exec(target)?.[1] ?? target;
  // The TLS name (SNI, and what a verified certificate must be for): the configured one; unverified,
  // "localhost" in place of an IP address (SNI must not be one, RFC 6066).
  const name = ca ? env.MATCH_HEALTHCHECK_SERVER_NAME : isIP(host) !== 0 ? 'localhost' : undefined;
  const options: grpc.ChannelOptions = set(name) && name !== host ? { 'grpc.ssl_target_name_override': name } : {};
  return { mode: mtls ? 'mtls' : 'tls', verified: ca !== null, credentials, options };
}

/** HealthCheckResponse.status as grpc-health-check decodes it (enums as strings). */
function servingStatus(response: object): string {
  if ('status' in response && typeof response.status === 'string') return response.status;
  throw new Error(`unexpected health response ${JSON.stringify(response)}`);
}

/** The serving status of `service` ('' = the whole server): SERVING, NOT_SERVING, ... */
export function check(target: string, service = '', timeoutMs = 3000, transport: HealthTransport = healthTransport(process.env, target)): Promise<string> {
  const method = healthService.Check;
  if (!method) return Promise.reject(new Error('grpc-health-check defines no Health/Check method'));
  const client = new grpc.Client(target, transport.credentials, transport.options);
  return new Promise((resolve, reject) => {
    const deserialize = (bytes: Buffer): string => servingStatus(method.responseDeserialize(bytes));
    client.makeUnaryRequest(method.path, method.requestSerialize, deserialize, { service }, { deadline: Date.now() + timeoutMs }, (err, status) => {
      client.close();
      if (err || status === undefined) reject(err ?? new Error('empty health response'));
      else resolve(status);
    });
  });
}

const USAGE = `usage: node dist/scripts/healthcheck.js [host:port] [service]   (npm run healthcheck -- ...)
Asks grpc.health.v1.Health/Check; exits 0 only when the answer is SERVING. The address defaults to
127.0.0.1 and the port of MATCH_GRPC_ADDR; TLS follows MATCH_TLS_* (see the header of this file).`;

if (require.main === module) {
  if (process.argv.slice(2).some((a) => a === '--help' || a === '-h')) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const unknown = process.argv.slice(2).find((a) => a.startsWith('-'));
  if (unknown) {
    process.stderr.write(`healthcheck: unknown option ${unknown}\n${USAGE}\n`);
    process.exit(2);
  }
  const target = healthTarget(process.argv.slice(2), process.env);
  let transport: HealthTransport;
  try {
    transport = healthTransport(process.env, target);
  } catch (err) {
    process.stderr.write(`${target} health check failed: ${(err as Error).message}\n`);
    process.exit(1);
  }
  const timeoutMs = 3000;
  // A server that accepts the connection but never answers (a blocked event loop) must not keep
  // this process alive past its deadline: HEALTHCHECK --timeout and probe timeouts count on it.
  setTimeout(() => {
    process.stderr.write(`${target} health check failed: no answer within ${timeoutMs} ms\n`);
    process.exit(1);
  }, timeoutMs + 500).unref();
  check(target, process.argv[3] ?? '', timeoutMs, transport).then(
    (status) => {
      process.stdout.write(`${target} ${status}${transport.mode === 'plaintext' ? '' : ` (${transport.mode})`}\n`);
      process.exitCode = status === 'SERVING' ? 0 : 1;
    },
    (err: Error) => {
      process.stderr.write(`${target} health check failed: ${err.message}\n`);
      process.exitCode = 1;
    },
  );
}
