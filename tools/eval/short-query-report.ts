/**
 * Markdown tables of docs/bench/short-query-study.md from the study's JSON (and its per-query file):
 *
 *   npx tsx tools/eval/short-query-report.ts [docs/bench/short-query-study.json] [.bench-cache/study/short-query-study.per-query.json]
 *
 * For each family of variants (one smoothing method on one base pipeline), the parameter is chosen
 * (a) on all cells and (b) leave-one-source-out: on the cells of the other sources, reported on the
 * held-out source's cells. Objective: the mean over cells of the mean over queries of (P@5 + P@10) / 2.
 * Paired differences against the base pipeline, per query, pooled by query style, with 95% bootstrap
 * intervals (2,000 resamples).
 */
import { existsSync, readFileSync } from 'node:fs';

interface M {
  p5: number;
  p10: number;
  ndcg10: number;
  mrr10: number;
  cov: number | null;
  covN: number;
}
interface VariantResult {
  name: string;
  family: string;
  metrics: M;
  ms: number;
}
interface CellResult {
  cell: string;
  source: string;
  style: string;
  queries: number;
  variants: VariantResult[];
}
interface Study {
  cells: CellResult[];
}
interface PerQuery {
  cell: string;
  variants: Array<{ name: string; perQuery: number[] }>;
}

const f3 = (x: number): string => x.toFixed(3);
const obj = (m: M): number => (m.p5 + m.p10) / 2;
const cellM = (m: M): string => `${f3(m.p5)} / ${f3(m.p10)} / ${f3(m.ndcg10)} / ${f3(m.mrr10)}`;

function metricsOf(c: CellResult, name: string): M {
  const v = c.variants.find((x) => x.name === name);
  if (!v) throw new Error(`no ${name} in ${c.cell}`);
  return v.metrics;
}

/** The member of `family` with the best mean objective over `cells`. */
function choose(cells: readonly CellResult[], names: readonly string[]): string {
  let best = names[0]!;
  let bestScore = -Infinity;
  for (const n of names) {
    const s = cells.reduce((a, c) => a + obj(metricsOf(c, n)), 0) / cells.length;
    if (s > bestScore + 1e-12) {
      bestScore = s;
      best = n;
    }
  }
  return best;
}

