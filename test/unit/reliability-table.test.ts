/**
 * docs/RELIABILITY.md's table of hostile cases names, in each row, the tests that keep it true:
 * every named test file exists and holds a test with that exact name (or it.each template).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');
const doc = readFileSync(path.join(ROOT, 'docs/RELIABILITY.md'), 'utf8');
const section = doc.slice(doc.indexOf('## Hostile input and hostile files'), doc.indexOf('\n## ', doc.indexOf('## Hostile input and hostile files') + 5));
const rows = section
  .split('\n')
  .map((line) => /^\| (\d+) \|.*\|[ \t]*([^|]+?)[ \t]*\|$/.exec(line))
  .filter((m): m is RegExpExecArray => m !== null)
  .map((m) => ({ row: Number(m[1]), tests: [...m[2]!.matchAll(/`(test\/[^`]+\.test\.ts)` › “([^”]+)”/g)].map((t) => ({ file: t[1]!, name: t[2]! })) }));

describe('docs/RELIABILITY.md hostile-case table', () => {
  it('has its rows, numbered in order, each naming at least one test', () => {
    expect(rows.length).toBeGreaterThanOrEqual(30);
    expect(rows.map((r) => r.row)).toEqual(rows.map((_, i) => i + 1));
    for (const r of rows) expect({ row: r.row, tests: r.tests.length > 0 }).toEqual({ row: r.row, tests: true });
  });

  it('every named test exists in the named file', () => {
    for (const r of rows) {
      for (const t of r.tests) {
        const file = path.join(ROOT, t.file);
        expect({ row: r.row, file: t.file, exists: existsSync(file) }).toEqual({ row: r.row, file: t.file, exists: true });
        const source = readFileSync(file, 'utf8');
        expect({ row: r.row, name: t.name, found: source.includes(`'${t.name}'`) || source.includes(`\`${t.name}\``) }).toEqual({ row: r.row, name: t.name, found: true });
      }
    }
  });
});
