/** Query and inspect: one query against one variant and mode, with explanations and judging. */
import { api, type MatchRequest, type MatchResponse } from '../api';
import type { Ctx } from '../context';
import { h, mount } from '../dom';
import { indexInfoPanel } from '../index-info';
import { judgeFor } from '../judging';
import { columnControls, queryForm } from '../query-form';
import { renderResults } from '../results';
import { buildRequest, parseVector, toSearch, type QueryState } from '../state';

export const hasQuery = (q: QueryState): boolean => (q.kind === 'text' ? q.text.trim() !== '' : q.kind === 'like' ? q.like.length > 0 : q.vector.trim() !== '');

/** A problem the page can tell before calling (the service validates everything again). */
export function localProblem(q: QueryState): string | undefined {
  if (!hasQuery(q)) return q.kind === 'text' ? 'type an interest text' : q.kind === 'like' ? 'add at least one liked creator' : 'paste a vector';
  if (q.kind === 'vector') {
    const v = parseVector(q.vector);
    if (typeof v === 'string') return v;
  }
  return undefined;
}

export function setStatus(el: HTMLElement, text: string, ok = true): void {
  el.textContent = text;
  el.className = `status ${ok ? 'ok' : 'bad'}`;
}

export function pushState(ctx: Ctx): void {
  const search = toSearch(ctx.state);
  if (search !== location.search) history.pushState(null, '', search === '?' ? location.pathname : search);
}

export function queryView(ctx: Ctx, root: HTMLElement): void {
  const status = h('div', { class: 'status', testid: 'status', role: 'status' });
  const out = h('div', { class: 'single' });
  let last: { req: MatchRequest; res: MatchResponse; ms: number } | undefined;

  const draw = (): void => {
    if (!last) return;
    const { req, res, ms } = last;
    const j = judgeFor(ctx, req, res, 'query', (msg, ok) => {
      setStatus(status, msg, ok);
      draw();
    });
    mount(out, renderResults({ response: res, judge: j.judge, judgeHint: j.hint, gradeOf: (c) => ctx.gradeOf(req.fan_id ?? '', c), testid: 'results', ms }));
  };

  const run = async (): Promise<void> => {
    const problem = localProblem(ctx.state.query);
    if (problem) return setStatus(status, problem, false);
    pushState(ctx);
    const req = buildRequest(ctx.state.query, ctx.state.a);
    setStatus(status, 'matching…');
    const started = performance.now();
    try {
      const res = await api.match(req);
      last = { req, res, ms: performance.now() - started };
      await ctx.loadGrades(req.fan_id).catch(() => undefined);
      setStatus(status, `${res.matches.length} matches`);
      draw();
    } catch (err) {
      last = undefined;
      out.replaceChildren();
      setStatus(status, String(err), false);
    }
  };

  mount(
    root,
    h('section', { class: 'panel' }, queryForm(ctx, [columnControls(ctx, ctx.state.a, 'served by', 'col-a')], () => void run()), status),
    out,
    h('h2', {}, 'Serving indexes'),
    indexInfoPanel(ctx),
  );
  if (hasQuery(ctx.state.query)) void run();
}
