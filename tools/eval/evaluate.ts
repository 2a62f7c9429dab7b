import { existsSync } from 'node:fs';
import path from 'node:path';
import { readCreators } from '../../src/catalog/creator-file';
import { profileText } from '../../src/catalog/profile-text';
import { SAMPLE_CATALOG } from '../../src/config/config';
import { createEmbedder } from '../../src/embedding';
import { prepareIfBundled } from '../model/prepare-default-model';
import type { Embedder } from '../../src/embedding/embedder';
import { MatchError } from '../../src/errors/match-error';
import type { LoadedIndex } from '../../src/index/loaded-index';
import { sha256File } from '../../src/index/manifest';
import type { RerankOptions } from '../../src/match/diversify';
import type { SearchStrategy } from '../../src/index/search-index';
import { normalisedMean } from '../../src/index/vectors';
import type { MatchFilter, MatchQuery } from '../../src/match/match-input';
import { Matcher } from '../../src/match/matcher';
import { readVersionAdapter, type QueryAdapter } from '../../src/index/query-adapter';
import { validateVector } from '../../src/match/validate-request';
import { Bm25Baseline } from './bm25';
import type { Fan, GradedJudgments } from './fans';
import { gradedJudgments, MeanAccumulator, overlapAt, rankingMetrics, type Judgments, type RankingMetrics } from './metrics';

/**
 * Offline evaluation of one index version on a fans file with relevance judgments.
 *
 * Systems, all under the same default filter (no NSFW, liked creators excluded):
 * - `model`: the served path, Matcher.match (HNSW with exact filtering), as the service answers;
 * - `model_reranked`: the same with MMR diversity / category cap (only when asked);
 * - `exact`: brute-force cosine over all creators (the model's ceiling without ANN error);
 * - `bm25`: Okapi BM25 over the same profile text (lexical baseline).
 * Plus ANN recall@k: overlap of `model` with `exact`.
 */

export type SystemName = 'model' | 'model_reranked' | 'exact' | 'bm25';
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
}

/** Ranking metrics plus the number of distinct categories in the top k (a diversity measure). */
export interface SystemMetrics extends RankingMetrics {
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
  /** The query adapter applied to text and follows queries, if any. */
  adapter: { rank: number; appliesTo: Array<'text' | 'like'> } | null;
  /** categories: expected_categories / relevant_creator_ids (binary); graded: a judgments file. */
  judgments: 'categories' | 'graded';
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
    for (const name of ['model', 'model_reranked', 'exact', 'bm25'] as const) {
      const acc = this.all.get(name);
      if (acc) out[name] = { ...acc.mean(), fans: acc.count };
    }
    return out;
  }
}

