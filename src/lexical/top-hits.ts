/**
 * The k best (label, score) pairs of a candidate list: best score first, ties by smaller label.
 * A binary heap of the k best so far whose root is the worst of them, so selecting from C
 * candidates costs O(C log k) and no sort of all candidates.
 */

export interface LexicalHit {
  label: number;
  /** BM25 score; higher is better. */
  score: number;
}

/** True when a ranks after b (lower score, or equal score and larger label). */
function worse(sa: number, la: number, sb: number, lb: number): boolean {
  return sa < sb || (sa === sb && la > lb);
}

/** Moves `label` down from slot j of the heap (size `size`) to where it is no worse than its children. */
function siftDown(heap: Int32Array, size: number, j: number, label: number, scores: Float64Array): void {
  const s = scores[label]!;
  for (;;) {
    const left = 2 * j + 1;
    if (left >= size) break;
    const right = left + 1;
    let child = left;
    let cl = heap[left]!;
    if (right < size) {
      const rl = heap[right]!;
      if (worse(scores[rl]!, rl, scores[cl]!, cl)) {
        child = right;
        cl = rl;
      }
    }
    if (!worse(scores[cl]!, cl, s, label)) break;
    heap[j] = cl;
    j = child;
  }
  heap[j] = label;
}

/**
 * The best k of `labels[0..count)` by `scores[label]`; each label must appear once.
 * `scores` is indexed by label.
 */
export function topHits(labels: Int32Array, count: number, scores: Float64Array, k: number): LexicalHit[] {
  const n = Math.min(k, count);
  if (n <= 0) return [];
  const heap = new Int32Array(n);
  let size = 0;
  for (let i = 0; i < count; i++) {
    const label = labels[i]!;
    const s = scores[label]!;
    if (size < n) {
      let j = size++;
      while (j > 0) {
        const parent = (j - 1) >> 1;
        const pl = heap[parent]!;
        if (!worse(s, label, scores[pl]!, pl)) break;
        heap[j] = pl;
        j = parent;
      }
      heap[j] = label;
      continue;
    }
    const root = heap[0]!;
    if (!worse(scores[root]!, root, s, label)) continue;
    siftDown(heap, size, 0, label, scores); // replaces the root (the worst kept)
  }
  // Popping the worst first fills the answer from its end: best first, ties by smaller label.
  const out = new Array<LexicalHit>(size);
  for (let end = size - 1; end >= 0; end--) {
    const worst = heap[0]!;
    out[end] = { label: worst, score: scores[worst]! };
    if (end > 0) siftDown(heap, end, 0, heap[end]!, scores);
  }
  return out;
}
