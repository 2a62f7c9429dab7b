/**
 * Prints the markdown tables of docs/bench/fusion-study.md from docs/bench/fusion-study.json:
 *
 *   npx tsx tools/eval/fusion-report.ts [docs/bench/fusion-study.json] [docs/bench/fusion-recommended.json]
 */
/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-return, @typescript-eslint/no-unsafe-argument --
 * A report over fusion-study.ts's own JSON output (its shape is that script's, not a contract); the tables are checked by eye against docs/bench/fusion-study.md. */
import { existsSync, readFileSync } from 'node:fs';

interface M {
  p5: number;
  p10: number;
  ndcg10: number;
  mrr10: number;
  multiCategoryCoverage?: number;
}

const f3 = (x: number): string => x.toFixed(3);
const cellM = (m: M): string => `${f3(m.p5)} / ${f3(m.p10)} / ${f3(m.ndcg10)} / ${f3(m.mrr10)}`;

function main(): void {
  const file = process.argv[2] ?? 'docs/bench/fusion-study.json';
  const r = JSON.parse(readFileSync(file, 'utf8'));
  const out: string[] = [];
  const recFile = process.argv[3] ?? 'docs/bench/fusion-recommended.json';
  if (existsSync(recFile)) {
    const rec = JSON.parse(readFileSync(recFile, 'utf8'));
    const cellsOf = Object.keys(rec.rows[0].perCell);
    out.push('### The recommended rule and its neighbourhood (full pipeline, all cells; P@5 / P@10, MRR@10 below)\n');
    out.push('`recommended` = ' + '`' + JSON.stringify(rec.recommended) + '`. Other rows change only what their name says. "cov" = sample fans with two expected categories: share of their categories present in the top 10.\n');
    out.push(`| variant | ${cellsOf.join(' | ')} |`);
    out.push(`| --- | ${cellsOf.map(() => '---').join(' | ')} |`);
    for (const row of rec.rows)
      out.push(
        `| ${row.name} | ${cellsOf
          .map((c) => {
            const m = row.perCell[c] as M;
            return `${f3(m.p5)} / ${f3(m.p10)}<br>mrr ${f3(m.mrr10)}${m.multiCategoryCoverage !== undefined ? `, cov ${f3(m.multiCategoryCoverage)}` : ''}`;
          })
          .join(' | ')} |`,
      );
    out.push('');
  }

  out.push('### Sets and query features\n');
  out.push('| cell | docs | cats | queries | analyzed terms | matched terms | idf mass | dense∩BM25 top-10 | no lexical match |');
  out.push('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const c of r.perCell) {
    const x = c.features;
    out.push(`| ${c.cell} | ${c.docs} | ${c.categories} | ${c.queries} | ${x.terms.toFixed(1)} | ${x.matched.toFixed(1)} | ${x.idfMass.toFixed(2)} | ${x.overlap10.toFixed(2)} | ${(x.noLexicalMatch * 100).toFixed(0)}% |`);
  }

  out.push('\n### Best per family and cell (P@5 / P@10 / NDCG@10 / MRR@10)\n');
  out.push('Fixed fusion rows are per-cell oracles: the best w_lex for that cell (shown), and RRF k=60 at equal weights (w_lex = 0.5) as the usual default.\n');
  out.push('| cell | dense | BM25 | RRF60 w=0.5 | best RRF (k, w) | best min-max (w) | best z-score (w) | best DBSF (w) |');
  out.push('| --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const c of r.perCell) {
    const fx = (name: string): any => c.fixed.find((x: { method: string }) => x.method === name);
    const rrfs = ['rrf10', 'rrf30', 'rrf60', 'rrf100'].map(fx);
    const bestRrf = rrfs.reduce((a, b) => (b.best.p5 + b.best.p10 > a.best.p5 + a.best.p10 ? b : a));
    out.push(
      `| ${c.cell} | ${cellM(c.dense)} | ${cellM(c.bm25)} | ${cellM(fx('rrf60').atHalf)} | ${cellM(bestRrf.best)} (${bestRrf.method.slice(3)}, ${bestRrf.bestW}) | ${cellM(fx('minmax').best)} (${fx('minmax').bestW}) | ${cellM(fx('zscore').best)} (${fx('zscore').bestW}) | ${cellM(fx('dbsf').best)} (${fx('dbsf').bestW}) |`,
    );
  }

  out.push('\n### One rule for all cells (chosen on all cells) vs the per-cell oracle (P@5 / P@10 / NDCG@10 / MRR@10)\n');
  const ch = r.chosenOnAllCells;
  out.push(`- fixed: \`${ch.fixed}\`; step: \`${ch.step}\`; ramp: \`${ch.ramp}\``);
  out.push(`- feedback + fixed: \`${JSON.stringify(ch.prfFixed.prf)} ${ch.prfFixed.rule}\`; feedback + step: \`${JSON.stringify(ch.prfStep.prf)} ${ch.prfStep.rule}\``);
  out.push(`- objective (mean of (P@5+P@10)/2 over cells): ${JSON.stringify(ch.scores)}\n`);
  out.push('| cell | fixed | step | ramp | feedback+fixed | feedback+step | oracle fixed | oracle feedback |');
  out.push('| --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const c of r.chosenPerCell) {
    out.push(`| ${c.cell} | ${cellM(c.fixed)} | ${cellM(c.step)} | ${cellM(c.ramp)} | ${cellM(c.prfFixed)} | ${cellM(c.prfStep)} | ${cellM(c.oracleFixed.metrics)} | ${cellM(c.oraclePrf.metrics)} |`);
  }

  out.push('\n### Full pipeline (real second search, `tools/eval/fusion-default.ts`), parameters chosen on all cells\n');
  for (const [k, v] of Object.entries(r.pipeline.params)) out.push(`- ${k}: \`${JSON.stringify(v)}\``);
  out.push('');
  const keys = Object.keys(r.pipeline.params);
  out.push(`| cell | ${keys.join(' | ')} |`);
  out.push(`| --- | ${keys.map(() => '---').join(' | ')} |`);
  for (const c of r.pipeline.perCell) out.push(`| ${c.cell} | ${keys.map((k) => cellM(c[k]) + (c[k].multiCategoryCoverage !== undefined ? ` (cov ${f3(c[k].multiCategoryCoverage)})` : '')).join(' | ')} |`);

  out.push('\n### Leave one source out (rule chosen on the other sources, reported on the held-out one)\n');
  out.push('| held out | cell | dense | BM25 | fixed | step | feedback+fixed | feedback+step | pipeline: fixed | pipeline: feedback | pipeline: feedback+vote |');
  out.push('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const l of r.leaveOneSourceOut)
    for (const c of l.cells)
      out.push(
        `| ${l.heldOut} | ${c.cell} | ${cellM(c.dense)} | ${cellM(c.bm25)} | ${cellM(c.fixed.metrics)} | ${cellM(c.step.metrics)} | ${cellM(c.prfFixed.metrics)} | ${cellM(c.prfStep.metrics)} | ${cellM(c.pipeline.fixedNoFeedback.metrics)} | ${cellM(c.pipeline.feedback.metrics)} | ${cellM(c.pipeline.feedbackVote.metrics)} |`,
      );
  out.push('\nRules chosen per fold:\n');
  for (const l of r.leaveOneSourceOut) {
    const c = l.cells[0];
    const p = c.pipeline.feedbackVote.params;
    out.push(
      `- without ${l.heldOut}: fixed \`${c.fixed.rule}\`; step \`${c.step.rule}\`; feedback+step \`${JSON.stringify(c.prfStep.prf)} ${c.prfStep.rule}\`; pipeline ${p.method.kind === 'rrf' ? `rrf${p.method.k}` : p.method.norm} w_lex=${p.wLex} m=${p.feedbackM} beta=${p.beta} vote gamma=${p.voteGamma} m=${p.voteM}`,
    );
  }

  out.push('\n### Add-ons on the feedback+step rule (P@5 / P@10 / NDCG@10 / MRR@10)\n');
  out.push('| cell | category vote γ=0.25 m=5 | γ=0.5 m=5 | RM3 m=10 t=10 λ=0.5 | RM3 m=5 t=20 λ=0.3 |');
  out.push('| --- | --- | --- | --- | --- |');
  for (const c of r.addOns) {
    const v = (g: number, m: number): M => c.categoryVote.find((x: any) => x.gamma === g && x.m === m).metrics;
    const q = (m: number, t: number, l: number): M => c.rm3.find((x: any) => x.m === m && x.terms === t && x.lambda === l).withDensePrf;
    out.push(`| ${c.cell} | ${cellM(v(0.25, 5))} | ${cellM(v(0.5, 5))} | ${cellM(q(10, 10, 0.5))} | ${cellM(q(5, 20, 0.3))} |`);
  }
  console.log(out.join('\n'));
}

main();
