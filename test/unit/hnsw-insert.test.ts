import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { HnswIndex } from '../../src/index/hnsw-index';
import { buildHnsw } from '../../index-builder/publish-version';
import { VectorMatrix } from '../../index-builder/vector-matrix';
import { syntheticCreators } from '../helpers/synthetic';

// The builder inserts rows as they are parsed into an index created with a guessed capacity; after
// fit() it must save exactly the file that a build over the complete matrix saves (one thread).
const DIMS = 16;
const creators = syntheticCreators(500, DIMS, 9);
const matrix = new VectorMatrix(DIMS, Float32Array.from(creators.flatMap((c) => c.vector)));
const params = { m: 8, efConstruction: 40, efSearch: 20, randomSeed: 100 };

let dir: string;
beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'creator-match-hnsw-'));
});
afterAll(() => fs.rm(dir, { recursive: true, force: true }));

async function saved(index: HnswIndex, name: string): Promise<Buffer> {
  await index.save(path.join(dir, name));
  return fs.readFile(path.join(dir, name));
}

describe('HnswIndex.create / insert / fit', () => {
  it.each([10, 500, 2000])('with a first capacity of %i saves the same bytes as buildHnsw() on one thread', async (capacity) => {
    const whole = await buildHnsw(matrix, params, 1);
    await whole.fit();
    const built = await saved(whole, 'built.hnsw');
    const index = HnswIndex.create(DIMS, params, capacity);
    // Rows arrive in chunks, as from the parse worker.
    for (let start = 0; start < matrix.count; start += 64) {
      const end = Math.min(matrix.count, start + 64);
      await index.insert(matrix.data.subarray(start * DIMS, end * DIMS), Uint32Array.from({ length: end - start }, (_, i) => start + i), 1);
    }
    expect(index.size).toBe(matrix.count);
    const unfitted = await saved(index, `unfitted-${capacity}.hnsw`);
    if (capacity !== matrix.count) expect(unfitted.equals(built)).toBe(false); // max_elements is in the file
    await index.fit();
    expect((await saved(index, `fitted-${capacity}.hnsw`)).equals(built)).toBe(true);
    await Promise.all([index.close(), whole.close()]);
  });
});
