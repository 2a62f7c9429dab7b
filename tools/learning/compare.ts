/**
 * learning:compare: an A/B readout from the exposure log and engagement events. Events join
 * exposures as in data:prepare (request_id, else fan and time); an unfollow cancels the fan's
 * earlier engagement with that creator. Per variant: exposures, fans, and per exposure the share
 * engaged, clicks, follows and pledges. Each treatment is compared with the control (the first
 * variant, or --control) with a 95% interval from a bootstrap over fans (a fan's exposures stay
 * together: they are not independent).
 */
import { mulberry32 } from '../../src/util/mulberry32';
import { noProgress, type Progress } from './cli-util';
import { BadLines, forEachLine, parseEventLine, parseLogLine, type EngagementEvent, type Exposure, type PositiveEvent } from './formats';
import { cancelledBy, joinEvents } from './prepare';

export const COMPARE_METRICS = ['engaged', 'clicks', 'follows', 'pledges'] as const;
export type CompareMetric = (typeof COMPARE_METRICS)[number];

interface FanTotals {
  exposures: number;
  engaged: number;
  clicks: number;
  follows: number;
  pledges: number;
}

export interface VariantFigures {
  variant: string;
  exposures: number;
  fans: number;
  /** Per exposure. */
  rates: Record<CompareMetric, number>;
}

export interface Comparison {
  variant: string;
  control: string;
  metric: CompareMetric;
  control_rate: number;
  treatment_rate: number;
  /** Relative change (treatment / control − 1) and its bootstrap interval. */
  lift: number;
  low: number;
  high: number;
}

export interface CompareReport {
  variants: VariantFigures[];
  comparisons: Comparison[];
  events: { lines: number; bad: number; joined: number; unjoined: number; cancelled: number };
  exposures: { lines: number; exposures: number; bad: number };
  /** Fans seen in more than one variant (should be 0 with a fixed salt). */
  fansInSeveralVariants: number;
}

