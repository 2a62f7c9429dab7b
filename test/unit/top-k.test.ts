import fc from 'fast-check';
import { TopK } from '../../src/index/top-k';
import { VectorMatrix } from '../../index-builder/vector-matrix';
import { normalise, normalisedMean } from '../../src/index/vectors';

describe('TopK', () => {
  it('keeps the k largest scores, best first, like a full sort', () => {
    fc.assert(
      fc.property(fc.array(fc.float({ noNaN: true, min: -1, max: 1 }), { maxLength: 200 }), fc.integer({ min: 0, max: 50 }), (scores, k) => {
        const top = new TopK(k);
        scores.forEach((s, i) => top.push(i, s));
        const expected = scores
          .map((score, label) => ({ label, score: Math.fround(score) }))
          .sort((a, b) => b.score - a.score || a.label - b.label)
          .slice(0, k)
          .map((h) => h.score);
        expect(top.sorted().map((h) => h.score)).toEqual(expected);
      }),
    );
  });
});

describe('VectorMatrix', () => {
  const m = new VectorMatrix(2, Float32Array.from([1, 0, 0, 1, Math.SQRT1_2, Math.SQRT1_2, -1, 0]));

  it('searches exactly over all rows', () => {
    const q = Float32Array.from([1, 0]);
    expect(m.search(q, 2).map((h) => h.label)).toEqual([0, 2]);
    expect(m.search(q, 5).map((h) => h.label)).toEqual([0, 2, 1, 3]);
  });

  it('normalisedMean builds a normalised (weighted) mean and refuses a zero mean', () => {
    const mean = normalisedMean([m.row(0), m.row(1)], 2)!;
    expect(mean[0]).toBeCloseTo(Math.SQRT1_2, 6);
    expect(mean[1]).toBeCloseTo(Math.SQRT1_2, 6);
    const weighted = normalisedMean([m.row(0), m.row(1)], 2, [3, 1])!;
    expect(weighted[0]! > weighted[1]!).toBe(true);
    expect(normalisedMean([m.row(0), m.row(3)], 2)).toBeUndefined();
  });

  it('normalise rejects zero and non-finite vectors', () => {
    expect(normalise(new Float32Array(3))).toBeUndefined();
    expect(normalise(Float32Array.from([Infinity, 1]))).toBeUndefined();
    expect(Array.from(normalise(Float32Array.from([3, 4]))!)).toEqual([Math.fround(0.6), Math.fround(0.8)]);
  });
});
