/**
 * Training pairs grouped by query: one group per (fan, query), with its positives (weights) and
 * hard negatives. Read from `data:prepare` output (a directory with train/validation/test.jsonl)
 * or from one file of plain lines (split here by fan).
 */
import type { Fan } from '../eval/fans';
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { describeFile } from '../../src/index/manifest';
import { BadLines, forEachLine, parseInteractionLine, SPLITS, type Interaction, type Split } from './formats';
import { noProgress, type Progress } from './cli-util';
import { splitOfFan, type FanSplitOptions } from './split';

export interface Positive {
  weight: number;
  /** Strongest event behind it (click < follow < pledge), when known. */
  event?: string;
  ts?: number;
}

/** Where a pair was seen (data:prepare keeps it for its output lines). */
export interface PairSeen {
  /** Best (lowest) 1-based position it was shown at. */
  position?: number;
  /** Exposures it came from. */
  n: number;
  ts?: number;
}

export interface QueryGroup {
  fanId: string;
  split: Split;
  kind: 'text' | 'like';
  text?: string;
  /** Sorted, distinct. */
  likeIds?: string[];
  key: string;
  positives: Map<string, Positive>;
  negatives: Set<string>;
  /** Latest time seen on any of its lines. */
  lastTs?: number;
}

export const queryKey = (q: { text?: string; likeIds?: readonly string[] }): string =>
  q.text !== undefined ? `t\u0000${q.text}` : `l\u0000${[...new Set(q.likeIds ?? [])].sort().join('\u0001')}`;

const EVENT_RANK: Record<string, number> = { click: 1, follow: 2, pledge: 3 };

/** Merges a positive into a group (max weight, strongest event, latest time). */
export function addPositive(g: QueryGroup, creatorId: string, p: Positive): void {
  const old = g.positives.get(creatorId);
  if (!old) {
    g.positives.set(creatorId, { ...p });
    return;
  }
  old.weight = Math.max(old.weight, p.weight);
  if (p.event !== undefined && (old.event === undefined || (EVENT_RANK[p.event] ?? 0) > (EVENT_RANK[old.event] ?? 0))) old.event = p.event;
  if (p.ts !== undefined && (old.ts === undefined || p.ts > old.ts)) old.ts = p.ts;
}

/** Negatives that are a positive of the same fan (in any of its groups) are dropped. */
export function dropConflictingNegatives(groups: Iterable<QueryGroup>): number {
  const list = [...groups];
  const positivesOfFan = new Map<string, Set<string>>();
  for (const g of list) {
    let s = positivesOfFan.get(g.fanId);
    if (!s) positivesOfFan.set(g.fanId, (s = new Set()));
    for (const id of g.positives.keys()) s.add(id);
  }
  let dropped = 0;
  for (const g of list) {
    const pos = positivesOfFan.get(g.fanId)!;
    for (const id of [...g.negatives]) {
      if (pos.has(id)) {
        g.negatives.delete(id);
        dropped++;
      }
    }
  }
  return dropped;
}

export interface InteractionSet {
  groups: Record<Split, QueryGroup[]>;
  /** Files read, with their sha256 and size, and the combined sha256 (over the files' hashes in order). */
  files: Array<{ name: string; sha256: string; bytes: number }>;
  sha256: string;
  lines: number;
  bad: BadLines;
  /** How the split was made: given by the file(s), or by fan hash here. */
  splitSource: 'prepared' | 'fan-hash';
}

/** The files `data:prepare` writes into its --out directory. */
export const PREPARED_FILES: Record<Split, string> = { train: 'train.jsonl', validation: 'validation.jsonl', test: 'test.jsonl' };

export interface ReadInteractionsOptions {
  /** Split for plain files without a `split` field. */
  split: FanSplitOptions;
  /** Continue past bad lines (they are still counted and reported). */
  skipInvalid?: boolean;
  progress?: Progress;
}

