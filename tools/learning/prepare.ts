/**
 * data:prepare: engagement events + exposure log → training pairs, split by fan and by time, and
 * a report. See docs/LEARNING.md for the formats and the rules; in short:
 * - an event joins the exposure of its request_id, else the fan's latest exposure that showed the
 *   creator at most `windowMs` before the event;
 * - click, follow and pledge make the creator a positive of that exposure's query (weight per
 *   kind, the strongest wins); an unfollow cancels the fan's earlier positives for that creator;
 * - with `organic` (the default), a positive event that joins no exposure (the fan found the creator
 *   elsewhere) becomes a positive of the fan's latest query before it, without hard negatives;
 * - creators shown above the lowest positive of an exposure and not engaged are hard negatives;
 * - pairs are de-duplicated per (fan, query, creator); a negative that is a positive of the same
 *   fan is dropped;
 * - fans are split by a hash of fan_id; train keeps exposures before the cutoff, validation and
 *   test keep those at or after it.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { describeFile } from '../../src/index/manifest';
import { noProgress, type Progress } from './cli-util';
import {
  BadLines,
  forEachLine,
  interactionLine,
  isPositiveEvent,
  parseEventLine,
  parseLogLine,
  SPLITS,
  type EngagementEvent,
  type EventKind,
  type Exposure,
  type PositiveEvent,
  type QueryKind,
  type Split,
} from './formats';
import {
  addPositive,
  dropConflictingNegatives,
  heldOutFanLines,
  heldOutJudgmentLines,
  heldOutSet,
  PREPARED_FILES,
  queryKey,
  type HeldOutSet,
  type PairSeen,
  type QueryGroup,
} from './interactions';
import { keptByTime, splitOfFan, timeQuantile, type FanSplitOptions } from './split';

export const DEFAULT_EVENT_WEIGHTS: Record<PositiveEvent, number> = { click: 1, follow: 2, pledge: 4 };
export const DEFAULT_WINDOW_MS = 60 * 60 * 1000;

export interface CatalogInfo {
  size: number;
  info(id: string): { category: string; language: string } | undefined;
}

export interface PrepareOptions {
  weights: Record<PositiveEvent, number>;
  /** Time join: an event joins an exposure at most this long before it. */
  windowMs: number;
  split: FanSplitOptions;
  /** Epoch ms; default: the `cutoffQuantile` of the trainable exposures' times. */
  cutoff?: number;
  cutoffQuantile: number;
  /** The index version's creators, for per-category/language counts and catalog coverage. */
  catalog?: CatalogInfo;
  /** Attach positive events that join no exposure to the fan's latest earlier query (default true). */
  organic?: boolean;
}

interface Rate {
  shown: number;
  engaged: number;
  rate: number;
}

export interface PrepareReport {
  inputs: Record<'events' | 'exposures', { file: string; sha256: string; bytes: number; lines: number }>;
  options: { weights: Record<PositiveEvent, number>; windowMs: number; split: FanSplitOptions; cutoff: string | null; cutoffQuantile: number };
  exposures: {
    lines: number;
    exposures: number;
    otherLogLines: number;
    bad: { count: number; first: Array<{ line: number; reason: string }> };
    byQueryKind: Partial<Record<QueryKind, number>>;
    /** Exposures that cannot give training pairs, by reason. */
    untrainable: Record<string, number>;
    withEngagement: number;
  };
  events: {
    lines: number;
    valid: number;
    bad: { count: number; first: Array<{ line: number; reason: string }> };
    byKind: Partial<Record<EventKind, number>>;
    joined: { byRequestId: number; byTime: number };
    /** Events whose request_id matched no exposure of their fan, so the time join was tried. */
    requestIdFallback: { notInLog: number; otherFan: number };
    /** Events (other than unfollows) that joined no exposure, by reason. */
    unjoined: Record<string, number>;
    cancelledByUnfollow: Partial<Record<PositiveEvent, number>>;
    /**
     * Positive events that joined no exposure: attached to the fan's latest query at or before the
     * event (`laterQuery`: to its first query after it, when it had none before), or not (the fan
     * never queried: `noEarlierQuery`).
     */
    organic: { enabled: boolean; attached: Partial<Record<PositiveEvent, number>>; laterQuery: number; noEarlierQuery: number; droppedByTime: number };
  };
  splits: Record<Split, { fans: number; queries: number; positives: number; negatives: number; exposures: number; droppedByTime: { exposures: number; positives: number } }>;
  negativesDroppedAsPositives: number;
  positivesPerFan: { fans: number; mean: number; median: number; p90: number; max: number };
  /** Position bias: positives per shown slot, by 1-based position. */
  positionBias: Array<{ position: number; impressions: number } & Rate>;
  perVariant: Record<string, Rate & { exposures: number }>;
  perCategory: Record<string, Rate & { creators: number }> | null;
  perLanguage: Record<string, Rate & { creators: number }> | null;
  catalog: { size: number | null; exposedCreators: number; exposedShare: number | null; engagedCreators: number; engagedShare: number | null };
}