export async function evaluateIndex(index: LoadedIndex, fans: readonly Fan[], opts: EvalOptions = {}): Promise<EvalReport> {
  const k = opts.k ?? 10;
  const queryMode = opts.queryMode ?? 'auto';
  const { catalog, manifest } = index;
  const defaultFilter: MatchFilter = { excludeIds: [], categories: [], languages: [], includeNsfw: false, minScore: undefined };

  const ownEmbedder = opts.embedder === undefined && manifest.model !== null;
  if (ownEmbedder) await prepareIfBundled(manifest.model!.id, opts.modelsDir);
  const embedder = opts.embedder ?? (manifest.model ? createEmbedder({ model: manifest.model.id, dtype: manifest.model.dtype, ...(opts.modelsDir ? { modelsDir: opts.modelsDir } : {}) }) : undefined);
  const text = embedder
    ? { embedder }
    : { unavailable: new MatchError('TEXT_QUERY_UNSUPPORTED', 'the index has no model, so interest texts cannot be embedded') };
  const matcher = new Matcher(index, text, { efSearch: opts.efSearch, exactMaxCandidates: opts.exactMaxCandidates ?? 'auto', maxRerankWork: Number.MAX_SAFE_INTEGER });
  const adapter = opts.adapter === undefined ? await readVersionAdapter(index.dir, manifest) : (opts.adapter ?? undefined);
  const appliesTo = new Set<'text' | 'like'>(adapter ? (manifest.adapter?.appliesTo ?? ['text', 'like']) : []);

  try {
    const { texts, source } = await bm25Texts(index, opts.creatorsFile);
    const bm25 = new Bm25Baseline(texts);

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
    const embedded = textFans.length > 0 ? await matcher.embedTexts(textFans.map((p) => p.fan.text!)) : [];
    const textVectors = new Map(textFans.map((p, i) => [p.fan.fanId, adapter && appliesTo.has('text') ? adapter.apply(embedded[i]!) : embedded[i]!]));

    const stats = new SystemStats();
    const byLanguage = new Map<string, SystemStats>();
    const byCategory = new Map<string, SystemStats>();
    const strategies: Partial<Record<SearchStrategy, number>> = {};
    const perFan: FanResult[] = [];
    const labelsToIds = (labels: Array<{ label: number }>): string[] => labels.map((h) => catalog.idOf(h.label));
    const score = (ids: string[], judgments: Judgments): SystemMetrics => ({
      ...rankingMetrics(ids, judgments, k),
      categories: new Set(ids.slice(0, k).map((id) => catalog.categoryOf(catalog.labelOf(id)!))).size,
    });

    for (const { fan, kind, liked } of planned) {
      const filter = catalog.compile(defaultFilter, liked);
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
      let query: MatchQuery;
      let vector: Float32Array | undefined;
      let lexical: string | undefined;
      if (kind === 'text') {
        vector = textVectors.get(fan.fanId);
        query = { kind: 'vector', vector: vector! };
        lexical = fan.text;
      } else if (kind === 'vector') {
        vector = validateVector(fan.vector!, manifest.dims);
        query = { kind: 'vector', vector };
      } else {
        const ids = liked.map((l) => catalog.idOf(l));
        const weights = fan.weights ? fan.follows!.flatMap((id, i) => (catalog.labelOf(id) === undefined ? [] : [fan.weights![i]!])) : undefined;
        const rows = await index.hnsw.vectors(liked);
        vector = normalisedMean(rows.map((r) => r!), manifest.dims, weights);
        query = weights ? { kind: 'like', ids, weights } : { kind: 'like', ids };
        if (vector && adapter && appliesTo.has('like')) {
          // As the service will: the adapted mean, with the liked creators still excluded.
          vector = adapter.apply(vector);
          query = { kind: 'vector', vector };
        }
        lexical = liked.map((l) => texts[l]).join(' ');
      }
      if (!vector) {
        skipped.push({ fanId: fan.fanId, reason: 'query vector is zero' });
        continue;
      }
      const requestFilter: MatchFilter = query.kind === 'vector' && kind === 'follows' ? { ...defaultFilter, excludeIds: liked.map((l) => catalog.idOf(l)) } : defaultFilter;
      const base = { requestId: fan.fanId, fanId: fan.fanId, query, k, filter: requestFilter, includeProfile: false, retrieval: 'dense' as const, explain: false };
      const model = await matcher.match(base);
      strategies[model.strategy] = (strategies[model.strategy] ?? 0) + 1;
      const modelIds = model.matches.map((m) => m.creatorId);
      const exactIds = labelsToIds((await index.search.search(vector, { k, ef: 0, filter, exact: true })).hits);
      const result: FanResult = {
        fanId: fan.fanId,
        language: fan.language ?? 'unknown',
        query: kind,
        relevant: judgments.size,
        metrics: { model: score(modelIds, judgments), exact: score(exactIds, judgments) },
        annRecall: overlapAt(modelIds, exactIds, k),
      };
      if (opts.rerank) {
        const reranked = await matcher.match({ ...base, rerank: opts.rerank });
        result.metrics.model_reranked = score(reranked.matches.map((m) => m.creatorId), judgments);
      }
      if (lexical !== undefined) result.metrics.bm25 = score(labelsToIds(bm25.search(lexical, k, filter.allows)), judgments);
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
      bm25Text: source,
      adapter: adapter ? { rank: adapter.rank, appliesTo: [...appliesTo] } : null,
      judgments: opts.judgments ? 'graded' : 'categories',
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

/** BM25 documents per label: the full profile text from the creators file when we have it. */
async function bm25Texts(index: LoadedIndex, creatorsFile: string | undefined): Promise<{ texts: string[]; source: EvalReport['bm25Text'] }> {
  const { catalog, manifest } = index;
  let file = creatorsFile;
  if (file === undefined && path.basename(SAMPLE_CATALOG) === manifest.input.file && existsSync(SAMPLE_CATALOG)) {
    if ((await sha256File(SAMPLE_CATALOG)) === manifest.input.sha256) file = SAMPLE_CATALOG;
  }
  const texts = Array.from({ length: catalog.size }, (_, label) => {
    const p = catalog.profile(label);
    return profileText({ name: p.name, about: '', tags: p.tags, category: p.category });
  });
  if (file === undefined) return { texts, source: 'profile-without-about' };
  const { records } = await readCreators(file);
  for (const r of records) {
    const label = catalog.labelOf(r.id);
    if (label !== undefined) texts[label] = profileText(r);
  }
  return { texts, source: 'profile' };
}
