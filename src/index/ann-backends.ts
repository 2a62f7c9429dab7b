import { HnswIndex } from './hnsw-index';
import { NativeHnswIndex } from './native-hnsw';
import { UsearchIndex } from './usearch-index';
import type { HnswParams, VectorIndex } from './vector-index';
import type { VectorMatrix } from './vector-matrix';

/** ANN implementations behind VectorIndex; the manifest's `ann.kind` records which built a version. */
export const ANN_KINDS = ['hnswlib-node', 'usearch'] as const;
export type AnnKind = (typeof ANN_KINDS)[number];
export const DEFAULT_ANN_KIND: AnnKind = 'hnswlib-node';

export function isAnnKind(kind: string): kind is AnnKind {
  return (ANN_KINDS as readonly string[]).includes(kind);
}

/** Builds an index of `kind` over all rows (label = row). usearch inserts on all cores. */
export function buildAnn(kind: AnnKind, matrix: VectorMatrix, params: HnswParams, onProgress?: (done: number) => void): VectorIndex {
  if (kind === 'usearch') {
    const index = UsearchIndex.build(matrix, params, { threads: 0 });
    onProgress?.(matrix.count);
    return index;
  }
  return HnswIndex.build(matrix, params, onProgress);
}

/**
 * Loads the index file of a version built by `kind`. hnswlib-node's files are served by our
 * native addon (same hnswlib headers, same format): searches off the event loop, one vector copy.
 */
export async function loadAnn(kind: string, file: string, dims: number, params: HnswParams): Promise<VectorIndex> {
  switch (kind) {
    case 'hnswlib-node':
      return NativeHnswIndex.load(file, dims);
    case 'usearch':
      return UsearchIndex.load(file, dims, params);
    default:
      throw new Error(`unknown ANN kind ${JSON.stringify(kind)} in the manifest (known: ${ANN_KINDS.join(', ')})`);
  }
}
