/**
 * What a view shows, kept in the query string so that a URL reproduces it (a comparison can be
 * shared by copying the address). Only values that differ from the defaults are written.
 */
import type { MatchRequest } from './api';

export type View = 'query' | 'compare' | 'task' | 'reports';
export type QueryKind = 'text' | 'like' | 'vector';
export const RETRIEVALS = ['RETRIEVAL_UNSPECIFIED', 'RETRIEVAL_DENSE', 'RETRIEVAL_LEXICAL', 'RETRIEVAL_HYBRID'] as const;
export type RetrievalName = (typeof RETRIEVALS)[number];
export const retrievalLabel = (r: string): string => (r === 'RETRIEVAL_UNSPECIFIED' ? 'index default' : r.replace('RETRIEVAL_', '').toLowerCase());

export interface QueryState {
  kind: QueryKind;
  text: string;
  like: string[];
  /** The pasted vector, as typed (JSON array or comma/space separated numbers). */
  vector: string;
  fan: string;
  k: number;
  categories: string[];
  languages: string[];
  nsfw: boolean;
  /** '' = no threshold. */
  minScore: string;
  exclude: string[];
  maxPerCategory: number;
}

/** What differs between the two columns of a comparison (the single view uses `a`). */
export interface ColumnState {
  /** '' = the variant fan_id is assigned to. */
  variant: string;
  retrieval: RetrievalName;
  diversity: number;
}

export interface AppState {
  view: View;
  query: QueryState;
  a: ColumnState;
  b: ColumnState;
}

export const defaultQuery = (): QueryState => ({ kind: 'text', text: '', like: [], vector: '', fan: '', k: 10, categories: [], languages: [], nsfw: false, minScore: '', exclude: [], maxPerCategory: 0 });
export const defaultColumn = (): ColumnState => ({ variant: '', retrieval: 'RETRIEVAL_UNSPECIFIED', diversity: 0 });

const list = (v: string | null): string[] => (v ? v.split(',').map((x) => x.trim()).filter(Boolean) : []);
const num = (v: string | null, fallback: number, min: number, max: number): number => {
  const n = Number(v);
  return v !== null && v !== '' && Number.isFinite(n) ? Math.min(max, Math.max(min, n)) : fallback;
};
const retrieval = (v: string | null): RetrievalName => (RETRIEVALS as readonly string[]).includes(`RETRIEVAL_${(v ?? '').toUpperCase()}`) ? (`RETRIEVAL_${(v ?? '').toUpperCase()}` as RetrievalName) : 'RETRIEVAL_UNSPECIFIED';

function column(p: URLSearchParams, prefix: string): ColumnState {
  return { variant: p.get(`${prefix}variant`) ?? '', retrieval: retrieval(p.get(`${prefix}mode`)), diversity: num(p.get(`${prefix}div`), 0, 0, 1) };
}

export function fromSearch(search: string): AppState {
  const p = new URLSearchParams(search);
  const view = (['query', 'compare', 'task', 'reports'] as const).find((v) => v === p.get('view')) ?? 'query';
  const kind = (['text', 'like', 'vector'] as const).find((k) => k === p.get('kind')) ?? (p.get('like') ? 'like' : p.get('vec') ? 'vector' : 'text');
  return {
    view,
    query: {
      kind,
      text: p.get('q') ?? '',
      like: list(p.get('like')),
      vector: p.get('vec') ?? '',
      fan: p.get('fan') ?? '',
      k: num(p.get('k'), 10, 1, 1000),
      categories: list(p.get('cat')),
      languages: list(p.get('lang')),
      nsfw: p.get('nsfw') === '1',
      minScore: p.get('min') ?? '',
      exclude: list(p.get('excl')),
      maxPerCategory: num(p.get('mpc'), 0, 0, 1000),
    },
    a: column(p, p.has('a.variant') || p.has('a.mode') || p.has('a.div') ? 'a.' : ''),
    b: column(p, 'b.'),
  };
}

export function toSearch(s: AppState): string {
  const p = new URLSearchParams();
  const set = (key: string, value: string, fallback = ''): void => {
    if (value !== fallback) p.set(key, value);
  };
  set('view', s.view, 'query');
  if (s.view === 'task' || s.view === 'reports') return `?${p.toString()}`;
  const q = s.query;
  set('kind', q.kind, 'text');
  if (q.kind === 'text') set('q', q.text);
  if (q.kind === 'like') set('like', q.like.join(','));
  if (q.kind === 'vector') set('vec', q.vector);
  set('fan', q.fan);
  set('k', String(q.k), '10');
  set('cat', q.categories.join(','));
  set('lang', q.languages.join(','));
  set('nsfw', q.nsfw ? '1' : '');
  set('min', q.minScore);
  set('excl', q.exclude.join(','));
  set('mpc', String(q.maxPerCategory), '0');
  const col = (prefix: string, c: ColumnState): void => {
    set(`${prefix}variant`, c.variant);
    set(`${prefix}mode`, retrievalLabel(c.retrieval).replace('index default', ''));
    set(`${prefix}div`, String(c.diversity), '0');
  };
  if (s.view === 'compare') {
    col('a.', s.a);
    col('b.', s.b);
  } else col('', s.a);
  return `?${p.toString()}`;
}

/** The pasted vector's numbers, or an error message. */
export function parseVector(text: string): number[] | string {
  const t = text.trim();
  if (!t) return 'paste a vector: a JSON array or numbers separated by commas or spaces';
  let values: unknown;
  try {
    values = t.startsWith('[') ? JSON.parse(t) : t.split(/[\s,]+/).filter(Boolean).map(Number);
  } catch {
    return 'the vector is not a JSON array';
  }
  if (!Array.isArray(values) || values.some((v) => typeof v !== 'number' || !Number.isFinite(v))) return 'the vector must hold finite numbers only';
  return values as number[];
}

let requestCounter = 0;

/** The MatchRequest of a query and a column (errors in the vector are for the caller to show). */
export function buildRequest(q: QueryState, c: ColumnState): MatchRequest {
  const min = q.minScore.trim() === '' ? undefined : Number(q.minScore);
  const req: MatchRequest = {
    request_id: `ui-${Date.now().toString(36)}-${(requestCounter++).toString(36)}`,
    fan_id: q.fan,
    k: q.k,
    filter: {
      categories: q.categories,
      languages: q.languages,
      include_nsfw: q.nsfw,
      exclude_creator_ids: q.exclude,
      ...(min !== undefined ? { min_score: min } : {}),
    },
    include_profile: true,
    explain: true,
    retrieval: c.retrieval,
    diversity: c.diversity,
    max_per_category: q.maxPerCategory,
    variant: c.variant,
  };
  if (q.kind === 'text') req.interest_text = q.text;
  else if (q.kind === 'like') req.like_creators = { ids: q.like };
  else {
    const v = parseVector(q.vector);
    req.vector = { values: typeof v === 'string' ? [] : v };
  }
  return req;
}
