// node build.js data <file> <n> <dims>                       writes n clustered unit vectors
// node build.js ours <file> <n> <dims> <threads> <out>       builds them with the addon, saves
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { NativeHnsw } = require(path.join(__dirname, '..', 'build', 'Release', 'hnsw_native.node'));

const [mode, file, nArg, dimsArg, threadsArg, out] = process.argv.slice(2);
const n = Number(nArg);
const dims = Number(dimsArg);

if (mode === 'data') {
  let seed = 2024;
  const rand = () => {
    seed = (seed + 0x6d2b79f5) >>> 0;
    let t = seed;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const gauss = () => Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());
  const centres = Array.from({ length: 100 }, () => Float32Array.from({ length: dims }, gauss));
  const data = new Float32Array(n * dims);
  for (let i = 0; i < n; i++) {
    const c = centres[Math.floor(rand() * centres.length)];
    let s = 0;
    for (let d = 0; d < dims; d++) s += (data[i * dims + d] = c[d] + 1.2 * gauss()) ** 2;
    const inv = 1 / Math.sqrt(s);
    for (let d = 0; d < dims; d++) data[i * dims + d] *= inv;
  }
  fs.writeFileSync(file, Buffer.from(data.buffer));
  console.log(`data: ${n} x ${dims} clustered unit vectors`);
} else {
  const buf = fs.readFileSync(file);
  const data = new Float32Array(buf.buffer, buf.byteOffset, n * dims);
  const threads = Number(threadsArg);
  const index = new NativeHnsw(dims);
  index.create({ capacity: n, m: 16, efConstruction: 200, seed: 100 });
  const labels = Uint32Array.from({ length: n }, (_, i) => i);
  const started = process.hrtime.bigint();
  index
    .insert(data, labels, threads)
    .then(async () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      console.log(`build ours        threads=${threads}: ${seconds.toFixed(1)} s (${Math.round(n / seconds)} points/s)`);
      await index.save(out);
      await index.close();
    })
    .catch((err) => {
      console.error(err);
      process.exit(1);
    });
}
