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
    const direct = await measureRecall(ann, m, { ...opts, ef: 10 });
    expect(direct.value).toBeLessThan(1); // a weak index: the comparison is not trivially 1
    expect(await measureRecall(ann, m, { ...opts, ef: 10 }, truth)).toEqual(direct);
    const other = exactTruth(m, recallPlan(m.count, { ...opts, seed: 4 }));
    await expect(measureRecall(ann, m, { ...opts, ef: 10 }, other)).rejects.toThrow('another sample');
    await ann.close();
  });

  it('has nothing to measure below two rows', () => {
    expect(recallPlan(1, opts)).toEqual({ k: 0, labels: [] });
  });
});
