import { execFile, execFileSync } from 'node:child_process';
import { promises as fs, writeFileSync } from 'node:fs';
import path from 'node:path';
import { buildIndex } from '../../index-builder/build-index';
import { check, healthTarget, healthTransport } from '../../scripts/healthcheck';
import { syntheticCreators } from '../helpers/synthetic';
import { startServer, tempDir, writeJsonl, type Running } from '../helpers/server';

// The image's HEALTHCHECK and the Kubernetes exec probes (deploy/k8s/components/tls) run
// scripts/healthcheck.ts with the service's own environment: it must speak the server's transport.
// Certificates: a CA; a server certificate for a DNS name only (not 127.0.0.1, where the probe
// connects); a client certificate; a server certificate also allowed for client authentication.
let dir: string;
const file = (name: string): string => path.join(dir, name);
const ROOT = path.resolve(__dirname, '..', '..');

function makeCerts(): void {
  const openssl = (args: string[]): void => void execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=test-ca']);
  for (const [name, cn, ext] of [
    ['server', 'creator-match.example', 'subjectAltName=DNS:creator-match.example\nextendedKeyUsage=serverAuth'],
    ['both', 'creator-match.example', 'subjectAltName=DNS:creator-match.example\nextendedKeyUsage=serverAuth,clientAuth'],
    ['client', 'prober', 'extendedKeyUsage=clientAuth'],
  ] as const) {
    openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`]);
    writeFileSync(file(`${name}.ext`), `${ext}\n`);
    openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.pem`, '-days', '2', '-extfile', `${name}.ext`]);
  }
}

beforeAll(async () => {
  dir = await tempDir('cm-healthcheck-');
  makeCerts();
  await writeJsonl(file('c.jsonl'), syntheticCreators(60, 8, 2));
  await buildIndex({ input: file('c.jsonl'), out: file('idx'), minRecall: 0 });
}, 60_000);
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

const status = (target: string, env: NodeJS.ProcessEnv): Promise<string> => check(target, '', 3000, healthTransport(env, target)).catch((err: Error) => `error: ${err.message}`);

it('targets 127.0.0.1 and the port of MATCH_GRPC_ADDR unless given an address', () => {
  expect(healthTarget([], { MATCH_GRPC_ADDR: '0.0.0.0:7001' })).toBe('127.0.0.1:7001');
  expect(healthTarget([], {})).toBe('127.0.0.1:50051');
  expect(healthTarget(['10.0.0.1:1'], { MATCH_GRPC_ADDR: '0.0.0.0:7001' })).toBe('10.0.0.1:1');
});

describe('against a plaintext server', () => {
  let running: Running;
  beforeAll(async () => {
    running = await startServer(file('idx'));
  });
  afterAll(() => running.stop());

  it('is SERVING in plaintext, and fails when it would speak TLS', async () => {
    const target = `127.0.0.1:${running.port}`;
    expect(healthTransport({}).mode).toBe('plaintext');
    expect(await status(target, {})).toBe('SERVING');
    expect(await status(target, { MATCH_TLS_CERT_FILE: file('server.pem'), MATCH_TLS_KEY_FILE: file('server.key') })).toMatch(/^error: /);
  });
});

