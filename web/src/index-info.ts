/** The serving index of each variant: version, model, counts, recall, last refusal, retrieval. */
import { ApiError, type IndexInfo } from './api';
import type { Ctx } from './context';
import { fmt, h } from './dom';
import { retrievalLabel } from './state';

function card(variant: string, i: IndexInfo | ApiError | undefined): HTMLElement {
  if (!i || i instanceof ApiError) return h('div', { class: 'info-card error' }, h('h3', {}, variant), h('p', {}, i ? i.toString() : 'not loaded'));
  const row = (k: string, v: string | HTMLElement, testid?: string): HTMLElement[] => [h('dt', {}, k), h('dd', testid ? { testid } : {}, v)];
  const samples = Number(i.online_recall_samples);
  return h(
    'div',
    { class: 'info-card', testid: `index-info-${i.variant}` },
    h('h3', {}, i.variant, i.experiment !== 'none' ? h('span', { class: 'muted' }, ` (${i.experiment})`) : null),
    h(
      'dl',
      {},
      row('version', h('code', {}, i.version), 'info-version'),
      row('model', `${i.model_id} ${i.model_revision ? `@${i.model_revision.slice(0, 12)}` : ''}`),
      row('creators', `${Number(i.creator_count).toLocaleString('en')} · ${i.dims} dims · lexical docs ${Number(i.lexical_documents).toLocaleString('en')}`, 'info-count'),
      row('build recall@10', `${fmt(i.build_recall_at_10)} (${i.recall_sample_size} sampled)`),
      row('online recall', samples > 0 ? `${fmt(i.online_recall)} (${samples} samples, ${i.online_recall_dropped} dropped)` : `no samples yet (${i.online_recall_dropped} dropped)`),
      row('retrieval', `default ${retrievalLabel(i.default_retrieval)}`),
      row('hnsw', `M ${i.hnsw?.m ?? '?'} · efC ${i.hnsw?.ef_construction ?? '?'} · ef ${i.hnsw?.ef_search ?? '?'}`),
      row('built · serving', `${i.built_at} · since ${i.serving_since}`),
      row('last refusal', i.last_refused_version ? `${i.last_refused_version} at ${i.last_refused_at}: ${i.last_refused_reason}` : 'none', 'info-refusal'),
    ),
    i.fusion ? h('details', {}, h('summary', {}, 'fusion'), h('pre', {}, JSON.stringify(JSON.parse(i.fusion), null, 2))) : null,
  );
}

export function indexInfoPanel(ctx: Ctx): HTMLElement {
  return h('section', { class: 'index-info', testid: 'index-info' }, ctx.config.variants.map((v) => card(v, ctx.info.get(v))));
}
