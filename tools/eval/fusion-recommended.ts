/**
 * The recommended default hybrid rule and its neighbourhood, run as the service would run it
 * (`hybridSearch`: real second dense search, no candidate-pool shortcut), on every study cell.
 * Writes docs/bench/fusion-recommended.json.
 *
 *   nice npx tsx tools/eval/fusion-recommended.ts [--out docs/bench/fusion-recommended.json] [--cache .bench-cache]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createEmbedder } from '../../src/embedding';
import { prepareIfBundled } from '../model/prepare-default-model';
import { rankMetrics } from './fusion-core';
import { hybridSearch, type HybridParams } from './fusion-default';
import { loadCells, type Cell } from './fusion-data';

export const RECOMMENDED: HybridParams = {
  method: { kind: 'rrf', k: 60 },
  wLex: 0.3,
  denseN: 100,
  lexN: 100,
  feedbackM: 2,
  beta: 2,
  voteGamma: 0,
  voteM: 10,
};

const VARIANTS: Array<[string, Partial<HybridParams>]> = [
  ['dense', { wLex: 0, feedbackM: 0 }],
  ['bm25-weighted-rrf60-equal', { wLex: 0.5, feedbackM: 0 }],
  ['rrf60 w0.3, no feedback', { feedbackM: 0 }],
  ['recommended', {}],
  ['w0.2', { wLex: 0.2 }],
  ['w0.4', { wLex: 0.4 }],
  ['beta1', { beta: 1 }],
  ['m3 beta1', { feedbackM: 3, beta: 1 }],
  ['m5 beta2', { feedbackM: 5, beta: 2 }],
  ['N 50', { denseN: 50, lexN: 50 }],
  ['dbsf', { method: { kind: 'convex', norm: 'dbsf' } }],
  ['dense feedback only (w0)', { wLex: 0 }],
  ['+ category vote 0.5/10', { voteGamma: 0.5, voteM: 10 }],
  ['+ category vote 1/10', { voteGamma: 1, voteM: 10 }],
];

interface Row {
  p5: number;
  p10: number;
  ndcg10: number;
  mrr10: number;
  multiCategoryCoverage?: number;
}

function evaluate(cell: Cell, p: HybridParams): Row {
  let p5 = 0;
  let p10 = 0;
  let ndcg = 0;
  let mrr = 0;
  let cov = 0;
  let multi = 0;
  for (const q of cell.queries) {
    const labels = hybridSearch(cell.catalog, q.qvec, q.text, p, 10);
    const m = rankMetrics(
      labels.map((_, i) => i),
      (i) => q.expected.has(cell.catalog.categories[labels[i]!]!),
      q.totalRelevant,
    );
    p5 += m.p5;
    p10 += m.p10;
    ndcg += m.ndcg10;
    mrr += m.mrr10;
    if (q.expected.size > 1) {
      const seen = new Set(labels.map((l) => cell.catalog.categories[l]!));
      cov += [...q.expected].filter((c) => seen.has(c)).length / q.expected.size;
      multi++;
    }
  }
  const n = cell.queries.length;
  const r = (x: number): number => Math.round((x / n) * 10000) / 10000;
  const row: Row = { p5: r(p5), p10: r(p10), ndcg10: r(ndcg), mrr10: r(mrr) };
  if (multi > 0) row.multiCategoryCoverage = Math.round((cov / multi) * 10000) / 10000;
  return row;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const opt = (name: string, dflt: string): string => {
    const i = args.indexOf(name);
    return i >= 0 ? (args[i + 1] ?? dflt) : dflt;
  };
  const out = opt('--out', 'docs/bench/fusion-recommended.json');
  await prepareIfBundled(undefined);
  const embedder = createEmbedder({ dtype: 'q8' });
  await embedder.init();
  const cells = await loadCells(embedder, opt('--cache', '.bench-cache'), { denseN: 100, lexN: 100, densePool: 200 });
  await embedder.dispose();
  const rows = VARIANTS.map(([name, v]) => {
    const params = { ...RECOMMENDED, ...v };
    const perCell = Object.fromEntries(cells.map((c) => [c.name, evaluate(c, params)]));
    console.error(`${name} done`);
    return { name, params, perCell };
  });
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify({ generatedBy: 'tools/eval/fusion-recommended.ts', recommended: RECOMMENDED, rows }, null, 1) + '\n');
  for (const r of rows) console.log(r.name.padEnd(28), Object.entries(r.perCell).map(([c, m]) => `${c} ${m.p5.toFixed(3)}/${m.p10.toFixed(3)}${m.multiCategoryCoverage !== undefined ? ` cov ${m.multiCategoryCoverage.toFixed(2)}` : ''}`).join(' | '));
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
