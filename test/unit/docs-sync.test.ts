import { readFileSync } from 'node:fs';
import path from 'node:path';
import { status } from '@grpc/grpc-js';
import { CONFIG_ENV_VARS } from '../../src/config/config';
import { ERROR_CODES } from '../../src/errors/match-error';

const ROOT = path.resolve(__dirname, '..', '..');
const read = (file: string): string => readFileSync(path.join(ROOT, file), 'utf8');

describe('docs stay in sync with the code', () => {
  it('docs/ERRORS.md lists every error reason with its gRPC status, and nothing else', () => {
    const rows = [...read('docs/ERRORS.md').matchAll(/^\| `([A-Z_]+)` \| ([A-Z_]+) \|/gm)].map((m) => [m[1], m[2]]);
    const expected = Object.entries(ERROR_CODES).map(([reason, code]) => [reason, status[code]]);
    expect(rows.sort()).toEqual(expected.sort());
  });

  it('the README configuration table lists every environment variable the service reads', () => {
    const readme = read('README.md');
    const documented = [...readme.matchAll(/^\| `([A-Z_]+)` \|/gm)].map((m) => m[1]);
    for (const key of CONFIG_ENV_VARS) expect(documented).toContain(key);
  });

  it('the README shows the example client verbatim', () => {
    const client = read('scripts/example-client.ts').trim();
    expect(read('README.md')).toContain(client);
  });
});
