import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { readCreators } from '../../src/catalog/creator-file';
import { profileText } from '../../src/catalog/profile-text';
import { SAMPLE_CATALOG } from '../../src/config/config';
import { createEmbedder } from '../../src/embedding';
import { prepareIfBundled } from '../model/prepare-default-model';
import type { Embedder } from '../../src/embedding/embedder';
import { CachingEmbedder, EmbeddingCache } from '../../src/embedding/caching-embedder';
import { MatchError } from '../../src/errors/match-error';
import type { LoadedIndex } from '../../src/index/loaded-index';
import { LEXICAL_FILES, sha256File, type FusionParams, type Manifest, type ServedRetrieval } from '../../src/index/manifest';
import { LexicalIndex } from '../../src/lexical/lexical-index';
import { DEFAULT_FUSION } from '../../src/match/fusion-defaults';
import type { RerankOptions } from '../../src/match/diversify';
import type { SearchStrategy } from '../../src/index/search-index';
import { normalisedMean } from '../../src/index/vectors';
import type { MatchFilter, MatchQuery, RetrievalMode } from '../../src/match/match-input';
import { Matcher, type MatchSource } from '../../src/match/matcher';
import type { QueryAdapter } from '../../src/index/query-adapter';
import { validateVector } from '../../src/match/validate-request';
import type { Fan, GradedJudgments } from './fans';
import { gradedJudgments, MeanAccumulator, overlapAt, rankingMetrics, type Judgments, type RankingMetrics } from './metrics';

/**
 * Offline evaluation of one index version on a fans file with relevance judgments.
 *
 * Systems, all under the same default filter (no NSFW, liked creators excluded), each mode through
 * the served path (Matcher.match, HNSW with exact filtering, the version's query adapter and
 * fusion), as the service answers:
 * - `model`: retrieval mode dense (the embedding model alone);
 * - `lexical`, `hybrid`: retrieval modes lexical and hybrid (versions with a lexical index);
 * - `default`: what a request without a mode gets (the manifest's retrieval.default: one of the
 *   above; like_creators and vector queries are dense), i.e. what the release gate compares;
 * - `model_reranked`: dense with MMR diversity / category cap (only when asked);
 * - `exact`: brute-force cosine over all creators (the model's ceiling without ANN error);
 * - `bm25`: plain BM25 top k over the profile text (the lexical baseline): the version's own
 *   lexical index, or for versions without one an index built here from the creators file.
 * Plus ANN recall@k: overlap of `model` with `exact`.
 */

export type SystemName = 'model' | 'lexical' | 'hybrid' | 'default' | 'model_reranked' | 'exact' | 'bm25';
export const SYSTEM_NAMES: readonly SystemName[] = ['model', 'lexical', 'hybrid', 'default', 'model_reranked', 'exact', 'bm25'];
/** auto: interest text when the fan has one, else followed creators, else the vector. */
export type QueryMode = 'auto' | 'text' | 'follows';

export interface EvalOptions {
  k?: number;
  queryMode?: QueryMode;
  /** Adds a `model_reranked` system with these options. */
  rerank?: RerankOptions;
  /** Creator input file (with `about`) for BM25 texts; default: the bundled sample if the index was built from it. */
  creatorsFile?: string;
  /** Embedder for text queries; default: the manifest's model (created and disposed here). */
  embedder?: Embedder;
  efSearch?: number;
  exactMaxCandidates?: number;
  modelsDir?: string;
  /**
   * Graded judgments (fan id → creator id → grade) instead of the fans' expected_categories /
   * relevant_creator_ids; NDCG gains 2^g − 1. Fans without any judgment are skipped.
   */
  judgments?: GradedJudgments;
  /**
   * Query adapter for text and follows queries (docs/LEARNING.md); default: the evaluated
   * version's own (manifest `adapter`), so eval measures what the service serves; null: none.
   * Raw vector queries are never adapted.
   */
  adapter?: QueryAdapter | null;
  /** Only these systems (default: every one the version supports; `exact` also gives ANN recall). */
  systems?: readonly SystemName[];
  /** Hybrid fusion to evaluate instead of the version's own (manifest retrieval.fusion), e.g. in a sweep. */
  fusion?: FusionParams;
  /**
   * Off-policy evaluation on logged exposures (the learning gate on engagement): fan id → the
   * creators that fan was shown. Each system's list becomes its top LOGGED_DEPTH kept to what the
   * fan was shown, then the shown creators it did not retrieve (in id order): a ranking of exactly
   * the logged set. Creators nobody showed have no engagement label either way, so a version that
   * ranks them is not judged against the served version's choices (exposure bias). Judgments are
   * kept to the logged set; fans without a logged set or without a relevant creator in it are skipped.
   */
  logged?: ReadonlyMap<string, ReadonlySet<string>>;
  /** Progress of the two long stages (embedding the fans' texts, then matching each fan), e.g. for a progress bar. */
  onProgress?: (stage: EvalStage, done: number, total: number) => void;
}

