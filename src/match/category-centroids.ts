import type { SearchIndex } from '../index/search-index';

/** What the centroids read of the catalog. */
export interface CentroidCatalog {
  readonly labelCount: number;
  /** Live creators. */
  readonly size: number;
  isLive(label: number): boolean;
  categoryOf(label: number): string;
}

/** Labels read per vectors() call while summing. */
const CHUNK = 4096;
/** Rebuild from scratch once this share of the creators summed has been retired or replaced since. */
const REBUILD_SHARE = 0.1;

/**
 * Category centroids of a catalog's stored vectors, for cluster-based smoothing of the dense
 * scores in hybrid retrieval (fusion.ts `smoothedDense`; Liu & Croft 2004, with the catalog's own
 * categories as the clusters): the centroid of a category is the normalised sum of its live
 * creators' (normalised) vectors, and `cosines(q)` gives the cosine of a query with each one.
 *
 * Computed from the version's own vectors when first needed (one pass over the stored vectors in
 * chunks: O(n x dims), about a second per million creators at 512 dims), never stored. Incremental
 * updates: `refresh()` adds creators appended since (new labels, read in chunks); retired ones stay
 * in the sums until a tenth of the creators summed has been retired or replaced, when the sums are
 * rebuilt. A smoothing prior tolerates that drift; the cosine returned as `score` never depends on it.
 */
export class CategoryCentroids {
  private sums = new Map<string, Float64Array>();
  private norms = new Map<string, number>();
  private summedUpTo = 0;
  /** Live creators when the sums were last rebuilt, and labels added since. */
  private liveAtBuild = 0;
  private addedSince = 0;
  private refreshing: Promise<void> | undefined;

  private constructor(
    private readonly search: Pick<SearchIndex, 'dims' | 'vectors'>,
    private readonly catalog: CentroidCatalog,
  ) {}

  static async build(search: Pick<SearchIndex, 'dims' | 'vectors'>, catalog: CentroidCatalog, signal?: AbortSignal): Promise<CategoryCentroids> {
    const c = new CategoryCentroids(search, catalog);
    await c.rebuild(signal);
    return c;
  }

  /** Categories with at least one creator summed. */
  get size(): number {
    return this.sums.size;
  }

  /** Brings the sums up to date with the catalog (cheap when nothing changed). */
  refresh(signal?: AbortSignal): Promise<void> {
    const { labelCount, size } = this.catalog;
    if (labelCount === this.summedUpTo) return Promise.resolve();
    this.refreshing ??= (async () => {
      try {
        const added = labelCount - this.summedUpTo;
        // Creators gone since the last rebuild: live then plus added since, minus live now.
        const gone = this.liveAtBuild + this.addedSince + added - size;
        if (gone > REBUILD_SHARE * Math.max(1, this.liveAtBuild)) await this.rebuild(signal);
        else {
          await this.sumRange(this.summedUpTo, labelCount, signal);
          this.addedSince += added;
        }
      } finally {
        this.refreshing = undefined;
      }
    })();
    return this.refreshing;
  }

  /** Cosine of a normalised query vector with the centroid of `category` (0 for a category with no creator summed). */
  cosine(query: Float32Array, category: string): number {
    const sum = this.sums.get(category);
    const norm = this.norms.get(category) ?? 0;
    if (!sum || !(norm > 0)) return 0;
    let s = 0;
    for (let i = 0; i < sum.length; i++) s += query[i]! * sum[i]!;
    return s / norm;
  }

  /** Cosines of a query with the centroids of the given categories (each computed once). */
  cosines(query: Float32Array, categories: Iterable<string>): Map<string, number> {
    const out = new Map<string, number>();
    for (const c of categories) if (!out.has(c)) out.set(c, this.cosine(query, c));
    return out;
  }

  /** Sums from scratch into new maps, swapped in at the end (queries meanwhile read the old ones). */
  private async rebuild(signal?: AbortSignal): Promise<void> {
    const sums = new Map<string, Float64Array>();
    const norms = new Map<string, number>();
    const end = this.catalog.labelCount;
    const live = this.catalog.size;
    await this.sumRange(0, end, signal, sums, norms);
    this.sums = sums;
    this.norms = norms;
    this.summedUpTo = end;
    this.liveAtBuild = live;
    this.addedSince = 0;
  }

  /** Adds the live labels in [from, to) to the sums (a category's norm is updated once its chunk is summed). */
  private async sumRange(from: number, to: number, signal?: AbortSignal, sums = this.sums, norms = this.norms): Promise<void> {
    const dims = this.search.dims;
    for (let start = from; start < to; start += CHUNK) {
      const labels: number[] = [];
      for (let l = start; l < Math.min(to, start + CHUNK); l++) if (this.catalog.isLive(l)) labels.push(l);
      const rows = await this.search.vectors(labels, signal);
      const touched = new Set<string>();
      rows.forEach((row, i) => {
        if (!row) return;
        const category = this.catalog.categoryOf(labels[i]!);
        let sum = sums.get(category);
        if (!sum) sums.set(category, (sum = new Float64Array(dims)));
        for (let j = 0; j < dims; j++) sum[j]! += row[j]!;
        touched.add(category);
      });
      // Norms follow each chunk, so a query between chunks sees consistent centroids.
      for (const c of touched) {
        const sum = sums.get(c)!;
        let sq = 0;
        for (let j = 0; j < dims; j++) sq += sum[j]! * sum[j]!;
        norms.set(c, Math.sqrt(sq));
      }
    }
    if (sums === this.sums) this.summedUpTo = Math.max(this.summedUpTo, to);
  }
}
