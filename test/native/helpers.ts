import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { mulberry32 } from '../../src/util/mulberry32';
import { loadNativeBinding, type NativeCreateOptions, type NativeHnsw } from '../../src/index/native-binding';

export const { NativeHnsw: Hnsw } = loadNativeBinding();

/** mulberry32: a seeded PRNG in [0, 1). */
export const prng = mulberry32;

function normalise(v: Float32Array, at: number, dims: number): void {
  let s = 0;
  for (let d = 0; d < dims; d++) s += v[at + d]! * v[at + d]!;
  const inv = 1 / Math.sqrt(s);
  for (let d = 0; d < dims; d++) v[at + d]! *= inv;
}

/** n L2-normalised rows: Gaussian clusters around random centres. */
export function clustered(n: number, dims: number, seed: number, clusters = 16): Float32Array {
  const rand = prng(seed);
  const gauss = (): number => Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());
  const centres = Array.from({ length: clusters }, () => Array.from({ length: dims }, gauss));
  const out = new Float32Array(n * dims);
  for (let i = 0; i < n; i++) {
    const c = centres[i % clusters]!;
    for (let d = 0; d < dims; d++) out[i * dims + d] = c[d]! + 0.8 * gauss();
    normalise(out, i * dims, dims);
  }
  return out;
}

export function row(data: Float32Array, i: number, dims: number): Float32Array {
  return data.slice(i * dims, (i + 1) * dims);
}

/** Queries near the data: a row plus noise, normalised. */
export function queriesNear(data: Float32Array, dims: number, count: number, seed: number): Float32Array[] {
  const rand = prng(seed);
  const n = data.length / dims;
  return Array.from({ length: count }, () => {
    const q = row(data, Math.floor(rand() * n), dims).map((x) => x + 0.1 * (rand() - 0.5));
    normalise(q, 0, dims);
    return q;
  });
}

export function range(n: number, from = 0): Uint32Array {
  return Uint32Array.from({ length: n }, (_, i) => from + i);
}

/** Brute-force top-k labels by inner product (labels = row numbers), over rows `allow` accepts. */
export function bruteForce(data: Float32Array, dims: number, q: Float32Array, k: number, allow?: (label: number) => boolean): number[] {
  const n = data.length / dims;
  const scored: [number, number][] = [];
  for (let i = 0; i < n; i++) {
    if (allow && !allow(i)) continue;
    let dot = 0;
    for (let d = 0; d < dims; d++) dot += data[i * dims + d]! * q[d]!;
    scored.push([1 - dot, i]);
  }
  scored.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  return scored.slice(0, k).map((s) => s[1]);
}

export function overlap(found: ArrayLike<number>, truth: number[]): number {
  const want = new Set(truth);
  let hit = 0;
  for (let i = 0; i < found.length; i++) if (want.has(found[i]!)) hit++;
  return hit;
}

export async function built(data: Float32Array, dims: number, opts: Partial<NativeCreateOptions> = {}, threads = 1, simd = true): Promise<NativeHnsw> {
  const n = data.length / dims;
  const index = new Hnsw(dims, { simd });
  index.create({ capacity: n, m: 12, efConstruction: 80, seed: 7, ...opts });
  await index.insert(data, range(n), threads);
  return index;
}

export function bitsetOf(n: number, allow: (label: number) => boolean): Uint8Array {
  const bits = new Uint8Array(Math.ceil(n / 8));
  for (let l = 0; l < n; l++) if (allow(l)) bits[l >> 3]! |= 1 << (l & 7);
  return bits;
}

export function tempDir(prefix: string): { dir: string; remove: () => void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface ChildResult {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
}

/** Runs test/native/child.ts in a fresh node (a crash there cannot take jest down). */
export function runChild(args: string[], opts: { shell?: string } = {}): Promise<ChildResult> {
  const child = path.join(__dirname, 'child.ts');
  const [file, argv] = opts.shell
    ? ['bash', ['-c', `${opts.shell}; exec "$0" "$@"`, process.execPath, '--import', 'tsx', child, ...args]]
    : [process.execPath, ['--import', 'tsx', child, ...args]];
  return new Promise((resolve) => {
    execFile(file, argv, { timeout: 60_000, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      const e = err as (Error & { code?: number; signal?: string }) | null;
      resolve({ code: e ? (typeof e.code === 'number' ? e.code : null) : 0, signal: e?.signal ?? null, stdout, stderr });
    });
  });
}

/**
 * The error a promise rejects with, or a function throws. Errors made by the addon belong to
 * node's main realm, not jest's sandbox, so tests compare `name` rather than use instanceof.
 */
export async function failure(run: Promise<unknown> | (() => unknown)): Promise<{ name: string; message: string }> {
  try {
    await (typeof run === 'function' ? run() : run);
  } catch (err) {
    const e = err as Error;
    return { name: e.name, message: e.message };
  }
  throw new Error('expected a failure, got success');
}
