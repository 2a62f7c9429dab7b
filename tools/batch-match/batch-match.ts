import { createReadStream, createWriteStream, promises as fs, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import * as grpc from '@grpc/grpc-js';
import { readFanLines, type Fan } from '../eval/fans';
import type { CreatorMatcherClient } from '../../src/contract/creatormatch/v1/CreatorMatcher';
import type { CreatorProfile__Output } from '../../src/contract/creatormatch/v1/CreatorProfile';
import type { Filter } from '../../src/contract/creatormatch/v1/Filter';
import type { MatchRequest } from '../../src/contract/creatormatch/v1/MatchRequest';
import type { MatchResponse__Output } from '../../src/contract/creatormatch/v1/MatchResponse';
import { matcherClientConstructor } from '../../src/grpc/proto';

/**
 * Streams a fans JSONL file through BatchMatch and appends one recommendations line per fan to
 * `out`. Resumable: fans already in `out` are skipped, and a torn last line (a crash mid-write) is
 * cut off first. Failed fans go to `errors` (not to `out`), so a rerun retries them.
 *
 * `concurrency` BatchMatch streams run side by side, each with up to `window` requests in flight
 * (BatchMatch answers in request order, so responses are matched to fans by position).
 */
export interface BatchMatchOptions {
  fans: string;
  out: string;
  /** Default: `${out}.errors.jsonl`. */
  errors?: string | undefined;
  /** Server address (host:port); ignored with `client`. */
  addr?: string;
  client?: CreatorMatcherClient;
  concurrency?: number;
  window?: number;
  /** Defaults for every fan (a fan's own `k` / `filter` win). */
  k?: number;
  filter?: Filter | undefined;
  includeProfile?: boolean;
  diversity?: number;
  maxPerCategory?: number;
  /** Stop taking new fans (in-flight ones finish and are written). */
  signal?: AbortSignal;
  onProgress?(p: BatchProgress): void;
  progressEveryMs?: number;
}

export interface BatchProgress {
  /** Non-blank lines in the fans file. */
  total: number;
  /** fan_ids already in `out` when the run started. */
  alreadyDone: number;
  /** Input lines skipped: fan already written, or a duplicate fan_id. */
  skipped: number;
  ok: number;
  /** Fans the service answered with an error (`retryable` of them may succeed on a rerun). */
  errors: number;
  /** Of `errors`: transient ones (UNAVAILABLE, DEADLINE_EXCEEDED, INTERNAL, ...) worth a rerun. */
  retryable: number;
  /** Input lines that are not a fan (bad JSON, no query): fix the input, a rerun will not help. */
  invalid: number;
  seconds: number;
  perSecond: number;
}

export interface BatchSummary extends BatchProgress {
  out: string;
  errorsFile: string;
  interrupted: boolean;
  /** Streams that broke (their in-flight fans were not written and will be retried on resume). */
  streamErrors: string[];
}

export interface Recommendation {
  fan_id: string;
  index_version: string;
  model_id: string;
  matches: Array<{ creator_id: string; score: number; profile?: CreatorProfile__Output }>;
}

type Item = { line: number; fan: Fan };

/** In-band statuses a rerun may fix (the rest are about the fan's request itself). */
const RETRYABLE_CODES: ReadonlySet<number> = new Set([grpc.status.CANCELLED, grpc.status.UNKNOWN, grpc.status.DEADLINE_EXCEEDED, grpc.status.RESOURCE_EXHAUSTED, grpc.status.ABORTED, grpc.status.INTERNAL, grpc.status.UNAVAILABLE]);

/** Builds the MatchRequest for a fan: interest text, else followed creators (with weights), else vector. */
export function fanRequest(fan: Fan, opts: Pick<BatchMatchOptions, 'k' | 'filter' | 'includeProfile' | 'diversity' | 'maxPerCategory'> = {}): MatchRequest {
  const req: MatchRequest = {
    request_id: fan.fanId,
    fan_id: fan.fanId,
    k: fan.k ?? opts.k ?? 0,
    include_profile: opts.includeProfile ?? false,
    diversity: opts.diversity ?? 0,
    max_per_category: opts.maxPerCategory ?? 0,
  };
  const filter = fan.filter ?? opts.filter;
  if (filter) req.filter = filter;
  if (fan.text) req.interest_text = fan.text;
  else if (fan.follows?.length) req.like_creators = { ids: fan.follows, weights: fan.weights ?? [] };
  else if (fan.vector?.length) req.vector = { values: fan.vector };
  else throw new Error('fan has no interest_text, follows or vector');
  return req;
}

/** fan_ids already written to `out`; cuts a torn trailing line. */
export async function readDone(out: string): Promise<Set<string>> {
  const done = new Set<string>();
  let content: string;
  try {
    content = await fs.readFile(out, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return done;
    throw err;
  }
  const lastNewline = content.lastIndexOf('\n');
  if (lastNewline < content.length - 1) await fs.truncate(out, Buffer.byteLength(content.slice(0, lastNewline + 1)));
  for (const line of content.slice(0, lastNewline + 1).split('\n')) {
    if (!line.trim()) continue;
    try {
      const id = (JSON.parse(line) as { fan_id?: unknown }).fan_id;
      if (typeof id === 'string') done.add(id);
    } catch {
      // A corrupt line in the middle is left alone; its fan is not counted as done.
    }
  }
  return done;
}

/** Non-blank lines of a fans file. */
export async function countFanLines(file: string): Promise<number> {
  let n = 0;
  for await (const line of createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity })) if (line.trim()) n++;
  return n;
}

