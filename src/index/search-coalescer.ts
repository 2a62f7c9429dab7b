import type { SearchHit } from './top-k';
import type { VectorIndex } from './vector-index';

/** An index that can search many queries in one call on several threads (usearch). */
export interface BatchSearchIndex extends VectorIndex {
  searchBatch(queries: readonly Float32Array[], k: number, ef: number, threads: number): SearchHit[][];
}

export function canSearchBatch(index: VectorIndex): index is BatchSearchIndex {
  return typeof (index as Partial<BatchSearchIndex>).searchBatch === 'function';
}

interface Pending {
  query: Float32Array;
  k: number;
  ef: number;
  resolve(hits: SearchHit[]): void;
  reject(err: unknown): void;
}

/**
 * Coalesces the ANN searches that concurrent calls (Match calls decoded in the same event-loop
 * turn, a BatchMatch window) issue into one multi-threaded `searchBatch` per (k, ef), run on
 * setImmediate: no added wait when a search is alone, all cores when many are ready together.
 * The native call blocks the event loop for the whole batch, so a batch is capped at `maxBatch`.
 */
export class SearchCoalescer {
  private queue: Pending[] = [];
  private scheduled = false;
  /** Searches and native calls so far (for tests and metrics). */
  readonly stats = { searches: 0, batches: 0 };

  constructor(
    private readonly index: BatchSearchIndex,
    private readonly threads: number,
    private readonly maxBatch = 64,
  ) {}

  search(query: Float32Array, k: number, ef: number): Promise<SearchHit[]> {
    return new Promise((resolve, reject) => {
      this.queue.push({ query, k, ef, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    const taken = this.queue.splice(0, this.maxBatch);
    if (this.queue.length > 0) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
    const groups = new Map<string, Pending[]>();
    for (const p of taken) {
      const key = `${p.k}:${p.ef}`;
      const g = groups.get(key);
      if (g) g.push(p);
      else groups.set(key, [p]);
    }
    for (const group of groups.values()) {
      const { k, ef } = group[0]!;
      try {
        const results = group.length === 1 ? [this.index.search(group[0]!.query, k, ef)] : this.index.searchBatch(group.map((p) => p.query), k, ef, this.threads);
        this.stats.searches += group.length;
        this.stats.batches++;
        group.forEach((p, i) => p.resolve(results[i]!));
      } catch (err) {
        for (const p of group) p.reject(err);
      }
    }
  }
}
