import path from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import type { CreatorRecord } from '../src/catalog/creator';
import { VectorMatrix } from './vector-matrix';
import type { ParsedRow, ParseWorkerData, ToMain, ToWorker } from './parse-worker';
import { recallPlan, type RecallOptions, type RecallTruth } from './recall';
import { InputError, type InvalidLine } from '../src/catalog/creator-file';

/** Rows handed to `insert.rows` at most per call (a native insert on every core). */
const INSERT_ROWS = 4096;

export interface PipelinedReadOptions {
  format?: 'jsonl' | 'csv';
  skipInvalid?: boolean;
  /** Rows per worker message and per insert batch between event-loop turns (default 256). */
  chunkRows?: number;
  /**
   * Called with the rows of provided vectors, in order (label = row), while the rest of the input
   * is still being parsed; never after the input is known to be invalid. `capacity` is a guess.
   * `rows` gets consecutive rows from `first` (a view: copy what you keep).
   */
  insert?: {
    start(dims: number, capacity: number): void;
    rows(first: number, vectors: Float32Array): Promise<void>;
    progress?(done: number): void;
  };
  /** Ask the worker for the exact half of the recall check once the input is complete. */
  recall?: RecallOptions;
  /** For tests: the worker, as soon as it is started. */
  onWorker?(worker: Worker): void;
}

export interface PipelinedRead {
  /** Valid records in input order, without their vectors (those are in `matrix`). */
  records: CreatorRecord[];
  /** Line numbers parallel to `records`. */
  lineNumbers: number[];
  /** Skipped lines (only with skipInvalid; otherwise invalid lines are an error). */
  invalid: InvalidLine[];
  /** Non-blank lines seen. */
  lines: number;
  /** sha256 of the input file (hashed by the worker while reading). */
  sha256: string;
  /** Normalised provided vectors, row i = records[i]; undefined for text-only input. */
  matrix?: VectorMatrix;
  /** Seconds until the whole input was parsed (the inserts run concurrently with it). */
  readSeconds: number;
  /**
   * Exact recall answers (with `recall` and provided vectors) once the worker has them; undefined
   * if the worker is closed or fails first (publishVersion then computes them itself).
   */
  truth?: Promise<RecallTruth | undefined>;
  /** Terminates the worker: call when done with `truth` (or on any failure). */
  close(): Promise<void>;
}

/**
 * Reads creators like readCreators (same validation, line numbers and error messages, same
 * checks as the builder: --skip-invalid, duplicates, mixed input, vector length and norm), with
 * the parsing on a worker thread and provided vectors handed to `insert` as they arrive.
 *
 * The first duplicate id fails at once (no later line can change that outcome) and terminates
 * the worker; any other problem stops the inserts, and the rest of the file is still read so that
 * the error reports what a full read would (all invalid lines, the mixed-input counts).
 */
