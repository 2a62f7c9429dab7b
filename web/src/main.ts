/**
 * The relevance workbench: query and inspect, compare, rate (ad hoc or a rating task), reports.
 * Served by the service on MATCH_UI_ADDR; every call goes to the same origin.
 */
import './style.css';
import { api } from './api';
import { Ctx } from './context';
import { h, mount } from './dom';
import { fromSearch, toSearch, type AppState, type View } from './state';
import { compareView } from './views/compare';
import { queryView } from './views/query';
import { reportsView } from './views/reports';
import { taskView } from './views/task';

const VIEWS: Array<[View, string]> = [
  ['query', 'Query'],
  ['compare', 'Compare'],
  ['task', 'Rating task'],
  ['reports', 'Reports'],
];

async function boot(): Promise<void> {
  const app = document.getElementById('app')!;
  let config;
  try {
    config = await api.config();
  } catch (err) {
    mount(app, h('p', { class: 'status bad' }, `cannot reach the service: ${String(err)}`));
    return;
  }
  const main = h('main', {});
  const render = (): void => {
    document.title = `${VIEWS.find(([v]) => v === ctx.state.view)?.[1] ?? ''} · creator-match workbench`;
    for (const a of nav.querySelectorAll('a')) a.classList.toggle('active', a.dataset.view === ctx.state.view);
    if (ctx.state.view === 'compare') compareView(ctx, main);
    else if (ctx.state.view === 'task') taskView(ctx, main);
    else if (ctx.state.view === 'reports') reportsView(main);
    else queryView(ctx, main);
  };
  const ctx: Ctx = new Ctx(config, fromSearch(location.search), (state: AppState, replace = false) => {
    ctx.state = state;
    const search = toSearch(state);
    if (replace) history.replaceState(null, '', search);
    else history.pushState(null, '', search);
    render();
  });
  const nav = h(
    'nav',
    {},
    VIEWS.map(([view, label]) =>
      h(
        'a',
        {
          href: `?view=${view}`,
          'data-view': view,
          testid: `nav-${view}`,
          onclick: (e: MouseEvent) => {
            e.preventDefault();
            // The query carries over between the query and compare views.
            ctx.navigate({ ...ctx.state, view });
          },
        },
        label,
      ),
    ),
  );
  const rater = h('input', {
    type: 'text',
    value: ctx.rater,
    placeholder: 'rater id',
    testid: 'rater-id',
    title: 'your rater id: recorded with every judgment',
    onchange: (e: Event) => {
      ctx.setRater((e.target as HTMLInputElement).value);
      render();
    },
  });
  mount(
    app,
    h(
      'header',
      {},
      h('h1', {}, 'creator-match ', h('span', { class: 'muted' }, 'relevance workbench')),
      nav,
      h('div', { class: 'who' }, h('label', {}, 'rater ', rater), h('span', { class: `badge ${config.judgments ? 'on' : 'off'}`, title: config.judgments ? 'judgments are recorded' : 'MATCH_UI_JUDGMENTS_FILE is not set' }, config.judgments ? 'judging on' : 'judging off')),
    ),
    main,
  );
  window.addEventListener('popstate', () => {
    ctx.state = fromSearch(location.search);
    render();
  });
  await ctx.loadInfo();
  render();
}

void boot();