export interface PrepareResult {
  groups: Record<Split, QueryGroup[]>;
  /** Position, count and time of each pair, keyed by `${group key}\u0003${creator}` within its split. */
  seen: Record<Split, Map<string, PairSeen>>;
  heldOut: { validation: HeldOutSet; test: HeldOutSet };
  report: PrepareReport;
}

export interface Joined {
  event: EngagementEvent;
  exposure: Exposure;
  position: number;
}

const fanCreator = (fan: string, creator: string): string => `${fan}\u0000${creator}`;

export async function prepare(eventsFile: string, exposuresFile: string, opts: PrepareOptions, bar: Progress = noProgress): Promise<PrepareResult> {
  // 1. Exposures.
  const exposures: Exposure[] = [];
  const exposureBad = new BadLines();
  let otherLogLines = 0;
  const exposureLines = await forEachLine(
    exposuresFile,
    (raw, line) => {
      const r = parseLogLine(raw, line);
      if (r.kind === 'exposure') exposures.push(r.exposure);
      else if (r.kind === 'other') otherLogLines++;
      else exposureBad.add(line, r.reason);
    },
    bar,
    'reading exposures',
  );

  // 2. Events.
  const events: EngagementEvent[] = [];
  const eventBad = new BadLines();
  const eventLines = await forEachLine(
    eventsFile,
    (raw, line) => {
      const r = parseEventLine(raw, line);
      if (r.ok) events.push(r.value);
      else eventBad.add(line, r.reason);
    },
    bar,
    'reading events',
  );

  // 3. Join.
  const { joined, unjoinedPositives, unfollows, byKind, unjoined, joinedByRequest, joinedByTime, requestIdFallback } = joinEvents(exposures, events, opts.windowMs);

  // 4. Unfollows cancel earlier positives of the same fan and creator.
  const cancelledByUnfollow: Partial<Record<PositiveEvent, number>> = {};
  const cancelled = new Set<string>();
  const isCancelled = (ev: EngagementEvent): boolean => {
    if (!cancelledBy(unfollows, ev)) return false;
    const kind = ev.event as PositiveEvent;
    cancelledByUnfollow[kind] = (cancelledByUnfollow[kind] ?? 0) + 1;
    cancelled.add(fanCreator(ev.fanId, ev.creatorId));
    return true;
  };
  const live = joined.filter((j) => !isCancelled(j.event));
  const organicEvents = unjoinedPositives.filter((ev) => !isCancelled(ev));

  // 5. Per exposure: positives (strongest event per creator) and impressions.
  const positivesOf = new Map<Exposure, Map<string, { event: PositiveEvent; position: number }>>();
  const impressionsAt: number[] = [];
  const fanOfExposure = new Map<Exposure, string>();
  for (const j of live) {
    if (!fanOfExposure.has(j.exposure)) fanOfExposure.set(j.exposure, j.exposure.fanId || j.event.fanId);
    if (j.event.event === 'impression') {
      impressionsAt[j.position] = (impressionsAt[j.position] ?? 0) + 1;
      continue;
    }
    const kind = j.event.event as PositiveEvent;
    let m = positivesOf.get(j.exposure);
    if (!m) positivesOf.set(j.exposure, (m = new Map<string, { event: PositiveEvent; position: number }>()));
    const old = m.get(j.event.creatorId);
    if (!old || opts.weights[kind] > opts.weights[old.event]) m.set(j.event.creatorId, { event: kind, position: j.position });
  }

  // 6. Position bias, variants, categories and languages, coverage (over all exposures).
  const shownAt: number[] = [];
  const engagedAt: number[] = [];
  const perVariant: PrepareReport['perVariant'] = {};
  const cat = opts.catalog;
  const perCategory: Record<string, Rate & { creators: number }> | null = cat ? {} : null;
  const perLanguage: Record<string, Rate & { creators: number }> | null = cat ? {} : null;
  const exposed = new Set<string>();
  const engaged = new Set<string>();
  const byQueryKind: Partial<Record<QueryKind, number>> = {};
  const bump = (table: Record<string, Rate & { creators: number }> | null, key: string, shown: number, eng: number): void => {
    if (!table) return;
    const row = (table[key] ??= { shown: 0, engaged: 0, rate: 0, creators: 0 });
    row.shown += shown;
    row.engaged += eng;
  };
  for (const x of exposures) {
    byQueryKind[x.queryKind] = (byQueryKind[x.queryKind] ?? 0) + 1;
    const pos = positivesOf.get(x);
    const v = (perVariant[x.variant ?? '(none)'] ??= { exposures: 0, shown: 0, engaged: 0, rate: 0 });
    v.exposures++;
    v.shown += x.creatorIds.length;
    v.engaged += pos?.size ?? 0;
    x.creatorIds.forEach((id, i) => {
      const p = i + 1;
      shownAt[p] = (shownAt[p] ?? 0) + 1;
      exposed.add(id);
      const hit = pos?.has(id) ? 1 : 0;
      if (hit) {
        engagedAt[p] = (engagedAt[p] ?? 0) + 1;
        engaged.add(id);
      }
      const info = cat?.info(id);
      bump(perCategory, info?.category ?? '(not in the index)', 1, hit);
      bump(perLanguage, info?.language ?? '(not in the index)', 1, hit);
    });
  }
  for (const r of Object.values(perVariant)) r.rate = r.shown ? r.engaged / r.shown : 0;
  if (cat) {
    const creatorsBy = (table: Record<string, Rate & { creators: number }>, key: (i: { category: string; language: string }) => string): void => {
      const counted = new Map<string, Set<string>>();
      for (const id of exposed) {
        const info = cat.info(id);
        const k = info ? key(info) : '(not in the index)';
        let s = counted.get(k);
        if (!s) counted.set(k, (s = new Set()));
        s.add(id);
      }
      for (const [k, row] of Object.entries(table)) {
        row.creators = counted.get(k)?.size ?? 0;
        row.rate = row.shown ? row.engaged / row.shown : 0;
      }
    };
    creatorsBy(perCategory!, (i) => i.category);
    creatorsBy(perLanguage!, (i) => i.language);
  }
  const positionBias: PrepareReport['positionBias'] = [];
  for (let p = 1; p < shownAt.length; p++) {
    const shown = shownAt[p] ?? 0;
    const eng = engagedAt[p] ?? 0;
    positionBias.push({ position: p, shown, engaged: eng, rate: shown ? eng / shown : 0, impressions: impressionsAt[p] ?? 0 });
  }

  // 7. Trainable exposures, the cutoff, and the pairs per split.
  const untrainable: Record<string, number> = {};
  const trainable: Array<{ x: Exposure; fan: string; query: { text: string } | { likeIds: string[] } }> = [];
  for (const x of exposures) {
    const fan = x.fanId || fanOfExposure.get(x) || '';
    const why =
      x.queryKind === 'vector'
        ? 'vector query (not adapted, no query to train on)'
        : x.queryKind === 'text' && !x.interestText
          ? 'text query without interest_text'
          : x.queryKind === 'like' && !x.likeCreatorIds
            ? 'like query without like_creator_ids'
            : !fan
              ? 'no fan_id (and no joined event to take it from)'
              : undefined;
    if (why) {
      untrainable[why] = (untrainable[why] ?? 0) + 1;
      continue;
    }
    trainable.push({ x, fan, query: x.queryKind === 'text' ? { text: x.interestText! } : { likeIds: [...new Set(x.likeCreatorIds)].sort() } });
  }
  const cutoff = opts.cutoff ?? timeQuantile(trainable.map((t) => t.x.time), opts.cutoffQuantile) ?? 0;

  const groups: Record<Split, Map<string, QueryGroup>> = { train: new Map(), validation: new Map(), test: new Map() };
  const seen: Record<Split, Map<string, PairSeen>> = { train: new Map(), validation: new Map(), test: new Map() };
  const splitStats = Object.fromEntries(
    SPLITS.map((s) => [s, { fans: 0, queries: 0, positives: 0, negatives: 0, exposures: 0, droppedByTime: { exposures: 0, positives: 0 } }]),
  ) as PrepareReport['splits'];
  const note = (split: Split, groupKey: string, creator: string, position: number | undefined, ts: number): void => {
    const k = `${groupKey}\u0003${creator}`;
    const s = seen[split].get(k);
    if (!s) seen[split].set(k, { ...(position !== undefined ? { position } : {}), n: 1, ts });
    else {
      s.n++;
      if (position !== undefined) s.position = Math.min(s.position ?? position, position);
      s.ts = Math.max(s.ts ?? ts, ts);
    }
  };
  const groupFor = (split: Split, fan: string, query: { text: string } | { likeIds: string[] }): { g: QueryGroup; gk: string } => {
    const qk = queryKey(query);
    const gk = `${fan}\u0002${qk}`;
    let g = groups[split].get(gk);
    if (!g) {
      g = { fanId: fan, split, kind: 'text' in query ? 'text' : 'like', key: qk, positives: new Map(), negatives: new Set(), ...query };
      groups[split].set(gk, g);
    }
    return { g, gk };
  };
  for (const { x, fan, query } of trainable) {
    const split = splitOfFan(fan, opts.split);
    const pos = positivesOf.get(x);
    if (!keptByTime(split, x.time, cutoff)) {
      splitStats[split].droppedByTime.exposures++;
      splitStats[split].droppedByTime.positives += pos?.size ?? 0;
      continue;
    }
    splitStats[split].exposures++;
    if (!pos || pos.size === 0) continue;
    const { g, gk } = groupFor(split, fan, query);
    if (g.lastTs === undefined || x.time > g.lastTs) g.lastTs = x.time;
    let lowest = 0;
    for (const [id, p] of pos) {
      addPositive(g, id, { weight: opts.weights[p.event], event: p.event, ts: x.time });
      note(split, gk, id, p.position, x.time);
      lowest = Math.max(lowest, p.position);
    }
    for (let i = 0; i < lowest - 1; i++) {
      const id = x.creatorIds[i]!;
      if (pos.has(id) || cancelled.has(fanCreator(fan, id)) || g.likeIds?.includes(id)) continue;
      g.negatives.add(id);
      note(split, gk, id, i + 1, x.time);
    }
  }
  // Organic positives: the fan's latest trainable query at or before the event.
  const organic: PrepareReport['events']['organic'] = { enabled: opts.organic !== false, attached: {}, laterQuery: 0, noEarlierQuery: 0, droppedByTime: 0 };
  if (organic.enabled) {
    const queriesOf = new Map<string, typeof trainable>();
    for (const t of trainable) push(queriesOf, t.fan, t);
    for (const list of queriesOf.values()) list.sort((a, b) => a.x.time - b.x.time);
    for (const ev of organicEvents) {
      const list = queriesOf.get(ev.fanId) ?? [];
      let lo = 0;
      let hi = list.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (list[mid]!.x.time <= ev.ts) lo = mid + 1;
        else hi = mid;
      }
      // The latest query at or before the event; failing that, the fan's first query after it.
      let q = list[lo - 1];
      if (!q) {
        q = list[lo];
        if (!q) {
          organic.noEarlierQuery++;
          continue;
        }
        organic.laterQuery++;
      }
      const split = splitOfFan(ev.fanId, opts.split);
      if (!keptByTime(split, ev.ts, cutoff)) {
        organic.droppedByTime++;
        splitStats[split].droppedByTime.positives++;
        continue;
      }
      const kind = ev.event as PositiveEvent;
      const { g, gk } = groupFor(split, ev.fanId, q.query);
      if (g.lastTs === undefined || q.x.time > g.lastTs) g.lastTs = q.x.time;
      addPositive(g, ev.creatorId, { weight: opts.weights[kind], event: kind, ts: ev.ts });
      note(split, gk, ev.creatorId, undefined, ev.ts);
      organic.attached[kind] = (organic.attached[kind] ?? 0) + 1;
    }
  }
  const out: Record<Split, QueryGroup[]> = { train: [], validation: [], test: [] };
  let negativesDroppedAsPositives = 0;
  const perFanPositives = new Map<string, number>();
  for (const s of SPLITS) {
    out[s] = [...groups[s].values()].sort((a, b) => cmp(a.fanId, b.fanId) || cmp(a.key, b.key));
    negativesDroppedAsPositives += dropConflictingNegatives(out[s]);
    const fans = new Set<string>();
    for (const g of out[s]) {
      fans.add(g.fanId);
      splitStats[s].positives += g.positives.size;
      splitStats[s].negatives += g.negatives.size;
      perFanPositives.set(g.fanId, (perFanPositives.get(g.fanId) ?? 0) + g.positives.size);
    }
    splitStats[s].fans = fans.size;
    splitStats[s].queries = out[s].length;
  }
  const counts = [...perFanPositives.values()].sort((a, b) => a - b);
  const positivesPerFan = {
    fans: counts.length,
    mean: counts.length ? counts.reduce((a, b) => a + b, 0) / counts.length : 0,
    median: counts.length ? counts[Math.floor((counts.length - 1) / 2)]! : 0,
    p90: counts.length ? counts[Math.min(counts.length - 1, Math.ceil(0.9 * counts.length) - 1)]! : 0,
    max: counts.length ? counts[counts.length - 1]! : 0,
  };

  const [eventsDesc, exposuresDesc] = await Promise.all([describeFile(eventsFile), describeFile(exposuresFile)]);
  const report: PrepareReport = {
    inputs: {
      events: { file: eventsFile, ...eventsDesc, lines: eventLines },
      exposures: { file: exposuresFile, ...exposuresDesc, lines: exposureLines },
    },
    options: { weights: opts.weights, windowMs: opts.windowMs, split: opts.split, cutoff: trainable.length ? new Date(cutoff).toISOString() : null, cutoffQuantile: opts.cutoffQuantile },
    exposures: {
      lines: exposureLines,
      exposures: exposures.length,
      otherLogLines,
      bad: exposureBad.toJSON(),
      byQueryKind,
      untrainable,
      withEngagement: [...positivesOf.values()].filter((m) => m.size > 0).length,
    },
    events: {
      lines: eventLines,
      valid: events.length,
      bad: eventBad.toJSON(),
      byKind,
      joined: { byRequestId: joinedByRequest, byTime: joinedByTime },
      requestIdFallback,
      unjoined,
      cancelledByUnfollow,
      organic,
    },
    splits: splitStats,
    negativesDroppedAsPositives,
    positivesPerFan,
    positionBias,
    perVariant,
    perCategory,
    perLanguage,
    catalog: {
      size: cat?.size ?? null,
      exposedCreators: exposed.size,
      exposedShare: cat && cat.size > 0 ? exposed.size / cat.size : null,
      engagedCreators: engaged.size,
      engagedShare: cat && cat.size > 0 ? engaged.size / cat.size : null,
    },
  };
  return { groups: out, seen, heldOut: { validation: heldOutSet(out.validation), test: heldOutSet(out.test) }, report };
}

