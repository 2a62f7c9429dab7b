/**
 * Compare: the same query in two columns (two variants, two retrieval modes or diversity settings;
 * two index versions are two variants), overlap@k, and each result's rank change against the
 * other column. The URL holds the whole comparison (copy it to share).
 */
import { api, type MatchRequest, type MatchResponse } from '../api';
import type { Ctx } from '../context';
import { fmt, h, mount } from '../dom';
import { judgeFor } from '../judging';
import { columnControls, queryForm } from '../query-form';
import { renderResults, type RankMark } from '../results';
import { buildRequest, type ColumnState } from '../state';
import { hasQuery, localProblem, pushState, setStatus } from './query';

/** Overlap@k (shared creators / k) and each column's marks against the other. */
export function compareLists(a: readonly string[], b: readonly string[], k: number): { overlap: number; shared: number; marksA: Map<string, RankMark>; marksB: Map<string, RankMark> } {
  const rankA = new Map(a.map((id, i) => [id, i + 1]));
  const rankB = new Map(b.map((id, i) => [id, i + 1]));
  const marks = (own: Map<string, number>, other: Map<string, number>, missing: 'new' | 'gone'): Map<string, RankMark> => {
    const out = new Map<string, RankMark>();
    for (const [id, r] of own) {
      const o = other.get(id);
      out.set(id, o === undefined ? { kind: missing } : o === r ? { kind: 'same' } : o > r ? { kind: 'up', by: o - r, from: o } : { kind: 'down', by: r - o, from: o });
    }
    return out;
  };
  const shared = a.filter((id) => rankB.has(id)).length;
  return { overlap: k > 0 ? shared / k : 0, shared, marksA: marks(rankA, rankB, 'gone'), marksB: marks(rankB, rankA, 'new') };
}

export function compareView(ctx: Ctx, root: HTMLElement): void {
  const status = h('div', { class: 'status', testid: 'status', role: 'status' });
  const summary = h('div', { class: 'compare-summary', testid: 'compare-summary' });
  const colA = h('div', { class: 'col' });
  const colB = h('div', { class: 'col' });
  let last: { req: [MatchRequest, MatchRequest]; res: [MatchResponse, MatchResponse] } | undefined;

  const describe = (c: ColumnState, r: MatchResponse): string => `${r.variant} · ${r.retrieval.replace('RETRIEVAL_', '').toLowerCase()}${c.diversity ? ` · diversity ${c.diversity}` : ''}`;

  const draw = (): void => {
    if (!last) return;
    const [ra, rb] = last.res;
    const idsA = ra.matches.map((m) => m.creator_id);
    const idsB = rb.matches.map((m) => m.creator_id);
    const k = Math.max(1, last.req[0].k ?? 10);
    const c = compareLists(idsA, idsB, k);
    const moved = [...c.marksB.values()].filter((m) => m.kind === 'up' || m.kind === 'down').length;
    mount(
      summary,
      h('span', { testid: 'overlap' }, `overlap@${k} ${fmt(c.overlap, 2)}`),
      h('span', {}, `${c.shared} shared · ${moved} moved · ${k - c.shared} only in B`),
      h(
        'button',
        {
          type: 'button',
          testid: 'copy-link',
          onclick: () => {
            void navigator.clipboard?.writeText(location.href).then(
              () => setStatus(status, 'link copied'),
              () => setStatus(status, `share this address: ${location.href}`),
            );
          },
        },
        'copy link',
      ),
    );
    const column = (i: 0 | 1, el: HTMLElement, marks: Map<string, RankMark>, col: ColumnState): void => {
      const req = last!.req[i];
      const res = last!.res[i];
      const j = judgeFor(ctx, req, res, 'compare', (msg, ok) => {
        setStatus(status, msg, ok);
        draw();
      });
      mount(el, h('h3', { testid: i === 0 ? 'col-title-a' : 'col-title-b' }, i === 0 ? 'A: ' : 'B: ', describe(col, res)), renderResults({ response: res, judge: j.judge, judgeHint: j.hint, gradeOf: (cr) => ctx.gradeOf(req.fan_id ?? '', cr), marks, testid: i === 0 ? 'results-a' : 'results-b' }));
    };
    column(0, colA, c.marksA, ctx.state.a);
    column(1, colB, c.marksB, ctx.state.b);
  };

  const run = async (): Promise<void> => {
    const problem = localProblem(ctx.state.query);
    if (problem) return setStatus(status, problem, false);
    pushState(ctx);
    const reqs: [MatchRequest, MatchRequest] = [buildRequest(ctx.state.query, ctx.state.a), buildRequest(ctx.state.query, ctx.state.b)];
    setStatus(status, 'matching…');
    try {
      const res = await Promise.all([api.match(reqs[0]), api.match(reqs[1])]);
      last = { req: reqs, res };
      await ctx.loadGrades(reqs[0].fan_id).catch(() => undefined);
      setStatus(status, 'compared');
      draw();
    } catch (err) {
      last = undefined;
      summary.replaceChildren();
      colA.replaceChildren();
      colB.replaceChildren();
      setStatus(status, String(err), false);
    }
  };

  mount(
    root,
    h('section', { class: 'panel' }, queryForm(ctx, [columnControls(ctx, ctx.state.a, 'column A', 'col-a'), columnControls(ctx, ctx.state.b, 'column B', 'col-b')], () => void run()), status),
    summary,
    h('div', { class: 'compare' }, colA, colB),
  );
  if (hasQuery(ctx.state.query)) void run();
}
