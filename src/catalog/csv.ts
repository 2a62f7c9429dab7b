import { Transform, type Readable } from 'node:stream';
import { parse } from 'csv-parse';

/** One CSV record: the line it starts on (1-based, as an editor shows it) and its cells. */
export interface CsvRecord {
  line: number;
  cells: string[];
}

export interface CsvOptions {
  /** Cell separator (default ','; ';' for spreadsheets in many locales). */
  delimiter?: string;
}

/** A CSV file that cannot be read as CSV at all (an unterminated quote, a stray quote). */
export class CsvSyntaxError extends Error {
  override readonly name = 'CsvSyntaxError';
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(message);
  }
}

/** \r\n and lone \r become \n, so that records and line numbers follow one convention. */
function unixLineEnds(): Transform {
  let pendingCr = false;
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      let text = chunk.toString('latin1');
      if (pendingCr) text = `\r${text}`;
      pendingCr = text.endsWith('\r');
      if (pendingCr) text = text.slice(0, -1);
      done(null, Buffer.from(text.replace(/\r\n?/g, '\n'), 'latin1'));
    },
    flush(done) {
      done(null, pendingCr ? Buffer.from('\n') : null);
    },
  });
}

/**
 * RFC 4180 records of a CSV stream with csv-parse: quoted fields may span lines, "" escapes a
 * quote, a UTF-8 BOM is dropped, \n, \r\n and \r end lines, blank lines are skipped. The first
 * record is the header. Rows with another number of cells than the header are returned as they
 * are (the caller reports them as invalid lines); text that is not CSV throws CsvSyntaxError.
 */
export async function* csvRecords(input: Readable, opts: CsvOptions = {}): AsyncGenerator<CsvRecord> {
  const parser = input.pipe(unixLineEnds()).pipe(
    parse({
      bom: true,
      delimiter: opts.delimiter ?? ',',
      record_delimiter: '\n',
      relax_column_count: true,
      skip_empty_lines: true,
      info: true,
      raw: true,
    }),
  );
  try {
    for await (const item of parser as AsyncIterable<{ record: string[]; info: { lines: number }; raw: string }>) {
      // info.lines is the line the record ends on; its raw text starts with the blank lines skipped
      // before it, and spans the newlines inside quoted fields.
      yield { line: startLine(item.info.lines, item.raw), cells: item.record };
    }
  } catch (err) {
    const e = err as { code?: string; message?: string; lines?: number; raw?: string };
    if (typeof e.code === 'string' && (e.code.startsWith('CSV_') || e.code === 'INVALID_OPENING_QUOTE')) {
      // The record being parsed when it failed (for an unclosed quote: from the quote to the end).
      const line = typeof e.lines === 'number' && typeof e.raw === 'string' ? startLine(e.lines, e.raw) : 0;
      throw new CsvSyntaxError(`CSV line ${line}: ${e.message ?? String(err)}`, line);
    }
    throw err;
  }
}

/** The line a record starts on, from the line it ends on and its raw text (blank lines skipped before it included). */
function startLine(endLine: number, raw: string): number {
  const text = raw.replace(/^\n+/, '');
  return endLine - ((text.endsWith('\n') ? text.slice(0, -1) : text).split('\n').length - 1);
}

/**
 * A creator object from a CSV row. Columns: id,name,about,tags,category,language,is_nsfw[,vector];
 * tags "|"-separated, vector JSON or space-separated. A wrong cell count is reported as a reason.
 */
export function csvRow(header: readonly string[], cells: readonly string[]): { value: unknown } | { reason: string } {
  if (cells.length !== header.length) return { reason: `row has ${cells.length} cells, the header has ${header.length}` };
  const row: Record<string, unknown> = {};
  header.forEach((name, i) => {
    const cell = cells[i];
    if (cell === undefined || cell === '') return;
    if (name === 'tags') row.tags = cell.split('|').map((t) => t.trim()).filter(Boolean);
    else if (name === 'is_nsfw') row.is_nsfw = /^(true|1|yes)$/i.test(cell) ? true : /^(false|0|no)$/i.test(cell) ? false : cell;
    else if (name === 'vector') row.vector = cell.trim().startsWith('[') ? safeJson(cell) : cell.trim().split(/\s+/).map(Number);
    else row[name] = cell;
  });
  return { value: row };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