export type EvalStage = 'embedding' | 'matching';

/** Texts embedded per model call (and per progress step). */
const EMBED_CHUNK = 64;

/** With `logged`: how deep each system's ranking is read before it is kept to the logged set. */
export const LOGGED_DEPTH = 100;

/** A ranking kept to the logged set, then the logged creators it left out (id order). */
export function rankLogged(ranked: readonly string[], shown: ReadonlySet<string>): string[] {
  const kept = ranked.filter((id) => shown.has(id));
  const seen = new Set(kept);
  return [...kept, ...[...shown].filter((id) => !seen.has(id)).sort()];
}

/** Ranking metrics plus precision at 5 (at k when k < 5) and the number of distinct categories in the top k (a diversity measure). */
export interface SystemMetrics extends RankingMetrics {
  p5: number;
  categories: number;
}

export interface SystemReport extends SystemMetrics {
  /** Fans this system answered. */
  fans: number;
}

export interface FanResult {
  fanId: string;
  language: string;
  query: 'text' | 'follows' | 'vector';
  relevant: number;
  metrics: Partial<Record<SystemName, SystemMetrics>>;
  annRecall: number;
}

export interface EvalReport {
  index: { version: string; modelId: string | null; count: number };
  k: number;
  queryMode: QueryMode;
  rerank: RerankOptions | null;
  fans: { total: number; evaluated: number; skipped: Array<{ fanId: string; reason: string }> };
  systems: Partial<Record<SystemName, SystemReport>>;
  /** Mean overlap of the model's top k with the exact top k. */
  annRecall: number;
  /** Model search strategies used (ann / ann_overfetch / ann_filtered / exact_candidates / exact_scan). */
  strategies: Partial<Record<SearchStrategy, number>>;
  perLanguage: Record<string, { fans: number; systems: Partial<Record<SystemName, SystemReport>>; annRecall: number }>;
  /** The same per expected category of the fans (a fan with two expected categories counts in both; none: "(none)"). */
  perCategory: Record<string, { fans: number; systems: Partial<Record<SystemName, SystemReport>>; annRecall: number }>;
  /** Where the BM25 document text came from. */
  bm25Text: 'profile' | 'profile-without-about';
  /** The version's retrieval: the served default mode, the fusion hybrid used, and where the bm25 system's index came from. */
  retrieval: { default: ServedRetrieval; fusion: FusionParams | null; chosenBy: string | null; lexicalIndex: 'version' | 'built-for-eval' };
  /** The query adapter applied to text and follows queries, if any. */
  adapter: { rank: number; appliesTo: Array<'text' | 'like'> } | null;
  /** categories: expected_categories / relevant_creator_ids (binary); graded: a judgments file. */
  judgments: 'categories' | 'graded';
  /** Ranked over each fan's logged exposures (EvalOptions.logged). */
  logged: boolean;
  perFan: FanResult[];
}

class SystemStats {
  readonly all = new Map<SystemName, MeanAccumulator<keyof SystemMetrics>>();
  readonly ann = new MeanAccumulator<'annRecall'>();

  add(r: FanResult): void {
    for (const [name, m] of Object.entries(r.metrics) as Array<[SystemName, SystemMetrics]>) {
      let acc = this.all.get(name);
      if (!acc) this.all.set(name, (acc = new MeanAccumulator()));
      acc.add({ ...m });
    }
    this.ann.add({ annRecall: r.annRecall });
  }

