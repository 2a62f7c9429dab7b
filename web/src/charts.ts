/** Hand-written SVG charts (no charting library): grouped bars of metrics in [0, 1]. */
import { h, s } from './dom';

export const PALETTE = ['#2d5b8a', '#d08c2f', '#4f9a6b', '#a24d7a', '#6c6fb5', '#8a6d3b', '#3c9aa8', '#b24c3c'];

export interface BarGroup {
  label: string;
  /** One value per series (undefined: the series has no value here). */
  values: Array<number | undefined>;
}

export interface GroupedBarsOptions {
  title: string;
  series: string[];
  groups: BarGroup[];
  /** Axis maximum (default 1). */
  max?: number;
  testid?: string;
}

export function groupedBars(o: GroupedBarsOptions): HTMLElement {
  const max = o.max ?? 1;
  const barW = 16;
  const gap = 4;
  const groupGap = 22;
  const left = 40;
  const top = 12;
  const plotH = 180;
  const groupW = o.series.length * (barW + gap) - gap;
  const width = Math.max(320, left + o.groups.length * (groupW + groupGap) + groupGap);
  const height = top + plotH + 60;
  const y = (v: number): number => top + plotH - (Math.max(0, Math.min(max, v)) / max) * plotH;
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((t) => t * max);
  const svg = s(
    'svg',
    { viewBox: `0 0 ${width} ${height}`, width: String(width), height: String(height), role: 'img', 'aria-label': o.title, class: 'chart' },
    ticks.map((t) => [
      s('line', { x1: String(left), x2: String(width - 4), y1: String(y(t)), y2: String(y(t)), stroke: t === 0 ? '#777' : '#ddd', 'stroke-width': '1' }),
      s('text', { x: String(left - 6), y: String(y(t) + 4), 'text-anchor': 'end', 'font-size': '10', fill: '#555' }, t.toFixed(2)),
    ]),
    o.groups.map((g, gi) => {
      const x0 = left + groupGap + gi * (groupW + groupGap);
      return [
        g.values.map((v, si) => {
          if (v === undefined || !Number.isFinite(v)) return null;
          const x = x0 + si * (barW + gap);
          return s(
            'g',
            {},
            s('rect', { x: String(x), y: String(y(v)), width: String(barW), height: String(Math.max(0.5, top + plotH - y(v))), fill: PALETTE[si % PALETTE.length]!, 'data-value': v.toFixed(4) }, s('title', {}, `${o.series[si]} · ${g.label}: ${v.toFixed(4)}`)),
            s('text', { x: String(x + barW / 2), y: String(y(v) - 3), 'text-anchor': 'middle', 'font-size': '8', fill: '#333' }, v.toFixed(2)),
          );
        }),
        s('text', { x: String(x0 + groupW / 2), y: String(top + plotH + 14), 'text-anchor': 'end', 'font-size': '10', fill: '#222', transform: `rotate(-30 ${x0 + groupW / 2} ${top + plotH + 14})` }, g.label),
      ];
    }),
  );
  const legend = h(
    'div',
    { class: 'legend' },
    o.series.map((name, i) => h('span', { class: 'legend-item' }, s('svg', { width: '10', height: '10', 'aria-hidden': 'true' }, s('rect', { width: '10', height: '10', fill: PALETTE[i % PALETTE.length]! })), ` ${name}`)),
  );
  return h('figure', { class: 'chart-box', ...(o.testid ? { testid: o.testid } : {}) }, h('figcaption', {}, o.title), legend, h('div', { class: 'chart-scroll' }, svg));
}
