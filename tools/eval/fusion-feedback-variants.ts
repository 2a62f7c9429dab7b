/**
 * Feedback variants meant to keep two-interest fans' second interest (docs/bench/fusion-study.md,
 * "Feedback variants for two-interest fans"): lower beta, more feedback documents, a coherence
 * gate, a category-purity gate, and mixing the first pass back in.
 *
 *   nice npx tsx tools/eval/fusion-feedback-variants.ts
 */
import path from 'node:path';
import { createEmbedder } from '../../src/embedding';
import { rankMetrics } from './fusion-core';
import { hybridSearch, type HybridParams } from './fusion-default';
import { loadCatalog, loadCell, loadFansFile, readCreatorsFile, type Cell } from './fusion-data';
const SIZES = { denseN: 100, lexN: 100, densePool: 200 };
function run(cell: Cell, p: HybridParams) {
  let p5 = 0, p10 = 0, cov = 0, multi = 0;
  for (const q of cell.queries) {
    const labels = hybridSearch(cell.catalog, q.qvec, q.text, p, 10);
    const m = rankMetrics(labels.map((_, i) => i), (i) => q.expected.has(cell.catalog.categories[labels[i]!]!), q.totalRelevant);
    p5 += m.p5; p10 += m.p10;
    if (q.expected.size > 1) { const seen = new Set(labels.map((l) => cell.catalog.categories[l]!)); cov += [...q.expected].filter((c) => seen.has(c)).length / q.expected.size; multi++; }
  }
  const n = cell.queries.length;
  return `${(p5 / n).toFixed(3)} ${(p10 / n).toFixed(3)}${multi ? ' cov ' + (cov / multi).toFixed(3) : ''}`;
}
async function main() {
  const e = createEmbedder({ dtype: 'q8' }); await e.init();
  const emb = '.bench-cache/embeddings';
  const cells: Cell[] = [];
  const s = await loadCatalog('sample', 'sample', readCreatorsFile('data/sample-creators.jsonl'), e, emb);
  cells.push(await loadCell('sample/fans', 'sample', s, await loadFansFile('data/sample-fans.jsonl'), e, emb, SIZES));
  for (const [ds, st] of [['fortunes', 'long'], ['wordnet-domain', 'keyword'], ['gcide', 'long']] as const) {
    const c = await loadCatalog(ds, ds, readCreatorsFile(path.join('.bench-cache/datasets', ds, 'creators.jsonl')), e, emb);
    cells.push(await loadCell(`${ds}/${st}`, st, c, await loadFansFile(path.join('.bench-cache/datasets', ds, `fans-${st}.jsonl`)), e, emb, SIZES));
  }
  await e.dispose();
  const base: HybridParams = { method: { kind: 'convex', norm: 'dbsf' }, wLex: 0.3, denseN: 100, lexN: 100, feedbackM: 0, beta: 0, voteGamma: 0, voteM: 5 };
  const variants: Array<[string, Partial<HybridParams>]> = [
    ['no feedback', {}],
    ['m2 b2', { feedbackM: 2, beta: 2 }],
    ['m2 b0.5', { feedbackM: 2, beta: 0.5 }],
    ['m5 b1', { feedbackM: 5, beta: 1 }],
    ['m2 b2 gate0.7', { feedbackM: 2, beta: 2, feedbackGate: 0.7 }],
    ['m2 b2 pur0.7', { feedbackM: 2, beta: 2, purityGate: 0.7 }],
    ['m2 b2 first0.5', { feedbackM: 2, beta: 2, firstPassWeight: 0.5 }],
  ];
  for (const [name, v] of variants) console.log(name.padEnd(18), cells.map((c) => `${c.name}: ${run(c, { ...base, ...v })}`).join(' | '));
}
main();
