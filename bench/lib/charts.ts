/**
 * SVG charts for docs/bench/, drawn with Vega-Lite compiled to Vega and rendered headlessly in
 * Node (`renderer: 'none'` + toSVG: no canvas, no native binary, no browser). The Vega-Lite spec
 * is written next to the SVG (NAME.vl.json) so a chart can be re-rendered or edited.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { DOCS_BENCH, flag, QUICK, ROOT } from './common';

export type VegaLiteSpec = Record<string, unknown>;

export async function renderSvg(spec: VegaLiteSpec): Promise<string> {
  const vega = await import('vega');
  const vl = await import('vega-lite');
  const compiled = vl.compile({ $schema: 'https://vega.github.io/schema/vega-lite/v6.json', ...spec }).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Writes docs/bench/NAME.svg and NAME.vl.json (NAME.quick.* for --quick runs) unless --no-write. */
export async function writeChart(name: string, spec: VegaLiteSpec): Promise<string | undefined> {
  if (flag('no-write')) return undefined;
  await mkdir(DOCS_BENCH, { recursive: true });
  const base = path.join(DOCS_BENCH, `${name}${QUICK ? '.quick' : ''}`);
  await writeFile(`${base}.vl.json`, JSON.stringify(spec, null, 2) + '\n');
  await writeFile(`${base}.svg`, (await renderSvg(spec)) + '\n');
  console.log(`wrote ${path.relative(ROOT, base)}.svg`);
  return `${base}.svg`;
}

/** One line per series over (x, y) points, with point marks and tooltips. */
export function lineChart(o: {
  title: string;
  values: Record<string, unknown>[];
  x: { field: string; title: string; log?: boolean; domain?: [number, number] };
  y: { field: string; title: string; log?: boolean };
  series: string;
  order?: string;
  label?: string;
  width?: number;
  height?: number;
  facet?: string;
}): VegaLiteSpec {
  const enc = {
    x: { field: o.x.field, type: 'quantitative', title: o.x.title, scale: { ...(o.x.log ? { type: 'log' } : {}), ...(o.x.domain ? { domain: o.x.domain } : { zero: false }) } },
    y: { field: o.y.field, type: 'quantitative', title: o.y.title, scale: o.y.log ? { type: 'log' } : { zero: false } },
    color: { field: o.series, type: 'nominal', title: null, legend: o.facet ? null : { orient: 'bottom', columns: 2, labelLimit: 400 } },
    ...(o.order ? { order: { field: o.order, type: 'quantitative' } } : {}),
    tooltip: Object.keys(o.values[0] ?? {}).map((f) => ({ field: f })),
  };
  const layer = [
    { mark: { type: 'line', point: true, strokeWidth: 1.5 }, encoding: enc },
    ...(o.label ? [{ mark: { type: 'text', dx: 6, dy: -6, fontSize: 9, align: 'left' }, encoding: { x: enc.x, y: enc.y, color: enc.color, text: { field: o.label } } }] : []),
  ];
  const inner = { width: o.width ?? 520, height: o.height ?? 320, layer };
  return {
    title: o.title,
    data: { values: o.values },
    background: 'white',
    ...(o.facet ? { facet: { field: o.facet, type: 'nominal', title: null }, columns: 3, spec: inner, resolve: { scale: { y: 'independent' } } } : inner),
  };
}
