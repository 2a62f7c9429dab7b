import { createHash } from 'node:crypto';
import { closeSync, fstatSync, ftruncateSync, mkdirSync, openSync, readSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { MatchError } from '../errors/match-error';
import type { Logger } from '../logging/logger';
import type { JudgmentInput, JudgmentLine, RememberedJudgment } from './api-types';

/**
 * Relevance judgments from the workbench, appended to MATCH_UI_JUDGMENTS_FILE: one JSON line per
 * rating, in the labels format that `npm run eval -- --judgments` (and the release gate, and
 * training's gate) read (docs/LEARNING.md, "Graded judgments"):
 *
 *   {"fan_id","creator_id","grade","rater_id","item_id","ts","source":"workbench", …context}
 *
 * The file is only ever appended to. Each line is written whole with one write on an O_APPEND
 * descriptor and fsync'd before the call is answered, one at a time, so an acknowledged judgment
 * survives a crash and lines never interleave. A torn last line (a crash mid-write, never
 * acknowledged) is cut off when the file is opened. A rater who grades the same (fan, creator)
 * again appends a new line; eval counts each rater's latest line (tools/eval/fans.ts).
 */

/** Stable item id of a (fan, creator) pair, as `npm run labels:export` writes it (tools/labels/task.ts). */
export const itemIdOf = (fanId: string, creatorId: string): string => `it_${createHash('sha256').update(`${fanId}\u0000${creatorId}`).digest('hex').slice(0, 16)}`;

const id = (what: string, max: number) =>
  z
    .string({ error: `${what} must be a string` })
    .trim()
    .min(1, `${what} must not be empty`)
    .max(max, `${what} is longer than ${max} characters`)
    .refine((s) => ![...s].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f), `${what} must not contain control characters`);

/** What the page posts. */
export const judgmentInputSchema = z
  .object({
    rater_id: id('rater_id', 64).refine((s) => /^[\p{L}\p{N}._@+-]+$/u.test(s), 'rater_id may hold letters, digits and . _ @ + - only'),
    fan_id: id('fan_id', 256),
    creator_id: id('creator_id', 256),
    grade: z.number({ error: 'grade must be a number' }).int('grade must be an integer').min(0, 'grade must be 0-4').max(4, 'grade must be 0-4'),
    item_id: id('item_id', 64).exactOptional(),
    variant: z.string().max(64).exactOptional(),
    index_version: z.string().max(128).exactOptional(),
    retrieval: z.string().max(32).exactOptional(),
    request_id: z.string().max(256).exactOptional(),
    /** 1-based position the rater saw the creator at. */
    rank: z.number().int().min(1).max(100_000).exactOptional(),
    /** The query judged: text (at most 512 characters kept), liked creators, or "a vector". */
    query: z
      .object({
        interest_text: z.string().max(4096).exactOptional(),
        like_creator_ids: z.array(z.string().max(256)).max(1000).exactOptional(),
        vector: z.boolean().exactOptional(),
      })
      .strict()
      .exactOptional(),
    /** Where the rating came from: an ad-hoc query or a rating task. */
    mode: z.enum(['query', 'compare', 'task']).exactOptional(),
  })
  .strict();

// The schema and the shared type describe the same body.
type Parsed = z.infer<typeof judgmentInputSchema>;
const _sameShape: [Parsed extends JudgmentInput ? true : false, JudgmentInput extends Parsed ? true : false] = [true, true];
void _sameShape;

/** The input as a validated line, or INVALID_BODY naming the fields. */
export function parseJudgment(value: unknown, now = new Date()): JudgmentLine {
  const r = judgmentInputSchema.safeParse(value);
  if (!r.success) throw new MatchError('INVALID_BODY', `invalid judgment: ${r.error.issues.map((i) => `${i.path.join('.') || 'judgment'}: ${i.message}`).join('; ')}`);
  const j = r.data;
  const expected = itemIdOf(j.fan_id, j.creator_id);
  if (j.item_id !== undefined && j.item_id !== expected) {
    throw new MatchError('INVALID_BODY', `invalid judgment: item_id ${j.item_id} is not the item of fan ${j.fan_id} and creator ${j.creator_id} (${expected})`);
  }
  const query = j.query?.interest_text !== undefined ? { ...j.query, interest_text: j.query.interest_text.slice(0, 512) } : j.query;
  return { ...j, ...(query ? { query } : {}), item_id: expected, ts: now.toISOString(), source: 'workbench' };
}