  systems(): Partial<Record<SystemName, SystemReport>> {
    const out: Partial<Record<SystemName, SystemReport>> = {};
    for (const name of SYSTEM_NAMES) {
      const acc = this.all.get(name);
      if (acc) out[name] = { ...acc.mean(), fans: acc.count };
    }
    return out;
  }
}

/**
 * The service's embedding cache (CachingEmbedder), sized for one evaluation run: every fan text is
 * embedded once (the fans in one batch) and answered from memory after, as the service answers a
 * repeated text.
 */
export class CachedEmbedder extends CachingEmbedder {
  constructor(inner: Embedder) {
    super(inner, new EmbeddingCache(EVAL_CACHE_TEXTS), 'eval');
  }
}

/** Texts one evaluation run keeps (2 KB each at 512 dims). */
const EVAL_CACHE_TEXTS = 1_000_000;

/** The mode a request with no mode gets on this version (Matcher.retrievalFor, text queries). */
export function servedMode(manifest: Manifest, hasLexical: boolean): ServedRetrieval {
  return hasLexical ? (manifest.retrieval?.default ?? 'dense') : 'dense';
}

export async function evaluateIndex(index: LoadedIndex, fans: readonly Fan[], opts: EvalOptions = {}): Promise<EvalReport> {
  const k = opts.k ?? 10;
  const queryMode = opts.queryMode ?? 'auto';
  const { catalog, manifest } = index;
  const defaultFilter: MatchFilter = { excludeIds: [], categories: [], languages: [], includeNsfw: false, minScore: undefined };
  const hasLexical = index.lexical !== undefined;
  const wanted = new Set<SystemName>(opts.systems ?? SYSTEM_NAMES);
  if (!hasLexical) {
    wanted.delete('lexical');
    wanted.delete('hybrid');
  }
  if (!opts.rerank) wanted.delete('model_reranked');

  const ownEmbedder = opts.embedder === undefined && manifest.model !== null;
  if (ownEmbedder) await prepareIfBundled(manifest.model!.id, opts.modelsDir);
  const inner = opts.embedder ?? (manifest.model ? createEmbedder({ model: manifest.model.id, dtype: manifest.model.dtype, ...(opts.modelsDir ? { modelsDir: opts.modelsDir } : {}) }) : undefined);
  const embedder = inner instanceof CachedEmbedder || inner === undefined ? inner : new CachedEmbedder(inner);
  const text = embedder
    ? { embedder }
    : { unavailable: new MatchError('TEXT_QUERY_UNSUPPORTED', 'the index has no model, so interest texts cannot be embedded') };
  const adapter = opts.adapter === undefined ? index.adapter : (opts.adapter ?? undefined);
  const appliesTo = new Set<'text' | 'like'>(adapter ? (manifest.adapter?.appliesTo ?? ['text', 'like']) : []);
  // The served path, with the adapter and fusion under evaluation (the version's own by default).
  const retrieval = manifest.retrieval && opts.fusion ? { ...manifest.retrieval, fusion: opts.fusion } : opts.fusion ? { default: 'hybrid' as const, fusion: opts.fusion, chosenBy: 'evaluation' } : manifest.retrieval;
  const source: MatchSource = { version: index.version, manifest: { ...manifest, ...(retrieval ? { retrieval } : {}) }, catalog, search: index.search, lexical: index.lexical, adapter };
  const matcher = new Matcher(source, text, { efSearch: opts.efSearch, exactMaxCandidates: opts.exactMaxCandidates ?? 'auto', maxRerankWork: Number.MAX_SAFE_INTEGER });
  const served = servedMode(manifest, hasLexical);

  try {
    const bm25 = wanted.has('bm25') ? await bm25Index(index, opts.creatorsFile) : undefined;

    // Decide each fan's query, then embed all texts in one go.
    const skipped: Array<{ fanId: string; reason: string }> = [];
    const planned: Array<{ fan: Fan; kind: 'text' | 'follows' | 'vector'; liked: number[] }> = [];
    for (const fan of fans) {
      const kind = chooseQuery(fan, queryMode);
      if (!kind) {
        skipped.push({ fanId: fan.fanId, reason: `no ${queryMode === 'auto' ? 'interest_text, follows or vector' : queryMode} to query with` });
        continue;
      }
      const liked = kind === 'follows' ? fan.follows!.map((id) => catalog.labelOf(id)).filter((l): l is number => l !== undefined) : [];
      if (kind === 'follows' && liked.length === 0) {
        skipped.push({ fanId: fan.fanId, reason: 'none of the followed creators is in the index' });
        continue;
      }
      if (kind === 'text' && embedder === undefined) {
        skipped.push({ fanId: fan.fanId, reason: 'the index has no model for text queries' });
        continue;
      }
      planned.push({ fan, kind, liked });
    }
    const textFans = planned.filter((p) => p.kind === 'text');
    const embedded: Float32Array[] = [];
    for (let i = 0; i < textFans.length; i += EMBED_CHUNK) {
      opts.onProgress?.('embedding', i, textFans.length);
      embedded.push(...(await matcher.embedTexts(textFans.slice(i, i + EMBED_CHUNK).map((p) => p.fan.text!))));
    }
    if (textFans.length > 0) opts.onProgress?.('embedding', textFans.length, textFans.length);
    const textVectors = new Map(textFans.map((p, i) => [p.fan.fanId, adapter && appliesTo.has('text') ? adapter.apply(embedded[i]!) : embedded[i]!]));
    const likedTexts = bm25 && planned.some((p) => p.kind === 'follows') ? await bm25.texts() : undefined;

    const stats = new SystemStats();
    const byLanguage = new Map<string, SystemStats>();
    const byCategory = new Map<string, SystemStats>();
    const strategies: Partial<Record<SearchStrategy, number>> = {};
    const perFan: FanResult[] = [];
    const labelsToIds = (labels: Array<{ label: number }>): string[] => labels.map((h) => catalog.idOf(h.label));
    // With logged exposures, each list is read LOGGED_DEPTH deep and ranked over the fan's logged set.
    const depth = opts.logged ? Math.max(k, LOGGED_DEPTH) : k;
    let shown: ReadonlySet<string> | undefined;
    const score = (listed: string[], judgments: Judgments): SystemMetrics => {
      const ids = shown ? rankLogged(listed, shown) : listed;
      return {
      ...rankingMetrics(ids, judgments, k),
      p5: rankingMetrics(ids, judgments, Math.min(5, k)).precision,
        categories: new Set(ids.slice(0, k).map((id) => catalog.categoryOf(catalog.labelOf(id)!))).size,
      };
    };

    for (const [i, { fan, kind, liked }] of planned.entries()) {
      opts.onProgress?.('matching', i, planned.length);
      const filter = catalog.compile(defaultFilter, liked);
      shown = opts.logged?.get(fan.fanId);
      if (opts.logged && !shown?.size) {
        skipped.push({ fanId: fan.fanId, reason: 'no logged exposures for this fan' });
        continue;
      }
      let judgments: Judgments;
      if (opts.judgments) {
        const grades = opts.judgments.get(fan.fanId);
        if (!grades) {
          skipped.push({ fanId: fan.fanId, reason: 'no judgments for this fan in the judgments file' });
          continue;
        }
        judgments = gradedJudgments(grades, (id) => {
          const label = catalog.labelOf(id);
          return label !== undefined && filter.allows(label);
        });
        if (judgments.size === 0) {
          skipped.push({ fanId: fan.fanId, reason: 'no creator judged relevant (grade ≥ 1) passes the filter' });
          continue;
        }
      } else {
        judgments = judge(fan, catalog.size, (label) => ({ id: catalog.idOf(label), category: catalog.categoryOf(label) }), filter.allows);
        if (judgments.size === 0) {
          skipped.push({ fanId: fan.fanId, reason: 'no relevant creator (expected_categories / relevant_creator_ids) passes the filter' });
          continue;
        }
      }
      if (shown) {
        // The logged set is the universe: relevant creators nobody showed cannot be found in it.
        const inLog = shown;
        judgments = new Map([...judgments].filter(([id]) => inLog.has(id)));
        if (judgments.size === 0) {
          skipped.push({ fanId: fan.fanId, reason: 'no relevant creator among the logged exposures' });
          continue;
        }
      }
      // The request as the service gets it, and the (adapted) query vector for the exact system.
      let query: MatchQuery;
      let vector: Float32Array | undefined;
      let lexical: string | undefined;
      if (kind === 'text') {
        vector = textVectors.get(fan.fanId);
        query = { kind: 'text', text: fan.text! };
        lexical = fan.text;
      } else if (kind === 'vector') {
        vector = validateVector(fan.vector!, manifest.dims);
        query = { kind: 'vector', vector };
      } else {
        const ids = liked.map((l) => catalog.idOf(l));
        const weights = fan.weights ? fan.follows!.flatMap((id, i) => (catalog.labelOf(id) === undefined ? [] : [fan.weights![i]!])) : undefined;
        const rows = await index.hnsw.vectors(liked);
        vector = normalisedMean(rows.map((r) => r!), manifest.dims, weights);
        if (vector && adapter && appliesTo.has('like')) vector = adapter.apply(vector);
        query = weights ? { kind: 'like', ids, weights } : { kind: 'like', ids };
        lexical = likedTexts ? liked.map((l) => likedTexts[l] ?? '').join(' ') : undefined;
      }
      if (!vector) {
        skipped.push({ fanId: fan.fanId, reason: 'query vector is zero' });
        continue;
      }
      const base = { requestId: fan.fanId, fanId: fan.fanId, query, k: depth, filter: defaultFilter, includeProfile: false, retrieval: 'dense' as const, explain: false };
      const result: FanResult = { fanId: fan.fanId, language: fan.language ?? 'unknown', query: kind, relevant: judgments.size, metrics: {}, annRecall: 1 };
      const ranked = new Map<Exclude<RetrievalMode, 'default'>, string[]>();
      for (const mode of ['dense', 'lexical', 'hybrid'] as const) {
        const name: SystemName = mode === 'dense' ? 'model' : mode;
        const servedHere = wanted.has('default') && matcher.retrievalFor({ ...base, retrieval: 'default' }) === mode;
        if (!wanted.has(name) && !servedHere && !(mode === 'dense' && wanted.has('exact'))) continue;
        const r = await matcher.match({ ...base, retrieval: mode });
        if (mode === 'dense') strategies[r.strategy] = (strategies[r.strategy] ?? 0) + 1;
        ranked.set(mode, r.matches.map((m) => m.creatorId));
        if (wanted.has(name)) result.metrics[name] = score(ranked.get(mode)!, judgments);
        if (servedHere) result.metrics.default = score(ranked.get(mode)!, judgments);
      }
      if (wanted.has('exact')) {
        const exactIds = labelsToIds((await index.search.search(vector, { k: depth, ef: 0, filter, exact: true })).hits);
        result.metrics.exact = score(exactIds, judgments);
        result.annRecall = overlapAt(ranked.get('dense')!, exactIds, k);
      }
      if (opts.rerank && wanted.has('model_reranked')) {
        const reranked = await matcher.match({ ...base, rerank: opts.rerank });
        result.metrics.model_reranked = score(reranked.matches.map((m) => m.creatorId), judgments);
      }
      if (bm25 && lexical !== undefined) result.metrics.bm25 = score(labelsToIds(bm25.index.search(lexical, depth, filter.allows)), judgments);
      perFan.push(result);
      stats.add(result);
      let lang = byLanguage.get(result.language);
      if (!lang) byLanguage.set(result.language, (lang = new SystemStats()));
      lang.add(result);
      for (const category of fan.expectedCategories?.length ? new Set(fan.expectedCategories) : ['(none)']) {
        let cat = byCategory.get(category);
        if (!cat) byCategory.set(category, (cat = new SystemStats()));
        cat.add(result);
      }
    }
    if (planned.length > 0) opts.onProgress?.('matching', planned.length, planned.length);

    const perLanguage: EvalReport['perLanguage'] = {};
    for (const [language, s] of [...byLanguage].sort(([a], [b]) => a.localeCompare(b))) {
      perLanguage[language] = { fans: s.ann.count, systems: s.systems(), annRecall: s.ann.mean().annRecall ?? 0 };
    }
    const perCategory: EvalReport['perCategory'] = {};
    for (const [category, s] of [...byCategory].sort(([a], [b]) => a.localeCompare(b))) {
      perCategory[category] = { fans: s.ann.count, systems: s.systems(), annRecall: s.ann.mean().annRecall ?? 0 };
    }
    return {
      index: { version: index.version, modelId: manifest.model?.id ?? null, count: manifest.count },
      k,
      queryMode,
      rerank: opts.rerank ?? null,
      fans: { total: fans.length, evaluated: perFan.length, skipped },
      systems: stats.systems(),
      annRecall: stats.ann.mean().annRecall ?? 0,
      strategies,
      perLanguage,
      perCategory,
      bm25Text: bm25?.source ?? (hasLexical ? 'profile' : 'profile-without-about'),
      retrieval: {
        default: served,
        fusion: hasLexical ? (source.manifest.retrieval?.fusion ?? DEFAULT_FUSION) : null,
        chosenBy: hasLexical ? (source.manifest.retrieval?.chosenBy ?? null) : null,
        lexicalIndex: hasLexical ? 'version' : 'built-for-eval',
      },
      adapter: adapter ? { rank: adapter.rank, appliesTo: [...appliesTo] } : null,
      judgments: opts.judgments ? 'graded' : 'categories',
      logged: opts.logged !== undefined,
      perFan,
    };
  } finally {
    if (ownEmbedder) await embedder?.dispose();
  }
}

