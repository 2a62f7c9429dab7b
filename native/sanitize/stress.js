// Stress driver for a sanitizer build of the addon (see run.sh):
//   node stress.js <path/to/hnsw_native.node> [seconds]
// 1. a sequential phase checked against a model (brute force over the live points);
// 2. a concurrent phase: searches, vectors, inserts, upserts, markDeletes, resizes, saves, loads
//    and closes racing each other on several objects, on a large thread pool;
// 3. hostile loads: random corruptions of a saved file, FIFOs, devices, directories;
// 4. worker threads terminated while their indexes have work in flight.
// Exits non-zero on a wrong answer or an unexpected error; the sanitizer aborts on a report.
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { Worker } = require('node:worker_threads');

const [addonPath, secondsArg] = process.argv.slice(2);
const { NativeHnsw } = require(path.resolve(addonPath));
const SECONDS = Number(secondsArg ?? 20);
const DIMS = 16;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hnsw-stress-'));

let seed = 12345;
function rand() {
  seed = (seed + 0x6d2b79f5) >>> 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const int = (n) => Math.floor(rand() * n);
function vectors(n) {
  const out = new Float32Array(n * DIMS);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let d = 0; d < DIMS; d++) s += (out[i * DIMS + d] = rand() - 0.5) ** 2;
    for (let d = 0; d < DIMS; d++) out[i * DIMS + d] /= Math.sqrt(s);
  }
  return out;
}
const labelsFrom = (from, n) => Uint32Array.from({ length: n }, (_, i) => from + i);

const failures = [];
function fail(what) {
  failures.push(what);
  console.error(`FAIL: ${what}`);
}

// Errors an operation may legitimately meet when it races others.
const expected = /is not in the index|is already deleted|appears more than once|is already in the index|is below the|index is closed|index is empty|still loading|already has a graph|cannot load|cannot save/;
function tolerate(promise, what) {
  return promise.catch((err) => {
    if (!expected.test(err.message)) fail(`${what}: unexpected ${err.name}: ${err.message}`);
  });
}

async function sequential() {
  const index = new NativeHnsw(DIMS);
  index.create({ capacity: 50, m: 8, efConstruction: 40, seed: 3 });
  const model = new Map(); // label -> vector
  let next = 0;
  for (let round = 0; round < 60; round++) {
    const op = int(4);
    if (op === 0) {
      const n = 1 + int(40);
      const v = vectors(n);
      await index.insert(v, labelsFrom(next, n), 1 + int(3));
      for (let i = 0; i < n; i++) model.set(next + i, v.slice(i * DIMS, (i + 1) * DIMS));
      next += n;
    } else if (op === 1 && model.size > 0) {
      const keys = [...model.keys()];
      const victims = [...new Set(Array.from({ length: 1 + int(5) }, () => keys[int(keys.length)]))];
      await index.markDelete(Uint32Array.from(victims));
      for (const l of victims) model.delete(l);
    } else if (op === 2) {
      const label = rand() < 0.5 && model.size > 0 ? [...model.keys()][int(model.size)] : next++;
      const v = vectors(1);
      await index.upsert(v, label);
      model.set(label, v);
    } else {
      await index.resize(index.count + int(20));
    }
    if (index.count - index.deleted !== model.size) fail(`sequential: ${index.count - index.deleted} live points, model has ${model.size}`);
    const q = vectors(1);
    const truth = [...model.entries()]
      .map(([l, v]) => [1 - v.reduce((s, x, d) => s + x * q[d], 0), l])
      .sort((a, b) => a[0] - b[0] || a[1] - b[1])
      .slice(0, 10)
      .map((e) => e[1]);
    const got = Array.from((await index.search(q, 10, 0, { exact: true })).labels);
    if (got.join() !== truth.join()) fail(`sequential: exact search ${got} != model ${truth}`);
  }
  const file = path.join(dir, 'sequential.hnsw');
  await index.save(file);
  const again = new NativeHnsw(DIMS);
  await again.load(file);
  if (again.count !== index.count || again.deleted !== index.deleted) fail('sequential: save/load changed the counts');
  await Promise.all([index.close(), again.close()]);
}

