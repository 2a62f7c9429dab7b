import { exactTruth, measureRecall, recallPlan } from '../../index-builder/recall';
import { buildHnsw } from '../../index-builder/publish-version';
import { VectorMatrix } from '../../index-builder/vector-matrix';
import { normalise } from '../../src/index/vectors';
import { prng } from '../helpers/synthetic';

const DIMS = 12;
const N = 600;

/** Random unit rows; every 7th row repeats an earlier one, so there are exact ties. */
function matrix(): VectorMatrix {
  const rand = prng(5);
  const data = new Float32Array(N * DIMS);
  for (let i = 0; i < N; i++) {
    const row = i % 7 === 6 ? data.slice((i - 3) * DIMS, (i - 2) * DIMS) : normalise(Float32Array.from({ length: DIMS }, () => rand() - 0.5))!;
    data.set(row, i * DIMS);
  }
  return new VectorMatrix(DIMS, data);
}

describe('recall check', () => {
  const m = matrix();
  const opts = { k: 10, sampleSize: 120, seed: 3 };

  it('exactTruth (one pass over the rows) answers like VectorMatrix.search per query, ties included', () => {
    const plan = recallPlan(m.count, opts);
    expect(plan.labels).toHaveLength(120);
    const perQuery = plan.labels.map((label) =>
      m
        .search(m.row(label), plan.k + 1)
        .filter((h) => h.label !== label)
        .slice(0, plan.k)
        .map((h) => h.label),
    );
    expect(exactTruth(m, plan).neighbours).toEqual(perQuery);
  });

  it('measures the same recall with precomputed truth, and refuses truth for another sample', async () => {
    const ann = await buildHnsw(m, { m: 4, efConstruction: 8, efSearch: 10, randomSeed: 1 }, 1);
    const truth = exactTruth(m, recallPlan(m.count, opts));
    // Without truth, the index's own exact search gives it: the same answers but for how exact ties
    // (the repeated rows) are ordered, so the recall can differ by a tie or two in 1,200 neighbours.
    const direct = await measureRecall(ann, m, { ...opts, ef: 10 });
    expect(direct.value).toBeLessThan(1); // a weak index: the comparison is not trivially 1
    const given = await measureRecall(ann, m, { ...opts, ef: 10 }, truth);
    expect({ ...given, value: 0 }).toEqual({ ...direct, value: 0 });
    expect(Math.abs(given.value - direct.value)).toBeLessThanOrEqual(3 / 1200);
    const other = exactTruth(m, recallPlan(m.count, { ...opts, seed: 4 }));
    await expect(measureRecall(ann, m, { ...opts, ef: 10 }, other)).rejects.toThrow('another sample');
    await ann.close();
  });

  it('without ties, the index\'s exact search and exactTruth give the same recall', async () => {
    const rand = prng(11);
    const data = new Float32Array(N * DIMS);
    for (let i = 0; i < N; i++) data.set(normalise(Float32Array.from({ length: DIMS }, () => rand() - 0.5))!, i * DIMS);
    const distinct = new VectorMatrix(DIMS, data);
    const ann = await buildHnsw(distinct, { m: 4, efConstruction: 8, efSearch: 10, randomSeed: 1 }, 1);
    const truth = exactTruth(distinct, recallPlan(distinct.count, opts));
    expect(await measureRecall(ann, distinct, { ...opts, ef: 10 })).toEqual(await measureRecall(ann, distinct, { ...opts, ef: 10 }, truth));
    await ann.close();
  });

  it('has nothing to measure below two rows', () => {
    expect(recallPlan(1, opts)).toEqual({ k: 0, labels: [] });
  });
});
