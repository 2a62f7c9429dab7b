import type { Catalog } from '../catalog/catalog';
import type { CreatorProfile } from '../catalog/creator';
import type { Embedder } from '../embedding/embedder';
import { shortId } from '../errors/echo';
import { MatchError, throwIfAborted } from '../errors/match-error';
import type { SearchSample } from '../experiments/recall-monitor';
import type { Manifest } from '../index/manifest';
import type { SearchIndex, SearchResult, SearchStrategy } from '../index/search-index';
import type { SearchHit } from '../index/top-k';
import { normalise, normalisedMean } from '../index/vectors';
import { recordSearch } from '../telemetry/instruments';
import { withSpan, withSpanAsync } from '../telemetry/tracing';
import { diversify, needsRerank, type PoolRetrieval } from './diversify';
import { DEFAULT_FUSION } from './fusion-defaults';
import { hybridRetrieve, lexicalRetrieve, type Explanation, type LexicalSearcher, type RetrievalContext, type RetrievedHit } from './hybrid-retrieval';
import { CategoryCentroids } from './category-centroids';
import type { MatchInput, MatchQuery, RetrievalMode } from './match-input';
import type { QueryAdapter } from '../index/query-adapter';
import { profileText } from '../catalog/profile-text';
import type { IndexShape } from './validate-request';

export interface MatchedCreator {
  creatorId: string;
  score: number;
  profile: CreatorProfile | undefined;
  /** With explain. */
  explanation?: Explanation | undefined;
}

export interface MatchResult {
  matches: MatchedCreator[];
  indexVersion: string;
  modelId: string;
  strategy: SearchStrategy;
  /** The mode that answered. */
  retrieval: Exclude<RetrievalMode, 'default'>;
}

/** What a Matcher serves: one loaded version (any backend). */
export interface MatchSource {
  readonly version: string;
  readonly manifest: Manifest;
  readonly catalog: Catalog;
  readonly search: SearchIndex;
  /** The BM25 index of versions built with hybrid retrieval. */
  readonly lexical?: LexicalSearcher | undefined;
  /** A learned query adapter: maps text and liked-creators query vectors before search (never raw vectors). */
  readonly adapter?: Pick<QueryAdapter, 'apply'> | undefined;
}

export interface MatcherOptions {
  /** ef for searches; default: the manifest's efSearch. */
  efSearch?: number | undefined;
  /** Filters narrowed to at most this many creators are searched exactly; 'auto': exactCandidateLimit(catalog size). */
  exactMaxCandidates: number | 'auto';
  /** Largest k x pool of a diversity (MMR) re-rank: its cost (similarities computed). */
  maxRerankWork: number;
  /** Sees every plain ANN search (not exact ones), e.g. for the online recall monitor. Must be O(1). */
  onAnnSearch?: (sample: SearchSample) => void;
}

/**
 * Rows an exact search may cover for about the cost of a few HNSW searches. Exact search over c
 * candidates costs about c x 80-150 ns at 512 dims (native, in place; more when the rows are
 * scattered); a filtered HNSW traversal at selectivity s = c / n costs about t / s with t = 0.25 ms
 * (one unfiltered search) when the filter is independent of the query, much more when it is
 * correlated with it. They break even near c = sqrt(n x t / 80 ns) = sqrt(3100 n): 17.6k
 * candidates at 100k creators, 56k at 1M (`npm run bench:ann`, docs/BENCHMARKS.md).
 */
export function exactCandidateLimit(catalogSize: number): number {
  return Math.max(1000, Math.round(Math.sqrt(3100 * catalogSize)));
}

/** A dense hit explained: its cosine is what it was ranked by. */
function denseExplanation(h: SearchHit, i: number): Explanation {
  return { denseScore: h.score, denseRank: i + 1, lexicalScore: 0, lexicalRank: 0, fusedScore: h.score, lexicalWeight: 0 };
}

/** The embedder of the index's own model, or why there is none. */
export type TextEmbedding = { embedder: Embedder } | { unavailable: MatchError };

/**
 * Answers validated match requests against one loaded version, in one path: the query vector
 * (given, embedded with the version's model, or the mean of liked creators) → the compiled
 * filter → one search of the version's SearchIndex → an optional re-rank → profiles.
 */
export class Matcher {
  readonly ef: number;
  private cachedShape: IndexShape | undefined;
  private centroidsBuild: Promise<CategoryCentroids> | undefined;