export interface JoinResult {
  joined: Joined[];
  /** Click / follow / pledge events that joined no exposure (organic candidates). */
  unjoinedPositives: EngagementEvent[];
  /** fan + creator → unfollow times. */
  unfollows: Map<string, number[]>;
  byKind: Partial<Record<EventKind, number>>;
  unjoined: Record<string, number>;
  joinedByRequest: number;
  joinedByTime: number;
  requestIdFallback: { notInLog: number; otherFan: number };
  /** Exposures per fan, in time order. */
  byFan: Map<string, Exposure[]>;
}

/**
 * Joins events to exposures: by request_id when the event has one that the log knows (for the
 * same fan, or an exposure without fan_id), else to the fan's latest exposure at most `windowMs`
 * before the event that showed the creator. Sorts `events` in place by time.
 */
export function joinEvents(exposures: readonly Exposure[], events: EngagementEvent[], windowMs: number): JoinResult {
  const byRequest = new Map<string, Exposure[]>();
  const byFan = new Map<string, Exposure[]>();
  for (const e of exposures) {
    if (e.requestId) push(byRequest, e.requestId, e);
    if (e.fanId) push(byFan, e.fanId, e);
  }
  for (const list of byFan.values()) list.sort((a, b) => a.time - b.time || a.line - b.line);
  events.sort((a, b) => a.ts - b.ts || a.line - b.line);

  const byKind: Partial<Record<EventKind, number>> = {};
  const unjoined: Record<string, number> = {};
  const miss = (reason: string): void => {
    unjoined[reason] = (unjoined[reason] ?? 0) + 1;
  };
  let joinedByRequest = 0;
  let joinedByTime = 0;
  const requestIdFallback = { notInLog: 0, otherFan: 0 };
  const joined: Joined[] = [];
  const unjoinedPositives: EngagementEvent[] = [];
  const unfollows = new Map<string, number[]>();
  for (const ev of events) {
    byKind[ev.event] = (byKind[ev.event] ?? 0) + 1;
    if (ev.event === 'unfollow') {
      push(unfollows, fanCreator(ev.fanId, ev.creatorId), ev.ts);
      continue;
    }
    if (ev.requestId !== undefined) {
      const all = byRequest.get(ev.requestId) ?? [];
      const candidates = all.filter((x) => x.fanId === '' || x.fanId === ev.fanId);
      if (candidates.length > 0) {
        // Several exposures with one request id (a client reusing ids): the latest not after the event.
        const x = candidates.filter((c) => c.time <= ev.ts).sort((a, b) => b.time - a.time)[0] ?? candidates[0]!;
        const position = x.creatorIds.indexOf(ev.creatorId) + 1;
        if (position > 0) {
          joined.push({ event: ev, exposure: x, position });
          joinedByRequest++;
        } else {
          miss('creator not in the exposure of its request_id');
          if (isPositiveEvent(ev.event)) unjoinedPositives.push(ev);
        }
        continue;
      }
      // Unknown request id (or another fan's): fall back to the time join, and say so.
      if (all.length > 0) requestIdFallback.otherFan++;
      else requestIdFallback.notInLog++;
    }
    const hit = joinByTime(byFan.get(ev.fanId), ev, windowMs);
    if (hit.ok) {
      joined.push({ event: ev, exposure: hit.exposure, position: hit.position });
      joinedByTime++;
    } else {
      miss(hit.reason);
      if (isPositiveEvent(ev.event)) unjoinedPositives.push(ev);
    }
  }
  return { joined, unjoinedPositives, unfollows, byKind, unjoined, joinedByRequest, joinedByTime, requestIdFallback, byFan };
}

