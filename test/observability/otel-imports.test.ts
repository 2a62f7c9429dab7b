import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

// The SDK is set up once (src/telemetry/sdk.ts, used by src/main.ts); everything else may import
// only @opentelemetry/api, so without the SDK instruments and spans are no-ops.
const SRC = path.resolve(__dirname, '..', '..', 'src');
const files = (dir: string): string[] => readdirSync(dir).flatMap((f) => (statSync(path.join(dir, f)).isDirectory() ? files(path.join(dir, f)) : f.endsWith('.ts') ? [path.join(dir, f)] : []));

it('only src/telemetry/sdk.ts imports OpenTelemetry SDK packages; only main.ts imports it', () => {
  const offenders: string[] = [];
  const sdkUsers: string[] = [];
  for (const file of files(SRC)) {
    const rel = path.relative(SRC, file);
    const text = readFileSync(file, 'utf8');
    const otel = [...text.matchAll(/from '(@opentelemetry\/[^']+)'/g)].map((m) => m[1]!).filter((p) => p !== '@opentelemetry/api');
    if (otel.length > 0 && rel !== path.join('telemetry', 'sdk.ts')) offenders.push(`${rel}: ${otel.join(', ')}`);
    if (/from '\.\/telemetry\/sdk'|from '\.\.\/telemetry\/sdk'|from '\.\/sdk'/.test(text.replace(/import type [^;]+;/g, ''))) sdkUsers.push(rel);
  }
  expect(offenders).toEqual([]);
  expect(sdkUsers).toEqual(['main.ts']);
});
