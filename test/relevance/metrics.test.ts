import { ndcgAt, overlapAt, precisionAt, rankingMetrics, recallAt, reciprocalRankAt, MeanAccumulator } from '../../tools/eval/metrics';
import { compareReports } from '../../tools/eval/report';
import type { EvalReport } from '../../tools/eval/evaluate';

const rel = (...ids: string[]) => new Map(ids.map((id) => [id, 1]));

describe('ranking metrics (hand-computed)', () => {
  const judgments = rel('a', 'c', 'x');
  const ranked = ['a', 'b', 'c', 'd'];

  it('precision@k divides by k, even for a short list', () => {
    expect(precisionAt(ranked, judgments, 4)).toBeCloseTo(0.5);
    expect(precisionAt(['a'], judgments, 4)).toBeCloseTo(0.25);
    expect(precisionAt(ranked, judgments, 0)).toBe(0);
  });

  it('recall@k divides by the number of relevant creators', () => {
    expect(recallAt(ranked, judgments, 4)).toBeCloseTo(2 / 3);
    expect(recallAt(ranked, judgments, 1)).toBeCloseTo(1 / 3);
    expect(recallAt(ranked, new Map(), 4)).toBe(0);
  });

  it('NDCG@k uses log2 discounts against the ideal order', () => {
    const dcg = 1 / Math.log2(2) + 1 / Math.log2(4);
    const idcg = 1 / Math.log2(2) + 1 / Math.log2(3) + 1 / Math.log2(4);
    expect(ndcgAt(ranked, judgments, 4)).toBeCloseTo(dcg / idcg);
    expect(ndcgAt(['a', 'c', 'x'], judgments, 3)).toBeCloseTo(1);
    expect(ndcgAt(['b', 'd'], judgments, 2)).toBe(0);
  });

  it('NDCG@k honours graded gains', () => {
    const graded = new Map([
      ['a', 1],
      ['b', 3],
    ]);
    expect(ndcgAt(['b', 'a'], graded, 2)).toBeCloseTo(1);
    expect(ndcgAt(['a', 'b'], graded, 2)).toBeCloseTo((1 + 3 / Math.log2(3)) / (3 + 1 / Math.log2(3)));
  });

  it('MRR is 1/rank of the first relevant result within k', () => {
    expect(reciprocalRankAt(['b', 'd', 'c'], judgments, 3)).toBeCloseTo(1 / 3);
    expect(reciprocalRankAt(['b', 'd', 'c'], judgments, 2)).toBe(0);
    expect(rankingMetrics(ranked, judgments, 4).mrr).toBe(1);
  });

  it('ANN overlap counts the exact top k that were found', () => {
    expect(overlapAt(['a', 'b', 'z'], ['a', 'b', 'c'], 3)).toBeCloseTo(2 / 3);
    expect(overlapAt([], [], 3)).toBe(1);
  });

  it('MeanAccumulator averages records', () => {
    const acc = new MeanAccumulator<'x' | 'y'>();
    acc.add({ x: 1, y: 0 });
    acc.add({ x: 0, y: 0.5 });
    expect(acc.mean()).toEqual({ x: 0.5, y: 0.25 });
  });
});

describe('release gate comparison', () => {
  const report = (ndcg: number, annRecall = 1): EvalReport =>
    ({ k: 10, annRecall, systems: { model: { precision: 0.8, recall: 0.1, ndcg, mrr: 0.9, categories: 2, fans: 10 } } }) as unknown as EvalReport;

  it('passes within the allowed drop and fails beyond it, naming the metric', () => {
    expect(compareReports(report(0.8), report(0.795), 0.01).ok).toBe(true);
    expect(compareReports(report(0.8), report(0.9), 0.01).ok).toBe(true);
    const failed = compareReports(report(0.8), report(0.7), 0.01);
    expect(failed.ok).toBe(false);
    expect(failed.regressions.map((r) => r.metric)).toEqual(['ndcg']);
    expect(failed.regressions[0]!.drop).toBeCloseTo(0.1);
    expect(compareReports(report(0.8, 1), report(0.8, 0.9), 0.01).regressions.map((r) => r.metric)).toEqual(['annRecall']);
  });

  it('refuses to compare different k', () => {
    expect(() => compareReports(report(0.8), { ...report(0.8), k: 5 }, 0.01)).toThrow(/k=10 and k=5/);
  });
});