/** Whether an unfollow of the same fan and creator came at or after the event. */
export function cancelledBy(unfollows: ReadonlyMap<string, readonly number[]>, ev: EngagementEvent): boolean {
  return isPositiveEvent(ev.event) && (unfollows.get(fanCreator(ev.fanId, ev.creatorId)) ?? []).some((t) => t >= ev.ts);
}

type TimeJoin = { ok: true; exposure: Exposure; position: number } | { ok: false; reason: string };

/** The fan's latest exposure at most `windowMs` before the event that showed the creator. */
function joinByTime(list: readonly Exposure[] | undefined, ev: EngagementEvent, windowMs: number): TimeJoin {
  if (!list || list.length === 0) return { ok: false, reason: 'no exposure of the fan' };
  // Last exposure with time <= ts (binary search).
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (list[mid]!.time <= ev.ts) lo = mid + 1;
    else hi = mid;
  }
  let anyInWindow = false;
  for (let i = lo - 1; i >= 0; i--) {
    const x = list[i]!;
    if (ev.ts - x.time > windowMs) break;
    anyInWindow = true;
    const position = x.creatorIds.indexOf(ev.creatorId) + 1;
    if (position > 0) return { ok: true, exposure: x, position };
  }
  return { ok: false, reason: anyInWindow ? 'creator not shown to the fan within the window' : 'no exposure of the fan within the window before the event' };
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Lines of one split's interactions file: per query, positives then negatives, in id order. */
export function splitLines(groups: readonly QueryGroup[], seen: Map<string, PairSeen>): string[] {
  const lines: string[] = [];
  for (const g of groups) {
    const q = g.kind === 'text' ? { text: g.text! } : { likeCreators: g.likeIds! };
    const s = (id: string): PairSeen | undefined => seen.get(`${g.fanId}\u0002${g.key}\u0003${id}`);
    for (const [id, p] of [...g.positives].sort(([a], [b]) => cmp(a, b))) {
      const at = s(id);
      lines.push(
        interactionLine({
          fanId: g.fanId,
          ...q,
          creatorId: id,
          label: 1,
          weight: p.weight,
          split: g.split,
          ...(p.event ? { event: p.event } : {}),
          ...(at?.position !== undefined ? { position: at.position } : {}),
          ...(p.ts !== undefined ? { ts: p.ts } : {}),
          ...(at ? { n: at.n } : {}),
        }),
      );
    }
    for (const id of [...g.negatives].sort(cmp)) {
      const at = s(id);
      lines.push(
        interactionLine({
          fanId: g.fanId,
          ...q,
          creatorId: id,
          label: 0,
          weight: 1,
          split: g.split,
          event: 'skipped',
          ...(at?.position !== undefined ? { position: at.position } : {}),
          ...(at?.ts !== undefined ? { ts: at.ts } : {}),
          ...(at ? { n: at.n } : {}),
        }),
      );
    }
  }
  return lines;
}

