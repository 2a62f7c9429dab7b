/** A result list: profile, score, the per-match explanation, and the judging buttons. */
import { fmt, h } from './dom';
import type { MatchResponse } from './api';
import { retrievalLabel } from './state';

export const GRADES = [
  { grade: 2, label: 'relevant', key: '2' },
  { grade: 1, label: 'somewhat', key: '1' },
  { grade: 0, label: 'not', key: '0' },
] as const;

/** How a result moved against the other column of a comparison. */
export type RankMark = { kind: 'same' } | { kind: 'up' | 'down'; by: number; from: number } | { kind: 'new' } | { kind: 'gone' };

export interface ResultsOptions {
  response: MatchResponse;
  /** Present when judging is possible: grade a creator. */
  judge?: ((creatorId: string, rank: number, grade: number) => Promise<void>) | undefined;
  /** Why judging is not possible (shown instead of the buttons). */
  judgeHint?: string | undefined;
  gradeOf: (creatorId: string) => number | undefined;
  marks?: Map<string, RankMark> | undefined;
  testid: string;
  ms?: number | undefined;
}

function markBadge(m: RankMark | undefined): HTMLElement | null {
  if (!m) return null;
  const text = m.kind === 'same' ? '=' : m.kind === 'up' ? `▲${m.by}` : m.kind === 'down' ? `▼${m.by}` : m.kind === 'new' ? 'new' : 'gone';
  const title = m.kind === 'up' || m.kind === 'down' ? `rank ${m.from} in the other column` : m.kind === 'new' ? 'not in the other column' : m.kind === 'gone' ? 'not in the other column' : 'same rank in both columns';
  return h('span', { class: `mark mark-${m.kind}`, title, testid: 'rank-mark' }, text);
}

function explanation(e: NonNullable<MatchResponse['matches'][number]['explanation']>): HTMLElement {
  const cell = (label: string, value: string, title: string): HTMLElement => h('span', { class: 'ex', title }, h('b', {}, label), ' ', value);
  return h(
    'div',
    { class: 'explain', testid: 'explanation' },
    cell('dense', `${fmt(e.dense_score)} #${e.dense_rank || '–'}`, 'cosine similarity and rank in the dense candidates (– = not among them)'),
    cell('lexical', `${fmt(e.lexical_score, 2)} #${e.lexical_rank || '–'}`, 'BM25 score and rank in the lexical candidates (0 / – = no query term matched)'),
    cell('fused', fmt(e.fused_score, 4), 'the value this ranking sorted by'),
    e.lexical_weight ? cell('λlex', fmt(e.lexical_weight, 2), "the lexical side's weight in the fusion for this query") : null,
  );
}

export function renderResults(o: ResultsOptions): HTMLElement {
  const r = o.response;
  const head = h(
    'div',
    { class: 'result-head' },
    h('span', { testid: 'result-variant' }, `variant ${r.variant}`),
    h('span', {}, `mode ${retrievalLabel(r.retrieval)}`),
    h('span', { title: 'index version' }, r.index_version),
    h('span', {}, r.model_id),
    o.ms !== undefined ? h('span', {}, `${Math.round(o.ms)} ms`) : null,
  );
  const rows = r.matches.map((m, i) => {
    const rank = i + 1;
    const p = m.profile;
    const grade = o.gradeOf(m.creator_id);
    const mark = o.marks?.get(m.creator_id);
    const buttons = o.judge
      ? h(
          'div',
          { class: 'judge', role: 'group', 'aria-label': `judge ${p?.name ?? m.creator_id}` },
          GRADES.map((g) =>
            h(
              'button',
              {
                type: 'button',
                class: `g g${g.grade}${grade === g.grade ? ' on' : ''}`,
                testid: `judge-${m.creator_id}-${g.grade}`,
                'aria-pressed': grade === g.grade ? 'true' : 'false',
                onclick: (ev: Event) => {
                  const btn = ev.currentTarget as HTMLButtonElement;
                  btn.disabled = true;
                  void o.judge!(m.creator_id, rank, g.grade).finally(() => (btn.disabled = false));
                },
              },
              g.label,
            ),
          ),
        )
      : o.judgeHint
        ? h('div', { class: 'judge hint' }, o.judgeHint)
        : null;
    return h(
      'li',
      { class: `result${mark ? ` moved-${mark.kind}` : ''}`, testid: 'result', 'data-creator': m.creator_id },
      h('div', { class: 'rank' }, String(rank), markBadge(mark)),
      h(
        'div',
        { class: 'body' },
        h('div', { class: 'title' }, h('strong', {}, p?.name ?? m.creator_id), ' ', h('span', { class: 'cat' }, p?.category ?? ''), ' ', h('span', { class: 'lang' }, p?.language ?? ''), p?.is_nsfw ? h('span', { class: 'nsfw' }, 'nsfw') : null),
        h('div', { class: 'meta' }, h('code', {}, m.creator_id), ' · score ', h('b', { testid: 'score' }, fmt(m.score)), p?.tags.length ? ` · ${p.tags.join(', ')}` : ''),
        m.explanation ? explanation(m.explanation) : null,
      ),
      buttons,
    );
  });
  return h('div', { class: 'results', testid: o.testid }, head, r.matches.length ? h('ol', {}, rows) : h('p', { class: 'empty' }, 'no creator passes this filter'));
}
