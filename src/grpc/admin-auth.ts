import { createHash, timingSafeEqual } from 'node:crypto';
import type { Metadata } from '@grpc/grpc-js';
import { MatchError } from '../errors/match-error';

const digest = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();

/**
 * Checks `authorization: Bearer <token>` in constant time (both sides hashed to equal length
 * first, so neither the content nor the length of the token leaks through timing).
 */
export function requireBearer(metadata: Metadata, expectedDigest: Buffer): void {
  const header = metadata.get('authorization')[0];
  const value = typeof header === 'string' ? header : '';
  const match = /^Bearer\s+(.+)$/i.exec(value.trim());
  const ok = match !== null && timingSafeEqual(digest(match[1]!), expectedDigest);
  if (!ok) {
    throw new MatchError(
      'UNAUTHENTICATED',
      match ? 'invalid admin token' : 'missing admin credentials: send metadata "authorization: Bearer <MATCH_ADMIN_TOKEN>"',
    );
  }
}

export function tokenDigest(token: string): Buffer {
  return digest(token);
}
