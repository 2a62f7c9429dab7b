/**
 * One-off check of a query-side trick that needs no better model: embedding the interest text
 * inside a template (as the profile text is) instead of alone. Dense P@5 / P@10 only.
 *
 *   nice npx tsx tools/eval/fusion-query-templates.ts
 */
import path from 'node:path';
import { createEmbedder } from '../../src/embedding';
import { rankMetrics } from './fusion-core';
import { denseTop, embedCached, loadCatalog, loadFansFile, readCreatorsFile } from './fusion-data';
async function main() {
  const e = createEmbedder({ dtype: 'q8' }); await e.init();
  const emb = '.bench-cache/embeddings';
  const T: Array<[string, (q: string) => string]> = [
    ['plain', (q) => q],
    ['Tags: q.', (q) => `Tags: ${q}.`],
    ['q. Tags: q.', (q) => `${q}. Tags: ${q}.`],
    ['I am interested in q', (q) => `I am interested in ${q}.`],
    ['q. q.', (q) => `${q}. ${q}.`],
  ];
  const sets: Array<[string, string, string]> = [['wordnet-lexfile', 'short', '.bench-cache/datasets/wordnet-lexfile'], ['wordnet-domain', 'short', '.bench-cache/datasets/wordnet-domain'], ['gcide', 'short', '.bench-cache/datasets/gcide'], ['wordnet-domain', 'keyword', '.bench-cache/datasets/wordnet-domain'], ['sample', 'fans', 'data']];
  for (const [name, style, dir] of sets) {
    const docs = readCreatorsFile(name === 'sample' ? 'data/sample-creators.jsonl' : path.join(dir, 'creators.jsonl'));
    const cat = await loadCatalog(name, name, docs, e, emb);
    const fans = await loadFansFile(name === 'sample' ? 'data/sample-fans.jsonl' : path.join(dir, `fans-${style}.jsonl`));
    const out: string[] = [];
    for (const [tn, t] of T) {
      const qv = await embedCached(e, fans.map((f) => t(f.text!)), emb);
      let p5 = 0, p10 = 0;
      fans.forEach((f, i) => {
        const hits = denseTop(cat, qv.slice(i * cat.dims, (i + 1) * cat.dims), 10);
        const exp = new Set(f.expectedCategories);
        const m = rankMetrics(hits.map((_, j) => j), (j) => exp.has(cat.categories[hits[j]!.label]!), 100);
        p5 += m.p5; p10 += m.p10;
      });
      out.push(`${tn}: ${(p5 / fans.length).toFixed(3)}/${(p10 / fans.length).toFixed(3)}`);
    }
    console.log(`${name}/${style}`, out.join(' | '));
  }
  await e.dispose();
}
void main();
