import fc from 'fast-check';
import { topHits } from '../../src/lexical/top-hits';

describe('topHits', () => {
  it('is the first k of all candidates sorted by score, ties by smaller label', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 0, max: 499 }), { maxLength: 400 }), fc.array(fc.integer({ min: 0, max: 6 }), { minLength: 500, maxLength: 500 }), fc.integer({ min: 0, max: 450 }), (labels, raw, k) => {
        const scores = Float64Array.from(raw, (v) => v / 3);
        const want = [...labels].sort((a, b) => scores[b]! - scores[a]! || a - b).slice(0, k).map((label) => ({ label, score: scores[label]! }));
        expect(topHits(Int32Array.from(labels), labels.length, scores, k)).toEqual(want);
      }),
    );
  });
});