/** Reads a data:prepare directory or one interactions file. */
export async function readInteractions(source: string, opts: ReadInteractionsOptions): Promise<InteractionSet> {
  const stat = await fs.stat(source).catch((err: unknown) => {
    throw new Error(`cannot read --interactions ${source}: ${(err as Error).message}`, { cause: err });
  });
  const files = stat.isDirectory() ? SPLITS.map((s) => path.join(source, PREPARED_FILES[s])) : [source];
  if (stat.isDirectory()) {
    for (const f of files) {
      if (!(await fs.stat(f).catch(() => undefined))) throw new Error(`${source} is a directory without ${path.basename(f)}; pass a data:prepare --out directory or an interactions file`);
    }
  }
  const bad = new BadLines();
  const byKey = new Map<string, QueryGroup>();
  let lines = 0;
  let withSplit = 0;
  let withoutSplit = 0;
  for (const file of files) {
    const fixedSplit = stat.isDirectory() ? (SPLITS.find((s) => PREPARED_FILES[s] === path.basename(file)) as Split) : undefined;
    lines += await forEachLine(
      file,
      (raw, line) => {
        const r = parseInteractionLine(raw, line);
        if (!r.ok) {
          bad.add(line, files.length > 1 ? `${path.basename(file)}: ${r.reason}` : r.reason);
          return;
        }
        const i = r.value;
        if (i.split) withSplit++;
        else withoutSplit++;
        const split = fixedSplit ?? i.split ?? splitOfFan(i.fanId, opts.split);
        addInteraction(byKey, i, split);
      },
      opts.progress ?? noProgress,
      `reading ${path.basename(file)}`,
    );
  }
  if (bad.count > 0 && !opts.skipInvalid) {
    const shown = bad.first.slice(0, 5).map((b) => `line ${b.line}: ${b.reason}`).join('; ');
    throw new Error(`${bad.count} bad interaction line(s) in ${source} (${shown}); fix them or pass --skip-invalid`);
  }
  if (!stat.isDirectory() && withSplit > 0 && withoutSplit > 0) {
    throw new Error(`${source} has ${withSplit} lines with a split field and ${withoutSplit} without; give all lines a split or none`);
  }
  const groups: Record<Split, QueryGroup[]> = { train: [], validation: [], test: [] };
  for (const g of byKey.values()) groups[g.split].push(g);
  // A fan in two splits would leak; the prepared files never do, hand-made split fields might.
  const splitOf = new Map<string, Split>();
  for (const g of byKey.values()) {
    const seen = splitOf.get(g.fanId);
    if (seen !== undefined && seen !== g.split) throw new Error(`fan ${g.fanId} is in both the ${seen} and the ${g.split} split; a fan must be in one split only`);
    splitOf.set(g.fanId, g.split);
  }
  for (const s of SPLITS) dropConflictingNegatives(groups[s]);
  const described = await Promise.all(files.map(async (f) => ({ name: path.basename(f), ...(await describeFile(f)) })));
  const combined = createHash('sha256');
  for (const f of described) combined.update(`${f.name}:${f.sha256}\n`);
  return { groups, files: described, sha256: combined.digest('hex'), lines, bad, splitSource: stat.isDirectory() || withSplit > 0 ? 'prepared' : 'fan-hash' };
}

function addInteraction(byKey: Map<string, QueryGroup>, i: Interaction, split: Split): void {
  const q = i.text !== undefined ? { text: i.text } : { likeIds: [...new Set(i.likeCreators)].sort() };
  const key = `${i.fanId}\u0002${queryKey(q)}`;
  let g = byKey.get(key);
  if (!g) {
    g = { fanId: i.fanId, split, kind: q.text !== undefined ? 'text' : 'like', key: queryKey(q), positives: new Map(), negatives: new Set(), ...q };
    byKey.set(key, g);
  }
  if (i.ts !== undefined && (g.lastTs === undefined || i.ts > g.lastTs)) g.lastTs = i.ts;
  if (i.label === 1) addPositive(g, i.creatorId, { weight: i.weight, ...(i.event ? { event: i.event } : {}), ...(i.ts !== undefined ? { ts: i.ts } : {}) });
  else g.negatives.add(i.creatorId);
}

/** Graded relevance of a positive: 2 for a follow or pledge, 1 for a click or an unlabelled positive. */
export const gradeOf = (p: Positive): 1 | 2 => (p.event === 'follow' || p.event === 'pledge' ? 2 : 1);