function chooseQuery(fan: Fan, mode: QueryMode): 'text' | 'follows' | 'vector' | undefined {
  if (mode === 'text') return fan.text ? 'text' : undefined;
  if (mode === 'follows') return fan.follows?.length ? 'follows' : undefined;
  if (fan.text) return 'text';
  if (fan.follows?.length) return 'follows';
  if (fan.vector?.length) return 'vector';
  return undefined;
}

/**
 * Binary judgments: a creator is relevant (gain 1) if its category is one of the fan's
 * expected_categories or its id is in relevant_creator_ids, and it passes the request filter
 * (a creator the service may not return cannot count against it).
 */
export function judge(
  fan: Pick<Fan, 'expectedCategories' | 'relevantCreatorIds'>,
  count: number,
  profile: (label: number) => { id: string; category: string },
  allows: (label: number) => boolean,
): Judgments {
  const categories = new Set(fan.expectedCategories ?? []);
  const ids = new Set(fan.relevantCreatorIds ?? []);
  const out = new Map<string, number>();
  for (let label = 0; label < count; label++) {
    if (!allows(label)) continue;
    const p = profile(label);
    if (categories.has(p.category) || ids.has(p.id)) out.set(p.id, 1);
  }
  return out;
}

/**
 * The bm25 system's index: the version's own lexical index (built from the full profile text), or
 * for a version without one, a LexicalIndex built here over the profile text from the creators
 * file (the bundled sample is found by its checksum; without the file, name, category and tags).
 * `texts()`: each label's document text (liked creators' words for follows queries).
 */
