import { listForEcho } from '../errors/echo';
import { MatchError } from '../errors/match-error';
import { normalise } from '../index/vectors';
import type { Filter__Output } from '../contract/creatormatch/v1/Filter';
import type { MatchRequest__Output } from '../contract/creatormatch/v1/MatchRequest';
import { truncateForEcho } from '../errors/echo';
import { DEFAULT_K, type MatchInput, type MatchLimits, type MatchQuery, type RetrievalMode } from './match-input';

/** What the index offers, for checks that depend on it. */
export interface IndexShape {
  dims: number;
  categories: readonly string[];
  languages: readonly string[];
}

/** Any character other than whitespace and invisible format characters (\p{Cf}). */
const VISIBLE = /[^\s\p{Cf}]/u;
// C0/C1 controls except tab/newline/CR, and lone surrogates, become spaces.
// eslint-disable-next-line no-control-regex -- control characters are what it replaces
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

export function validateRequest(req: MatchRequest__Output, limits: MatchLimits, shape: IndexShape): MatchInput {
  const k = req.k ?? 0;
  if (!Number.isInteger(k) || k < 0) throw new MatchError('INVALID_K', `k must be a non-negative integer, got ${k}`);
  if (k > limits.maxK) throw new MatchError('INVALID_K', `k=${k} is above the maximum of ${limits.maxK}`, { details: { maxK: limits.maxK } });
  return {
    requestId: req.request_id ?? '',
    fanId: req.fan_id ?? '',
    query: validateQuery(req, limits, shape),
    k: k === 0 ? limits.defaultK || DEFAULT_K : k,
    filter: validateFilter(req.filter, limits, shape),
    includeProfile: req.include_profile === true,
    ...validateRerank(req),
    retrieval: validateRetrieval(req),
    explain: req.explain === true,
  };
}

const RETRIEVAL_MODES: Readonly<Record<string, RetrievalMode>> = {
  RETRIEVAL_UNSPECIFIED: 'default',
  RETRIEVAL_DENSE: 'dense',
  RETRIEVAL_LEXICAL: 'lexical',
  RETRIEVAL_HYBRID: 'hybrid',
};

/** The retrieval mode; an explicit lexical or hybrid mode needs text (or liked creators) to match. */
function validateRetrieval(req: MatchRequest__Output): RetrievalMode {
  const mode = RETRIEVAL_MODES[String(req.retrieval)];
  if (mode === undefined) throw new MatchError('INVALID_QUERY', `unknown retrieval ${truncateForEcho(String(req.retrieval))}; use RETRIEVAL_DENSE, RETRIEVAL_LEXICAL, RETRIEVAL_HYBRID or leave it unset`);
  if (req.query === 'vector' && (mode === 'lexical' || mode === 'hybrid')) {
    throw new MatchError('INVALID_QUERY', `a vector query has no words to match: retrieval ${req.retrieval} needs interest_text or like_creators`);
  }
  return mode;
}

/** diversity: MMR λ in [0, 1] (0 = off); max_per_category: 0 = off. See src/match/diversify.ts. */
function validateRerank(req: MatchRequest__Output): Pick<MatchInput, 'rerank'> {
  const diversity = req.diversity ?? 0;
  if (!(diversity >= 0 && diversity <= 1)) {
    throw new MatchError('INVALID_DIVERSITY', `diversity must be within [0, 1] (0 = off), got ${diversity}`);
  }
  const maxPerCategory = req.max_per_category ?? 0;
  return diversity > 0 || maxPerCategory > 0 ? { rerank: { diversity, maxPerCategory } } : {};
}

function validateQuery(req: MatchRequest__Output, limits: MatchLimits, shape: IndexShape): MatchQuery {
  switch (req.query) {
    case 'vector':
      return { kind: 'vector', vector: validateVector(req.vector?.values ?? [], shape.dims) };
    case 'interest_text':
      return { kind: 'text', text: validateText(req.interest_text ?? '', limits.maxTextChars) };
    case 'like_creators': {
      const { ids, weights } = likedCreators(req.like_creators?.ids ?? [], req.like_creators?.weights ?? []);
      if (ids.length === 0) throw new MatchError('INVALID_QUERY', 'like_creators.ids is empty: name at least one creator id');
      if (ids.length > limits.maxLikeCreators) {
        throw new MatchError('INVALID_QUERY', `like_creators has ${ids.length} distinct ids, the maximum is ${limits.maxLikeCreators}`);
      }
      return weights ? { kind: 'like', ids, weights } : { kind: 'like', ids };
    }
    default:
      throw new MatchError('INVALID_QUERY', 'no query: set one of vector, interest_text or like_creators');
  }
}

