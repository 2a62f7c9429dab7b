/**
 * Worker thread of the index builder's pipelined reader (read-pipelined.ts): reads and hashes the
 * input, parses and validates each line, normalises provided vectors into a SharedArrayBuffer and
 * posts the rows to the main thread in chunks, so that the main thread inserts into HNSW while the
 * rest of the file is still being parsed. After the input ends it computes the exact answers of the
 * recall check on request (the main thread is still inserting then).
 *
 * Row i of the shared buffer is the i-th valid record. Only checks that need one line at a time
 * happen here; the main thread decides what is an error (duplicates, mixed input, --skip-invalid).
 */
import { createHash } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import type { CreatorRecord } from '../src/catalog/creator';
import { parseCreatorInput, type InputFormat } from '../src/catalog/creator-file';
import { normalise, vectorProblem } from '../src/index/vectors';
import { VectorMatrix } from './vector-matrix';
import { exactTruth, type RecallPlan } from './recall';

export interface ParseWorkerData {
  file: string;
  format: InputFormat;
  /** CSV cell separator. */
  delimiter?: string | undefined;
  /** Rows (valid or not) per message. */
  chunkRows: number;
  /** A line whose vector cannot be used (length, float32 range, zero norm) becomes an invalid line. */
  skipInvalid?: boolean;
}

/** A line that failed validation, or a valid record (without its vector: that is in the buffer). */
export type ParsedRow =
  | { line: number; reason: string }
  | {
      line: number;
      record: CreatorRecord;
      hasVector: boolean;
    };

export type ToMain =
  | {
      type: 'rows';
      rows: ParsedRow[];
      /** Set when the vector buffer is new (the first vector, or it grew); row i at i * dims. */
      vectors?: { buffer: SharedArrayBuffer; dims: number; capacity: number };
    }
  | { type: 'end'; lines: number; sha256: string }
  | { type: 'truth'; neighbours: number[][] }
  | { type: 'fail'; message: string; code?: string };

export type ToWorker = { type: 'truth'; plan: RecallPlan; count: number };

const port = parentPort;
if (port) {
  const data = workerData as ParseWorkerData;
  let vectors: { buffer: SharedArrayBuffer; dims: number; capacity: number } | undefined;
  port.on('message', (msg: ToWorker) => {
    if (msg.type !== 'truth' || !vectors) return;
    const matrix = new VectorMatrix(vectors.dims, new Float32Array(vectors.buffer, 0, msg.count * vectors.dims));
    port.postMessage({ type: 'truth', neighbours: exactTruth(matrix, msg.plan).neighbours } satisfies ToMain);
  });
  parse(data, port, (v) => (vectors = v)).catch((err: unknown) => {
    const e = err as NodeJS.ErrnoException;
    port.postMessage({ type: 'fail', message: e?.message ?? String(err), ...(typeof e?.code === 'string' ? { code: e.code } : {}) } satisfies ToMain);
  });
}

async function parse(data: ParseWorkerData, port: NonNullable<typeof parentPort>, onVectors: (v: NonNullable<Extract<ToMain, { type: 'rows' }>['vectors']>) => void): Promise<void> {
  const fileBytes = (await fs.stat(data.file)).size;
  const hash = createHash('sha256');
  const input = createReadStream(data.file);
  input.on('data', (chunk) => hash.update(chunk as Buffer));

  let lines = 0;
  let valid = 0;
  /** Vector length of the first valid record; 0 when it has none (text input: nothing to store). */
  let dims: number | undefined;
  let store: Float32Array | undefined;
  let capacity = 0;
  let newBuffer = false;
  let rows: ParsedRow[] = [];

  const flush = (): void => {
    if (rows.length === 0 && !newBuffer) return;
    const msg: ToMain = { type: 'rows', rows };
    if (newBuffer) msg.vectors = { buffer: store!.buffer as SharedArrayBuffer, dims: dims!, capacity };
    if (msg.vectors) onVectors(msg.vectors);
    port.postMessage(msg);
    rows = [];
    newBuffer = false;
  };
  const slot = (row: number, lineBytes: number): Float32Array => {
    if (row >= capacity) {
      // A guess from the file size and this line's length, then grow by half: the main thread
      // switches to the new buffer with the message that carries it.
      const next = capacity === 0 ? Math.ceil((fileBytes / (lineBytes + 1)) * 1.1) + data.chunkRows : Math.ceil(capacity * 1.5) + data.chunkRows;
      const grown = new Float32Array(new SharedArrayBuffer(next * dims! * 4));
      if (store) grown.set(store.subarray(0, row * dims!));
      store = grown;
      capacity = next;
      newBuffer = true;
    }
    return store!.subarray(row * dims!, (row + 1) * dims!);
  };

  for await (const { line, result, bytes } of parseCreatorInput(input, data.format, { delimiter: data.delimiter })) {
    lines++;
    if (!result.ok) {
      rows.push({ line, reason: result.reason });
    } else {
      const { vector, ...record } = result.record;
      dims ??= vector ? vector.length : 0;
      // A vector that cannot be used makes its line invalid, like any other bad field.
      let problem = vector && dims > 0 ? (vector.length !== dims ? `vector has ${vector.length} values, the first line has ${dims}` : vectorProblem(vector)) : undefined;
      if (!problem && vector && dims > 0) {
        const v = slot(valid, bytes);
        v.set(vector);
        if (!normalise(v)) problem = 'vector has zero norm (cosine is undefined)';
      }
      if (problem) rows.push({ line, reason: problem });
      else {
        rows.push({ line, record, hasVector: vector !== undefined });
        valid++;
      }
    }
    if (rows.length >= data.chunkRows) flush();
  }
  flush();
  port.postMessage({ type: 'end', lines, sha256: hash.digest('hex') } satisfies ToMain);
}
