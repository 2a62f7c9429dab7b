import { exactSearch, MetricKind, type Matches } from 'usearch';
import type { SearchHit } from './top-k';
import type { VectorMatrix } from './vector-matrix';

let scratch = new Float32Array(0);

/**
 * Exact top-k by cosine over the rows `labels` of `matrix` with usearch's SIMD brute force: the
 * rows are gathered into a scratch buffer (a memcpy per row), then scanned natively. About an order
 * of magnitude faster than the scalar JS loop for the few thousand candidates of a selective filter.
 */
export function exactSearchRows(matrix: VectorMatrix, query: Float32Array, k: number, labels: readonly number[]): SearchHit[] {
  const n = labels.length;
  const want = Math.min(k, n);
  if (want <= 0) return [];
  const dims = matrix.dims;
  if (scratch.length < n * dims) scratch = new Float32Array(Math.max(n * dims, scratch.length * 2));
  for (let i = 0; i < n; i++) scratch.set(matrix.row(labels[i]!), i * dims);
  // The binding reads typed arrays from the start of their ArrayBuffer (it ignores byteOffset), so
  // the query must not be a view into a larger buffer; the scratch view starts at offset 0.
  const q = query.byteOffset === 0 && query.buffer.byteLength === query.byteLength ? query : query.slice();
  const res = exactSearch(scratch.subarray(0, n * dims), q, dims, want, MetricKind.IP, 1) as Matches;
  const hits: SearchHit[] = [];
  for (let i = 0; i < res.keys.length; i++) hits.push({ label: labels[Number(res.keys[i])]!, score: 1 - res.distances[i]! });
  return hits.sort((a, b) => b.score - a.score || a.label - b.label);
}
