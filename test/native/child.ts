// Run by the tests in a separate node process (node --import tsx test/native/child.ts ...):
//   load <dims> <list-file>   loads every file named in list-file (one per line), prints one JSON
//                             result per file: { file, ok, name?, message?, count? }
//   save <file> <n> <dims>    builds n points and saves them, prints { ok, name?, message? }
//   worker                    terminates a worker thread while its index has work in flight,
//                             prints { ok: true } if this process survives it
import { readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { loadNativeBinding } from '../../src/index/native-binding';

const { NativeHnsw } = loadNativeBinding();

async function loadAll(dims: number, listFile: string): Promise<void> {
  const files = readFileSync(listFile, 'utf8').split('\n').filter(Boolean);
  const query = new Float32Array(dims).fill(1 / Math.sqrt(dims));
  for (const file of files) {
    const index = new NativeHnsw(dims);
    try {
      await index.load(file);
      // A file that loads must also serve: every search path reads the graph or the vectors.
      await index.search(query, 5, 32);
      await index.search(query, 5, 32, { exact: true });
      await index.search(query, 5, 32, { bitset: Uint8Array.of(0x55, 0xaa) });
      await index.vectors(Uint32Array.of(0, 1, 2));
      process.stdout.write(JSON.stringify({ file, ok: true, count: index.count }) + '\n');
    } catch (err) {
      const e = err as Error;
      process.stdout.write(JSON.stringify({ file, ok: false, name: e.name, message: e.message }) + '\n');
    } finally {
      await index.close();
    }
  }
}

async function saveOne(file: string, n: number, dims: number): Promise<void> {
  const index = new NativeHnsw(dims);
  index.create({ capacity: n, m: 8, efConstruction: 40, seed: 1 });
  const data = new Float32Array(n * dims).map((_, i) => Math.sin(i));
  await index.insert(data, Uint32Array.from({ length: n }, (_, i) => i), 1);
  try {
    await index.save(file);
    process.stdout.write(JSON.stringify({ ok: true }) + '\n');
  } catch (err) {
    const e = err as Error;
    process.stdout.write(JSON.stringify({ ok: false, name: e.name, message: e.message }) + '\n');
  } finally {
    await index.close();
  }
}

// The worker is plain JavaScript (tsx does not reliably hook worker threads): it loads the same
// addon file, queues an insert, searches, a save and a close, and awaits none of them.
const busyWorker = `
  const { workerData } = require('node:worker_threads');
  const { NativeHnsw } = require(workerData.addon);
  const index = new NativeHnsw(32);
  index.create({ capacity: 10, m: 16, efConstruction: 200, seed: 1 });
  const n = 20000;
  const data = new Float32Array(n * 32).map((_, i) => Math.sin(i));
  index.insert(data, Uint32Array.from({ length: n }, (_, i) => i), 2);
  for (let i = 0; i < 20; i++) index.search(data.subarray(0, 32), 5, 10).catch(() => undefined);
  index.save(workerData.file).catch(() => undefined);
  index.close();
  require('node:worker_threads').parentPort.postMessage('busy');
`;

async function terminateBusyWorker(): Promise<void> {
  const addon = path.resolve(__dirname, '..', '..', 'native', 'build', 'Release', 'hnsw_native.node');
  const file = path.join(os.tmpdir(), `child-worker-${process.pid}.hnsw`);
  const worker = new Worker(busyWorker, { eval: true, workerData: { addon, file } });
  await new Promise((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  await new Promise((resolve) => setTimeout(resolve, 100));
  await worker.terminate();
  rmSync(file, { force: true });
  process.stdout.write(JSON.stringify({ ok: true }) + '\n');
}

const [mode, ...args] = process.argv.slice(2);
let done: Promise<void>;
if (mode === 'load') {
  done = loadAll(Number(args[0]), args[1]!);
} else if (mode === 'worker') {
  done = terminateBusyWorker();
} else {
  done = saveOne(args[0]!, Number(args[1]), Number(args[2]));
}
done.catch((err: Error) => {
  process.stderr.write(`child failed: ${err.stack}\n`);
  process.exit(2);
});