async function concurrent() {
  const deadline = Date.now() + SECONDS * 1000;
  const file = path.join(dir, 'concurrent.hnsw');
  let generation = 0;
  while (Date.now() < deadline) {
    generation++;
    const index = new NativeHnsw(DIMS);
    index.create({ capacity: 100, m: 8, efConstruction: 32, seed: generation });
    await index.insert(vectors(1500), labelsFrom(0, 1500), 2);
    let next = 1500;
    const readers = [];
    const inflight = [];
    for (let i = 0; i < 400; i++) {
      const q = vectors(1);
      const op = int(12);
      let p;
      if (op < 4) {
        const opts = [undefined, { exact: true }, { bitset: Uint8Array.from({ length: 200 }, () => int(256)) }, { labels: Uint32Array.from({ length: 50 }, () => int(next + 10)) }][op];
        p = index.search(q, 1 + int(20), int(80), opts);
      } else if (op === 4) {
        const labels = Uint32Array.from({ length: 20 }, () => int(next + 10));
        p = index.vectors(labels);
        // The synchronous reads next to whatever is in flight: an answer, undefined (an update holds the lock) or a closed index.
        try {
          index.distancesNow(q, labels);
          index.vectorsNow(labels);
        } catch (err) {
          if (!/index is closed/.test(err.message)) throw err;
        }
      } else if (op === 5) {
        const n = 1 + int(60);
        p = index.insert(vectors(n), labelsFrom(next, n), 1 + int(3));
        next += n;
      } else if (op === 6) {
        p = index.upsert(q, rand() < 0.5 ? int(next) : next++);
      } else if (op === 7) {
        p = index.markDelete(Uint32Array.from(new Set(Array.from({ length: 1 + int(4) }, () => int(next + 5)))));
      } else if (op === 8) {
        p = index.resize(Math.max(1, index.count + int(200) - 50));
      } else if (op === 9) {
        const target = `${file}.${generation}.${i}`;
        p = index.save(target).then(async () => {
          const copy = new NativeHnsw(DIMS);
          await copy.load(target);
          readers.push(copy);
          await copy.search(q, 5, 20);
          fs.unlinkSync(target);
        });
      } else if (op === 10 && readers.length > 0) {
        p = readers.pop().close();
      } else {
        p = index.search(q, 10, 32, { exact: rand() < 0.5, bitset: new Uint8Array(0) });
      }
      inflight.push(tolerate(p, `op ${op}`));
      if (inflight.length >= 24) await Promise.race(inflight.splice(0, 8));
      if (i === 300 && generation % 2 === 0) inflight.push(tolerate(index.close(), 'close mid-stream'));
    }
    inflight.push(tolerate(index.close(), 'close'));
    await Promise.all(inflight);
    await Promise.all(readers.map((r) => r.close()));
    if (!index.closed || index.count !== 0) fail('closed index still reports a graph');
  }
  console.log(`concurrent: ${generation} generations`);
}

async function hostileLoads() {
  const index = new NativeHnsw(DIMS);
  index.create({ capacity: 400, m: 6, efConstruction: 20, seed: 9 });
  await index.insert(vectors(400), labelsFrom(0, 400), 2);
  await index.markDelete(Uint32Array.of(1, 2, 3));
  const file = path.join(dir, 'valid.hnsw');
  await index.save(file);
  await index.close();
  const valid = fs.readFileSync(file);
  const bad = path.join(dir, 'bad.hnsw');
  let loaded = 0;
  for (let i = 0; i < 600; i++) {
    let bytes = Buffer.from(valid);
    for (let m = 1 + int(3); m > 0; m--) {
      const kind = int(4);
      const at = rand() < 0.3 ? int(96) : int(bytes.length || 1);
      if (kind === 0) bytes[at] ^= 1 << int(8);
      else if (kind === 1) bytes = bytes.subarray(0, at);
      else if (kind === 2) for (let j = 0; j < 8 && at + j < bytes.length; j++) bytes[at + j] = int(256);
      else bytes = Buffer.concat([bytes, Buffer.alloc(1 + int(40), int(256))]);
    }
    fs.writeFileSync(bad, bytes);
    const probe = new NativeHnsw(DIMS);
    try {
      await probe.load(bad);
      loaded++;
      const q = vectors(1);
      await Promise.all([probe.search(q, 10, 40), probe.search(q, 10, 0, { exact: true }), probe.vectors(labelsFrom(0, 10)), probe.upsert(q, 7)]);
    } catch (err) {
      if (!/^cannot load /.test(err.message)) fail(`hostile load: unexpected ${err.name}: ${err.message}`);
    } finally {
      await probe.close();
    }
  }
  const fifo = path.join(dir, 'fifo');
  execFileSync('mkfifo', [fifo]);
  for (const f of [fifo, '/dev/zero', '/dev/urandom', dir, path.join(dir, 'missing')]) {
    const probe = new NativeHnsw(DIMS);
    await probe.load(f).then(
      () => fail(`hostile load: ${f} loaded`),
      (err) => /^cannot load /.test(err.message) || fail(`hostile load: ${f}: ${err.message}`),
    );
  }
  console.log(`hostile loads: 600 corrupted files (${loaded} still valid), 5 special files`);
}

async function terminatedWorkers() {
  const code = `
    const { workerData, parentPort } = require('node:worker_threads');
    const { NativeHnsw } = require(workerData.addon);
    const index = new NativeHnsw(16);
    index.create({ capacity: 10, m: 8, efConstruction: 64, seed: workerData.seed });
    const n = 3000;
    const data = new Float32Array(n * 16).map((_, i) => Math.sin(i * workerData.seed));
    index.insert(data, Uint32Array.from({ length: n }, (_, i) => i), 2);
    for (let i = 0; i < 30; i++) index.search(data.subarray(0, 16), 5, 20, { exact: i % 2 === 0 }).catch(() => {});
    index.save(workerData.file).catch(() => {});
    if (workerData.seed % 2) index.close();
    parentPort.postMessage('busy');
  `;
  for (let i = 1; i <= 6; i++) {
    const worker = new Worker(code, { eval: true, workerData: { addon: path.resolve(addonPath), seed: i, file: path.join(dir, `worker-${i}.hnsw`) } });
    await new Promise((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    await new Promise((resolve) => setTimeout(resolve, int(200)));
    await worker.terminate();
  }
  console.log('terminated workers: 6, with work in flight');
}

(async () => {
  const started = Date.now();
  await sequential();
  console.log('sequential: ok');
  await concurrent();
  await hostileLoads();
  await terminatedWorkers();
  fs.rmSync(dir, { recursive: true, force: true });
  console.log(`stress: ${failures.length} failures in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  process.exit(failures.length === 0 ? 0 : 1);
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
