/** Cached ANN indexes over the bench corpus (built once, reused by every bench script). */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { HierarchicalNSW } from 'hnswlib-node';
import { HnswIndex } from '../../src/index/hnsw-index';
import { UsearchIndex, type UsearchScalar } from '../../src/index/usearch-index';
import { VectorMatrix } from '../../src/index/vector-matrix';
import { CACHE, type Corpus } from './common';

export const PARAMS = { m: 16, efConstruction: 200, efSearch: 64, randomSeed: 100 };

export const hnswFile = (c: Corpus): string => path.join(CACHE, `hnsw-${c.meta.creators}-m${PARAMS.m}-efc${PARAMS.efConstruction}.bin`);
export const usearchFile = (c: Corpus, scalar: UsearchScalar): string => path.join(CACHE, `usearch-${c.meta.creators}-m${PARAMS.m}-efc${PARAMS.efConstruction}-${scalar}.usearch`);
export const faissFile = (c: Corpus): string => path.join(CACHE, `faiss-hnsw-${c.meta.creators}-m${PARAMS.m}-efc${PARAMS.efConstruction}.faiss`);

/** The hnswlib-node graph, built by the service's own HnswIndex.build (same as index:build). */
export async function ensureHnsw(c: Corpus): Promise<{ file: string; buildSeconds?: number }> {
  const file = hnswFile(c);
  if (existsSync(file)) return { file };
  await mkdir(CACHE, { recursive: true });
  process.stderr.write(`building hnswlib-node index (${c.meta.creators} x ${c.meta.dims}, M ${PARAMS.m}, efC ${PARAMS.efConstruction}); cached in ${file}\n`);
  const t0 = performance.now();
  const idx = HnswIndex.build(new VectorMatrix(c.meta.dims, c.vectors), PARAMS);
  const buildSeconds = (performance.now() - t0) / 1000;
  await idx.save(file);
  idx.close();
  return { file, buildSeconds };
}

export async function loadRawHnsw(c: Corpus): Promise<HierarchicalNSW> {
  const { file } = await ensureHnsw(c);
  const native = new HierarchicalNSW('ip', c.meta.dims);
  await native.readIndex(file, true);
  return native;
}

export function ensureUsearch(c: Corpus, scalar: UsearchScalar, threads = 0): { file: string; buildSeconds?: number } {
  const file = usearchFile(c, scalar);
  if (existsSync(file)) return { file };
  process.stderr.write(`building usearch ${scalar} index; cached in ${file}\n`);
  const t0 = performance.now();
  const idx = UsearchIndex.build(new VectorMatrix(c.meta.dims, c.vectors), PARAMS, { scalar, threads });
  const buildSeconds = (performance.now() - t0) / 1000;
  void idx.save(file);
  idx.close();
  return { file, buildSeconds };
}
