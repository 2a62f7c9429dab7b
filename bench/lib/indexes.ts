/** Cached ANN graphs over a bench corpus (built once per corpus size, reused by every bench script). */
import { existsSync } from 'node:fs';
import { mkdir, rename } from 'node:fs/promises';
import path from 'node:path';
import { HierarchicalNSW } from 'hnswlib-node';
import { buildHnsw } from '../../index-builder/publish-version';
import { VectorMatrix } from '../../index-builder/vector-matrix';
import { HnswIndex } from '../../src/index/hnsw-index';
import { CACHE, type Corpus } from './common';

export const PARAMS = { m: 16, efConstruction: 200, efSearch: 64, randomSeed: 100 };

export const hnswFile = (c: Corpus): string => path.join(CACHE, `hnsw-${c.meta.creators}-m${PARAMS.m}-efc${PARAMS.efConstruction}.bin`);
export const faissFile = (c: Corpus): string => path.join(CACHE, `faiss-hnsw-${c.meta.creators}-m${PARAMS.m}-efc${PARAMS.efConstruction}.faiss`);

/** The graph the builder makes (buildHnsw, inserts on every core), in hnswlib's file format. */
export async function ensureHnsw(c: Corpus): Promise<{ file: string; buildSeconds?: number }> {
  const file = hnswFile(c);
  if (existsSync(file)) return { file };
  await mkdir(CACHE, { recursive: true });
  process.stderr.write(`building the HNSW graph (${c.meta.creators} x ${c.meta.dims}, M ${PARAMS.m}, efC ${PARAMS.efConstruction}); cached in ${file}\n`);
  const t0 = performance.now();
  const idx = await buildHnsw(new VectorMatrix(c.meta.dims, c.vectors), PARAMS);
  const buildSeconds = (performance.now() - t0) / 1000;
  await idx.fit();
  await idx.save(`${file}.tmp`);
  await idx.close();
  await rename(`${file}.tmp`, file);
  return { file, buildSeconds };
}

/** Our engine (the native addon behind HnswIndex) over the cached graph. */
export async function loadEngine(c: Corpus): Promise<HnswIndex> {
  const { file } = await ensureHnsw(c);
  return HnswIndex.load(file, c.meta.dims);
}

/** hnswlib-node (the in-process reference) over the very same file. */
export async function loadRawHnsw(c: Corpus): Promise<HierarchicalNSW> {
  const { file } = await ensureHnsw(c);
  const native = new HierarchicalNSW('ip', c.meta.dims);
  await native.readIndex(file, true);
  return native;
}