/**
 * Distinct, trimmed ids; with weights (same length as ids, positive and finite), a repeated id
 * gets the sum of its weights. No weights: every creator counts once.
 */
function likedCreators(rawIds: readonly string[], rawWeights: readonly number[]): { ids: string[]; weights?: number[] } {
  if (rawWeights.length === 0) return { ids: [...new Set(rawIds.map((id) => id.trim()))].filter(Boolean) };
  if (rawWeights.length !== rawIds.length) {
    throw new MatchError('INVALID_QUERY', `like_creators.weights has ${rawWeights.length} values but ids has ${rawIds.length}; give one weight per id or none`);
  }
  const bad = rawWeights.findIndex((w) => !(Number.isFinite(w) && w > 0));
  if (bad >= 0) throw new MatchError('INVALID_QUERY', `like_creators.weights[${bad}] is ${rawWeights[bad]}; weights must be positive finite numbers`);
  const byId = new Map<string, number>();
  rawIds.forEach((raw, i) => {
    const id = raw.trim();
    if (id) byId.set(id, (byId.get(id) ?? 0) + rawWeights[i]!);
  });
  return { ids: [...byId.keys()], weights: [...byId.values()] };
}

export function validateVector(values: readonly number[], dims: number): Float32Array {
  if (values.length === 0) throw new MatchError('INVALID_VECTOR', 'vector.values is empty');
  if (values.length !== dims) {
    throw new MatchError('DIMENSION_MISMATCH', `vector has ${values.length} values, the index has ${dims} dimensions`, { details: { dims } });
  }
  // A NaN or infinite value makes the norm non-finite: the values are scanned only then (one pass
  // over 512 numbers per call is garbage in unoptimised code, which boxes each double it reads).
  const v = normalise(Float32Array.from(values));
  if (v) return v;
  const bad = values.findIndex((x) => !Number.isFinite(x));
  if (bad >= 0) throw new MatchError('INVALID_VECTOR', `vector.values[${bad}] is ${values[bad]}; all values must be finite`);
  throw new MatchError('INVALID_VECTOR', 'vector has zero norm (or overflows float32); cosine similarity is undefined');
}

export function validateText(raw: string, maxChars: number): string {
  if (raw.length > maxChars) {
    throw new MatchError('INVALID_TEXT', `interest_text has ${raw.length} characters, the maximum is ${maxChars}`, { details: { maxChars } });
  }
  const text = raw.replace(CONTROL, ' ').replace(/\s+/g, ' ').trim();
  // Invisible format characters (zero-width space and joiners, BOM, soft hyphen) stay in the text
  // (a joiner inside an emoji or a Persian word means something), but a text of nothing else is empty.
  if (!VISIBLE.test(text)) throw new MatchError('INVALID_TEXT', 'interest_text is empty or only whitespace, invisible format or control characters');
  return text;
}

function validateFilter(filter: Filter__Output | null, limits: MatchLimits, shape: IndexShape): MatchInput['filter'] {
  const excludeIds = filter?.exclude_creator_ids ?? [];
  if (excludeIds.length > limits.maxFilterIds) {
    throw new MatchError('INVALID_FILTER', `filter.exclude_creator_ids has ${excludeIds.length} ids, the maximum is ${limits.maxFilterIds}`);
  }
  const categories = checkKnown('categories', filter?.categories ?? [], shape.categories);
  const languages = checkKnown('languages', filter?.languages ?? [], shape.languages);
  const hasMin = filter?._min_score === 'min_score' || (filter?._min_score === undefined && filter?.min_score !== undefined && filter.min_score !== 0);
  const minScore = hasMin ? filter?.min_score : undefined;
  if (minScore !== undefined && !(minScore >= -1 && minScore <= 1)) {
    throw new MatchError('INVALID_FILTER', `filter.min_score must be within [-1, 1] (cosine similarity), got ${minScore}`);
  }
  return { excludeIds, categories, languages, includeNsfw: filter?.include_nsfw === true, minScore };
}

function checkKnown(field: string, values: readonly string[], known: readonly string[]): string[] {
  const wanted = [...new Set(values.map((v) => v.trim().toLowerCase()))].filter(Boolean);
  const knownSet = new Set(known);
  const unknown = wanted.filter((v) => !knownSet.has(v));
  if (unknown.length > 0) {
    throw new MatchError('INVALID_FILTER', `unknown filter.${field}: ${listForEcho(unknown, 10)}; this index has: ${listForEcho(known, 100)}`, {
      details: { unknown, known },
    });
  }
  return wanted;
}