/** Appends JSON lines; while the file stream is over its buffer, writers share one 'drain' wait. */
class LineWriter {
  private drained: Promise<void> | undefined;
  constructor(readonly stream: WriteStream) {}

  write(value: unknown): Promise<void> | undefined {
    if (!this.stream.write(JSON.stringify(value) + '\n')) {
      this.drained ??= once(this.stream, 'drain').then(() => {
        this.drained = undefined;
      });
    }
    return this.drained;
  }

  end(): Promise<void> {
    return new Promise((resolve) => this.stream.end(resolve));
  }
}

export async function runBatchMatch(opts: BatchMatchOptions): Promise<BatchSummary> {
  const started = performance.now();
  const concurrency = Math.max(1, opts.concurrency ?? 2);
  const window = Math.max(1, opts.window ?? 32);
  const errorsFile = opts.errors ?? `${opts.out}.errors.jsonl`;
  const total = await countFanLines(opts.fans);
  const done = await readDone(opts.out);
  const alreadyDone = done.size;
  const out = new LineWriter(createWriteStream(opts.out, { flags: 'a' }));
  const errs = new LineWriter(createWriteStream(errorsFile, { flags: 'a' }));
  const ownClient = opts.client === undefined;
  const Client = matcherClientConstructor();
  const client = opts.client ?? new Client(opts.addr ?? 'localhost:50051', grpc.credentials.createInsecure());

  const counts = { ok: 0, errors: 0, retryable: 0, invalid: 0, skipped: 0 };
  const streamErrors: string[] = [];
  const seen = new Set<string>();
  const progress = (): BatchProgress => {
    const seconds = (performance.now() - started) / 1000;
    return { total, alreadyDone, skipped: counts.skipped, ok: counts.ok, errors: counts.errors, retryable: counts.retryable, invalid: counts.invalid, seconds, perSecond: seconds > 0 ? counts.ok / seconds : 0 };
  };
  const timer = opts.onProgress ? setInterval(() => opts.onProgress!(progress()), opts.progressEveryMs ?? 1000) : undefined;

  // One shared source of fans to send; async generators queue concurrent next() calls.
  async function* source(): AsyncGenerator<Item> {
    for await (const l of readFanLines(opts.fans)) {
      if (opts.signal?.aborted) return;
      if (l.error !== undefined || !l.fan) {
        counts.invalid++;
        await errs.write({ line: l.line, reason: 'INVALID_INPUT', message: l.error, retryable: false });
        continue;
      }
      const id = l.fan.fanId;
      if (done.has(id) || seen.has(id)) {
        counts.skipped++;
        continue;
      }
      seen.add(id);
      yield { line: l.line, fan: l.fan };
    }
  }
  const fans = source();

  const runStream = async (): Promise<void> => {
    const call = client.BatchMatch();
    const pending: Item[] = [];
    const writes: Array<Promise<void>> = [];
    let wake: (() => void) | undefined;
    let ended = false;
    let failure: Error | undefined;
    const waitForEvent = (): Promise<void> => new Promise((resolve) => (wake = resolve));
    call.on('data', (res: MatchResponse__Output) => {
      const item = pending.shift();
      if (item) {
        let w: Promise<void> | undefined;
        if (res.error) {
          counts.errors++;
          const retryable = RETRYABLE_CODES.has(res.error.code);
          if (retryable) counts.retryable++;
          w = errs.write({ fan_id: item.fan.fanId, line: item.line, code: res.error.code, reason: res.error.reason, message: res.error.message, retryable });
        } else {
          counts.ok++;
          const rec: Recommendation = {
            fan_id: item.fan.fanId,
            index_version: res.index_version,
            model_id: res.model_id,
            matches: res.matches.map((m) => (m.profile ? { creator_id: m.creator_id, score: m.score, profile: m.profile } : { creator_id: m.creator_id, score: m.score })),
          };
          w = out.write(rec);
        }
        if (w) writes.push(w);
      }
      wake?.();
    });
    call.on('error', (err: Error) => {
      failure = err;
      wake?.();
    });
    call.on('end', () => {
      ended = true;
      wake?.();
    });
    for (;;) {
      if (failure || opts.signal?.aborted) break;
      if (pending.length >= window || writes.length > 0) {
        if (writes.length > 0) await Promise.all(writes.splice(0));
        else await waitForEvent();
        continue;
      }
      const next = await fans.next();
      if (next.done) break;
      let req: MatchRequest;
      try {
        req = fanRequest(next.value.fan, opts);
      } catch (err) {
        counts.invalid++;
        await errs.write({ fan_id: next.value.fan.fanId, line: next.value.line, reason: 'INVALID_INPUT', message: (err as Error).message, retryable: false });
        continue;
      }
      pending.push(next.value);
      call.write(req);
    }
    if (!failure) call.end();
    while (!ended && !failure) await waitForEvent();
    await Promise.all(writes);
    if (failure) streamErrors.push(`${failure.message} (${pending.length} fans in flight, retried on resume)`);
  };

  try {
    await Promise.all(Array.from({ length: concurrency }, runStream));
  } finally {
    if (timer) clearInterval(timer);
    await out.end();
    await errs.end();
    if (ownClient) client.close();
  }
  return { ...progress(), out: opts.out, errorsFile, interrupted: opts.signal?.aborted === true, streamErrors };
}
