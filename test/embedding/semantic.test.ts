/**
 * @jest-environment ./test/support/onnx-environment.js
 */
import { createEmbedder, type Embedder } from '../../src/embedding';
import { TRIPLETS } from './fixtures';
import { cosine } from './helpers';

/** Semantic sanity: for every (anchor, similar, dissimilar) triplet, sim(anchor, similar) > sim(anchor, dissimilar). */
describe.each(['q8', 'fp32'] as const)('semantic sanity of the bundled model (%s)', (dtype) => {
  let embedder: Embedder;

  beforeAll(async () => {
    embedder = createEmbedder({ dtype });
    await embedder.init();
  });
  afterAll(async () => {
    await embedder.dispose();
  });

  it('has 20+ triplets across domains', () => {
    expect(TRIPLETS.length).toBeGreaterThanOrEqual(20);
  });

  it('ranks the similar text above the dissimilar one for every triplet', async () => {
    const vectors = await embedder.embed(TRIPLETS.flat());
    const failures: string[] = [];
    const margins: number[] = [];
    TRIPLETS.forEach(([anchor, similar, dissimilar], t) => {
      const [a, s, d] = [vectors[3 * t]!, vectors[3 * t + 1]!, vectors[3 * t + 2]!];
      const margin = cosine(a, s) - cosine(a, d);
      margins.push(margin);
      if (margin <= 0) failures.push(`"${anchor}": "${similar}" ${cosine(a, s).toFixed(3)} <= "${dissimilar}" ${cosine(a, d).toFixed(3)}`);
    });
    expect(failures).toEqual([]);
    // A collapsed model (all vectors equal) would give margins ~0 everywhere.
    expect(Math.min(...margins)).toBeGreaterThan(0.05);
  });

  it('does not map unrelated texts onto each other', async () => {
    const [a, b] = await embedder.embed(['Baking sourdough bread at home', 'Quarterly corporate tax filing deadlines']);
    expect(cosine(a!, b!)).toBeLessThan(0.5);
  });
});