/** Writes train/validation/test.jsonl, the held-out eval files, report.json and report.txt into `dir`. */
export async function writePrepared(dir: string, r: PrepareResult): Promise<string[]> {
  await fs.mkdir(dir, { recursive: true });
  const files: Array<[string, string[] | string]> = [];
  for (const s of SPLITS) files.push([PREPARED_FILES[s], splitLines(r.groups[s], r.seen[s])]);
  for (const s of ['validation', 'test'] as const) {
    files.push([`${s}-fans.jsonl`, heldOutFanLines(r.heldOut[s])]);
    files.push([`${s}-judgments.jsonl`, heldOutJudgmentLines(r.heldOut[s])]);
  }
  files.push(['report.json', JSON.stringify(r.report, null, 2) + '\n']);
  files.push(['report.txt', formatPrepareReport(r.report) + '\n']);
  for (const [name, content] of files) {
    const text = typeof content === 'string' ? content : content.map((l) => l + '\n').join('');
    // Each file is written under a temporary name and renamed: a reader never sees half a file.
    const tmp = path.join(dir, `.${name}.${process.pid}.tmp`);
    await fs.writeFile(tmp, text);
    await fs.rename(tmp, path.join(dir, name));
  }
  return files.map(([name]) => path.join(dir, name));
}

