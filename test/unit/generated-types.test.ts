import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { GENERATED_DIR, generateProtoTypes } from '../../scripts/gen-proto-types';

/** Every file under `dir`, by its path relative to `dir` (with / separators), with its text. */
function filesUnder(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (sub: string): void => {
    for (const entry of readdirSync(path.join(dir, sub), { withFileTypes: true })) {
      const rel = sub ? `${sub}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(rel);
      else out.set(rel, readFileSync(path.join(dir, rel), 'utf8'));
    }
  };
  walk('');
  return out;
}

it('src/contract/ is what `npm run proto:gen` generates from proto/', () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'creator-match-proto-gen-'));
  try {
    generateProtoTypes(tmp);
    const fresh = filesUnder(tmp);
    const committed = filesUnder(GENERATED_DIR);
    expect(fresh.size).toBeGreaterThan(0);
    const differ = [...new Set([...fresh.keys(), ...committed.keys()])].sort().flatMap((file) => {
      if (!committed.has(file)) return [`${file} (missing)`];
      if (!fresh.has(file)) return [`${file} (no longer generated)`];
      return fresh.get(file) === committed.get(file) ? [] : [`${file} (differs)`];
    });
    if (differ.length > 0) {
      throw new Error(`src/contract/ is stale: run \`npm run proto:gen\` and commit the result.\n  ${differ.join('\n  ')}`);
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
