/**
 * Simulated engagement: what generated fans do with the creators they were shown.
 *
 *   npm run data:generate -- --out-dir DIR --engagement exposures.log     # → DIR/engagement.jsonl
 *
 * Reads the fans and creators already in DIR (their true categories are the ground truth) and an
 * exposure log (the service's, or `npm run learning:expose`), and writes engagement events in the
 * format `npm run data:prepare` reads (docs/LEARNING.md). The model, per exposure:
 *
 * - **Position bias**: the fan examines position r with probability r^-0.8 (1, 0.57, 0.42, … 0.16
 *   at 10); only examined creators can be engaged (and get an `impression` event).
 * - **Relevance**: a creator of the fan's first expected category has relevance 1, of another
 *   expected category 0.7, else 0. An examined relevant creator is clicked with probability
 *   0.5 × relevance × popularity (at most 0.95); an irrelevant one with 0.02 × popularity (noise).
 * - **Popularity bias**: each creator has a fixed log-normal popularity (σ 0.6, mean 1, at most 3).
 * - **Follow / pledge**: a click becomes a follow with probability 0.4 (relevant) or 0.05
 *   (irrelevant), a follow a pledge with 0.25 or 0.02; a fan follows a creator once.
 * - **Unfollows**: 5% of follows of relevant creators and 60% of irrelevant ones are undone 1–14
 *   days later.
 * - **Organic discovery**: besides what the service shows, each fan that appears in the exposure
 *   log browses category pages about `organicSessions` times (Poisson) over the logged period: 85%
 *   of the time a page of one of its own categories, else a random one. A page lists 20 creators of
 *   the category by popularity (with noise); examination, clicks, follows and pledges follow the
 *   same model. These events carry no request_id and usually match no exposure, so `data:prepare`
 *   attaches them to the fan's latest query as "organic" positives (docs/LEARNING.md explains why:
 *   judgments limited to what the current model showed cannot credit a better model).
 * - **Logging noise**: 15% of events lack request_id (they join by fan and time); a quarter carry
 *   `ts` as epoch milliseconds, the rest as RFC 3339.
 *
 * What it assumes, and does not show: the fan's "true" interest is its generated category, and
 * the relevance of a creator depends on its category only; real fans' tastes are richer, and
 * whether their engagement has the structure a query-side adapter can learn is an empirical
 * question this simulation cannot answer.
 */
import * as fs from 'node:fs';
import { createInterface } from 'node:readline';
import { parseLogLine, type Exposure } from '../learning/formats';
import { deriveSeed, Rng } from '../common/prng';

export interface EngagementParams {
  examinationExponent: number;
  clickRelevant: number;
  clickNoise: number;
  secondaryRelevance: number;
  followRelevant: number;
  followIrrelevant: number;
  pledgeRelevant: number;
  pledgeIrrelevant: number;
  unfollowRelevant: number;
  unfollowIrrelevant: number;
  popularitySigma: number;
  popularityMax: number;
  missingRequestId: number;
  epochMsShare: number;
  impressions: boolean;
  /** Mean category-page visits per fan over the logged period (0: no organic discovery). */
  organicSessions: number;
  /** Share of visits to a page of one of the fan's own categories. */
  organicOwnCategory: number;
  organicPageSize: number;
}

export const DEFAULT_ENGAGEMENT: EngagementParams = {
  examinationExponent: 0.8,
  clickRelevant: 0.5,
  clickNoise: 0.02,
  secondaryRelevance: 0.7,
  followRelevant: 0.4,
  followIrrelevant: 0.05,
  pledgeRelevant: 0.25,
  pledgeIrrelevant: 0.02,
  unfollowRelevant: 0.05,
  unfollowIrrelevant: 0.6,
  popularitySigma: 0.6,
  popularityMax: 3,
  missingRequestId: 0.15,
  epochMsShare: 0.25,
  impressions: true,
  organicSessions: 2,
  organicOwnCategory: 0.85,
  organicPageSize: 20,
};

export interface SimFan {
  fan_id: string;
  expected_categories: string[];
}

export interface SimCreator {
  id: string;
  category: string;
}

export interface SimEvent {
  fan_id: string;
  creator_id: string;
  event: 'impression' | 'click' | 'follow' | 'pledge' | 'unfollow';
  ts: string | number;
  request_id?: string;
  variant?: string;
  index_version?: string;
}

export interface EngagementSummary {
  exposures: number;
  skippedExposures: number;
  /** Category-page visits simulated (organic discovery). */
  organicVisits: number;
  events: Record<SimEvent['event'], number>;
}

