/**
 * Docker HEALTHCHECK: asks grpc.health.v1.Health/Check on the local server and exits 0 only when
 * it answers SERVING. `node dist/scripts/healthcheck.js [host:port] [service]`; the address
 * defaults to 127.0.0.1 and the port of MATCH_GRPC_ADDR (50051).
 */
import * as grpc from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { protoPath } from 'grpc-health-check';

export function healthTarget(argv: string[], env: NodeJS.ProcessEnv): string {
  if (argv[0]) return argv[0];
  const port = /:(\d+)$/.exec(env.MATCH_GRPC_ADDR ?? '')?.[1] ?? '50051';
  return `127.0.0.1:${port}`;
}

export function check(target: string, service = '', timeoutMs = 3000): Promise<string> {
  const def = grpc.loadPackageDefinition(loadSync(protoPath, { keepCase: true, enums: String, defaults: true })) as any;
  const client = new def.grpc.health.v1.Health(target, grpc.credentials.createInsecure());
  return new Promise((resolve, reject) => {
    client.Check({ service }, { deadline: Date.now() + timeoutMs }, (err: Error | null, res: { status: string }) => {
      client.close();
      if (err) reject(err);
      else resolve(res.status);
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
