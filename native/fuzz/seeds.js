// node seeds.js <dir>: small valid 8-dimensional index files for the fuzzer's initial corpus.
'use strict';
const path = require('node:path');
const { NativeHnsw } = require(path.join(__dirname, '..', 'build', 'Release', 'hnsw_native.node'));

(async () => {
  const dir = process.argv[2];
  let seed = 1;
  const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 4294967296) - 0.5;
  for (const [n, m, deleted] of [[0, 2, 0], [1, 2, 0], [5, 3, 1], [60, 4, 3], [300, 6, 10]]) {
    const index = new NativeHnsw(8);
    index.create({ capacity: Math.max(n, 1), m, efConstruction: 16, seed: n });
    if (n > 0) await index.insert(Float32Array.from({ length: n * 8 }, rand), Uint32Array.from({ length: n }, (_, i) => i), 1);
    if (deleted > 0) await index.markDelete(Uint32Array.from({ length: deleted }, (_, i) => i * 2));
    await index.save(path.join(dir, `seed-${n}.hnsw`));
    await index.close();
  }
})();
