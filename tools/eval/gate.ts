import { loadIndexVersion } from '../../src/index/loaded-index';
import { readCurrent } from '../../src/index/manifest';
import { evaluateIndex, type EvalReport } from './evaluate';
import { readFans } from './fans';
import { compareReports, formatGate, type GateResult } from './report';

export interface ReleaseGateOptions {
  /** Fans file with judgments (same format as `npm run eval`). */
  fans: string;
  /** Largest allowed absolute drop of any metric of the served mode (P, R, NDCG, MRR @k) or of ANN recall. */
  maxRegression: number;
  k?: number;
  /** Creator input of the candidate (BM25 text; not part of the decision). */
  candidateCreators?: string;
  modelsDir?: string;
}

export interface ReleaseGateReport {
  candidate: string;
  /** The version CURRENT named when the gate ran; null for a first publish (nothing to compare). */
  baseline: string | null;
  k: number;
  /** null when there was no baseline. */
  result: GateResult | null;
  ok: boolean;
  candidateReport: EvalReport;
  baselineReport: EvalReport | null;
  /** Human-readable summary (metric: baseline -> candidate). */
  summary: string;
}

/**
 * Evaluates the candidate version and the currently published one on the same fans and compares
 * the served model. Used by the builder before it switches CURRENT; reusable for any A/B pair.
 */
export async function runReleaseGate(indexDir: string, candidateVersion: string, opts: ReleaseGateOptions): Promise<ReleaseGateReport> {
  const fans = await readFans(opts.fans);
  const k = opts.k ?? 10;
  const baselineVersion = (await readCurrent(indexDir)) ?? null;
  const evaluate = async (version: string, creatorsFile?: string): Promise<EvalReport> => {
    const index = await loadIndexVersion(indexDir, version);
    try {
      // What each version serves (its default mode), plus dense and exact for ANN recall.
      return await evaluateIndex(index, fans, { k, systems: ['default', 'model', 'exact'], ...(creatorsFile ? { creatorsFile } : {}), ...(opts.modelsDir ? { modelsDir: opts.modelsDir } : {}) });
    } finally {
      await index.hnsw.close();
    }
  };
  const candidateReport = await evaluate(candidateVersion, opts.candidateCreators);
  if (candidateReport.fans.evaluated === 0) throw new Error(`release gate: none of the fans in ${opts.fans} could be evaluated on ${candidateVersion}`);
  if (baselineVersion === null || baselineVersion === candidateVersion) {
    const m = candidateReport.systems.default!;
    return {
      candidate: candidateVersion,
      baseline: null,
      k,
      result: null,
      ok: true,
      candidateReport,
      baselineReport: null,
      summary: `no published version to compare with; candidate (serves ${candidateReport.retrieval.default}) NDCG@${k} ${m.ndcg.toFixed(4)}, P@${k} ${m.precision.toFixed(4)}`,
    };
  }
  const baselineReport = await evaluate(baselineVersion);
  const result = compareReports(baselineReport, candidateReport, opts.maxRegression);
  const modes = `served mode: ${baselineReport.retrieval.default} (${baselineVersion}) -> ${candidateReport.retrieval.default} (${candidateVersion})`;
  return { candidate: candidateVersion, baseline: baselineVersion, k, result, ok: result.ok, candidateReport, baselineReport, summary: `${modes}\n${formatGate(result, k)}` };
}
