/**
 * The release gate of a trained version: evaluate it and the version it would replace on the same
 * held-out fans (`npm run eval`'s evaluateIndex: the served path, adapters applied), then publish
 * only if the candidate is better by a margin and nothing regressed:
 *
 * 1. the primary metric (NDCG@k by default) rises by at least `minImprovement` (absolute);
 * 2. with `confidence` > 0, the lower end of the paired bootstrap interval of that rise (fans
 *    resampled with replacement, seeded) is above 0, so a rise that small held-out sets give by
 *    chance does not pass;
 * 3. no served-model metric (P, R, NDCG, MRR @k, ANN recall) drops by more than `maxRegression`
 *    (the builder's rule, compareReports).
 */
import type { Embedder } from '../../src/embedding';
import { createEmbedder } from '../../src/embedding';
import { loadIndexVersion } from '../../src/index/loaded-index';
import { mulberry32 } from '../../src/util/mulberry32';
import { evaluateIndex, LOGGED_DEPTH, type EvalReport } from '../eval/evaluate';
import type { Fan, GradedJudgments } from '../eval/fans';
import { compareReports, type GateResult } from '../eval/report';
import { prepareIfBundled } from '../model/prepare-default-model';

export type GateMetric = 'ndcg' | 'precision';

export interface GateOptions {
  fans: readonly Fan[];
  /** Graded judgments; without them the fans' expected_categories / relevant_creator_ids judge. */
  judgments?: GradedJudgments;
  k: number;
  metric: GateMetric;
  minImprovement: number;
  maxRegression: number;
  /** Two-sided level of the bootstrap interval of the rise (0: no significance check). */
  confidence: number;
  bootstrap: number;
  seed: number;
  modelsDir?: string;
  /** Rank each fan's logged exposures only (evaluateIndex `logged`): the engagement gate's default. */
  logged?: ReadonlyMap<string, ReadonlySet<string>>;
}

export const DEFAULT_GATE: Omit<GateOptions, 'fans'> = { k: 10, metric: 'ndcg', minImprovement: 0.005, maxRegression: 0.01, confidence: 0.95, bootstrap: 2000, seed: 7 };

export interface VersionRef {
  indexDir: string;
  version: string;
}

export interface GateDecision {
  ok: boolean;
  /** Why it was refused (empty when ok). */
  reasons: string[];
  metric: GateMetric;
  k: number;
  baseline: VersionRef;
  candidate: VersionRef;
  /** Fans both versions evaluated (paired). */
  fans: number;
  rise: { delta: number; low: number; high: number; confidence: number };
  regressions: GateResult;
  baselineReport: EvalReport;
  candidateReport: EvalReport;
}

/** Evaluates one version on fans (its own adapter applied). */
export async function evaluateVersion(
  ref: VersionRef,
  fans: readonly Fan[],
  opts: { k: number; judgments?: GradedJudgments; embedder?: Embedder; modelsDir?: string; logged?: ReadonlyMap<string, ReadonlySet<string>> },
): Promise<EvalReport> {
  const index = await loadIndexVersion(ref.indexDir, ref.version);
  try {
    return await evaluateIndex(index, fans, {
      k: opts.k,
      ...(opts.judgments ? { judgments: opts.judgments } : {}),
      ...(opts.embedder ? { embedder: opts.embedder } : {}),
      ...(opts.modelsDir ? { modelsDir: opts.modelsDir } : {}),
      ...(opts.logged ? { logged: opts.logged } : {}),
    });
  } finally {
    await index.hnsw.close();
  }
}

/** Mean paired difference and its bootstrap percentile interval. */
export function pairedBootstrap(deltas: readonly number[], resamples: number, confidence: number, seed: number): { delta: number; low: number; high: number } {
  const n = deltas.length;
  if (n === 0) return { delta: 0, low: 0, high: 0 };
  const mean = deltas.reduce((a, b) => a + b, 0) / n;
  if (confidence <= 0 || resamples <= 0) return { delta: mean, low: mean, high: mean };
  const rand = mulberry32(seed >>> 0);
  const means = new Float64Array(resamples);
  for (let b = 0; b < resamples; b++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += deltas[Math.floor(rand() * n)]!;
    means[b] = s / n;
  }
  means.sort();
  const tail = (1 - confidence) / 2;
  const at = (q: number): number => means[Math.min(resamples - 1, Math.max(0, Math.floor(q * resamples)))]!;
  return { delta: mean, low: at(tail), high: at(1 - tail) };
}