/** An eval "fan" (tools/eval/fans.ts shape) and its graded judgments. */
export interface HeldOutFan {
  fanId: string;
  text?: string;
  follows?: string[];
}

export interface HeldOutSet {
  fans: HeldOutFan[];
  /** fan id → creator id → grade (1 or 2). */
  judgments: Map<string, Map<string, number>>;
  /**
   * fan id → every creator labelled for the fan in the split (engaged or shown and ignored), for
   * fans with at least one shown-and-ignored creator: what the release gate ranks (evaluateIndex
   * `logged`). Empty when the split has no negatives.
   */
  shown: Map<string, Set<string>>;
}

/**
 * The held-out evaluation of a split: one query per fan (its latest text query, else its latest
 * liked-creators query) judged by all of the fan's positives in the split (graded).
 */
export function heldOutSet(groups: readonly QueryGroup[]): HeldOutSet {
  const byFan = new Map<string, QueryGroup[]>();
  for (const g of groups) {
    let list = byFan.get(g.fanId);
    if (!list) byFan.set(g.fanId, (list = []));
    list.push(g);
  }
  const fans: HeldOutFan[] = [];
  const judgments = new Map<string, Map<string, number>>();
  const shown = new Map<string, Set<string>>();
  for (const [fanId, list] of [...byFan].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const grades = new Map<string, number>();
    for (const g of list) for (const [id, p] of g.positives) grades.set(id, Math.max(grades.get(id) ?? 0, gradeOf(p)));
    if (grades.size === 0) continue;
    const latest = (kind: 'text' | 'like'): QueryGroup | undefined =>
      list.filter((g) => g.kind === kind).sort((a, b) => (b.lastTs ?? 0) - (a.lastTs ?? 0) || (a.key < b.key ? -1 : 1))[0];
    const q = latest('text') ?? latest('like')!;
    fans.push(q.kind === 'text' ? { fanId, text: q.text! } : { fanId, follows: q.likeIds! });
    judgments.set(fanId, grades);
    if (list.some((g) => g.negatives.size > 0)) shown.set(fanId, new Set(list.flatMap((g) => [...g.positives.keys(), ...g.negatives])));
  }
  return { fans, judgments, shown };
}

/** What the release gate judges by engagement ('logged': each fan's logged exposures ranked; 'catalog': the whole catalog). */
export type GateScope = 'logged' | 'catalog';

/**
 * The release gate's held-out fans and judgments from a split's engagement, and, with scope
 * 'logged' and shown-and-ignored creators in the split, what each fan was shown (evaluateIndex
 * `logged`): engagement only labels what was shown (docs/LEARNING.md, exposure bias).
 */
export function engagementGate(groups: readonly QueryGroup[], scope: GateScope): { fans: Fan[]; judgments: HeldOutSet['judgments']; logged?: HeldOutSet['shown'] } {
  const held = heldOutSet(groups);
  const fans = held.fans.map((f): Fan => ({ fanId: f.fanId, ...(f.text !== undefined ? { text: f.text } : { follows: f.follows! }) }));
  return { fans, judgments: held.judgments, ...(scope === 'logged' && held.shown.size > 0 ? { logged: held.shown } : {}) };
}

/** Eval fans-file lines (tools/eval/fans.ts format) for a held-out set. */
export function heldOutFanLines(set: HeldOutSet): string[] {
  return set.fans.map((f) =>
    JSON.stringify({
      fan_id: f.fanId,
      ...(f.text !== undefined ? { interest_text: f.text } : { follows: f.follows }),
      relevant_creator_ids: [...(set.judgments.get(f.fanId)?.keys() ?? [])].sort(),
    }),
  );
}

/** Judgments-file lines (`npm run eval -- --judgments`) for a held-out set. */
export function heldOutJudgmentLines(set: HeldOutSet): string[] {
  const out: string[] = [];
  for (const f of set.fans) {
    for (const [creatorId, grade] of [...(set.judgments.get(f.fanId) ?? [])].sort(([a], [b]) => (a < b ? -1 : 1))) {
      out.push(JSON.stringify({ fan_id: f.fanId, creator_id: creatorId, grade }));
    }
  }
  return out;
}
