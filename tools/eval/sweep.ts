import { createEmbedder } from '../../src/embedding';
import type { LoadedIndex } from '../../src/index/loaded-index';
import type { FusionParams } from '../../src/index/manifest';
import { DEFAULT_FUSION } from '../../src/match/fusion-defaults';
import { prepareIfBundled } from '../model/prepare-default-model';
import { CachedEmbedder, evaluateIndex, type EvalOptions, type SystemMetrics } from './evaluate';
import type { Fan } from './fans';

/**
 * A sweep over hybrid fusion settings on one index version and one fans file, each setting
 * evaluated through the served path (Matcher, retrieval mode hybrid), the query embeddings
 * computed once. `npm run eval -- --sweep-fusion [--write FILE]`.
 *
 * A sweep tunes on the fans it is given: the best setting for one catalog and one set of fans is
 * not the best for others (the default came from leave-one-source-out choices on several public
 * sets, docs/RELEVANCE.md). Sweep on fans that look like production queries, and check the setting
 * on other fans before building with it.
 */

export type SweepObjective = 'ndcg' | 'precision' | 'p5' | 'mrr';

export interface SweepOptions extends Pick<EvalOptions, 'k' | 'queryMode' | 'modelsDir' | 'efSearch' | 'judgments' | 'adapter' | 'logged'> {
  objective?: SweepObjective;
  /** Settings to try (default: sweepGrid()). */
  grid?: readonly FusionParams[];
  onProgress?(done: number, total: number): void;
}

export interface SweepRow {
  fusion: FusionParams;
  value: number;
  metrics: SystemMetrics;
}

export interface SweepReport {
  version: string;
  k: number;
  objective: SweepObjective;
  fans: number;
  /** The version's own setting (or the default), evaluated the same way. */
  current: SweepRow;
  best: SweepRow;
  /** Every setting, best first. */
  rows: SweepRow[];
}

/**
 * The default grid: weighted RRF with k in {30, 60}, lexical weight 0.1-0.5, feedback off or
 * (m, beta) in {(2, 1), (2, 2), (5, 1)}, and category-centroid smoothing off or 0.5 / 0.75 / 1 (no
 * category vote: see docs/RELEVANCE.md). 2 x 5 x 4 x 4 = 160 settings.
 */
export function sweepGrid(base: FusionParams = DEFAULT_FUSION): FusionParams[] {
  const out: FusionParams[] = [];
  for (const rrfK of [30, 60])
    for (const wLex of [0.1, 0.2, 0.3, 0.4, 0.5])
      for (const [feedbackM, feedbackBeta] of [
        [0, 0],
        [2, 1],
        [2, 2],
        [5, 1],
      ] as const)
        for (const centroidGamma of [0, 0.5, 0.75, 1]) out.push({ ...base, method: 'rrf', rrfK, wLex, feedbackM, feedbackBeta, voteGamma: 0, voteM: 0, centroidGamma });
  return out;
}

const same = (a: FusionParams, b: FusionParams): boolean => JSON.stringify(Object.entries(a).sort()) === JSON.stringify(Object.entries(b).sort());

export async function sweepFusion(index: LoadedIndex, fans: readonly Fan[], opts: SweepOptions = {}): Promise<SweepReport> {
  if (!index.lexical) throw new Error(`index version ${index.version} has no lexical index: there is no hybrid fusion to sweep (rebuild it)`);
  const objective = opts.objective ?? 'ndcg';
  const k = opts.k ?? 10;
  const { manifest } = index;
  if (manifest.model) await prepareIfBundled(manifest.model.id, opts.modelsDir);
  const embedder = manifest.model ? new CachedEmbedder(createEmbedder({ model: manifest.model.id, dtype: manifest.model.dtype, ...(opts.modelsDir ? { modelsDir: opts.modelsDir } : {}) })) : undefined;
  const current = manifest.retrieval?.fusion ?? DEFAULT_FUSION;
  const grid = [...(opts.grid ?? sweepGrid())];
  if (!grid.some((g) => same(g, current))) grid.unshift(current);
  try {
    const rows: SweepRow[] = [];
    let evaluated = 0;
    for (const fusion of grid) {
      const r = await evaluateIndex(index, fans, {
        k,
        systems: ['hybrid'],
        fusion,
        ...(embedder ? { embedder } : {}),
        ...(opts.queryMode ? { queryMode: opts.queryMode } : {}),
        ...(opts.efSearch !== undefined ? { efSearch: opts.efSearch } : {}),
        ...(opts.judgments ? { judgments: opts.judgments } : {}),
        ...(opts.adapter !== undefined ? { adapter: opts.adapter } : {}),
        ...(opts.logged ? { logged: opts.logged } : {}),
      });
      evaluated = r.fans.evaluated;
      const metrics = r.systems.hybrid!;
      rows.push({ fusion, value: metrics[objective], metrics });
      opts.onProgress?.(rows.length, grid.length);
    }
    const currentRow = rows.find((r) => same(r.fusion, current))!;
    // Best first; on a tie the current setting first, so a tie never moves it.
    const isCurrent = (r: SweepRow): number => (same(r.fusion, current) ? 1 : 0);
    const sorted = [...rows].sort((a, b) => b.value - a.value || isCurrent(b) - isCurrent(a));
    return { version: index.version, k, objective, fans: evaluated, current: currentRow, best: sorted[0]!, rows: sorted };
  } finally {
    await embedder?.dispose();
  }
}

/** One line per setting, for the table the CLI prints. */
export function describeFusion(f: FusionParams): string {
  const parts = [`${f.method}${f.method === 'rrf' ? ` k${f.rrfK}` : ''}`, `wLex ${f.wLex}`, f.feedbackM > 0 && f.feedbackBeta > 0 ? `feedback m${f.feedbackM} b${f.feedbackBeta}` : 'no feedback'];
  if (f.voteGamma > 0) parts.push(`vote ${f.voteGamma}/${f.voteM}`);
  if ((f.centroidGamma ?? 0) > 0) parts.push(`centroid ${f.centroidGamma}`);
  return parts.join(', ');
}
