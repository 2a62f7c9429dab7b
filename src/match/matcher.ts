import type { CreatorProfile } from '../catalog/creator';
import type { Embedder } from '../embedding/embedder';
import { MatchError, throwIfAborted } from '../errors/match-error';
import type { LoadedIndex } from '../index/loaded-index';
import { normalise } from '../index/vector-matrix';
import { canSearchBatch, SearchCoalescer } from '../index/search-coalescer';
import { diversifiedSearch, needsRerank } from './diversify';
import { filteredSearch, filteredSearchAsync, nativeFilteredSearch, type SearchStrategy } from './filtered-search';
import { NativeHnswIndex } from '../index/native-hnsw';
import type { MatchInput, MatchQuery } from './match-input';
import type { IndexShape } from './validate-request';
import { recordSearch } from '../telemetry/instruments';
import { withSpan, withSpanAsync } from '../telemetry/tracing';
import type { SearchSample } from '../experiments/recall-monitor';

export interface MatchedCreator {
  creatorId: string;
  score: number;
  profile: CreatorProfile | undefined;
}

export interface MatchResult {
  matches: MatchedCreator[];
  indexVersion: string;
  modelId: string;
  strategy: SearchStrategy;
}

export interface MatcherOptions {
  /** ef for searches; default: the manifest's efSearch. */
  efSearch?: number;
  /** Filters narrowed to at most this many creators are searched exactly; 'auto': exactCandidateLimit(catalog size). */
  exactMaxCandidates: number | 'auto';
  /** Threads for coalesced batch searches on indexes that support them (usearch); 0: all cores. */
  searchThreads?: number;
  /** Sees every ANN search (not exact ones), e.g. for the online recall monitor. Must be O(1). */
  onAnnSearch?(sample: SearchSample): void;
}

/**
 * Rows an exact search may cover for about the cost of a few HNSW searches. Exact search over c
 * candidates costs about c x 80-150 ns at 512 dims (native, in place; more when the rows are
 * scattered); a filtered HNSW traversal at selectivity s = c / n costs about t / s with t = 0.25 ms
 * (one unfiltered search) when the filter is independent of the query, much more when it is
 * correlated with it. They break even near c = sqrt(n x t / 80 ns) = sqrt(3100 n): 17.6k
 * candidates at 100k creators, 56k at 1M (`npm run bench:ann`, `bench:service`, docs/BENCHMARKS.md).
 */
export function exactCandidateLimit(catalogSize: number): number {
  return Math.max(1000, Math.round(Math.sqrt(3100 * catalogSize)));
}

/** The embedder of the index's own model, or why there is none. */
export type TextEmbedding = { embedder: Embedder } | { unavailable: MatchError };

/** Answers validated match requests against one loaded index version. */
export class Matcher {
  readonly ef: number;
  private cachedShape: IndexShape | undefined;
  /** Batches concurrent ANN searches into multi-threaded native calls (indexes with searchBatch). */
  private readonly coalescer: SearchCoalescer | undefined;

  constructor(
    readonly index: LoadedIndex,
    private readonly text: TextEmbedding,
    private readonly opts: MatcherOptions,
  ) {
    this.ef = opts.efSearch ?? index.manifest.ann.efSearch;
    this.coalescer = canSearchBatch(index.ann) ? new SearchCoalescer(index.ann, opts.searchThreads ?? 0) : undefined;
  }

  /** What request validation checks against (dims, known categories and languages). */
  get shape(): IndexShape {
    this.cachedShape ??= Object.freeze({
      dims: this.index.manifest.dims,
      categories: this.index.catalog.categories(),
      languages: this.index.catalog.languages(),
    });
    return this.cachedShape;
  }

  private exactLimit(): number {
    const limit = this.opts.exactMaxCandidates;
    return limit === 'auto' ? exactCandidateLimit(this.index.catalog.size) : limit;
  }

  /** Call after the catalog changed (incremental updates). */
  invalidateShape(): void {
    this.cachedShape = undefined;
  }

  get modelId(): string {
    return this.index.manifest.model?.id ?? '';
  }