function mulberry(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function bootstrap(d: readonly number[]): { mean: number; lo: number; hi: number } {
  const n = d.length;
  const mean = d.reduce((a, b) => a + b, 0) / Math.max(1, n);
  const rand = mulberry(7);
  const means: number[] = [];
  for (let b = 0; b < 2000; b++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += d[Math.floor(rand() * n)]!;
    means.push(s / n);
  }
  means.sort((a, b) => a - b);
  return { mean, lo: means[50]!, hi: means[1949]! };
}

function main(): void {
  const file = process.argv[2] ?? 'docs/bench/short-query-study.json';
  const pqFile = process.argv[3] ?? '.bench-cache/study/short-query-study.per-query.json';
  const study = JSON.parse(readFileSync(file, 'utf8')) as Study;
  const perQuery = existsSync(pqFile) ? (JSON.parse(readFileSync(pqFile, 'utf8')) as PerQuery[]) : undefined;
  const cells = study.cells;
  const sources = [...new Set(cells.map((c) => c.source))];
  const families = new Map<string, string[]>();
  for (const v of cells[0]!.variants) if (v.family !== 'baseline' && v.family !== 'bm25') families.set(v.family, [...(families.get(v.family) ?? []), v.name]);
  // The base pipeline a family adds to (the served rule's variants with other feedback or weights count as on top of it).
  const baseOf = (family: string): string => {
    const b = family.split('+')[0]!;
    return b === 'dense' || b === 'hybrid-nofb' ? b : 'hybrid';
  };
  const out: string[] = [];

  out.push('### Baselines (P@5 / P@10 / NDCG@10 / MRR@10; sample: two-interest coverage)\n');
  const baseNames = ['bm25', 'dense', 'hybrid-nofb', 'hybrid'];
  out.push(`| cell | queries | ${baseNames.join(' | ')} |`);
  out.push(`| --- | ---: | ${baseNames.map(() => '---').join(' | ')} |`);
  for (const c of cells) out.push(`| ${c.cell} | ${c.queries} | ${baseNames.map((n) => cellM(metricsOf(c, n)) + (metricsOf(c, n).cov !== null ? `, cov ${f3(metricsOf(c, n).cov!)}` : '')).join(' | ')} |`);
  out.push('');

  // LOSO choice per family: for each held-out source, the member chosen on the other sources.
  const loso = new Map<string, Map<string, string>>();
  for (const [family, names] of families) {
    const bySource = new Map<string, string>();
    for (const s of sources) bySource.set(s, choose(cells.filter((c) => c.source !== s), names));
    loso.set(family, bySource);
  }
  const heldOutMetrics = (family: string, c: CellResult): M => metricsOf(c, loso.get(family)!.get(c.source)!);

  out.push('### Every family, leave-one-source-out: mean change against its base over the held-out cells of each style\n');
  out.push('Objective (P@5 + P@10) / 2; "all cells" = the member chosen on all cells and its mean change over all cells (in-sample). Chosen members per held-out source in the last column.\n');
  out.push('| family | short (3 cells) | keyword (3) | long (4) | sample fans | sample two-interest cov | ms/query (study) | all cells (in-sample) | chosen (wordnet / gcide / fortunes / sample held out) |');
  out.push('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |');
  const styleDelta = (family: string, style: string): number => {
    const cs = cells.filter((c) => c.style === style);
    return cs.reduce((a, c) => a + obj(heldOutMetrics(family, c)) - obj(metricsOf(c, baseOf(family))), 0) / Math.max(1, cs.length);
  };
  for (const [family, names] of families) {
    const sample = cells.find((c) => c.style === 'sample')!;
    const sm = heldOutMetrics(family, sample);
    const all = choose(cells, names);
    const allDelta = cells.reduce((a, c) => a + obj(metricsOf(c, all)) - obj(metricsOf(c, baseOf(family))), 0) / cells.length;
    const ms = cells.reduce((a, c) => a + c.variants.find((v) => v.name === all)!.ms, 0) / cells.length;
    const sgn = (x: number): string => `${x >= 0 ? '+' : ''}${x.toFixed(3)}`;
    out.push(
      `| ${family} | ${sgn(styleDelta(family, 'short'))} | ${sgn(styleDelta(family, 'keyword'))} | ${sgn(styleDelta(family, 'long'))} | ${sgn(obj(sm) - obj(metricsOf(sample, baseOf(family))))} | ${f3(sm.cov ?? NaN)} (base ${f3(metricsOf(sample, baseOf(family)).cov ?? NaN)}) | ${ms.toFixed(2)} | ${sgn(allDelta)} (${all.replace(`${baseOf(family)}+`, '')}) | ${sources.map((s) => loso.get(family)!.get(s)!.replace(`${baseOf(family)}+`, '')).join(' / ')} |`,
    );
  }
  out.push('');

  // The served rule: centroid smoothing on the dense top 100 (R100), gamma chosen leave-one-source-out.
  const served = 'hybrid+centroid2';
  if (families.has(served)) {
    const r100 = families.get(served)!.filter((n) => n.endsWith(' R100'));
    out.push('### Centroid smoothing on the served rule, re-ranking the dense top 100 (as the service does): gamma chosen leave-one-source-out\n');
    out.push('| held out | cell | dense | hybrid (no smoothing) | hybrid + smoothing (chosen gamma) | ΔP@5 | ΔP@10 | ΔMRR |');
    out.push('| --- | --- | --- | --- | --- | ---: | ---: | ---: |');
    for (const src of sources) {
      const pick = choose(cells.filter((c) => c.source !== src), r100);
      for (const c of cells.filter((x) => x.source === src)) {
        const a = metricsOf(c, pick);
        const b = metricsOf(c, 'hybrid');
        const cov = (m: M): string => (m.cov !== null ? `, cov ${f3(m.cov)}` : '');
        const sg = (x: number): string => `${x >= 0 ? '+' : ''}${x.toFixed(3)}`;
        out.push(`| ${src} | ${c.cell} | ${cellM(metricsOf(c, 'dense'))}${cov(metricsOf(c, 'dense'))} | ${cellM(b)}${cov(b)} | ${cellM(a)}${cov(a)} (${pick.replace('hybrid+centroid2 ', '')}) | ${sg(a.p5 - b.p5)} | ${sg(a.p10 - b.p10)} | ${sg(a.mrr10 - b.mrr10)} |`);
      }
    }
    out.push('');
    out.push('### Centroid smoothing: gamma and pool (mean over the cells of each style of (P@5 + P@10) / 2; MRR@10 over all cells; sample two-interest coverage)\n');
    out.push('| variant | short | keyword | long | sample | MRR@10 | cov |');
    out.push('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
    const styleMean = (n: string, style: string): number => {
      const cs = cells.filter((c) => c.style === style);
      return cs.reduce((a, c) => a + obj(metricsOf(c, n)), 0) / cs.length;
    };
    const sample = cells.find((c) => c.style === 'sample')!;
    for (const n of ['dense', 'hybrid-nofb', 'hybrid', ...families.get(served)!, ...(families.get('hybrid-fb+centroid') ?? []), ...(families.get('hybrid-w+centroid') ?? []), ...(families.get('hybrid+centroid+vote') ?? []), ...(families.get('hybrid+centroid+knn') ?? []), ...(families.get('hybrid+centroid+clause-gate') ?? []), ...(families.get('hybrid+clause-gate') ?? [])]) {
      const mrr = cells.reduce((a, c) => a + metricsOf(c, n).mrr10, 0) / cells.length;
      out.push(`| ${n} | ${['short', 'keyword', 'long', 'sample'].map((st) => f3(styleMean(n, st))).join(' | ')} | ${f3(mrr)} | ${f3(metricsOf(sample, n).cov ?? NaN)} |`);
    }
    out.push('');
  }

  out.push('### Held-out cells, selected families (P@5 / P@10 / NDCG@10 / MRR@10, member chosen without the cell\'s source)\n');
  const shown = [...families.keys()].filter((f) => /^(hybrid|dense)\+(centroid|knn-rerank|knn-served|vote|csls|wccn)$/.test(f));
  out.push(`| cell | dense | hybrid | ${shown.join(' | ')} |`);
  out.push(`| --- | --- | --- | ${shown.map(() => '---').join(' | ')} |`);
  for (const c of cells)
    out.push(
      `| ${c.cell} | ${cellM(metricsOf(c, 'dense'))} | ${cellM(metricsOf(c, 'hybrid'))} | ${shown
        .map((f) => {
          const m = heldOutMetrics(f, c);
          return cellM(m) + (m.cov !== null ? `, cov ${f3(m.cov)}` : '');
        })
        .join(' | ')} |`,
    );
  out.push('');

  if (perQuery) {
    out.push('### Paired per-query change against the base, held-out members, pooled by style (mean and 95% bootstrap interval of (P@5 + P@10) / 2)\n');
    out.push('| family | short | keyword | long | sample |');
    out.push('| --- | --- | --- | --- | --- |');
    const pq = new Map(perQuery.map((c) => [c.cell, new Map(c.variants.map((v) => [v.name, v.perQuery]))]));
    for (const f of shown) {
      const row = ['short', 'keyword', 'long', 'sample'].map((style) => {
        const d: number[] = [];
        for (const c of cells.filter((x) => x.style === style)) {
          const a = pq.get(c.cell)!.get(loso.get(f)!.get(c.source)!)!;
          const b = pq.get(c.cell)!.get(baseOf(f))!;
          a.forEach((x, i) => d.push(x - b[i]!));
        }
        const r = bootstrap(d);
        return `${r.mean >= 0 ? '+' : ''}${r.mean.toFixed(3)} [${r.lo.toFixed(3)}, ${r.hi.toFixed(3)}]`;
      });
      out.push(`| ${f} | ${row.join(' | ')} |`);
    }
    out.push('');
  }
  process.stdout.write(out.join('\n') + '\n');
}

main();
