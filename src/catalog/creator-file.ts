import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { createInterface } from 'node:readline';
import { parseCreator, parseCreatorLine, type CreatorRecord, type ParseResult } from './creator';
import { shortId } from '../errors/echo';
import { csvRecords, csvRow, CsvSyntaxError } from './csv';

export interface InvalidLine {
  line: number;
  reason: string;
}

export interface ReadResult {
  records: CreatorRecord[];
  /** Line numbers parallel to `records` (1-based, as in the file). */
  lineNumbers: number[];
  invalid: InvalidLine[];
  /** Non-blank lines (JSONL) or data rows (CSV) seen. */
  lines: number;
}

export class InputError extends Error {
  override readonly name = 'InputError';
  constructor(
    message: string,
    readonly invalid: readonly InvalidLine[] = [],
  ) {
    super(message);
  }
}

export type InputFormat = 'jsonl' | 'csv';

export interface InputOptions {
  /** Default: by file extension (.csv), else JSONL. */
  format?: InputFormat | undefined;
  /** CSV cell separator (default ','). */
  delimiter?: string | undefined;
}

export function formatOf(file: string, format?: InputFormat): InputFormat {
  return format ?? (/\.csv$/i.test(file) ? 'csv' : 'jsonl');
}

/** One creator of the input: where it starts, its parse result, and about how many bytes it took. */
export interface ParsedInput {
  line: number;
  result: ParseResult;
  bytes: number;
}

/**
 * The creators of a JSONL (one object per line) or CSV (a header row, then one creator per
 * record; quoted fields may span lines) stream, each with its line number. A UTF-8 BOM is
 * dropped, blank lines are skipped. CSV that cannot be parsed at all (an unterminated quote)
 * throws an InputError naming the line.
 */
export async function* parseCreatorInput(input: Readable, format: InputFormat, opts: { delimiter?: string | undefined } = {}): AsyncGenerator<ParsedInput> {
  if (format === 'jsonl') {
    let lineNo = 0;
    for await (const raw of createInterface({ input, crlfDelay: Infinity })) {
      lineNo++;
      const line = lineNo === 1 ? raw.replace(/^\uFEFF/, '') : raw;
      if (line.trim() === '') continue;
      yield { line: lineNo, result: parseCreatorLine(line), bytes: line.length };
    }
    return;
  }
  let header: string[] | undefined;
  try {
    for await (const { line, cells } of csvRecords(input, opts.delimiter ? { delimiter: opts.delimiter } : {})) {
      if (header === undefined) {
        header = cells.map((h) => h.trim());
        continue;
      }
      const row = csvRow(header, cells);
      const result: ParseResult = 'reason' in row ? { ok: false, reason: row.reason } : parseCreator(row.value);
      yield { line, result, bytes: cells.reduce((n, c) => n + c.length + 1, 0) };
    }
  } catch (err) {
    if (err instanceof CsvSyntaxError) throw new InputError(`${err.message} (fix the quoting; nothing was built)`);
    throw err;
  }
}

/**
 * Reads creators from JSONL (default) or CSV (by extension, or `format`). Invalid lines are
 * collected with their line number and reason; duplicates and mixed vector/no-vector inputs
 * are hard errors because no flag can make them meaningful.
 */
export async function readCreators(file: string, opts: InputOptions = {}): Promise<ReadResult> {
  const records: CreatorRecord[] = [];
  const lineNumbers: number[] = [];
  const invalid: InvalidLine[] = [];
  const seen = new Map<string, number>();
  let lines = 0;
  for await (const { line, result } of parseCreatorInput(createReadStream(file), formatOf(file, opts.format), opts)) {
    lines++;
    if (!result.ok) {
      invalid.push({ line, reason: result.reason });
      continue;
    }
    const firstLine = seen.get(result.record.id);
    if (firstLine !== undefined) {
      throw new InputError(`duplicate creator id ${shortId(result.record.id)} on lines ${firstLine} and ${line}`);
    }
    seen.set(result.record.id, line);
    records.push(result.record);
    lineNumbers.push(line);
  }
  return { records, lineNumbers, invalid, lines };
}