/** Log-normal popularity of a creator (deterministic per seed and id), mean 1, capped. */
export function popularity(seed: number, creatorId: string, p: EngagementParams = DEFAULT_ENGAGEMENT): number {
  const rng = new Rng(deriveSeed(seed, `popularity:${creatorId}`));
  const u1 = Math.max(rng.float(), 1e-12);
  const z = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * rng.float());
  return Math.min(p.popularityMax, Math.exp(p.popularitySigma * z - (p.popularitySigma * p.popularitySigma) / 2));
}

/** Relevance of a creator for a fan from the generator's truth: 1, secondary, or 0. */
export function relevance(fan: SimFan, creator: SimCreator | undefined, p: EngagementParams = DEFAULT_ENGAGEMENT): number {
  if (!creator) return 0;
  const i = fan.expected_categories.indexOf(creator.category);
  return i === 0 ? 1 : i > 0 ? p.secondaryRelevance : 0;
}

/** Events for exposures (in time order), as the platform would record them. */
export function simulateEngagement(
  exposures: readonly Exposure[],
  fans: ReadonlyMap<string, SimFan>,
  creators: ReadonlyMap<string, SimCreator>,
  seed: number,
  p: EngagementParams = DEFAULT_ENGAGEMENT,
): { events: SimEvent[]; summary: EngagementSummary } {
  const events: Array<SimEvent & { at: number }> = [];
  const followed = new Set<string>();
  const pop = new Map<string, number>();
  const popOf = (id: string): number => {
    let v = pop.get(id);
    if (v === undefined) pop.set(id, (v = popularity(seed, id, p)));
    return v;
  };
  const summary: EngagementSummary = { exposures: 0, skippedExposures: 0, organicVisits: 0, events: { impression: 0, click: 0, follow: 0, pledge: 0, unfollow: 0 } };
  const sorted = [...exposures].sort((a, b) => a.time - b.time || a.line - b.line);
  // One list shown to a fan (an exposure or a category page): examination, clicks, follows, pledges, unfollows.
  const engage = (fan: SimFan, ids: readonly string[], time: number, rng: Rng, meta: { requestId?: string; variant?: string; indexVersion?: string }): void => {
    const emit = (creatorId: string, event: SimEvent['event'], at: number): void => {
      const e: SimEvent & { at: number } = {
        fan_id: fan.fan_id,
        creator_id: creatorId,
        event,
        ts: rng.chance(p.epochMsShare) ? at : new Date(at).toISOString(),
        at,
      };
      if (event !== 'unfollow' && meta.requestId && !rng.chance(p.missingRequestId)) e.request_id = meta.requestId;
      if (meta.variant) e.variant = meta.variant;
      if (meta.indexVersion) e.index_version = meta.indexVersion;
      events.push(e);
      summary.events[event]++;
    };
    ids.forEach((id, i) => {
      if (!rng.chance(Math.pow(i + 1, -p.examinationExponent))) return;
      if (p.impressions && meta.requestId) emit(id, 'impression', time + rng.int(0, 2000));
      const rel = relevance(fan, creators.get(id), p);
      const click = rel > 0 ? Math.min(0.95, p.clickRelevant * rel * popOf(id)) : Math.min(0.95, p.clickNoise * popOf(id));
      if (!rng.chance(click)) return;
      const clickAt = time + rng.int(2_000, 90_000);
      emit(id, 'click', clickAt);
      const key = `${fan.fan_id}\u0000${id}`;
      if (followed.has(key) || !rng.chance(rel > 0 ? p.followRelevant : p.followIrrelevant)) return;
      const followAt = clickAt + rng.int(5_000, 300_000);
      emit(id, 'follow', followAt);
      followed.add(key);
      if (rng.chance(rel > 0 ? p.pledgeRelevant : p.pledgeIrrelevant)) emit(id, 'pledge', followAt + rng.int(10_000, 3_600_000));
      if (rng.chance(rel > 0 ? p.unfollowRelevant : p.unfollowIrrelevant)) {
        emit(id, 'unfollow', followAt + rng.int(1, 14) * 86_400_000 + rng.int(0, 86_400_000));
        followed.delete(key);
      }
    });
  };
  // Organic discovery: category pages, planned per fan over the logged period, merged in time order.
  const visits: Array<{ fan: SimFan; time: number; category: string; seed: string }> = [];
  if (p.organicSessions > 0 && sorted.length > 0) {
    const from = sorted[0]!.time;
    const to = sorted[sorted.length - 1]!.time;
    const allCategories = [...new Set([...creators.values()].map((c) => c.category))].sort();
    const seenFans = [...new Set(sorted.map((x) => x.fanId))].filter((f) => fans.has(f)).sort();
    for (const fanId of seenFans) {
      const fan = fans.get(fanId)!;
      const rng = new Rng(deriveSeed(seed, `organic:${fanId}`));
      // Poisson(organicSessions) by inversion.
      let n = 0;
      for (let prod = rng.float(), limit = Math.exp(-p.organicSessions); prod > limit; prod *= rng.float()) n++;
      for (let i = 0; i < n; i++) {
        const own = fan.expected_categories.length > 0 && rng.chance(p.organicOwnCategory);
        const category = own ? rng.pick(fan.expected_categories) : rng.pick(allCategories);
        visits.push({ fan, time: from + Math.floor(rng.float() * Math.max(1, to - from)), category, seed: `${fanId}:${i}` });
      }
    }
  }
  const byCategory = new Map<string, string[]>();
  for (const c of [...creators.values()].sort((a, b) => (a.id < b.id ? -1 : 1))) {
    const list = byCategory.get(c.category);
    if (list) list.push(c.id);
    else byCategory.set(c.category, [c.id]);
  }
  const timeline: Array<{ time: number; x?: Exposure; visit?: (typeof visits)[number] }> = [
    ...sorted.map((x) => ({ time: x.time, x })),
    ...visits.map((visit) => ({ time: visit.time, visit })),
  ].sort((a, b) => a.time - b.time);
  for (const item of timeline) {
    if (item.visit) {
      const { fan, time, category } = item.visit;
      const rng = new Rng(deriveSeed(seed, `visit:${item.visit.seed}`));
      // A category page: creators by popularity with multiplicative noise, the first page only.
      const page = (byCategory.get(category) ?? [])
        .map((id) => ({ id, rank: popOf(id) * Math.exp(0.5 * (rng.float() - 0.5)) }))
        .sort((a, b) => b.rank - a.rank)
        .slice(0, p.organicPageSize)
        .map((e) => e.id);
      summary.organicVisits++;
      engage(fan, page, time, rng, {});
      continue;
    }
    const x = item.x!;
    const fan = fans.get(x.fanId);
    if (!fan) {
      summary.skippedExposures++;
      continue;
    }
    summary.exposures++;
    const rng = new Rng(deriveSeed(seed, `engagement:${x.requestId}:${x.fanId}:${x.time}`));
    engage(fan, x.creatorIds, x.time, rng, { requestId: x.requestId, ...(x.variant ? { variant: x.variant } : {}), ...(x.indexVersion ? { indexVersion: x.indexVersion } : {}) });
  }
  events.sort((a, b) => a.at - b.at);
  return { events: events.map(({ at: _at, ...e }) => e), summary };
}

