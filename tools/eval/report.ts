import { METRIC_NAMES, type MetricName } from './metrics';
import type { EvalReport, SystemName, SystemReport } from './evaluate';

const LABELS: Record<MetricName, string> = { precision: 'P', recall: 'R', ndcg: 'NDCG', mrr: 'MRR' };
const SYSTEM_ORDER: SystemName[] = ['model', 'lexical', 'hybrid', 'default', 'model_reranked', 'exact', 'bm25'];

function systemRows(systems: Partial<Record<SystemName, SystemReport>>, k: number, indent = ''): string[] {
  const header = `${indent}${'system'.padEnd(16)}${METRIC_NAMES.map((m) => `${LABELS[m]}${m === 'mrr' ? '' : `@${k}`}`.padStart(10)).join('')}${`P@${Math.min(5, k)}`.padStart(10)}${'cats'.padStart(7)}${'fans'.padStart(7)}`;
  const rows = SYSTEM_ORDER.flatMap((name) => {
    const s = systems[name];
    return s ? [`${indent}${name.padEnd(16)}${METRIC_NAMES.map((m) => s[m].toFixed(4).padStart(10)).join('')}${s.p5.toFixed(4).padStart(10)}${s.categories.toFixed(2).padStart(7)}${String(s.fans).padStart(7)}`] : [];
  });
  return [header, ...rows];
}

/** One line on what the modes are and which one is served. */
function retrievalLine(r: EvalReport): string {
  const served = r.retrieval.default;
  const fusion = r.retrieval.fusion;
  const f = fusion
    ? `hybrid = ${fusion.method}${fusion.method === 'rrf' ? ` k ${fusion.rrfK}` : ''}, lexical weight ${fusion.wLex}, feedback m ${fusion.feedbackM} beta ${fusion.feedbackBeta}` +
      (fusion.voteGamma > 0 ? `, category vote ${fusion.voteGamma}/${fusion.voteM}` : '') +
      ((fusion.centroidGamma ?? 0) > 0 ? `, centroid smoothing ${fusion.centroidGamma}` : '') +
      (r.retrieval.chosenBy ? ` (chosen by: ${r.retrieval.chosenBy})` : '')
    : 'no lexical index in this version: lexical and hybrid are not served; bm25 is built for the evaluation';
  return `modes: model = dense, default = ${served === 'dense' ? 'model' : served} for text queries (what a request without a mode gets; follows and vector queries: dense); ${f}`;
}

/** The human-readable table `npm run eval` prints. */
export function formatReport(r: EvalReport): string {
  const lines = [
    `index ${r.index.version} (${r.index.count} creators, model ${r.index.modelId ?? 'none'}), k=${r.k}, query=${r.queryMode}` +
      (r.rerank ? `, reranked: diversity=${r.rerank.diversity} max_per_category=${r.rerank.maxPerCategory}` : ''),
    `fans: ${r.fans.evaluated} evaluated of ${r.fans.total}${r.fans.skipped.length ? ` (${r.fans.skipped.length} skipped)` : ''}`,
    '',
    ...systemRows(r.systems, r.k),
    retrievalLine(r),
    '',
    `ANN recall@${r.k} vs exact: ${r.annRecall.toFixed(4)}   strategies: ${Object.entries(r.strategies).map(([s, n]) => `${s}=${n}`).join(' ')}`,
  ];
  const bm25 = r.systems.bm25;
  for (const name of ['model', 'hybrid'] as const) {
    const s = r.systems[name];
    if (!s || !bm25) continue;
    const d = s.ndcg - bm25.ndcg;
    const dp = s.precision - bm25.precision;
    lines.push(`${name} vs bm25: NDCG@${r.k} ${d >= 0 ? '+' : ''}${d.toFixed(4)} (${bm25.ndcg > 0 ? `${((d / bm25.ndcg) * 100).toFixed(1)}%` : 'n/a'}), P@${r.k} ${dp >= 0 ? '+' : ''}${dp.toFixed(4)}`);
  }
  if (r.bm25Text === 'profile-without-about') lines.push('note: BM25 documents lack the `about` text (pass --creators FILE for the full profile text)');
  lines.push('', 'per language:');
  for (const [language, l] of Object.entries(r.perLanguage)) {
    lines.push(`  ${language} (${l.fans} fans, ANN recall ${l.annRecall.toFixed(4)})`, ...systemRows(l.systems, r.k, '    '));
  }
  for (const s of r.fans.skipped.slice(0, 10)) lines.push(`skipped ${s.fanId}: ${s.reason}`);
  return lines.join('\n');
}

/** The JSON form (per-fan rows only when asked: they are large). */
export function reportJson(r: EvalReport, perFan = false): unknown {
  return perFan ? r : { ...r, perFan: undefined };
}

export interface Regression {
  metric: MetricName | 'annRecall';
  baseline: number;
  candidate: number;
  drop: number;
}

export interface GateResult {
  ok: boolean;
  /** The system compared: the served default mode ('default'), or 'model' for reports without one. */
  system: SystemName;
  maxRegression: number;
  regressions: Regression[];
  deltas: Record<string, { baseline: number; candidate: number; delta: number }>;
}

/**
 * Release gate: the metrics of what each version serves (its default retrieval mode: the candidate's
 * against the baseline's, which may differ) and ANN recall must not drop more than
 * `maxRegression` (absolute, e.g. 0.01 = one point of NDCG) below the baseline's. Both reports
 * must come from the same fans file and k. Reports without a `default` system compare `model`.
 */
export function compareReports(baseline: EvalReport, candidate: EvalReport, maxRegression: number): GateResult {
  if (baseline.k !== candidate.k) throw new Error(`cannot compare evaluations at k=${baseline.k} and k=${candidate.k}`);
  const system: SystemName = baseline.systems.default && candidate.systems.default ? 'default' : 'model';
  const b = baseline.systems[system];
  const c = candidate.systems[system];
  if (!b || !c) throw new Error('both evaluations need the served (default) or the model system');
  const pairs: Array<[Regression['metric'], number, number]> = [...METRIC_NAMES.map((m): [MetricName, number, number] => [m, b[m], c[m]]), ['annRecall', baseline.annRecall, candidate.annRecall]];
  const deltas: GateResult['deltas'] = {};
  const regressions: Regression[] = [];
  for (const [metric, bv, cv] of pairs) {
    deltas[metric] = { baseline: bv, candidate: cv, delta: cv - bv };
    if (bv - cv > maxRegression + 1e-9) regressions.push({ metric, baseline: bv, candidate: cv, drop: bv - cv });
  }
  return { ok: regressions.length === 0, system, maxRegression, regressions, deltas };
}

export function formatGate(g: GateResult, k: number): string {
  const name = (m: string): string => (m === 'annRecall' ? `ANN recall@${k}` : m === 'mrr' ? 'MRR' : `${LABELS[m as MetricName]}@${k}`);
  return Object.entries(g.deltas)
    .map(([m, d]) => `${name(m).padEnd(14)} ${d.baseline.toFixed(4)} -> ${d.candidate.toFixed(4)} (${d.delta >= 0 ? '+' : ''}${d.delta.toFixed(4)})`)
    .join('\n');
}
