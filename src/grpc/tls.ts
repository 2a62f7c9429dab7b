import { readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';

export interface TlsConfig {
  certFile: string | undefined;
  keyFile: string | undefined;
  clientCaFile: string | undefined;
}

export class TlsConfigError extends Error {
  override readonly name = 'TlsConfigError';
}

function read(file: string, what: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new TlsConfigError(`cannot read the TLS ${what} ${file}: ${(err as Error).message}`);
  }
}

/**
 * Server credentials from config: plaintext when no cert is set; TLS with cert+key; mutual TLS
 * (clients must present a certificate signed by the CA) when a client CA is set too.
 */
export function serverCredentials(tls: TlsConfig): { credentials: grpc.ServerCredentials; mode: 'plaintext' | 'tls' | 'mtls' } {
  if (!tls.certFile && !tls.keyFile) {
    if (tls.clientCaFile) throw new TlsConfigError('MATCH_TLS_CLIENT_CA_FILE needs MATCH_TLS_CERT_FILE and MATCH_TLS_KEY_FILE');
    return { credentials: grpc.ServerCredentials.createInsecure(), mode: 'plaintext' };
  }
  if (!tls.certFile || !tls.keyFile) throw new TlsConfigError('set both MATCH_TLS_CERT_FILE and MATCH_TLS_KEY_FILE (or neither)');
  const keyCert = { cert_chain: read(tls.certFile, 'certificate'), private_key: read(tls.keyFile, 'private key') };
  const ca = tls.clientCaFile ? read(tls.clientCaFile, 'client CA') : null;
  return { credentials: grpc.ServerCredentials.createSsl(ca, [keyCert], ca !== null), mode: ca ? 'mtls' : 'tls' };
}
