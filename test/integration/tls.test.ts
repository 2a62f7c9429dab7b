import { execFileSync } from 'node:child_process';
import { promises as fs, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { buildIndex } from '../../index-builder/build-index';
import type { CreatorMatcherClient } from '../../src/contract/creatormatch/v1/CreatorMatcher';
import { matcherClientConstructor } from '../../src/grpc/proto';
import { syntheticCreators } from '../helpers/synthetic';
import { startServer, tempDir, unary, unaryError, writeJsonl, type Running } from '../helpers/server';

// Certificates are made here with Debian's openssl: a CA, a server cert for localhost, a client cert.
let dir: string;
const file = (name: string) => path.join(dir, name);

function openssl(args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
}

function makeCerts(): void {
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=test-ca']);
  for (const [name, cn, ext] of [
    ['server', 'localhost', 'subjectAltName=DNS:localhost,IP:127.0.0.1'],
    ['client', 'backend-service', 'extendedKeyUsage=clientAuth'],
  ] as const) {
    openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`]);
    writeFileSync(path.join(dir, `${name}.ext`), `${ext}\n`);
    openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.pem`, '-days', '2', '-extfile', `${name}.ext`]);
  }
}

const creators = syntheticCreators(100, 8, 2);

beforeAll(async () => {
  dir = await tempDir();
  makeCerts();
  await writeJsonl(file('c.jsonl'), creators);
  await buildIndex({ input: file('c.jsonl'), out: file('idx'), minRecall: 0 });
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

function client(port: number, creds: grpc.ChannelCredentials): CreatorMatcherClient {
  const Client = matcherClientConstructor();
  return new Client(`localhost:${port}`, creds);
}
const match = { vector: { values: creators[3]!.vector }, k: 1 };

describe('TLS', () => {
  let running: Running;
  beforeAll(async () => {
    running = await startServer(file('idx'), { MATCH_TLS_CERT_FILE: file('server.pem'), MATCH_TLS_KEY_FILE: file('server.key') });
  });
  afterAll(() => running.stop());

  it('serves Match over TLS to a client that trusts the CA', async () => {
    const c = client(running.port, grpc.credentials.createSsl(readFileSync(file('ca.pem'))));
    const res = await unary(c, 'Match', match);
    expect(res.matches[0]!.creator_id).toBe(creators[3]!.id);
    c.close();
    expect(running.logs.find((l) => l.msg === 'gRPC server listening')?.transport).toBe('tls');
  });

  it('refuses plaintext clients and clients that do not trust the server', async () => {
    const plain = client(running.port, grpc.credentials.createInsecure());
    expect((await unaryError(plain, 'Match', match, 3000)).code).toBe(grpc.status.UNAVAILABLE);
    plain.close();
    const untrusting = client(running.port, grpc.credentials.createSsl());
    expect((await unaryError(untrusting, 'Match', match, 3000)).code).toBe(grpc.status.UNAVAILABLE);
    untrusting.close();
  });
});

describe('mutual TLS', () => {
  let running: Running;
  beforeAll(async () => {
    running = await startServer(file('idx'), {
      MATCH_TLS_CERT_FILE: file('server.pem'),
      MATCH_TLS_KEY_FILE: file('server.key'),
      MATCH_TLS_CLIENT_CA_FILE: file('ca.pem'),
    });
  });
  afterAll(() => running.stop());

  it('accepts a client certificate signed by the client CA and refuses a client without one', async () => {
    const ca = readFileSync(file('ca.pem'));
    const withCert = client(running.port, grpc.credentials.createSsl(ca, readFileSync(file('client.key')), readFileSync(file('client.pem'))));
    expect((await unary(withCert, 'Match', match)).matches).toHaveLength(1);
    withCert.close();
    const withoutCert = client(running.port, grpc.credentials.createSsl(ca));
    expect((await unaryError(withoutCert, 'Match', match, 3000)).code).toBe(grpc.status.UNAVAILABLE);
    withoutCert.close();
  });
});

it('fails fast with a clear message on a half or unreadable TLS config', async () => {
  await expect(startServer(file('idx'), { MATCH_TLS_CERT_FILE: file('server.pem') })).rejects.toThrow(/set both MATCH_TLS_CERT_FILE and MATCH_TLS_KEY_FILE/);
  await expect(startServer(file('idx'), { MATCH_TLS_CERT_FILE: file('nope.pem'), MATCH_TLS_KEY_FILE: file('server.key') })).rejects.toThrow(
    /cannot read the TLS certificate .*nope.pem/,
  );
});