/** One line must stay well below what a single write appends atomically on local file systems. */
const MAX_LINE_BYTES = 64 * 1024;
/** Ratings kept in memory for read-back (the page shows a rater's earlier grades). */
const MAX_REMEMBERED = 1_000_000;

export class JudgmentsWriter {
  private handle: FileHandle | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  /** rater → fan → creator → latest rating. */
  private readonly latest = new Map<string, Map<string, Map<string, RememberedJudgment>>>();
  private remembered = 0;
  private closed = false;

  private constructor(
    readonly file: string,
    private readonly logger: Logger,
  ) {}

  /** Opens (creating it and its folder) the file, cuts a torn last line, and reads earlier ratings. */
  static async open(file: string, logger: Logger): Promise<JudgmentsWriter> {
    const w = new JudgmentsWriter(path.resolve(file), logger);
    mkdirSync(path.dirname(w.file), { recursive: true });
    w.repairAndLoad();
    w.handle = await open(w.file, 'a');
    return w;
  }

  /** Cuts an unterminated last line (never acknowledged) and remembers the ratings before it. */
  private repairAndLoad(): void {
    const fd = openSync(this.file, 'a+');
    try {
      const size = fstatSync(fd).size;
      const buf = Buffer.alloc(size);
      let read = 0;
      while (read < size) {
        const n = readSync(fd, buf, read, size - read, read);
        if (n === 0) break;
        read += n;
      }
      const end = buf.lastIndexOf(0x0a) + 1;
      if (end < size) {
        this.logger.warn({ file: this.file, bytes: size - end }, 'judgments file: cutting a torn last line (a crash mid-write; it was never acknowledged)');
        ftruncateSync(fd, end);
      }
      let lineNo = 0;
      for (const raw of buf.subarray(0, end).toString('utf8').split('\n')) {
        lineNo++;
        if (!raw.trim()) continue;
        try {
          const j = JSON.parse(raw) as Partial<JudgmentLine>;
          if (typeof j.rater_id === 'string' && typeof j.fan_id === 'string' && typeof j.creator_id === 'string' && typeof j.grade === 'number') {
            this.remember({ rater_id: j.rater_id, fan_id: j.fan_id, creator_id: j.creator_id, grade: j.grade, ts: String(j.ts ?? '') });
          }
        } catch {
          this.logger.warn({ file: this.file, line: lineNo }, 'judgments file: a line is not JSON (left as it is; eval will name it)');
        }
      }
    } finally {
      closeSync(fd);
    }
  }

  private remember(j: { rater_id: string; fan_id: string; creator_id: string; grade: number; ts: string }): void {
    let byFan = this.latest.get(j.rater_id);
    if (!byFan) this.latest.set(j.rater_id, (byFan = new Map<string, Map<string, RememberedJudgment>>()));
    let byCreator = byFan.get(j.fan_id);
    if (!byCreator) byFan.set(j.fan_id, (byCreator = new Map<string, RememberedJudgment>()));
    if (!byCreator.has(j.creator_id)) {
      if (this.remembered >= MAX_REMEMBERED) return;
      this.remembered++;
    }
    byCreator.set(j.creator_id, { fan_id: j.fan_id, creator_id: j.creator_id, grade: j.grade, ts: j.ts });
  }

  /** Appends one line and fsyncs it; resolves once it is durable. Calls are applied in order. */
  append(line: JudgmentLine): Promise<void> {
    const text = JSON.stringify(line) + '\n';
    if (Buffer.byteLength(text) > MAX_LINE_BYTES) return Promise.reject(new MatchError('INVALID_BODY', `invalid judgment: the line would be longer than ${MAX_LINE_BYTES} bytes`));
    const run = async (): Promise<void> => {
      if (this.closed || !this.handle) throw new MatchError('INDEX_NOT_READY', 'the judgments file is closed (shutting down)');
      await this.handle.write(text);
      await this.handle.sync();
      this.remember(line);
    };
    const next = this.queue.then(run, run);
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** A rater's latest grades, optionally for one fan (at most `limit`). */
  ratingsOf(raterId: string, fanId?: string, limit = 10_000): RememberedJudgment[] {
    const byFan = this.latest.get(raterId);
    if (!byFan) return [];
    const out: RememberedJudgment[] = [];
    const groups = fanId === undefined ? [...byFan.values()] : [byFan.get(fanId) ?? new Map<string, RememberedJudgment>()];
    for (const byCreator of groups) {
      for (const j of byCreator.values()) {
        if (out.length >= limit) return out;
        out.push(j);
      }
    }
    return out;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.queue;
    await this.handle?.close();
    this.handle = undefined;
  }
}