export async function adapterGate(baseline: VersionRef, candidate: VersionRef, model: { id: string; dtype: 'fp32' | 'q8' } | null, opts: GateOptions): Promise<GateDecision> {
  // One embedder for both evaluations (the candidate is the baseline's model plus an adapter).
  let embedder: Embedder | undefined;
  if (model) {
    await prepareIfBundled(model.id, opts.modelsDir);
    embedder = createEmbedder({ model: model.id, dtype: model.dtype, ...(opts.modelsDir ? { modelsDir: opts.modelsDir } : {}) });
  }
  try {
    const common = {
      k: opts.k,
      ...(opts.judgments ? { judgments: opts.judgments } : {}),
      ...(embedder ? { embedder } : {}),
      ...(opts.modelsDir ? { modelsDir: opts.modelsDir } : {}),
      ...(opts.logged ? { logged: opts.logged } : {}),
    };
    const baselineReport = await evaluateVersion(baseline, opts.fans, common);
    const candidateReport = await evaluateVersion(candidate, opts.fans, common);
    const reasons: string[] = [];
    if (candidateReport.fans.evaluated === 0) throw new Error(`release gate: none of the ${opts.fans.length} held-out fans could be evaluated (${candidateReport.fans.skipped[0]?.reason ?? 'no fans'})`);
    const regressions = compareReports(baselineReport, candidateReport, opts.maxRegression);
    // The rise is measured on what each version serves (its default mode), as compareReports does.
    const system = regressions.system;
    const before = new Map(baselineReport.perFan.map((f) => [f.fanId, f.metrics[system]?.[opts.metric]]));
    const deltas: number[] = [];
    for (const f of candidateReport.perFan) {
      const b = before.get(f.fanId);
      const c = f.metrics[system]?.[opts.metric];
      if (b !== undefined && c !== undefined) deltas.push(c - b);
    }
    const ci = pairedBootstrap(deltas, opts.bootstrap, opts.confidence, opts.seed);
    const name = `${opts.metric === 'ndcg' ? 'NDCG' : 'P'}@${opts.k}`;
    if (ci.delta < opts.minImprovement - 1e-12) reasons.push(`${name} rose by ${signed(ci.delta)}, less than --min-improvement ${opts.minImprovement}`);
    if (opts.confidence > 0 && !(ci.low > 0)) {
      reasons.push(`the ${Math.round(opts.confidence * 100)}% bootstrap interval of the ${name} change, [${signed(ci.low)}, ${signed(ci.high)}] over ${deltas.length} fans, does not exclude 0`);
    }
    for (const r of regressions.regressions) reasons.push(`${r.metric} dropped ${r.baseline.toFixed(4)} -> ${r.candidate.toFixed(4)} (more than --max-regression ${opts.maxRegression})`);
    return {
      ok: reasons.length === 0,
      reasons,
      metric: opts.metric,
      k: opts.k,
      baseline,
      candidate,
      fans: deltas.length,
      rise: { ...ci, confidence: opts.confidence },
      regressions,
      baselineReport,
      candidateReport,
    };
  } finally {
    await embedder?.dispose();
  }
}

const signed = (x: number): string => `${x >= 0 ? '+' : ''}${x.toFixed(4)}`;

/** The figures table: baseline -> candidate per metric, then the decision. */
export function formatGate(d: GateDecision): string {
  const served = d.regressions.system === 'default' ? `served mode ${d.baselineReport.retrieval.default} -> ${d.candidateReport.retrieval.default}` : 'dense (model)';
  const judged = `${d.candidateReport.judgments}${d.candidateReport.logged ? `, each fan's logged exposures ranked (top ${LOGGED_DEPTH} kept to them)` : ''}`;
  const lines = [`release gate on ${d.fans} held-out fans (k=${d.k}, judgments: ${judged}, ${served}):`];
  for (const [m, v] of Object.entries(d.regressions.deltas)) {
    const label = m === 'annRecall' ? `ANN recall@${d.k}` : m === 'mrr' ? 'MRR' : `${{ precision: 'P', recall: 'R', ndcg: 'NDCG' }[m as 'precision']}@${d.k}`;
    lines.push(`  ${label.padEnd(14)} ${v.baseline.toFixed(4)} -> ${v.candidate.toFixed(4)}  (${signed(v.delta)})`);
  }
  const name = `${d.metric === 'ndcg' ? 'NDCG' : 'P'}@${d.k}`;
  lines.push(`  ${name} change ${signed(d.rise.delta)}${d.rise.confidence > 0 ? `, ${Math.round(d.rise.confidence * 100)}% interval [${signed(d.rise.low)}, ${signed(d.rise.high)}]` : ''}`);
  const langs = Object.keys(d.candidateReport.perLanguage);
  if (langs.length > 1) {
    for (const l of langs) {
      const b = d.baselineReport.perLanguage[l]?.systems[d.regressions.system]?.[d.metric];
      const c = d.candidateReport.perLanguage[l]?.systems[d.regressions.system]?.[d.metric];
      if (b !== undefined && c !== undefined) lines.push(`  ${name} ${l.padEnd(8)} ${b.toFixed(4)} -> ${c.toFixed(4)}  (${d.candidateReport.perLanguage[l]!.fans} fans)`);
    }
  }
  lines.push(d.ok ? `  passed: ${d.candidate.version} beats ${d.baseline.version}` : `  refused: ${d.reasons.join('; ')}`);
  return lines.join('\n');
}
