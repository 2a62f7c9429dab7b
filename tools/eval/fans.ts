import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { z } from 'zod';
import type { Filter } from '../../src/contract/creatormatch/v1/Filter';

/**
 * One fan, as in data/sample-fans.jsonl and the files that `npm run eval` and
 * `npm run batch-match` read (JSONL, one fan per line). A fan is described by any of:
 * - `interest_text` (alias `text`): free text, embedded with the index's model;
 * - `follows` (alias `like_creators`): creators the fan supports, optionally with `weights`
 *   (same length, positive: pledge amount, recency, ...);
 * - `vector`: a precomputed interest vector.
 * Judgments for evaluation: `expected_categories` (every creator of those categories is relevant)
 * and/or `relevant_creator_ids` (exactly these are relevant).
 */
export interface Fan {
  fanId: string;
  text?: string;
  follows?: string[];
  weights?: number[];
  vector?: number[];
  language?: string;
  expectedCategories?: string[];
  relevantCreatorIds?: string[];
  /** Per-fan k and filter for batch jobs (passed through as MatchRequest fields). */
  k?: number;
  filter?: Filter;
}

const positiveFinite = z.number().finite().positive();

/** A MatchRequest filter (creatormatch.v1.Filter; unknown keys are dropped, as the wire does). */
export const filterSchema = z.object({
  exclude_creator_ids: z.array(z.string()).exactOptional(),
  categories: z.array(z.string()).exactOptional(),
  languages: z.array(z.string()).exactOptional(),
  include_nsfw: z.boolean().exactOptional(),
  min_score: z.number().finite().exactOptional(),
}) satisfies z.ZodType<Filter>;

const fanSchema = z
  .object({
    fan_id: z.union([z.string().trim().min(1), z.number().transform(String)], { error: 'fan_id is required (string)' }),
    interest_text: z.string().optional(),
    text: z.string().optional(),
    follows: z.array(z.string()).optional(),
    like_creators: z.array(z.string()).optional(),
    weights: z.array(positiveFinite, { error: 'weights must be positive finite numbers' }).optional(),
    vector: z.array(z.number().finite(), { error: 'vector must be an array of finite numbers' }).optional(),
    language: z.string().optional(),
    expected_categories: z.array(z.string()).optional(),
    relevant_creator_ids: z.array(z.string()).optional(),
    k: z.number().int().nonnegative().optional(),
    filter: filterSchema.optional(),
  })
  .superRefine((f, ctx) => {
    const follows = f.follows ?? f.like_creators;
    if (f.weights && (!follows || follows.length !== f.weights.length)) {
      ctx.addIssue({ code: 'custom', message: `weights has ${f.weights.length} values but follows has ${follows?.length ?? 0} creators` });
    }
  });

export function parseFan(value: unknown): Fan {
  const f = fanSchema.parse(value);
  const fan: Fan = { fanId: f.fan_id };
  const text = (f.interest_text ?? f.text)?.trim();
  if (text) fan.text = text;
  const follows = f.follows ?? f.like_creators;
  if (follows && follows.length > 0) fan.follows = follows;
  if (f.weights) fan.weights = f.weights;
  if (f.vector && f.vector.length > 0) fan.vector = f.vector;
  if (f.language) fan.language = f.language.trim().toLowerCase();
  if (f.expected_categories) fan.expectedCategories = f.expected_categories.map((c) => c.trim().toLowerCase());
  if (f.relevant_creator_ids) fan.relevantCreatorIds = f.relevant_creator_ids;
  if (f.k !== undefined) fan.k = f.k;
  if (f.filter) fan.filter = f.filter;
  return fan;
}

export interface FanLine {
  line: number;
  fan?: Fan;
  /** Why the line is unusable (bad JSON or schema). */
  error?: string;
}

/** Streams a fans JSONL file; blank lines are skipped, bad lines are reported, not thrown. */
export async function* readFanLines(file: string): AsyncGenerator<FanLine> {
  const lines = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
  let n = 0;
  for await (const raw of lines) {
    n++;
    if (!raw.trim()) continue;
    try {
      yield { line: n, fan: parseFan(JSON.parse(raw)) };
    } catch (err) {
      const message = err instanceof z.ZodError ? err.issues.map((i) => `${i.path.join('.') || 'fan'}: ${i.message}`).join('; ') : (err as Error).message;
      yield { line: n, error: message };
    }
  }
}

