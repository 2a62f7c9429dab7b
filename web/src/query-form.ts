/** The query form shared by the query and compare views (state in ctx.state, edited in place). */
import { api } from './api';
import type { Ctx } from './context';
import { debounce, h } from './dom';
import { RETRIEVALS, retrievalLabel, type ColumnState, type QueryKind } from './state';

function chipsOf(values: readonly string[], all: readonly string[], onToggle: (v: string, on: boolean) => void, testid: string): HTMLElement {
  return h(
    'div',
    { class: 'chips', testid },
    all.map((v) =>
      h(
        'label',
        { class: 'chip' },
        h('input', { type: 'checkbox', value: v, checked: values.includes(v), onchange: (e: Event) => onToggle(v, (e.target as HTMLInputElement).checked) }),
        v,
      ),
    ),
  );
}

/** Liked creators: a search over the catalog's names and ids, and the chosen ones as chips. */
function likedPicker(ctx: Ctx): HTMLElement {
  const q = ctx.state.query;
  const chosen = h('div', { class: 'liked', testid: 'liked-list' });
  const hits = h('ul', { class: 'hits', testid: 'creator-hits' });
  const renderChosen = (): void => {
    chosen.replaceChildren(
      ...q.like.map((id) =>
        h(
          'span',
          { class: 'liked-chip', testid: 'liked-chip' },
          ctx.names.get(id) ?? id,
          ' ',
          h('code', {}, id),
          h('button', { type: 'button', class: 'x', title: 'remove', onclick: () => ((q.like = q.like.filter((x) => x !== id)), renderChosen()) }, '×'),
        ),
      ),
    );
  };
  // Names of ids that came from the URL.
  for (const id of q.like.filter((x) => !ctx.names.has(x))) {
    void api.creators(id, ctx.state.a.variant, 1).then(({ creators }) => {
      for (const c of creators) ctx.names.set(c.creator_id, c.name);
      renderChosen();
    }, () => undefined);
  }
  const search = debounce((text: string) => {
    if (!text.trim()) return hits.replaceChildren();
    api.creators(text, ctx.state.a.variant, 8).then(
      ({ creators }) =>
        hits.replaceChildren(
          ...creators.map((c) => {
            ctx.names.set(c.creator_id, c.name);
            return h(
              'li',
              {},
              h(
                'button',
                {
                  type: 'button',
                  testid: `hit-${c.creator_id}`,
                  onclick: () => {
                    if (!q.like.includes(c.creator_id)) q.like.push(c.creator_id);
                    renderChosen();
                    hits.replaceChildren();
                    input.value = '';
                    input.focus();
                  },
                },
                h('strong', {}, c.name),
                ` ${c.category} · ${c.language} · `,
                h('code', {}, c.creator_id),
              ),
            );
          }),
        ),
      (err: unknown) => hits.replaceChildren(h('li', { class: 'error' }, String(err))),
    );
  }, 150);
  const input = h('input', { type: 'search', placeholder: 'search creators by name or id', testid: 'creator-search', autocomplete: 'off', oninput: (e: Event) => search((e.target as HTMLInputElement).value) });
  renderChosen();
  return h('div', { class: 'picker' }, input, hits, chosen);
}

/** Variant, retrieval mode and diversity of one column. */
export function columnControls(ctx: Ctx, c: ColumnState, label: string, testid: string): HTMLElement {
  return h(
    'fieldset',
    { class: 'column-controls', testid },
    h('legend', {}, label),
    h(
      'label',
      {},
      'variant ',
      h(
        'select',
        { testid: `${testid}-variant`, onchange: (e: Event) => (c.variant = (e.target as HTMLSelectElement).value) },
        h('option', { value: '', selected: c.variant === '' }, 'by fan id'),
        ctx.config.variants.map((v) => h('option', { value: v, selected: c.variant === v }, v)),
      ),
    ),
    h(
      'label',
      {},
      'mode ',
      h(
        'select',
        { testid: `${testid}-mode`, onchange: (e: Event) => (c.retrieval = (e.target as HTMLSelectElement).value as ColumnState['retrieval']) },
        RETRIEVALS.map((r) => h('option', { value: r, selected: c.retrieval === r }, retrievalLabel(r))),
      ),
    ),
    h(
      'label',
      { title: 'MMR λ in [0, 1]; 0 = off' },
      'diversity ',
      h('input', { type: 'number', min: '0', max: '1', step: '0.1', value: String(c.diversity), class: 'narrow', testid: `${testid}-diversity`, onchange: (e: Event) => (c.diversity = Number((e.target as HTMLInputElement).value) || 0) }),
    ),
  );
}

