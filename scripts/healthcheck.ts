/**
 * Docker HEALTHCHECK: asks grpc.health.v1.Health/Check on the local server and exits 0 only when
 * it answers SERVING. `node dist/scripts/healthcheck.js [host:port] [service]`; the address
 * defaults to 127.0.0.1 and the port of MATCH_GRPC_ADDR (50051).
 */
import * as grpc from '@grpc/grpc-js';
import { service as healthService } from 'grpc-health-check';

export function healthTarget(argv: string[], env: NodeJS.ProcessEnv): string {
  if (argv[0]) return argv[0];
  const port = /:(\d+)$/.exec(env.MATCH_GRPC_ADDR ?? '')?.[1] ?? '50051';
  return `127.0.0.1:${port}`;
}

/** HealthCheckResponse.status as grpc-health-check decodes it (enums as strings). */
function servingStatus(response: object): string {
  if ('status' in response && typeof response.status === 'string') return response.status;
  throw new Error(`unexpected health response ${JSON.stringify(response)}`);
}

/** The serving status of `service` ('' = the whole server): SERVING, NOT_SERVING, ... */
export function check(target: string, service = '', timeoutMs = 3000): Promise<string> {
  const method = healthService.Check;
  if (!method) return Promise.reject(new Error('grpc-health-check defines no Health/Check method'));
  const client = new grpc.Client(target, grpc.credentials.createInsecure());
  return new Promise((resolve, reject) => {
    const deserialize = (bytes: Buffer): string => servingStatus(method.responseDeserialize(bytes));
    client.makeUnaryRequest(method.path, method.requestSerialize, deserialize, { service }, { deadline: Date.now() + timeoutMs }, (err, status) => {
      client.close();
      if (err || status === undefined) reject(err ?? new Error('empty health response'));
      else resolve(status);
    });
  });
}

if (require.main === module) {
  const target = healthTarget(process.argv.slice(2), process.env);
  check(target, process.argv[3] ?? '').then(
    (status) => {
      process.stdout.write(`${target} ${status}\n`);
      process.exitCode = status === 'SERVING' ? 0 : 1;
    },
    (err: Error) => {
      process.stderr.write(`${target} health check failed: ${err.message}\n`);
      process.exitCode = 1;
    },
  );
}