/** Reads a whole fans file; any bad line is an error naming its line number. */
export async function readFans(file: string): Promise<Fan[]> {
  const fans: Fan[] = [];
  for await (const l of readFanLines(file)) {
    if (l.error !== undefined) throw new Error(`${file} line ${l.line}: ${l.error}`);
    fans.push(l.fan!);
  }
  return fans;
}

/**
 * Graded judgments for `npm run eval -- --judgments FILE` (JSONL, one judgment per line):
 * `{"fan_id": "fan_0001", "creator_id": "cr_000123", "grade": 2}` with grade an integer 0–4
 * (0 not relevant, 1 somewhat, 2 very; `npm run labels:import` writes 0–2). Other fields are
 * ignored. A (fan, creator) pair may appear once. NDCG uses gains 2^grade − 1; P, R and MRR count
 * grade ≥ 1 as relevant; unjudged creators count as not relevant.
 *
 * Lines with a `rater_id` are one rater's ratings (the relevance workbench's judgments file,
 * MATCH_UI_JUDGMENTS_FILE, is append-only): a rater's latest line for a pair counts, and a pair
 * rated by several raters gets the median of their grades (the lower one of the two middle grades
 * for an even count). A pair may not have both a plain line and ratings.
 */
export type GradedJudgments = Map<string, Map<string, number>>;

const judgmentSchema = z.object({
  fan_id: z.string({ error: 'fan_id must be a string' }).trim().min(1, 'fan_id must not be empty'),
  creator_id: z.string({ error: 'creator_id must be a string' }).trim().min(1, 'creator_id must not be empty'),
  grade: z.number({ error: 'grade must be a number' }).int('grade must be an integer').min(0, 'grade must be 0-4').max(4, 'grade must be 0-4'),
  rater_id: z.string({ error: 'rater_id must be a string' }).trim().min(1, 'rater_id must not be empty').optional(),
});

/** Reads a judgments file; any bad line (or a repeated pair) is an error naming its line number. */
export async function readJudgments(file: string): Promise<GradedJudgments> {
  const out: GradedJudgments = new Map();
  const firstLine = new Map<string, number>();
  /** pair → rater → latest grade; pair → first rated line. */
  const rated = new Map<string, { fanId: string; creatorId: string; line: number; byRater: Map<string, number> }>();
  const lines = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
  let n = 0;
  for await (const raw of lines) {
    n++;
    if (!raw.trim()) continue;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (err) {
      throw new Error(`${file} line ${n}: not JSON: ${(err as Error).message}`, { cause: err });
    }
    const r = judgmentSchema.safeParse(value);
    if (!r.success) throw new Error(`${file} line ${n}: ${r.error.issues.map((i) => `${i.path.join('.') || 'judgment'}: ${i.message}`).join('; ')}`);
    const key = `${r.data.fan_id}\u0000${r.data.creator_id}`;
    const seen = firstLine.get(key);
    const ratings = rated.get(key);
    if (r.data.rater_id !== undefined) {
      if (seen !== undefined) throw new Error(`${file} line ${n}: fan ${r.data.fan_id} and creator ${r.data.creator_id} have a plain judgment on line ${seen} and ratings by raters`);
      if (ratings) ratings.byRater.set(r.data.rater_id, r.data.grade);
      else rated.set(key, { fanId: r.data.fan_id, creatorId: r.data.creator_id, line: n, byRater: new Map([[r.data.rater_id, r.data.grade]]) });
      continue;
    }
    if (ratings) throw new Error(`${file} line ${n}: fan ${r.data.fan_id} and creator ${r.data.creator_id} were rated by raters from line ${ratings.line} on; a plain judgment cannot be added`);
    if (seen !== undefined) throw new Error(`${file} line ${n}: fan ${r.data.fan_id} and creator ${r.data.creator_id} were already judged on line ${seen}`);
    firstLine.set(key, n);
    let m = out.get(r.data.fan_id);
    if (!m) out.set(r.data.fan_id, (m = new Map<string, number>()));
    m.set(r.data.creator_id, r.data.grade);
  }
  for (const { fanId, creatorId, byRater } of rated.values()) {
    const grades = [...byRater.values()].sort((a, b) => a - b);
    let m = out.get(fanId);
    if (!m) out.set(fanId, (m = new Map<string, number>()));
    m.set(creatorId, grades[Math.floor((grades.length - 1) / 2)]!);
  }
  return out;
}
