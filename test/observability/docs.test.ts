import { readFileSync } from 'node:fs';
import path from 'node:path';
import { METRICS } from '../../src/telemetry/names';

const ROOT = path.resolve(__dirname, '..', '..');
const read = (file: string): string => readFileSync(path.join(ROOT, file), 'utf8');

describe('operations docs stay in sync with the code', () => {
  const ops = read('docs/OPERATIONS.md');
  const rows = [...ops.matchAll(/^\| `(creator_match_[a-z_]+)` \| (\w+) \| [^|]+ \| ([^|]*) \|/gm)].map((m) => ({ name: m[1]!, kind: m[2]!, labels: m[3]!.split(',').map((l) => l.trim()).filter(Boolean) }));

  it('docs/OPERATIONS.md lists every metric with its type and labels, and nothing else', () => {
    const expected = Object.values(METRICS).map((m) => ({ name: m.name, kind: m.kind, labels: [...m.labels] as string[] }));
    const byName = (a: { name: string }, b: { name: string }): number => a.name.localeCompare(b.name);
    expect([...rows].sort(byName)).toEqual([...expected].sort(byName));
  });

  it('metric names follow the conventions: prefix, unit suffix, _total only on counters', () => {
    for (const m of Object.values(METRICS)) {
      expect(m.name).toMatch(/^creator_match_[a-z0-9_]+$/);
      expect(m.name.endsWith('_total')).toBe(m.kind === 'counter');
      if (m.unit === 's') expect(m.name).toMatch(/_seconds$/);
      if (m.unit === 'By') expect(m.name).toMatch(/_bytes$/);
      for (const l of m.labels) expect(['fan_id', 'request_id', 'creator_id']).not.toContain(l);
    }
  });

  it('every PromQL example uses only metrics that exist', () => {
    const block = ops.slice(ops.indexOf('```promql'), ops.indexOf('```', ops.indexOf('```promql') + 3));
    const used = new Set([...block.matchAll(/creator_match_[a-z0-9_]+/g)].map((m) => m[0].replace(/_(bucket|sum|count)$/, '')));
    const known = new Set(Object.values(METRICS).map((m) => m.name as string));
    for (const u of used) expect(known).toContain(u);
  });
});