/** Reads a JSONL file of objects (generator output). */
export function readJsonl<T>(file: string): T[] {
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as T);
}

/** Reads the exposure lines of a log (other lines are skipped; a bad line is an error naming it). */
export async function readExposureLog(file: string): Promise<Exposure[]> {
  const out: Exposure[] = [];
  const lines = createInterface({ input: fs.createReadStream(file, 'utf8'), crlfDelay: Infinity });
  let n = 0;
  for await (const raw of lines) {
    n++;
    if (!raw.trim()) continue;
    const r = parseLogLine(raw, n);
    if (r.kind === 'bad') throw new Error(`${file} line ${n}: ${r.reason}`);
    if (r.kind === 'exposure') out.push(r.exposure);
  }
  return out;
}

/** The generator's --engagement mode: fans and creators from files, exposures from a log, events to a file. */
export async function writeEngagement(opts: { creatorsPath: string; fansPath: string; exposuresPath: string; outPath: string; seed: number }): Promise<EngagementSummary> {
  const creators = new Map(readJsonl<SimCreator>(opts.creatorsPath).map((c) => [c.id, c]));
  const fans = new Map(readJsonl<SimFan>(opts.fansPath).map((f) => [f.fan_id, f]));
  const exposures = await readExposureLog(opts.exposuresPath);
  const { events, summary } = simulateEngagement(exposures, fans, creators, opts.seed);
  fs.writeFileSync(opts.outPath, events.map((e) => JSON.stringify(e) + '\n').join(''));
  return summary;
}