describe('against a TLS server (MATCH_TLS_CERT_FILE)', () => {
  let running: Running;
  const tlsEnv = (): NodeJS.ProcessEnv => ({ MATCH_TLS_CERT_FILE: file('server.pem'), MATCH_TLS_KEY_FILE: file('server.key') });
  beforeAll(async () => {
    running = await startServer(file('idx'), tlsEnv() as Record<string, string>);
  });
  afterAll(() => running.stop());

  it('with the service environment: TLS on loopback, although the certificate names another host', async () => {
    const target = `127.0.0.1:${running.port}`;
    expect(healthTransport(tlsEnv(), target)).toMatchObject({ mode: 'tls', verified: false });
    expect(await status(target, tlsEnv())).toBe('SERVING');
    // A plaintext check of a TLS server fails: that is what the image's HEALTHCHECK did before.
    expect(await status(target, {})).toMatch(/^error: /);
  });

  it('verifies the certificate when given the CA, for the name it is issued for', async () => {
    const target = `127.0.0.1:${running.port}`;
    const env = { ...tlsEnv(), MATCH_HEALTHCHECK_CA_FILE: file('ca.pem'), MATCH_HEALTHCHECK_SERVER_NAME: 'creator-match.example' };
    expect(healthTransport(env, target)).toMatchObject({ mode: 'tls', verified: true });
    expect(await status(target, env)).toBe('SERVING');
    expect(await status(target, { ...env, MATCH_HEALTHCHECK_SERVER_NAME: 'other.example' })).toMatch(/^error: /);
    expect(await status(target, { ...env, MATCH_HEALTHCHECK_CA_FILE: file('client.pem') })).toMatch(/^error: /);
  });

  it('as the HEALTHCHECK runs it (node scripts/healthcheck.ts): exit 0 and SERVING (tls), exit 1 otherwise', async () => {
    // Not spawnSync: the server runs in this process and must keep answering.
    const run = (env: NodeJS.ProcessEnv) =>
      new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
        execFile(process.execPath, ['--import', 'tsx', 'scripts/healthcheck.ts'], { cwd: ROOT, env: { PATH: process.env.PATH!, MATCH_GRPC_ADDR: `0.0.0.0:${running.port}`, ...env } }, (err, stdout, stderr) =>
          resolve({ status: err ? ((err as { code?: number }).code ?? null) : 0, stdout, stderr }),
        );
      });
    const ok = await run(tlsEnv());
    expect([ok.status, ok.stdout.trim(), ok.stderr]).toEqual([0, `127.0.0.1:${running.port} SERVING (tls)`, '']);
    const plain = await run({});
    expect(plain.status).toBe(1);
    expect(plain.stderr).toContain('health check failed');
  });
});

describe('against a mutual-TLS server (MATCH_TLS_CLIENT_CA_FILE)', () => {
  it('presents the server certificate by default when it may authenticate clients, else MATCH_HEALTHCHECK_CERT_FILE', async () => {
    const both = await startServer(file('idx'), { MATCH_TLS_CERT_FILE: file('both.pem'), MATCH_TLS_KEY_FILE: file('both.key'), MATCH_TLS_CLIENT_CA_FILE: file('ca.pem') });
    const serverOnly = await startServer(file('idx'), { MATCH_TLS_CERT_FILE: file('server.pem'), MATCH_TLS_KEY_FILE: file('server.key'), MATCH_TLS_CLIENT_CA_FILE: file('ca.pem') });
    try {
      const env = (cert: string): NodeJS.ProcessEnv => ({ MATCH_TLS_CERT_FILE: file(`${cert}.pem`), MATCH_TLS_KEY_FILE: file(`${cert}.key`), MATCH_TLS_CLIENT_CA_FILE: file('ca.pem') });
      expect(healthTransport(env('both')).mode).toBe('mtls');
      expect(await status(`127.0.0.1:${both.port}`, env('both'))).toBe('SERVING');
      // Its certificate is for servers only: refused as a client certificate.
      expect(await status(`127.0.0.1:${serverOnly.port}`, env('server'))).toMatch(/^error: /);
      expect(await status(`127.0.0.1:${serverOnly.port}`, { ...env('server'), MATCH_HEALTHCHECK_CERT_FILE: file('client.pem'), MATCH_HEALTHCHECK_KEY_FILE: file('client.key') })).toBe('SERVING');
      // Without a client certificate at all: refused.
      expect(await status(`127.0.0.1:${both.port}`, { MATCH_TLS_CERT_FILE: file('both.pem') })).toMatch(/^error: /);
    } finally {
      await both.stop();
      await serverOnly.stop();
    }
  });
});