export function queryForm(ctx: Ctx, columns: HTMLElement[], onRun: () => void): HTMLFormElement {
  const q = ctx.state.query;
  const info = ctx.infoOf(ctx.state.a.variant);
  const kinds: Array<[QueryKind, string]> = [
    ['text', 'interest text'],
    ['like', 'liked creators'],
    ['vector', 'vector'],
  ];
  const panes = {
    text: h('textarea', { rows: '2', testid: 'interest-text', placeholder: 'I want to learn to cook dumplings at home', maxlength: String(ctx.config.limits.max_text_chars), value: q.text, oninput: (e: Event) => (q.text = (e.target as HTMLTextAreaElement).value) }),
    like: likedPicker(ctx),
    vector: h('textarea', { rows: '3', testid: 'vector', placeholder: `[0.01, -0.03, …] (${info?.dims ?? 512} numbers, the index's own space)`, value: q.vector, oninput: (e: Event) => (q.vector = (e.target as HTMLTextAreaElement).value) }),
  };
  const paneBox = h('div', { class: 'pane' }, panes[q.kind]);
  const form = h(
    'form',
    {
      class: 'query-form',
      testid: 'query-form',
      onsubmit: (e: Event) => {
        e.preventDefault();
        onRun();
      },
    },
    h(
      'div',
      { class: 'kinds', role: 'radiogroup' },
      kinds.map(([k, label]) =>
        h(
          'label',
          {},
          h('input', {
            type: 'radio',
            name: 'kind',
            value: k,
            testid: `kind-${k}`,
            checked: q.kind === k,
            onchange: () => {
              q.kind = k;
              paneBox.replaceChildren(panes[k]);
            },
          }),
          label,
        ),
      ),
    ),
    paneBox,
    h(
      'div',
      { class: 'row' },
      h('label', { title: 'MatchRequest.fan_id: routes to an A/B variant, and judgments are recorded for this fan' }, 'fan id ', h('input', { type: 'text', value: q.fan, testid: 'fan-id', placeholder: 'fan_0001', oninput: (e: Event) => (q.fan = (e.target as HTMLInputElement).value.trim()) })),
      h('label', {}, 'k ', h('input', { type: 'number', min: '1', max: String(ctx.config.limits.max_k), value: String(q.k), class: 'narrow', testid: 'k', onchange: (e: Event) => (q.k = Math.max(1, Number((e.target as HTMLInputElement).value) || 10)) })),
      h('label', { title: 'drop matches whose cosine is below this (empty: no threshold)' }, 'min score ', h('input', { type: 'number', min: '-1', max: '1', step: '0.05', value: q.minScore, class: 'narrow', testid: 'min-score', onchange: (e: Event) => (q.minScore = (e.target as HTMLInputElement).value) })),
      h('label', { title: 'at most this many results per category (0 = no cap)' }, 'per category ', h('input', { type: 'number', min: '0', value: String(q.maxPerCategory), class: 'narrow', testid: 'max-per-category', onchange: (e: Event) => (q.maxPerCategory = Math.max(0, Number((e.target as HTMLInputElement).value) || 0)) })),
      h('label', {}, h('input', { type: 'checkbox', checked: q.nsfw, testid: 'nsfw', onchange: (e: Event) => (q.nsfw = (e.target as HTMLInputElement).checked) }), 'include NSFW'),
    ),
    h(
      'details',
      { class: 'filters', open: q.categories.length + q.languages.length + q.exclude.length > 0 },
      h('summary', {}, 'filters'),
      h('div', { class: 'label' }, 'categories'),
      chipsOf(q.categories, info?.categories ?? [], (v, on) => (q.categories = on ? [...q.categories, v] : q.categories.filter((x) => x !== v)), 'categories'),
      h('div', { class: 'label' }, 'languages'),
      chipsOf(q.languages, info?.languages ?? [], (v, on) => (q.languages = on ? [...q.languages, v] : q.languages.filter((x) => x !== v)), 'languages'),
      h(
        'label',
        { class: 'block' },
        'exclude creator ids ',
        h('input', { type: 'text', value: q.exclude.join(', '), placeholder: 'cr_000001, cr_000002', testid: 'exclude', onchange: (e: Event) => (q.exclude = (e.target as HTMLInputElement).value.split(',').map((x) => x.trim()).filter(Boolean)) }),
      ),
    ),
    h('div', { class: 'columns-controls' }, columns),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary', testid: 'run' }, 'Match')),
  );
  return form;
}
