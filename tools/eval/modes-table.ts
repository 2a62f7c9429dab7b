/**
 * The mode-by-mode table of docs/RELEVANCE.md from `npm run eval -- --json FILE` reports:
 *
 *   npx tsx tools/eval/modes-table.ts NAME=report.json [NAME=report.json ...]
 *
 * One row per report: P@5 / P@10 / NDCG@10 / MRR of model (dense), lexical, hybrid and bm25, which
 * mode the version serves, and hybrid's P@10 margin over bm25.
 */
import { readFileSync } from 'node:fs';
import type { EvalReport, SystemName } from './evaluate';

const f3 = (x: number): string => x.toFixed(3);

function main(): void {
  const rows = process.argv.slice(2).map((arg) => {
    const eq = arg.indexOf('=');
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    const report = JSON.parse(readFileSync(eq > 0 ? arg.slice(eq + 1) : arg, 'utf8')) as EvalReport;
    return { name, report };
  });
  const systems: SystemName[] = ['model', 'lexical', 'hybrid', 'bm25'];
  const out = [
    `| set / queries | fans | ${systems.map((s) => (s === 'model' ? 'dense (model)' : s)).join(' | ')} | default | hybrid - bm25 P@10 |`,
    `| --- | ---: | ${systems.map(() => '---').join(' | ')} | --- | ---: |`,
  ];
  for (const { name, report } of rows) {
    const cell = (s: SystemName): string => {
      const m = report.systems[s];
      return m ? `${f3(m.p5)} / ${f3(m.precision)} / ${f3(m.ndcg)} / ${f3(m.mrr)}` : '–';
    };
    const h = report.systems.hybrid;
    const b = report.systems.bm25;
    const margin = h && b ? `${h.precision - b.precision >= 0 ? '+' : ''}${f3(h.precision - b.precision)}` : '–';
    out.push(`| ${name} | ${report.fans.evaluated} | ${systems.map(cell).join(' | ')} | ${report.retrieval.default} | ${margin} |`);
  }
  process.stdout.write(out.join('\n') + '\n');
}

main();
