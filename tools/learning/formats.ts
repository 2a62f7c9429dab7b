/**
 * Input formats of the learning loop (docs/LEARNING.md has the tables):
 * - engagement events (JSONL): what fans did with creators;
 * - exposure log lines (the service's pino JSON on stdout, `msg: "exposure"`): what they were shown;
 * - interactions (JSONL): training pairs, written by `data:prepare` or by hand.
 * Parsers never throw on a bad line: they return the reason, and readers collect it with the
 * line number.
 */
import { createReadStream, promises as fs } from 'node:fs';
import { createInterface } from 'node:readline';
import { z } from 'zod';
import { noProgress, type Progress } from './cli-util';

export const EVENT_KINDS = ['impression', 'click', 'follow', 'pledge', 'unfollow'] as const;
export type EventKind = (typeof EVENT_KINDS)[number];
/** Events that make a creator a positive for the fan. */
export const POSITIVE_EVENTS = ['click', 'follow', 'pledge'] as const;
export type PositiveEvent = (typeof POSITIVE_EVENTS)[number];
export const isPositiveEvent = (e: EventKind): e is PositiveEvent => e === 'click' || e === 'follow' || e === 'pledge';

export interface EngagementEvent {
  line: number;
  fanId: string;
  creatorId: string;
  event: EventKind;
  /** Epoch milliseconds. */
  ts: number;
  requestId?: string;
  variant?: string;
  indexVersion?: string;
}

export const QUERY_KINDS = ['text', 'like', 'vector'] as const;
export type QueryKind = (typeof QUERY_KINDS)[number];

export interface Exposure {
  line: number;
  /** Epoch milliseconds. */
  time: number;
  /** '' when the request had none. */
  requestId: string;
  /** '' when the request had none. */
  fanId: string;
  variant?: string;
  experiment?: string;
  indexVersion?: string;
  /** Ranked: position p (1-based) is creatorIds[p - 1]. */
  creatorIds: string[];
  queryKind: QueryKind;
  interestText?: string;
  likeCreatorIds?: string[];
}

export interface BadLine {
  line: number;
  reason: string;
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string };

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;
/** Epoch ms below this (1973-03-03) are almost certainly epoch seconds. */
const MIN_EPOCH_MS = 1e11;
const MAX_EPOCH_MS = 1e14;

/** RFC 3339 string or epoch milliseconds → epoch ms, or the reason it is not a timestamp. */
export function parseTimestamp(value: unknown, field: string): Parsed<number> {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return { ok: false, reason: `${field} must be finite` };
    if (value < MIN_EPOCH_MS) return { ok: false, reason: `${field} ${value} looks like epoch seconds; use epoch milliseconds or RFC 3339` };
    if (value > MAX_EPOCH_MS) return { ok: false, reason: `${field} ${value} is too large for epoch milliseconds` };
    return { ok: true, value: Math.round(value) };
  }
  if (typeof value === 'string') {
    if (!RFC3339.test(value)) return { ok: false, reason: `${field} ${JSON.stringify(value.slice(0, 40))} is not RFC 3339 (e.g. 2026-11-03T10:15:00Z) or epoch milliseconds` };
    const ms = Date.parse(value);
    if (!Number.isFinite(ms)) return { ok: false, reason: `${field} ${JSON.stringify(value)} is not a valid date` };
    return { ok: true, value: ms };
  }
  return { ok: false, reason: `${field} is required (RFC 3339 string or epoch milliseconds)` };
}

const nonEmpty = (what: string) => z.string({ error: `${what} must be a string` }).trim().min(1, `${what} must not be empty`);
const optionalString = (what: string) => z.string({ error: `${what} must be a string` }).optional();

/** Issue messages; the field is named unless the message already does. */
const zodReason = (err: z.ZodError): string =>
  err.issues
    .map((i) => {
      const field = i.path.join('.');
      return !field || i.message.includes(String(i.path[0] ?? '')) ? i.message : `${field}: ${i.message}`;
    })
    .join('; ');