const pct = (x: number | null): string => (x === null ? 'n/a' : `${(100 * x).toFixed(1)}%`);

/** The human-readable report. */
export function formatPrepareReport(r: PrepareReport): string {
  const lines: string[] = [];
  const e = r.events;
  const x = r.exposures;
  lines.push(`exposures  ${x.exposures} exposure lines of ${x.lines} (${x.otherLogLines} other log lines skipped, ${x.bad.count} bad), ${x.withEngagement} with engagement`);
  lines.push(`           by query kind: ${Object.entries(x.byQueryKind).map(([k, v]) => `${k} ${v}`).join(', ') || 'none'}`);
  for (const [why, n] of Object.entries(x.untrainable)) lines.push(`           untrainable: ${n} ${why}`);
  lines.push(`events     ${e.valid} valid of ${e.lines} lines (${e.bad.count} bad): ${Object.entries(e.byKind).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  lines.push(`           joined ${e.joined.byRequestId} by request_id, ${e.joined.byTime} by fan and time (window ${Math.round(r.options.windowMs / 60000)} min)`);
  const fb = e.requestIdFallback;
  if (fb.notInLog + fb.otherFan > 0) lines.push(`           request_id not found for ${fb.notInLog} events, another fan's for ${fb.otherFan}: tried the time join`);
  for (const [why, n] of Object.entries(e.unjoined)) lines.push(`           not joined: ${n} ${why}`);
  const c = e.cancelledByUnfollow;
  if (Object.keys(c).length) lines.push(`           cancelled by a later unfollow: ${Object.entries(c).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  const o = e.organic;
  if (!o.enabled) lines.push('           organic (events that joined no exposure): not used (--no-organic)');
  else {
    const attached = Object.values(o.attached).reduce((a, b) => a + (b ?? 0), 0);
    lines.push(`           organic: ${attached} positives that joined no exposure attached to the fan's latest query before them (${Object.entries(o.attached).map(([k, v]) => `${k} ${v}`).join(', ') || 'none'}; ${o.laterQuery} to its first later query); ${o.noEarlierQuery} of fans without any query, ${o.droppedByTime} dropped by the time split`);
  }
  for (const [what, bad] of [['exposure log', x.bad], ['events', e.bad]] as const) {
    for (const b of bad.first.slice(0, 10)) lines.push(`bad line   ${what} line ${b.line}: ${b.reason}`);
    if (bad.count > 10) lines.push(`bad line   ${what}: ${bad.count - 10} more (all ${Math.min(bad.count, bad.first.length)} first ones in report.json)`);
  }
  lines.push('');
  lines.push(`cutoff     ${r.options.cutoff ?? 'n/a'} (train before, validation and test at or after)`);
  lines.push(`${'split'.padEnd(12)}${'fans'.padStart(8)}${'queries'.padStart(9)}${'positives'.padStart(11)}${'negatives'.padStart(11)}${'exposures'.padStart(11)}${'dropped by time'.padStart(26)}`);
  for (const s of SPLITS) {
    const t = r.splits[s];
    lines.push(`${s.padEnd(12)}${String(t.fans).padStart(8)}${String(t.queries).padStart(9)}${String(t.positives).padStart(11)}${String(t.negatives).padStart(11)}${String(t.exposures).padStart(11)}${`${t.droppedByTime.exposures} exp / ${t.droppedByTime.positives} pos`.padStart(26)}`);
  }
  const f = r.positivesPerFan;
  lines.push(`positives per fan: mean ${f.mean.toFixed(2)}, median ${f.median}, p90 ${f.p90}, max ${f.max} (${f.fans} fans); ${r.negativesDroppedAsPositives} negatives dropped (positives of the same fan)`);
  lines.push('');
  lines.push('position bias (engaged / shown):');
  lines.push(`${'pos'.padStart(5)}${'shown'.padStart(9)}${'engaged'.padStart(9)}${'rate'.padStart(8)}${'impr.'.padStart(8)}  `);
  const maxRate = Math.max(1e-9, ...r.positionBias.map((p) => p.rate));
  for (const p of r.positionBias.slice(0, 30)) {
    lines.push(`${String(p.position).padStart(5)}${String(p.shown).padStart(9)}${String(p.engaged).padStart(9)}${pct(p.rate).padStart(8)}${String(p.impressions).padStart(8)}  ${'#'.repeat(Math.round((30 * p.rate) / maxRate))}`);
  }
  const table = (title: string, t: Record<string, Rate & { creators?: number; exposures?: number }> | null): void => {
    lines.push('');
    if (!t) {
      lines.push(`${title}: n/a (pass --index DIR for categories, languages and catalog coverage)`);
      return;
    }
    lines.push(`${title}:`);
    for (const [k, v] of Object.entries(t).sort(([, a], [, b]) => b.shown - a.shown)) {
      const extra = v.creators !== undefined ? `${v.creators} creators shown` : `${v.exposures} exposures`;
      lines.push(`  ${k.padEnd(20)}${String(v.shown).padStart(9)} shown${String(v.engaged).padStart(8)} engaged${pct(v.rate).padStart(8)}   ${extra}`);
    }
  };
  table('per variant', r.perVariant);
  table('per creator category', r.perCategory);
  table('per creator language', r.perLanguage);
  lines.push('');
  const k = r.catalog;
  lines.push(`catalog    ${k.exposedCreators} creators ever shown${k.size !== null ? ` of ${k.size} (${pct(k.exposedShare)})` : ''}, ${k.engagedCreators} ever engaged${k.size !== null ? ` (${pct(k.engagedShare)})` : ''}`);
  return lines.join('\n');
}