export async function compareVariants(opts: { events: string; exposures: string; windowMs: number; control?: string; bootstrap: number; seed: number }, bar: Progress = noProgress): Promise<CompareReport> {
  const exposures: Exposure[] = [];
  const xBad = new BadLines();
  const xLines = await forEachLine(
    opts.exposures,
    (raw, line) => {
      const r = parseLogLine(raw, line);
      if (r.kind === 'exposure') exposures.push(r.exposure);
      else if (r.kind === 'bad') xBad.add(line, r.reason);
    },
    bar,
    'reading exposures',
  );
  const events: EngagementEvent[] = [];
  const eBad = new BadLines();
  const eLines = await forEachLine(
    opts.events,
    (raw, line) => {
      const r = parseEventLine(raw, line);
      if (r.ok) events.push(r.value);
      else eBad.add(line, r.reason);
    },
    bar,
    'reading events',
  );
  const join = joinEvents(exposures, events, opts.windowMs);
  const variantOf = (x: Exposure): string => x.variant ?? '(none)';
  const perFan = new Map<string, Map<string, FanTotals>>();
  const fanVariants = new Map<string, Set<string>>();
  const totals = (variant: string, fan: string): FanTotals => {
    let byFan = perFan.get(variant);
    if (!byFan) perFan.set(variant, (byFan = new Map<string, FanTotals>()));
    let t = byFan.get(fan);
    if (!t) byFan.set(fan, (t = { exposures: 0, engaged: 0, clicks: 0, follows: 0, pledges: 0 }));
    return t;
  };
  for (const x of exposures) {
    const fan = x.fanId || x.requestId;
    totals(variantOf(x), fan).exposures++;
    let s = fanVariants.get(fan);
    if (!s) fanVariants.set(fan, (s = new Set()));
    s.add(variantOf(x));
  }
  const engagedExposures = new Set<Exposure>();
  let cancelled = 0;
  for (const j of join.joined) {
    if (j.event.event === 'impression') continue;
    if (cancelledBy(join.unfollows, j.event)) {
      cancelled++;
      continue;
    }
    const t = totals(variantOf(j.exposure), j.exposure.fanId || j.exposure.requestId);
    const key: Record<PositiveEvent, 'clicks' | 'follows' | 'pledges'> = { click: 'clicks', follow: 'follows', pledge: 'pledges' };
    t[key[j.event.event as PositiveEvent]]++;
    if (!engagedExposures.has(j.exposure)) {
      engagedExposures.add(j.exposure);
      t.engaged++;
    }
  }
  const names = [...perFan.keys()].sort();
  const control = opts.control ?? exposures.find((x) => x.variant === 'control')?.variant ?? names[0];
  if (control === undefined) throw new Error(`no exposures in ${opts.exposures}`);
  if (!perFan.has(control)) throw new Error(`control variant ${control} has no exposures (variants: ${names.join(', ')})`);
  const rate = (fans: FanTotals[], m: CompareMetric): number => {
    let num = 0;
    let den = 0;
    for (const f of fans) {
      num += f[m];
      den += f.exposures;
    }
    return den ? num / den : 0;
  };
  const variants: VariantFigures[] = names.map((v) => {
    const fans = [...perFan.get(v)!.values()];
    return {
      variant: v,
      exposures: fans.reduce((n, f) => n + f.exposures, 0),
      fans: fans.length,
      rates: Object.fromEntries(COMPARE_METRICS.map((m) => [m, rate(fans, m)])) as Record<CompareMetric, number>,
    };
  });
  const comparisons: Comparison[] = [];
  const rand = mulberry32(opts.seed >>> 0);
  const c = [...perFan.get(control)!.values()];
  for (const v of names) {
    if (v === control) continue;
    const t = [...perFan.get(v)!.values()];
    for (const m of COMPARE_METRICS) {
      const cr = rate(c, m);
      const tr = rate(t, m);
      const lifts = new Float64Array(opts.bootstrap);
      for (let b = 0; b < opts.bootstrap; b++) {
        const resample = (xs: FanTotals[]): FanTotals[] => Array.from({ length: xs.length }, () => xs[Math.floor(rand() * xs.length)]!);
        const rc = rate(resample(c), m);
        lifts[b] = rc > 0 ? rate(resample(t), m) / rc - 1 : 0;
      }
      lifts.sort();
      const at = (q: number): number => lifts[Math.min(lifts.length - 1, Math.max(0, Math.floor(q * lifts.length)))] ?? 0;
      comparisons.push({ variant: v, control, metric: m, control_rate: cr, treatment_rate: tr, lift: cr > 0 ? tr / cr - 1 : 0, low: at(0.025), high: at(0.975) });
    }
  }
  return {
    variants,
    comparisons,
    events: { lines: eLines, bad: eBad.count, joined: join.joined.length, unjoined: Object.values(join.unjoined).reduce((a, b) => a + b, 0), cancelled },
    exposures: { lines: xLines, exposures: exposures.length, bad: xBad.count },
    fansInSeveralVariants: [...fanVariants.values()].filter((s) => s.size > 1).length,
  };
}

const pct = (x: number): string => `${x >= 0 ? '+' : ''}${(100 * x).toFixed(1)}%`;

export function formatCompare(r: CompareReport): string {
  const lines = [
    `exposures ${r.exposures.exposures} (${r.exposures.bad} bad lines); events ${r.events.lines} lines (${r.events.bad} bad), ${r.events.joined} joined, ${r.events.unjoined} not joined, ${r.events.cancelled} cancelled by unfollows`,
    '',
    `${'variant'.padEnd(14)}${'exposures'.padStart(10)}${'fans'.padStart(7)}${'engaged'.padStart(10)}${'clicks'.padStart(9)}${'follows'.padStart(9)}${'pledges'.padStart(9)}   (per exposure)`,
    ...r.variants.map((v) => `${v.variant.padEnd(14)}${String(v.exposures).padStart(10)}${String(v.fans).padStart(7)}${v.rates.engaged.toFixed(4).padStart(10)}${v.rates.clicks.toFixed(4).padStart(9)}${v.rates.follows.toFixed(4).padStart(9)}${v.rates.pledges.toFixed(4).padStart(9)}`),
    '',
    ...r.comparisons.map((c) => `${c.variant} vs ${c.control}  ${c.metric.padEnd(8)} ${pct(c.lift).padStart(7)}  95% interval [${pct(c.low)}, ${pct(c.high)}]${c.low > 0 ? '  (better)' : c.high < 0 ? '  (worse)' : ''}`),
  ];
  if (r.fansInSeveralVariants > 0) lines.push(`warning: ${r.fansInSeveralVariants} fans were exposed in more than one variant (salt changed mid-experiment, or explicit variants)`);
  return lines.join('\n');
}