function parseJsonObject(raw: string): Parsed<Record<string, unknown>> {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (err) {
    return { ok: false, reason: `not JSON: ${(err as Error).message}` };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return { ok: false, reason: 'expected a JSON object' };
  return { ok: true, value: value as Record<string, unknown> };
}

const eventSchema = z.object({
  fan_id: nonEmpty('fan_id'),
  creator_id: nonEmpty('creator_id'),
  event: z.enum(EVENT_KINDS, { error: `event must be one of ${EVENT_KINDS.join(', ')}` }),
  ts: z.unknown(),
  request_id: optionalString('request_id').nullable(),
  variant: optionalString('variant').nullable(),
  index_version: optionalString('index_version').nullable(),
});

/** One engagement event line. */
export function parseEventLine(raw: string, line: number): Parsed<EngagementEvent> {
  const obj = parseJsonObject(raw);
  if (!obj.ok) return obj;
  const r = eventSchema.safeParse(obj.value);
  if (!r.success) return { ok: false, reason: zodReason(r.error) };
  const ts = parseTimestamp(r.data.ts, 'ts');
  if (!ts.ok) return ts;
  const e: EngagementEvent = { line, fanId: r.data.fan_id, creatorId: r.data.creator_id, event: r.data.event, ts: ts.value };
  if (r.data.request_id) e.requestId = r.data.request_id;
  if (r.data.variant) e.variant = r.data.variant;
  if (r.data.index_version) e.indexVersion = r.data.index_version;
  return { ok: true, value: e };
}

const exposureSchema = z.object({
  time: z.unknown(),
  request_id: z.string({ error: 'request_id must be a string' }).nullable().optional(),
  fan_id: z.string({ error: 'fan_id must be a string' }).nullable().optional(),
  variant: optionalString('variant').nullable(),
  experiment: optionalString('experiment').nullable(),
  index_version: optionalString('index_version').nullable(),
  creator_ids: z.array(nonEmpty('creator_ids[]'), { error: 'creator_ids must be an array of creator ids' }),
  query_kind: z.enum(QUERY_KINDS, { error: `query_kind must be one of ${QUERY_KINDS.join(', ')}` }),
  interest_text: optionalString('interest_text').nullable(),
  like_creator_ids: z.array(nonEmpty('like_creator_ids[]'), { error: 'like_creator_ids must be an array of creator ids' }).nullable().optional(),
});

export type LogLine = { kind: 'exposure'; exposure: Exposure } | { kind: 'other' } | { kind: 'bad'; reason: string };

/**
 * One line of the service's log: an exposure, another log line (skipped, counted), or a bad line
 * (not JSON, or an exposure with missing or wrong fields). `time` may be epoch ms (as the exposure
 * contract says) or an ISO string (what pino's isoTime writes).
 */
export function parseLogLine(raw: string, line: number): LogLine {
  const obj = parseJsonObject(raw);
  if (!obj.ok) return { kind: 'bad', reason: obj.reason };
  if (obj.value.msg !== 'exposure') return { kind: 'other' };
  const r = exposureSchema.safeParse(obj.value);
  if (!r.success) return { kind: 'bad', reason: `exposure: ${zodReason(r.error)}` };
  const time = parseTimestamp(r.data.time, 'time');
  if (!time.ok) return { kind: 'bad', reason: `exposure: ${time.reason}` };
  const d = r.data;
  const e: Exposure = { line, time: time.value, requestId: d.request_id ?? '', fanId: d.fan_id ?? '', creatorIds: d.creator_ids, queryKind: d.query_kind };
  if (d.variant) e.variant = d.variant;
  if (d.experiment) e.experiment = d.experiment;
  if (d.index_version) e.indexVersion = d.index_version;
  if (d.interest_text) e.interestText = d.interest_text;
  if (d.like_creator_ids && d.like_creator_ids.length > 0) e.likeCreatorIds = d.like_creator_ids;
  return { kind: 'exposure', exposure: e };
}

export const SPLITS = ['train', 'validation', 'test'] as const;
export type Split = (typeof SPLITS)[number];

/** One training pair: a fan's query, a creator, and whether it was a positive. */
export interface Interaction {
  line: number;
  fanId: string;
  /** Exactly one of text / likeCreators. */
  text?: string;
  likeCreators?: string[];
  creatorId: string;
  label: 0 | 1;
  /** > 0; default 1. */
  weight: number;
  split?: Split;
  event?: string;
  position?: number;
  ts?: number;
}

const interactionSchema = z
  .object({
    fan_id: nonEmpty('fan_id'),
    interest_text: z.string({ error: 'interest_text must be a string' }).nullable().optional(),
    like_creators: z.array(nonEmpty('like_creators[]'), { error: 'like_creators must be an array of creator ids' }).nullable().optional(),
    creator_id: nonEmpty('creator_id'),
    label: z.union([z.literal(0), z.literal(1)], { error: 'label must be 1 (positive) or 0 (negative)' }),
    weight: z.number({ error: 'weight must be a number' }).finite().positive('weight must be positive').optional(),
    split: z.enum(SPLITS, { error: `split must be one of ${SPLITS.join(', ')}` }).optional(),
    event: z.string().optional(),
    position: z.number().int().positive().optional(),
    ts: z.unknown().optional(),
  })
  .superRefine((v, ctx) => {
    const hasText = typeof v.interest_text === 'string' && v.interest_text.trim().length > 0;
    const hasLike = Array.isArray(v.like_creators) && v.like_creators.length > 0;
    if (hasText === hasLike) ctx.addIssue({ code: 'custom', message: 'exactly one of interest_text (non-empty) and like_creators (non-empty) is required' });
  });

export function parseInteractionLine(raw: string, line: number): Parsed<Interaction> {
  const obj = parseJsonObject(raw);
  if (!obj.ok) return obj;
  const r = interactionSchema.safeParse(obj.value);
  if (!r.success) return { ok: false, reason: zodReason(r.error) };
  const d = r.data;
  const out: Interaction = { line, fanId: d.fan_id, creatorId: d.creator_id, label: d.label, weight: d.weight ?? 1 };
  if (d.interest_text && d.interest_text.trim()) out.text = d.interest_text.trim();
  if (d.like_creators && d.like_creators.length > 0) out.likeCreators = d.like_creators;
  if (d.split) out.split = d.split;
  if (d.event) out.event = d.event;
  if (d.position !== undefined) out.position = d.position;
  if (d.ts !== undefined) {
    const ts = parseTimestamp(d.ts, 'ts');
    if (!ts.ok) return ts;
    out.ts = ts.value;
  }
  return { ok: true, value: out };
}

/** The JSONL line data:prepare writes for an interaction (field order fixed). */
export function interactionLine(i: Omit<Interaction, 'line'> & { n?: number; requestId?: string }): string {
  return JSON.stringify({
    fan_id: i.fanId,
    ...(i.text !== undefined ? { interest_text: i.text } : { like_creators: i.likeCreators }),
    creator_id: i.creatorId,
    label: i.label,
    weight: i.weight,
    ...(i.split ? { split: i.split } : {}),
    ...(i.event ? { event: i.event } : {}),
    ...(i.position !== undefined ? { position: i.position } : {}),
    ...(i.ts !== undefined ? { ts: new Date(i.ts).toISOString() } : {}),
    ...(i.n !== undefined ? { n: i.n } : {}),
    ...(i.requestId ? { request_id: i.requestId } : {}),
  });
}

/**
 * Streams a text file line by line (1-based numbers; blank lines skipped), updating `bar` with
 * bytes read. `each` may return a promise.
 */
export async function forEachLine(file: string, each: (raw: string, line: number) => void, bar: Progress = noProgress, label = 'reading'): Promise<number> {
  let size: number;
  try {
    size = (await fs.stat(file)).size;
  } catch (err) {
    throw new Error(`cannot read ${file}: ${(err as Error).message}`, { cause: err });
  }
  const stream = createReadStream(file, { encoding: 'utf8' });
  let bytes = 0;
  let lastDraw = 0;
  stream.on('data', (chunk) => {
    bytes += Buffer.byteLength(chunk);
    if (bytes - lastDraw > 1 << 20) {
      lastDraw = bytes;
      bar.update(bytes);
    }
  });
  bar.start(label, size);
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  let n = 0;
  try {
    for await (const raw of lines) {
      n++;
      if (!raw.trim()) continue;
      each(raw, n);
    }
  } finally {
    bar.update(size);
    bar.stop();
  }
  return n;
}

/** Keeps the first `limit` bad lines and counts all of them. */
export class BadLines {
  readonly first: BadLine[] = [];
  count = 0;
  constructor(readonly limit = 50) {}
  add(line: number, reason: string): void {
    this.count++;
    if (this.first.length < this.limit) this.first.push({ line, reason });
  }
  toJSON(): { count: number; first: BadLine[] } {
    return { count: this.count, first: this.first };
  }
}
