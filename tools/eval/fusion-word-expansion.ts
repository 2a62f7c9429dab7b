/**
 * One-off check of a dense-to-lexical bridge for paraphrased queries: the catalog's words are
 * embedded once, and a query's t nearest words (by cosine with the query vector) are added to its
 * BM25 text; then weighted RRF (k 60, w_lex 0.3), with and without one round of feedback.
 *
 *   nice npx tsx tools/eval/fusion-word-expansion.ts
 */
import path from 'node:path';
import { createEmbedder } from '../../src/embedding';
import { rankMetrics } from './fusion-core';
import { fuseLists } from './fusion-default';
import { denseTop, dot, embedCached, loadCatalog, loadCell, loadFansFile, readCreatorsFile, type Cell } from './fusion-data';
const SIZES = { denseN: 100, lexN: 100, densePool: 200 };
const STOP = new Set('the and for with that this from are was were have has into about their his her its which who whom will your you not can may any all some one two also used called very more most such other than then them they these those there what when where while how why'.split(' '));
async function main() {
  const e = createEmbedder({ dtype: 'q8' }); await e.init();
  const emb = '.bench-cache/embeddings';
  const specs: Array<[string, string]> = [['sample', 'fans'], ['wordnet-domain', 'short'], ['wordnet-lexfile', 'short'], ['gcide', 'short'], ['fortunes', 'long'], ['gcide', 'long']];
  for (const [ds, st] of specs) {
    const file = ds === 'sample' ? 'data/sample-creators.jsonl' : path.join('.bench-cache/datasets', ds, 'creators.jsonl');
    const cat = await loadCatalog(ds, ds, readCreatorsFile(file), e, emb);
    const fans = await loadFansFile(ds === 'sample' ? 'data/sample-fans.jsonl' : path.join('.bench-cache/datasets', ds, `fans-${st}.jsonl`));
    const cell: Cell = await loadCell(`${ds}/${st}`, st, cat, fans, e, emb, SIZES);
    const df = new Map<string, number>();
    for (const t of cat.texts) for (const w of new Set(t.toLowerCase().match(/[a-z]{3,}/g) ?? [])) if (!STOP.has(w)) df.set(w, (df.get(w) ?? 0) + 1);
    const words = [...df].filter(([, n]) => n >= 2 && n <= cat.docs.length * 0.05).map(([w]) => w).sort();
    const wv = await embedCached(e, words, emb);
    const res: string[] = [];
    for (const t of [0, 3, 6]) {
      for (const fb of [false, true]) {
        let p5 = 0, p10 = 0;
        for (const q of cell.queries) {
          let text = q.text;
          if (t > 0) {
            const have = new Set(q.text.toLowerCase().match(/[a-z]{3,}/g) ?? []);
            const sc = words.map((w, i) => [i, have.has(w) ? -9 : dot(q.qvec, 0, wv, i * cat.dims, cat.dims)] as const).sort((a, b) => b[1] - a[1]).slice(0, t);
            text = q.text + ' ' + sc.map(([i]) => words[i]).join(' ');
          }
          const lex = cat.bm25.search(text, 100);
          const cos = (l: number) => dot(q.qvec, 0, cat.vectors, l * cat.dims, cat.dims);
          let fused = fuseLists({ kind: 'rrf', k: 60 }, 0.3, denseTop(cat, q.qvec, 100), lex, cos);
          if (fb) {
            const q2 = Float32Array.from(q.qvec);
            for (const h of fused.slice(0, 2)) for (let i = 0; i < cat.dims; i++) q2[i]! += cat.vectors[h.label * cat.dims + i]!;
            let n = 0; for (let i = 0; i < cat.dims; i++) n += q2[i]! * q2[i]!; n = Math.sqrt(n);
            for (let i = 0; i < cat.dims; i++) q2[i]! /= n;
            fused = fuseLists({ kind: 'rrf', k: 60 }, 0.3, denseTop(cat, q2, 100), lex, (l) => dot(q2, 0, cat.vectors, l * cat.dims, cat.dims));
          }
          const labels = fused.slice(0, 10).map((h) => h.label);
          const m = rankMetrics(labels.map((_, i) => i), (i) => q.expected.has(cat.categories[labels[i]!]!), q.totalRelevant);
          p5 += m.p5; p10 += m.p10;
        }
        const n = cell.queries.length;
        res.push(`t${t}${fb ? '+fb' : ''} ${(p5 / n).toFixed(3)}/${(p10 / n).toFixed(3)}`);
      }
    }
    console.log(`${ds}/${st} (${words.length} words)`, res.join(' | '));
  }
  await e.dispose();
}
void main();
