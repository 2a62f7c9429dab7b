import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { parseCreator, parseCreatorLine, type CreatorRecord } from './creator';
import { csvRow, parseCsvLine } from './csv';
import { shortId } from '../errors/echo';

export interface InvalidLine {
  line: number;
  reason: string;
}

export interface ReadResult {
  records: CreatorRecord[];
  /** Line numbers parallel to `records` (1-based, as in the file). */
  lineNumbers: number[];
  invalid: InvalidLine[];
  /** Non-blank lines seen. */
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

/**
 * Reads creators from JSONL (default) or CSV (by extension, or `format`). Invalid lines are
 * collected with their line number and reason; duplicates and mixed vector/no-vector inputs
 * are hard errors because no flag can make them meaningful.
 */
export async function readCreators(file: string, format?: 'jsonl' | 'csv'): Promise<ReadResult> {
  const fmt = format ?? (/\.csv$/i.test(file) ? 'csv' : 'jsonl');
  const records: CreatorRecord[] = [];
  const lineNumbers: number[] = [];
  const invalid: InvalidLine[] = [];
  const seen = new Map<string, number>();
  let header: string[] | undefined;
  let lineNo = 0;
  let lines = 0;
  const input = createReadStream(file, 'utf8');
  const reader = createInterface({ input, crlfDelay: Infinity });
  for await (const raw of reader) {
    lineNo++;
    const line = lineNo === 1 ? raw.replace(/^\uFEFF/, '') : raw;
    if (line.trim() === '') continue;
    if (fmt === 'csv' && header === undefined) {
      header = parseCsvLine(line).map((h) => h.trim());
      continue;
    }
    lines++;
    const result = fmt === 'csv' ? parseCreator(csvRow(header!, line)) : parseCreatorLine(line);
    if (!result.ok) {
      invalid.push({ line: lineNo, reason: result.reason });
      continue;
    }
    const firstLine = seen.get(result.record.id);
    if (firstLine !== undefined) {
      throw new InputError(`duplicate creator id ${shortId(result.record.id)} on lines ${firstLine} and ${lineNo}`);
    }
    seen.set(result.record.id, lineNo);
    records.push(result.record);
    lineNumbers.push(lineNo);
  }
  return { records, lineNumbers, invalid, lines };
}