async function bm25Index(index: LoadedIndex, creatorsFile: string | undefined): Promise<{ index: LexicalIndex; source: EvalReport['bm25Text']; texts(): Promise<string[]> }> {
  const { catalog, manifest } = index;
  if (index.lexical) {
    const file = path.join(index.dir, LEXICAL_FILES.texts);
    return {
      index: index.lexical,
      source: 'profile',
      texts: async () => (await fs.readFile(file, 'utf8')).split('\n').filter((l) => l.trim() !== '').map((l) => (JSON.parse(l) as { text: string }).text),
    };
  }
  let file = creatorsFile;
  if (file === undefined && path.basename(SAMPLE_CATALOG) === manifest.input.file && existsSync(SAMPLE_CATALOG)) {
    if ((await sha256File(SAMPLE_CATALOG)) === manifest.input.sha256) file = SAMPLE_CATALOG;
  }
  const texts = Array.from({ length: catalog.size }, (_, label) => {
    const p = catalog.profile(label);
    return profileText({ name: p.name, about: '', tags: p.tags, category: p.category });
  });
  if (file !== undefined) {
    const { records } = await readCreators(file);
    for (const r of records) {
      const label = catalog.labelOf(r.id);
      if (label !== undefined) texts[label] = profileText(r);
    }
  }
  const lexical = LexicalIndex.build(texts.map((text, label) => ({ label, text, language: catalog.profile(label).language })));
  return { index: lexical, source: file === undefined ? 'profile-without-about' : 'profile', texts: () => Promise.resolve(texts) };
}
