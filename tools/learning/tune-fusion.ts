/**
 * The fusion half of `npm run train`: where the base version serves hybrid retrieval, the fusion
 * settings are chosen with the new adapter on the validation split (never the test split the gate
 * judges on), through the served path (`sweepFusion`, the same code as `npm run eval --
 * --sweep-fusion`). A small grid around what matters (lexical weight, feedback, centroid
 * smoothing); the base version's own setting is always a candidate and stays unless another beats
 * it by the gate's minimum improvement, so training never moves the fusion on noise.
 */
import { loadIndexVersion } from '../../src/index/loaded-index';
import type { FusionParams, Manifest } from '../../src/index/manifest';
import type { QueryAdapter } from '../../src/index/query-adapter';
import { DEFAULT_FUSION } from '../../src/match/fusion-defaults';
import type { Fan, GradedJudgments } from '../eval/fans';
import { sweepFusion, type SweepObjective } from '../eval/sweep';
import type { GateMetric } from './gate';

export interface FusionTuning {
  /** Whether the chosen setting differs from the base version's. */
  changed: boolean;
  objective: SweepObjective;
  /** Validation fans with a text query that the sweep evaluated. */
  fans: number;
  settings: number;
  base: { fusion: FusionParams; value: number };
  best: { fusion: FusionParams; value: number };
  /** What the new version records: the best, or the base setting when the best does not beat it by minImprovement. */
  chosen: FusionParams;
}

/** 3 lexical weights x feedback off / on x smoothing off / on, at the base setting's RRF k: 12 settings. */
export function trainingFusionGrid(base: FusionParams): FusionParams[] {
  const out: FusionParams[] = [];
  for (const wLex of [0.1, 0.3, 0.5])
    for (const [feedbackM, feedbackBeta] of [
      [0, 0],
      [2, 2],
    ] as const)
      for (const centroidGamma of [0, 0.75]) out.push({ ...base, wLex, feedbackM, feedbackBeta, centroidGamma });
  return out;
}

export interface TuneFusionOptions {
  indexDir: string;
  version: string;
  /** The adapter just trained, and the query kinds it applies to. */
  adapter: QueryAdapter;
  appliesTo: ReadonlyArray<'text' | 'like'>;
  fans: readonly Fan[];
  judgments: GradedJudgments;
  /** Rank each validation fan's logged exposures (evaluateIndex `logged`), as the gate does. */
  logged?: ReadonlyMap<string, ReadonlySet<string>> | undefined;
  k: number;
  metric: GateMetric;
  minImprovement: number;
  modelsDir?: string | undefined;
  onProgress?: (done: number, total: number) => void;
}

/** Undefined when the base version does not serve hybrid text queries (no lexical index, no model, or another default mode) or no validation fan has a text query. */
export async function tuneFusion(o: TuneFusionOptions): Promise<FusionTuning | undefined> {
  const index = await loadIndexVersion(o.indexDir, o.version);
  try {
    const retrieval: Manifest['retrieval'] = index.manifest.retrieval;
    if (!index.lexical || !index.manifest.model || retrieval?.default !== 'hybrid') return undefined;
    // Fusion is what text queries get (liked-creators queries are dense unless asked otherwise).
    const fans = o.fans.filter((f) => f.text !== undefined);
    if (fans.length === 0) return undefined;
    const base = retrieval.fusion ?? DEFAULT_FUSION;
    const objective: SweepObjective = o.metric === 'precision' ? 'precision' : 'ndcg';
    const report = await sweepFusion(index, fans, {
      k: o.k,
      queryMode: 'text',
      objective,
      judgments: o.judgments,
      ...(o.logged ? { logged: o.logged } : {}),
      grid: trainingFusionGrid(base),
      adapter: o.appliesTo.includes('text') ? o.adapter : null,
      ...(o.modelsDir ? { modelsDir: o.modelsDir } : {}),
      ...(o.onProgress ? { onProgress: o.onProgress } : {}),
    });
    const changed = report.best.value >= report.current.value + o.minImprovement;
    return {
      changed,
      objective,
      fans: report.fans,
      settings: report.rows.length,
      base: { fusion: report.current.fusion, value: report.current.value },
      best: { fusion: report.best.fusion, value: report.best.value },
      chosen: changed ? report.best.fusion : report.current.fusion,
    };
  } finally {
    await index.hnsw.close();
  }
}