  constructor(
    readonly index: MatchSource,
    private readonly text: TextEmbedding,
    private readonly opts: MatcherOptions,
  ) {
    this.ef = opts.efSearch ?? index.manifest.ann.efSearch;
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

  /** Call after the catalog changed (incremental updates). */
  invalidateShape(): void {
    this.cachedShape = undefined;
  }

  /** The hybrid fusion this version serves (its manifest's, or the default). */
  get fusion(): NonNullable<Manifest['retrieval']>['fusion'] {
    return this.index.manifest.retrieval?.fusion ?? DEFAULT_FUSION;
  }

  /**
   * The catalog's category centroids, when the fusion smooths by them (computed from the stored
   * vectors on first use, kept up to date with incremental updates); undefined otherwise.
   */
  async centroids(): Promise<CategoryCentroids | undefined> {
    if (!((this.fusion.centroidGamma ?? 0) > 0) || !this.index.lexical) return undefined;
    const { search, catalog } = this.index;
    // Not tied to one request's signal: the sums serve every request after it.
    const build = (this.centroidsBuild ??= CategoryCentroids.build(search, catalog));
    try {
      const c = await build;
      await c.refresh();
      return c;
    } catch (err) {
      if (this.centroidsBuild === build) this.centroidsBuild = undefined;
      throw err;
    }
  }

  get modelId(): string {
    return this.index.manifest.model?.id ?? '';
  }

  /** The mode a request gets: its own, or the index's default; lexical modes need a lexical index. */
  retrievalFor(input: Pick<MatchInput, 'retrieval' | 'query'>): Exclude<RetrievalMode, 'default'> {
    const served = this.index.manifest.retrieval?.default ?? 'dense';
    if (input.query.kind === 'vector') return 'dense';
    if (input.retrieval === 'default') {
      // A like_creators query is dense unless asked: it already is the liked creators' vectors.
      if (input.query.kind === 'like' || !this.index.lexical) return 'dense';
      return served;
    }
    if (input.retrieval !== 'dense' && !this.index.lexical) {
      throw new MatchError('RETRIEVAL_UNSUPPORTED', `index version ${this.index.version} has no lexical index (it was built before hybrid retrieval); rebuild it, or use RETRIEVAL_DENSE`);
    }
    return input.retrieval;
  }

  async match(input: MatchInput, signal?: AbortSignal): Promise<MatchResult> {
    throwIfAborted(signal);
    const mode = this.retrievalFor(input);
    const { vector, exclude } = await this.queryVector(input.query, signal);
    throwIfAborted(signal);
    const { catalog, search } = this.index;
    const limit = this.opts.exactMaxCandidates === 'auto' ? exactCandidateLimit(catalog.size) : this.opts.exactMaxCandidates;
    const filter = withSpan('creator_match.filter', {}, () => catalog.compile(input.filter, exclude, limit));
    const rerank = needsRerank(input.rerank) ? input.rerank : undefined;
    const categoryOf = (label: number): string => catalog.categoryOf(label);
    const monitor = !rerank && input.filter.minScore === undefined ? this.opts.onAnnSearch : undefined;
    const { hits, strategy } = await withSpanAsync('creator_match.search', { 'creator_match.k': input.k, 'creator_match.retrieval': mode }, async (span): Promise<{ hits: Array<SearchHit | RetrievedHit>; strategy: SearchStrategy }> => {
      const request = { k: input.k, ef: this.ef, filter, minScore: input.filter.minScore };
      const centroids = mode === 'hybrid' && !rerank ? await this.centroids() : undefined;
      const ctx: RetrievalContext = {
        search,
        lexical: this.index.lexical!,
        fusion: this.fusion,
        categoryOf,
        centroids,
        signal,
        // The hybrid's own first dense search is a plain ANN search: the recall monitor may sample it.
        ...(monitor ? { onAnnSearch: (k: number, r: SearchResult) => r.strategy.startsWith('ann') && monitor({ query: vector, k, filter, hits: r.hits, search }) } : {}),
      };
      const text = mode === 'dense' ? '' : this.lexicalText(input.query, exclude);
      // Feedback and centroid smoothing narrow the list: off when diversity or a category cap asks for breadth.
      const broad = rerank !== undefined;
      const retrieve: PoolRetrieval =
        mode === 'dense'
          ? (k) => search.search(vector, { ...request, k }, signal)
          : (k) => (mode === 'lexical' ? lexicalRetrieve : hybridRetrieve)({ vector, text, k, ef: this.ef, filter, minScore: input.filter.minScore, broad }, ctx);
      const r = rerank ? await diversify(input.k, retrieve, search, rerank, categoryOf, this.opts.maxRerankWork, signal) : await retrieve(input.k);
      span.setAttribute('creator_match.strategy', r.strategy);
      return r;
    });
    recordSearch({ strategy, results: hits.length, selectivity: search.labelCount ? filter.estimatedAllowed / search.labelCount : 0, indexVersion: this.index.version });
    // Re-ranked and fused hits are not the ANN top k, so only plain dense ANN searches feed the recall monitor.
    if (mode === 'dense' && monitor && strategy.startsWith('ann')) monitor({ query: vector, k: input.k, filter, hits, search });
    return {
      // Profiles are decoded from the catalog's storage per call: only when asked for.
      matches: hits.map((h, i) => {
        const profile = input.includeProfile ? catalog.profile(h.label) : undefined;
        const explanation = input.explain ? ('explanation' in h ? h.explanation : denseExplanation(h, i)) : undefined;
        return { creatorId: profile?.id ?? catalog.idOf(h.label), score: h.score, profile, explanation };
      }),
      indexVersion: this.index.version,
      modelId: this.modelId,
      strategy,
      retrieval: mode,
    };
  }

  /** A text or like query vector through the version's adapter, when it has one for that kind. */
  private adapted(kind: 'text' | 'like', vector: Float32Array): Float32Array {
    const { adapter, manifest } = this.index;
    if (!adapter || !(manifest.adapter?.appliesTo ?? ['text', 'like']).includes(kind)) return vector;
    return adapter.apply(vector);
  }

  /** The words matched lexically: the interest text, or the liked creators' own profile terms. */
  private lexicalText(query: MatchQuery, liked: readonly number[]): string {
    if (query.kind === 'text') return query.text;
    return liked
      .map((label) => {
        const p = this.index.catalog.profile(label);
        return profileText({ name: p.name, category: p.category, tags: p.tags, about: '' });
      })
      .join(' ');
  }

  /** Embeds many texts at once (BatchMatch, updates, evaluation); same errors as a single text query. */
  async embedTexts(texts: readonly string[], signal?: AbortSignal): Promise<Float32Array[]> {
    if ('unavailable' in this.text) throw this.text.unavailable;
    const { embedder } = this.text;
    const out = await withSpanAsync('creator_match.embed', { 'creator_match.texts': texts.length }, () =>
      embedder.embed(texts, signal).catch((err: unknown) => {
        if (signal?.aborted) throw err;
        throw new MatchError('MODEL_UNAVAILABLE', `the index's model ${this.modelId} failed to embed the text; retry later`, { cause: err });
      }),
    );
    const dims = this.index.manifest.dims;
    return out.map((v) => {
      const n = v.length === dims ? normalise(Float32Array.from(v)) : undefined;
      if (!n) throw new MatchError('INTERNAL', `model produced a ${v.length}-d vector without a norm; the index has ${dims} dims`);
      return n;
    });
  }

  private async queryVector(query: MatchQuery, signal?: AbortSignal): Promise<{ vector: Float32Array; exclude: number[] }> {
    switch (query.kind) {
      case 'vector':
        return { vector: query.vector, exclude: [] };
      case 'text': {
        const [vector] = await this.embedTexts([query.text], signal);
        return { vector: this.adapted('text', vector!), exclude: [] };
      }
      case 'like': {
        const { catalog, search } = this.index;
        const labels: number[] = [];
        const unknown: string[] = [];
        for (const id of query.ids) {
          const label = catalog.labelOf(id);
          if (label === undefined) unknown.push(id);
          else labels.push(label);
        }
        if (unknown.length > 0) {
          const shown = unknown.slice(0, 20).map(shortId).join(', '); // each id truncated: the message is bounded
          const more = unknown.length > 20 ? ` and ${unknown.length - 20} more` : '';
          throw new MatchError('UNKNOWN_CREATORS', `unknown creator ids in like_creators: ${shown}${more}`, { details: { unknown } });
        }
        const rows = await search.vectors(labels, signal);
        const vector = normalisedMean(rows.map((r) => r!), this.index.manifest.dims, query.weights);
        if (!vector) throw new MatchError('INVALID_QUERY', "the liked creators' vectors cancel out (zero mean); cannot build a query");
        return { vector: this.adapted('like', vector), exclude: labels };
      }
    }
  }
}
