/**
 * Reports: `npm run eval -- --json FILE` reports rendered as charts, several side by side (one
 * file per variant, version, query mode or judgments file): the systems (model, model_reranked,
 * exact, bm25) per metric, and the model per language and per expected category. Files are read
 * in the browser; nothing is uploaded.
 */
import { groupedBars } from '../charts';
import { fmt, h, mount } from '../dom';
import { setStatus } from './query';

const METRICS = ['ndcg', 'precision', 'recall', 'mrr'] as const;
type Metric = (typeof METRICS)[number];
const SYSTEMS = ['model', 'model_reranked', 'exact', 'bm25'] as const;
type Systems = Partial<Record<(typeof SYSTEMS)[number], Partial<Record<Metric, number>> & { fans?: number }>>;

interface Group {
  fans: number;
  systems: Systems;
  annRecall: number;
}

/** The parts of the eval report (tools/eval/evaluate.ts, EvalReport) the charts read. */
interface EvalReportJson {
  index: { version: string; modelId: string | null; count: number };
  k: number;
  queryMode: string;
  judgments?: string;
  fans: { total: number; evaluated: number };
  systems: Systems;
  annRecall: number;
  perLanguage: Record<string, Group>;
  perCategory?: Record<string, Group>;
  rerank: unknown;
  adapter: unknown;
}

const reports: Array<{ name: string; r: EvalReportJson }> = [];
let metric: Metric = 'ndcg';

function isReport(x: unknown): x is EvalReportJson {
  const r = x as Partial<EvalReportJson> | null;
  return typeof r === 'object' && r !== null && typeof r.k === 'number' && typeof r.systems === 'object' && typeof r.perLanguage === 'object' && typeof r.index === 'object';
}

const label = (m: Metric, k: number): string => (m === 'mrr' ? 'MRR' : `${m === 'ndcg' ? 'NDCG' : m === 'precision' ? 'P' : 'R'}@${k}`);

export function reportsView(root: HTMLElement): void {
  const status = h('div', { class: 'status', testid: 'status', role: 'status' });
  const out = h('div', { class: 'reports', testid: 'reports' });

  const draw = (): void => {
    if (!reports.length) return mount(out, h('p', { class: 'muted' }, 'Load one or more eval reports (npm run eval -- --index DIR --fans FILE --json report.json).'));
    const k = reports[0]!.r.k;
    const names = reports.map((x) => x.name);
    const table = h(
      'table',
      { class: 'report-table', testid: 'report-table' },
      h('thead', {}, h('tr', {}, ['report', 'index version', 'k', 'query', 'judgments', 'fans', 'ANN recall', ...METRICS.map((m) => `model ${label(m, k)}`)].map((c) => h('th', {}, c)))),
      h(
        'tbody',
        {},
        reports.map(({ name, r }) =>
          h(
            'tr',
            {},
            h('td', {}, name),
            h('td', {}, h('code', {}, r.index.version)),
            h('td', {}, String(r.k)),
            h('td', {}, r.queryMode),
            h('td', {}, r.judgments ?? 'categories'),
            h('td', {}, `${r.fans.evaluated} / ${r.fans.total}`),
            h('td', {}, fmt(r.annRecall, 4)),
            METRICS.map((m) => h('td', { class: 'num' }, r.systems.model?.[m] !== undefined ? fmt(r.systems.model[m], 4) : '–')),
          ),
        ),
      ),
    );
    const groupsOf = (pick: (r: EvalReportJson) => Record<string, Group> | undefined): string[] => [...new Set(reports.flatMap(({ r }) => Object.keys(pick(r) ?? {})))].sort();
    const langs = groupsOf((r) => r.perLanguage);
    const cats = groupsOf((r) => r.perCategory);
    mount(
      out,
      h(
        'div',
        { class: 'row' },
        'metric ',
        METRICS.map((m) => h('label', {}, h('input', { type: 'radio', name: 'metric', value: m, checked: m === metric, onchange: () => ((metric = m), draw()) }), label(m, k))),
        h('button', { type: 'button', onclick: () => ((reports.length = 0), draw()) }, 'clear'),
      ),
      table,
      groupedBars({
        title: `${label(metric, k)} by system`,
        series: names,
        groups: SYSTEMS.filter((sys) => reports.some(({ r }) => r.systems[sys])).map((sys) => ({ label: sys, values: reports.map(({ r }) => r.systems[sys]?.[metric]) })),
        testid: 'chart-systems',
      }),
      groupedBars({
        title: `model ${label(metric, k)} per language`,
        series: names,
        groups: langs.map((l) => ({ label: `${l} (${reports.map(({ r }) => r.perLanguage[l]?.fans ?? 0).join('/')})`, values: reports.map(({ r }) => r.perLanguage[l]?.systems.model?.[metric]) })),
        testid: 'chart-languages',
      }),
      cats.length
        ? groupedBars({
            title: `model ${label(metric, k)} per expected category`,
            series: names,
            groups: cats.map((c) => ({ label: c, values: reports.map(({ r }) => r.perCategory?.[c]?.systems.model?.[metric]) })),
            testid: 'chart-categories',
          })
        : h('p', { class: 'muted' }, 'These reports have no per-category figures (written by an older npm run eval).'),
    );
  };

  const input = h('input', {
    type: 'file',
    accept: '.json,application/json',
    multiple: true,
    testid: 'report-upload',
    onchange: (e: Event) => {
      const files = [...((e.target as HTMLInputElement).files ?? [])];
      void Promise.all(
        files.map(async (f) => {
          try {
            const parsed: unknown = JSON.parse(await f.text());
            if (!isReport(parsed)) throw new Error('not an npm run eval JSON report');
            reports.push({ name: f.name.replace(/\.json$/i, ''), r: parsed });
            return '';
          } catch (err) {
            return `${f.name}: ${(err as Error).message}`;
          }
        }),
      ).then((errors) => {
        const bad = errors.filter(Boolean);
        setStatus(status, bad.length ? bad.join('; ') : `${reports.length} reports`, bad.length === 0);
        draw();
      });
    },
  });
  mount(root, h('section', { class: 'panel' }, h('label', {}, 'eval reports (JSON) ', input), status), out);
  draw();
}