  async match(input: MatchInput, signal?: AbortSignal): Promise<MatchResult> {
    throwIfAborted(signal);
    const { vector, exclude } = await this.queryVector(input.query, signal);
    throwIfAborted(signal);
    const { catalog, ann, vectors } = this.index;
    const filter = withSpan('creator_match.filter', {}, () => catalog.compile(input.filter, exclude, this.exactLimit()));
    const searchOpts = { ef: this.ef, minScore: input.filter.minScore };
    const rerank = needsRerank(input.rerank) ? input.rerank : undefined;
    const coalescer = this.coalescer;
    const { hits, strategy } = await withSpanAsync('creator_match.search', { 'creator_match.k': input.k }, async (span) => {
      const r = rerank
        ? diversifiedSearch(vector, input.k, filter, ann, vectors, searchOpts, rerank, (label) => catalog.categoryOf(label))
        : ann instanceof NativeHnswIndex
          ? await nativeFilteredSearch(vector, input.k, filter, ann, vectors.count, searchOpts)
          : coalescer
            ? await filteredSearchAsync(vector, input.k, filter, (q, fetch, ef) => coalescer.search(q, fetch, ef), vectors, searchOpts)
            : filteredSearch(vector, input.k, filter, ann, vectors, searchOpts);
      span.setAttribute('creator_match.strategy', r.strategy);
      return r;
    });
    recordSearch({ strategy, results: hits.length, selectivity: vectors.count ? filter.estimatedAllowed / vectors.count : 0, indexVersion: this.index.version });
    // Re-ranked hits are not the ANN top k, so only plain searches feed the recall monitor.
    if (!rerank && this.opts.onAnnSearch && (strategy === 'ann' || strategy === 'ann_overfetch' || strategy === 'ann_filtered') && input.filter.minScore === undefined) {
      this.opts.onAnnSearch({ query: vector, k: input.k, filter, hits, vectors });
    }
    return {
      // Profiles are decoded from the catalog's storage per call: only when asked for.
      matches: hits.map((h) => {
        const profile = input.includeProfile ? catalog.profile(h.label) : undefined;
        return { creatorId: profile?.id ?? catalog.idOf(h.label), score: h.score, profile };
      }),
      indexVersion: this.index.version,
      modelId: this.modelId,
      strategy,
    };
  }

  /** Embeds many texts at once (BatchMatch); same errors as a single text query. */
  async embedTexts(texts: readonly string[], signal?: AbortSignal): Promise<Float32Array[]> {
    if ('unavailable' in this.text) throw this.text.unavailable;
    const { embedder } = this.text;
    const out = await withSpanAsync('creator_match.embed', { 'creator_match.texts': texts.length }, () => embedder.embed(texts, signal));
    return out.map((v) => normalise(Float32Array.from(v)) ?? v);
  }

  private async queryVector(query: MatchQuery, signal?: AbortSignal): Promise<{ vector: Float32Array; exclude: number[] }> {
    switch (query.kind) {
      case 'vector':
        return { vector: query.vector, exclude: [] };
      case 'text': {
        const [vector] = await this.embedTexts([query.text], signal);
        if (!vector || vector.length !== this.index.manifest.dims) {
          throw new MatchError('INTERNAL', `model produced ${vector?.length ?? 0} dims, index has ${this.index.manifest.dims}`);
        }
        return { vector, exclude: [] };
      }
      case 'like': {
        const { catalog, vectors } = this.index;
        const labels: number[] = [];
        const unknown: string[] = [];
        for (const id of query.ids) {
          const label = catalog.labelOf(id);
          if (label === undefined) unknown.push(id);
          else labels.push(label);
        }
        if (unknown.length > 0) {
          const shown = unknown.slice(0, 20).map((id) => JSON.stringify(id)).join(', ');
          const more = unknown.length > 20 ? ` and ${unknown.length - 20} more` : '';
          throw new MatchError('UNKNOWN_CREATORS', `unknown creator ids in like_creators: ${shown}${more}`, { details: { unknown } });
        }
        const vector = vectors.mean(labels, query.weights);
        if (!vector) throw new MatchError('INVALID_QUERY', 'the liked creators\' vectors cancel out (zero mean); cannot build a query');
        return { vector, exclude: labels };
      }
    }
  }
}