export async function readCreatorsPipelined(file: string, opts: PipelinedReadOptions = {}): Promise<PipelinedRead> {
  const t0 = performance.now();
  const format = opts.format ?? (/\.csv$/i.test(file) ? 'csv' : 'jsonl');
  const chunkRows = opts.chunkRows ?? 256;
  const worker = spawnParser({ file, format, chunkRows, ...(opts.skipInvalid ? { skipInvalid: true } : {}) });
  opts.onWorker?.(worker);
  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    truthWanted?.(undefined); // a truth still pending now never comes
    await worker.terminate();
  };

  const records: CreatorRecord[] = [];
  const lineNumbers: number[] = [];
  const invalid: InvalidLine[] = [];
  const seen = new Map<string, number>();
  let withVectors = 0;
  let firstHas = -1;
  let firstMissing = -1;
  let firstVectorError: string | undefined;
  /** No insert can be kept: the input is invalid whatever follows. */
  let doomed = false;
  let vectors: { buffer: SharedArrayBuffer; dims: number; capacity: number } | undefined;
  let failure: Error | undefined;
  let wake: (() => void) | undefined;
  let truthWanted: ((neighbours: number[][] | undefined) => void) | undefined;

  const fail = (err: Error): void => {
    failure ??= err;
    void close();
    wake?.();
  };

  const take = (row: ParsedRow): void => {
    if ('reason' in row) {
      invalid.push({ line: row.line, reason: row.reason });
      if (!opts.skipInvalid) doomed = true;
      return;
    }
    const firstLine = seen.get(row.record.id);
    if (firstLine !== undefined) {
      fail(new InputError(`duplicate creator id ${JSON.stringify(row.record.id)} on lines ${firstLine} and ${row.line}`));
      return;
    }
    seen.set(row.record.id, row.line);
    const i = records.length;
    records.push(row.record);
    lineNumbers.push(row.line);
    if (row.hasVector) {
      withVectors++;
      if (firstHas < 0) firstHas = i;
    } else if (firstMissing < 0) firstMissing = i;
    if (firstHas >= 0 && firstMissing >= 0) doomed = true;
    if (row.vectorError && firstVectorError === undefined) {
      firstVectorError = `line ${row.line}: ${row.vectorError}`;
      doomed = true;
    }
  };

  let done: { read: Omit<PipelinedRead, 'close'> } | undefined;
  /** Input complete: the same checks, in the same order, as after a full read with readCreators. */
  const finish = (lines: number, sha256: string): void => {
    const readSeconds = (performance.now() - t0) / 1000;
    if (invalid.length > 0 && !opts.skipInvalid) {
      const shown = invalid.slice(0, 10).map((i) => `  line ${i.line}: ${i.reason}`).join('\n');
      return fail(new InputError(`${invalid.length} invalid line(s) in ${file}:\n${shown}\n(use --skip-invalid to skip them)`, invalid));
    }
    if (records.length === 0) return fail(new InputError(`no valid creators in ${file}`));
    if (withVectors !== 0 && withVectors !== records.length) {
      const at = lineNumbers[withVectors < records.length / 2 ? firstHas : firstMissing];
      return fail(new InputError(`either all creators or none must carry a vector: ${withVectors} of ${records.length} do (see line ${at})`));
    }
    if (firstVectorError !== undefined) return fail(new InputError(firstVectorError));

    const matrix = withVectors > 0 ? new VectorMatrix(vectors!.dims, new Float32Array(vectors!.buffer, 0, records.length * vectors!.dims)) : undefined;
    let truth: Promise<RecallTruth | undefined> | undefined;
    const plan = matrix && opts.recall ? recallPlan(matrix.count, opts.recall) : undefined;
    if (matrix && plan && plan.k > 0) {
      // Asked now, not after the inserts: the worker computes it while this thread inserts.
      truth = new Promise<number[][] | undefined>((resolve) => {
        truthWanted = resolve;
        worker.postMessage({ type: 'truth', plan, count: matrix.count } satisfies ToWorker);
      }).then((neighbours) => (neighbours ? { ...plan, neighbours } : undefined));
    }
    done = { read: { records, lineNumbers, invalid, lines, sha256, ...(matrix ? { matrix } : {}), readSeconds, ...(truth ? { truth } : {}) } };
  };

  worker.on('message', (msg: ToMain) => {
    if (failure || closed) return;
    switch (msg.type) {
      case 'rows':
        if (msg.vectors) vectors = msg.vectors;
        for (const row of msg.rows) {
          take(row);
          if (failure) return;
        }
        break;
      case 'end':
        finish(msg.lines, msg.sha256);
        break;
      case 'truth':
        truthWanted?.(msg.neighbours);
        return;
      case 'fail':
        fail(Object.assign(new Error(msg.message), msg.code ? { code: msg.code } : {}));
        return;
    }
    wake?.();
  });
  worker.on('error', (err) => fail(err));
  worker.on('exit', (code) => {
    if (!closed) fail(new Error(`the input parser stopped unexpectedly (exit code ${code})`));
  });

  try {
    let inserted = 0;
    let started = false;
    for (;;) {
      if (failure) throw failure;
      const insertable = opts.insert && vectors && !doomed && firstMissing < 0 ? records.length : inserted;
      if (inserted < insertable) {
        if (!started) {
          opts.insert!.start(vectors!.dims, vectors!.capacity);
          started = true;
        }
        // The buffer may be replaced by a grown one between turns: take rows from the current one.
        const { buffer, dims } = vectors!;
        const stop = Math.min(insertable, inserted + INSERT_ROWS);
        await opts.insert!.rows(inserted, new Float32Array(buffer, inserted * dims * 4, (stop - inserted) * dims));
        inserted = stop;
        opts.insert!.progress?.(inserted);
        await nextTurn(); // let the worker's next messages in
        continue;
      }
      if (done) break;
      await new Promise<void>((resolve) => (wake = resolve));
      wake = undefined;
    }
    return { ...done.read, close };
  } catch (err) {
    await close();
    throw err;
  }
}

/**
 * The worker runs parse-worker.ts under tsx (as `npm run index:build`, tsx and ts-jest run this
 * module) or the compiled parse-worker.js next to this file (dist/). Its execArgv is set rather
 * than inherited: the parent's preloads (a benchmark's --require hooks) stay in the parent.
 */
function spawnParser(data: ParseWorkerData): Worker {
  const ts = path.extname(__filename) === '.ts';
  const file = path.join(__dirname, ts ? 'parse-worker.ts' : 'parse-worker.js');
  return new Worker(file, { workerData: data, execArgv: ts ? ['--require', require.resolve('tsx/cjs')] : [] });
}
