import fc from 'fast-check';
import { bestPositions, fuseLists, rankPositions, topPositions } from '../../src/match/fusion';

// The pure fusion functions hybrid retrieval runs (src/match/fusion.ts).

/** The reference order: score descending, ties by position. */
const byComparator = (scores: readonly number[]): number[] => scores.map((_, i) => i).sort((a, b) => scores[b]! - scores[a]! || a - b);

/** Scores with many ties (a few distinct values), as RRF terms and smoothed cosines produce. */
const tiedScores = fc.array(fc.integer({ min: -3, max: 3 }).map((v) => v / 4), { maxLength: 300 });

describe('ranking positions', () => {
  it('rankPositions orders every position by score, ties by position (what Array#sort with the comparator gives)', () => {
    fc.assert(
      fc.property(fc.oneof(tiedScores, fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { maxLength: 300 })), (scores) => {
        expect(Array.from(rankPositions(scores))).toEqual(byComparator(scores));
      }),
    );
  });

  it('bestPositions and topPositions give the first k of that order, for small and large k', () => {
    fc.assert(
      fc.property(tiedScores, fc.integer({ min: 0, max: 320 }), (scores, k) => {
        const want = byComparator(scores).slice(0, k);
        expect(bestPositions(scores, k)).toEqual(want);
        if (k <= 40) expect(topPositions(scores, k)).toEqual(want);
      }),
    );
  });
});

describe('fuseLists', () => {
  const dense = [10, 11, 12, 13].map((label, i) => ({ label, score: 0.9 - i / 10 }));
  const lexical = [12, 20, 10].map((label, i) => ({ label, score: 5 - i }));
  const cos = (l: number): number => (l < 20 ? 0.9 - (l - 10) / 10 : 0.1);

  it('weighted RRF: (1 - w) / (k + dense rank) + w / (k + lexical rank), every pool member, with its ranks', () => {
    const w = 0.3;
    const got = fuseLists({ method: 'rrf', rrfK: 60 }, w, dense, lexical, cos);
    const term = (rank: number): number => (rank > 0 ? 1 / (60 + rank) : 0);
    const want = [
      { label: 10, denseRank: 1, lexicalRank: 3, lexicalScore: 3 },
      { label: 11, denseRank: 2, lexicalRank: 0, lexicalScore: 0 },
      { label: 12, denseRank: 3, lexicalRank: 1, lexicalScore: 5 },
      { label: 13, denseRank: 4, lexicalRank: 0, lexicalScore: 0 },
      { label: 20, denseRank: 0, lexicalRank: 2, lexicalScore: 4 },
    ]
      .map((c) => ({ ...c, fused: (1 - w) * term(c.denseRank) + w * term(c.lexicalRank) }))
      .sort((a, b) => b.fused - a.fused);
    expect(got.map((c) => c.label)).toEqual(want.map((c) => c.label));
    got.forEach((c, i) => expect(c).toEqual({ ...want[i]!, fused: expect.closeTo(want[i]!.fused, 12) }));
  });

  it('a limit returns the first members of the full ranking, for every method', () => {
    for (const method of ['rrf', 'minmax', 'zscore', 'dbsf'] as const) {
      const all = fuseLists({ method, rrfK: 60 }, 0.5, dense, lexical, cos);
      expect(all).toHaveLength(5);
      for (const limit of [0, 1, 2, 5, 9]) expect(fuseLists({ method, rrfK: 60 }, 0.5, dense, lexical, cos, limit)).toEqual(all.slice(0, limit));
    }
  });
});
