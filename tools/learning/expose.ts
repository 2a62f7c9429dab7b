/**
 * Offline stand-in for the serving step of the loop: plays fans' requests against an index
 * version (or the variants of an experiment) the way the service answers them, and writes the
 * exposure log lines the service writes (docs/LEARNING.md, "Exposure log"). Only for simulations
 * and tests; in production the exposure log is the service's stdout.
 */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { assignVariant, loadExperiment, type Experiment } from '../../src/experiments/variants';
import { mulberry32 } from '../../src/util/mulberry32';
import { readFans, type Fan } from '../eval/fans';
import { noProgress, type Progress } from './cli-util';
import { embedWithModelOf, openServing, type Serving } from './version-io';

export const EXPOSURE_TEXT_MAX_CHARS = 512;

export interface ExposeOptions {
  /** One index directory (variant "default", experiment "none") or an experiment's variants. */
  target: { indexDir: string; version?: string } | { experiment: Experiment };
  fansFile: string;
  out: string;
  /** Mean requests per fan; each fan makes 1 … 2·sessions − 1 (uniform). */
  sessions: number;
  k: number;
  /** Share of requests that query by the fan's follows (like_creators) instead of its text. */
  likeShare: number;
  /** Epoch ms of the first possible request, and the length of the period in days. */
  start: number;
  days: number;
  seed: number;
  /** Request id prefix (unique per run, so several runs can share one log). */
  requestPrefix: string;
  modelsDir?: string;
}

export interface ExposeReport {
  requests: number;
  byVariant: Record<string, number>;
  byKind: Record<'text' | 'like', number>;
  fans: number;
  skippedFans: number;
}

interface Planned {
  fan: Fan;
  time: number;
  kind: 'text' | 'like';
  session: number;
}

/** Plans every request (times, kinds) first, then answers them per variant in time order. */
export async function simulateExposures(opts: ExposeOptions, bar: Progress = noProgress): Promise<ExposeReport> {
  const fans = await readFans(opts.fansFile);
  const rand = mulberry32(opts.seed >>> 0);
  const planned: Planned[] = [];
  let skippedFans = 0;
  const day = 86_400_000;
  for (const fan of fans) {
    const kinds: Array<'text' | 'like'> = [];
    if (fan.text) kinds.push('text');
    if (fan.follows?.length) kinds.push('like');
    if (kinds.length === 0) {
      skippedFans++;
      continue;
    }
    const n = 1 + Math.floor(rand() * (2 * opts.sessions - 1));
    const times = Array.from({ length: n }, () => opts.start + Math.floor(rand() * opts.days * day)).sort((a, b) => a - b);
    times.forEach((time, session) => {
      const like = kinds.length === 1 ? kinds[0] === 'like' : rand() < opts.likeShare;
      planned.push({ fan, time, kind: like ? 'like' : 'text', session });
    });
  }
  planned.sort((a, b) => a.time - b.time || (a.fan.fanId < b.fan.fanId ? -1 : 1));

  const experiment: Experiment =
    'experiment' in opts.target ? opts.target.experiment : { name: 'none', salt: 'none', variants: [{ name: 'default', indexDir: opts.target.indexDir, traffic: 1 }] };
  const version = 'experiment' in opts.target ? undefined : opts.target.version;
  const servings = new Map<string, Serving>();
  const textVectors = new Map<string, Map<string, Float32Array>>();
  const out = createWriteStream(opts.out, { flags: 'w' });
  const report: ExposeReport = { requests: 0, byVariant: {}, byKind: { text: 0, like: 0 }, fans: fans.length - skippedFans, skippedFans };
  try {
    for (const v of experiment.variants) {
      const s = await openServing(v.indexDir, version);
      servings.set(v.name, s);
      const texts = [...new Set(planned.filter((p) => p.kind === 'text' && variantOf(experiment, p.fan.fanId) === v.name).map((p) => p.fan.text!))];
      const vectors = await embedWithModelOf(s.manifest, texts, opts.modelsDir ? { modelsDir: opts.modelsDir } : {});
      textVectors.set(v.name, new Map(texts.map((t, i) => [t, vectors[i]!])));
    }
    bar.start('serving requests', planned.length);
    for (const [i, p] of planned.entries()) {
      const variant = variantOf(experiment, p.fan.fanId);
      const s = servings.get(variant)!;
      let exclude: string[] = [];
      let ids: string[];
      if (p.kind === 'text') {
        // As served: the version's default mode (hybrid where it has a lexical index), its adapter applied.
        const raw = textVectors.get(variant)!.get(p.fan.text!);
        if (!raw) continue;
        ids = await s.searchText(p.fan.text!, raw, opts.k);
      } else {
        exclude = p.fan.follows!;
        const raw = await s.likeVector(exclude);
        if (!raw) continue;
        ids = await s.search(s.adapter ? s.adapter.apply(raw) : raw, opts.k, exclude);
      }
      const line = {
        level: 30,
        time: p.time,
        service: 'creator-match',
        method: 'Match',
        request_id: `${opts.requestPrefix}-${p.fan.fanId}-${p.session}`,
        fan_id: p.fan.fanId,
        variant,
        experiment: experiment.name,
        index_version: s.version,
        creator_ids: ids,
        query_kind: p.kind,
        ...(p.kind === 'text' ? { interest_text: p.fan.text!.slice(0, EXPOSURE_TEXT_MAX_CHARS) } : { like_creator_ids: exclude }),
        msg: 'exposure',
      };
      if (!out.write(JSON.stringify(line) + '\n')) await once(out, 'drain');
      report.requests++;
      report.byVariant[variant] = (report.byVariant[variant] ?? 0) + 1;
      report.byKind[p.kind]++;
      if (i % 256 === 0) bar.update(i);
    }
    bar.update(planned.length);
  } finally {
    bar.stop();
    for (const s of servings.values()) await s.close();
    out.end();
    await once(out, 'close');
  }
  return report;
}

function variantOf(experiment: Experiment, fanId: string): string {
  return assignVariant(experiment, fanId, '')!.name;
}

export { loadExperiment };
