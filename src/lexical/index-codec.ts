import { crc32 } from 'node:zlib';
import { forEachPosting, PostingWriter } from './postings';

/**
 * The lexical index file (`serialize()` / `deserialize()`), version 1. Little-endian.
 *
 *   offset 0   "CMLX"                      magic
 *          4   u32 format version (1)
 *          8   u32 payload length          (the file is exactly 16 + this many bytes)
 *         12   u32 CRC-32 of the payload
 *         16   payload:
 *     varint labelEnd                        labels are 0 .. labelEnd-1
 *     varint termCount, varint postingCount
 *     labelEnd × varint                      0 = no document, else BM25 length + 1
 *     termCount × { varint byteLength, UTF-8 term,
 *                   varint df, df × (varint label gap, varint tf) }
 *                   (gaps from the previous label, the first from -1: labels strictly ascending)
 *
 * Varints are LEB128 (7 bits a byte, at most 5 bytes, < 2^32). Postings are delta-coded, so a
 * posting costs ~2–3 bytes on disk; in memory they are delta-coded too (postings.ts).
 *
 * decode checks everything before trusting it: magic, version, exact length and CRC (truncation
 * and bit flips), then every count against the bytes left before allocating (so a corrupt count
 * cannot ask for gigabytes), varint bounds, UTF-8 validity, unique non-empty terms, labels in
 * range, ascending and live, 1 <= tf <= document length. Any failure is a LexicalIndexFormatError.
 */

export const FORMAT_VERSION = 1;
const MAGIC = [0x43, 0x4d, 0x4c, 0x58]; // "CMLX"
const HEADER_BYTES = 16;
/** Longest term in UTF-8 bytes (tokens are at most 64 UTF-16 units / code points). */
const MAX_TERM_BYTES = 256;
const MAX_TF = 255;
const MAX_DOC_LENGTH = 65_535;
const LIVE = 1;

export class LexicalIndexFormatError extends Error {
  constructor(message: string) {
    super(`lexical index file: ${message}`);
    this.name = 'LexicalIndexFormatError';
  }
}

/** What the codec stores: a compacted index (no tail, no removed documents). */
export interface LexicalSnapshot {
  labelEnd: number;
  /** Per label 0 .. labelEnd-1: 1 = live document, else none. */
  state: Uint8Array;
  /** Per label: BM25 length of a live document. */
  docLen: Uint16Array;
  terms: string[];
  /** Term t's postings are postings[offsets[t] .. offsets[t+1]) (byte offsets; postings.ts). */
  offsets: Uint32Array;
  postings: Uint8Array;
  /** Postings per term (its document frequency). */
  counts: Uint32Array;
  postingCount: number;
}

export function encodeSnapshot(s: LexicalSnapshot): Uint8Array {
  const { postingCount } = s;
  const w = new ByteWriter(HEADER_BYTES + s.labelEnd + postingCount * 3 + s.terms.length * 12 + 32);
  w.skip(HEADER_BYTES);
  w.varint(s.labelEnd);
  w.varint(s.terms.length);
  w.varint(postingCount);
  for (let l = 0; l < s.labelEnd; l++) w.varint(s.state[l] === LIVE ? s.docLen[l]! + 1 : 0);
  const encoder = new TextEncoder();
  for (let t = 0; t < s.terms.length; t++) {
    const bytes = encoder.encode(s.terms[t]);
    w.varint(bytes.length);
    w.bytes(bytes);
    const from = s.offsets[t]!;
    const to = s.offsets[t + 1]!;
    w.varint(s.counts[t]!);
    let prev = -1;
    forEachPosting(s.postings, from, to, (label, tf) => {
      w.varint(label - prev);
      w.varint(tf);
      prev = label;
    });
  }
  const out = w.finish();
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  MAGIC.forEach((b, i) => view.setUint8(i, b));
  view.setUint32(4, FORMAT_VERSION, true);
  view.setUint32(8, out.length - HEADER_BYTES, true);
  view.setUint32(12, crc32(out.subarray(HEADER_BYTES)), true);
  return out;
}

export function decodeSnapshot(bytes: Uint8Array): LexicalSnapshot {
  if (!(bytes instanceof Uint8Array)) throw new LexicalIndexFormatError('expected bytes (Uint8Array)');
  if (bytes.length < HEADER_BYTES) throw new LexicalIndexFormatError(`${bytes.length} bytes is shorter than the ${HEADER_BYTES}-byte header`);
  if (!MAGIC.every((b, i) => bytes[i] === b)) throw new LexicalIndexFormatError('bad magic (not a lexical index file)');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(4, true);
  if (version !== FORMAT_VERSION) throw new LexicalIndexFormatError(`unsupported format version ${version} (expected ${FORMAT_VERSION})`);
  const payloadLength = view.getUint32(8, true);
  if (payloadLength !== bytes.length - HEADER_BYTES) {
    throw new LexicalIndexFormatError(`payload is ${bytes.length - HEADER_BYTES} bytes, header says ${payloadLength} (truncated or padded)`);
  }
  const payload = bytes.subarray(HEADER_BYTES);
  if (crc32(payload) !== view.getUint32(12, true)) throw new LexicalIndexFormatError('checksum mismatch (corrupt file)');

  const r = new ByteReader(payload);
  const labelEnd = r.varint('label count');
  const termCount = r.varint('term count');
  const postingCount = r.varint('posting count');
  // Each label takes >= 1 byte, each term >= 5 (length, 1 byte, df, gap, tf), each posting >= 2.
  if (labelEnd > r.left) throw new LexicalIndexFormatError(`label count ${labelEnd} exceeds the file size`);
  if (termCount * 5 > r.left || postingCount * 2 > r.left) throw new LexicalIndexFormatError('term or posting count exceeds the file size');
  if (termCount > postingCount) throw new LexicalIndexFormatError(`${termCount} terms but only ${postingCount} postings`);

  const state = new Uint8Array(labelEnd);
  const docLen = new Uint16Array(labelEnd);
  for (let l = 0; l < labelEnd; l++) {
    const v = r.varint('document length');
    if (v === 0) continue;
    if (v - 1 > MAX_DOC_LENGTH) throw new LexicalIndexFormatError(`document ${l}: length ${v - 1} exceeds ${MAX_DOC_LENGTH}`);
    state[l] = LIVE;
    docLen[l] = v - 1;
  }

  const decoder = new TextDecoder('utf-8', { fatal: true });
  const terms: string[] = [];
  const seen = new Set<string>();
  const offsets = new Uint32Array(termCount + 1);
  const counts = new Uint32Array(termCount);
  const out = new PostingWriter(postingCount * 2);
  let p = 0;
  for (let t = 0; t < termCount; t++) {
    const len = r.varint('term length');
    if (len === 0 || len > MAX_TERM_BYTES) throw new LexicalIndexFormatError(`term ${t}: length ${len} out of range`);
    let term: string;
    try {
      term = decoder.decode(r.bytes(len, 'term'));
    } catch (err) {
      if (err instanceof LexicalIndexFormatError) throw err;
      throw new LexicalIndexFormatError(`term ${t}: invalid UTF-8`);
    }
    if (seen.has(term)) throw new LexicalIndexFormatError(`term ${t}: duplicate ${JSON.stringify(term)}`);
    seen.add(term);
    terms.push(term);
    const df = r.varint('document frequency');
    if (df === 0 || df > postingCount - p) throw new LexicalIndexFormatError(`term ${t}: document frequency ${df} out of range`);
    let prev = -1;
    out.startTerm();
    for (let i = 0; i < df; i++) {
      const gap = r.varint('label gap');
      const label = prev + gap;
      if (gap === 0 || label >= labelEnd) throw new LexicalIndexFormatError(`term ${t}: label out of order or range`);
      if (state[label] !== LIVE) throw new LexicalIndexFormatError(`term ${t}: posting for label ${label}, which has no document`);
      const tf = r.varint('term frequency');
      if (tf === 0 || tf > MAX_TF || tf > docLen[label]!) throw new LexicalIndexFormatError(`term ${t}: term frequency ${tf} out of range`);
      out.add(label, tf);
      p++;
      prev = label;
    }
    offsets[t + 1] = out.position;
    counts[t] = df;
  }
  if (p !== postingCount) throw new LexicalIndexFormatError(`${p} postings, header says ${postingCount}`);
  if (r.left !== 0) throw new LexicalIndexFormatError(`${r.left} unexpected bytes after the last term`);
  return { labelEnd, state, docLen, terms, offsets, postings: out.finish(), counts, postingCount };
}

class ByteWriter {
  private buf: Uint8Array;
  private n = 0;

  constructor(capacity: number) {
    this.buf = new Uint8Array(Math.max(capacity, 64));
  }

  skip(count: number): void {
    this.reserve(count);
    this.n += count;
  }

  varint(value: number): void {
    this.reserve(5);
    let v = value >>> 0;
    while (v >= 0x80) {
      this.buf[this.n++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    this.buf[this.n++] = v;
  }

  bytes(b: Uint8Array): void {
    this.reserve(b.length);
    this.buf.set(b, this.n);
    this.n += b.length;
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.n);
  }

  private reserve(count: number): void {
    if (this.n + count <= this.buf.length) return;
    const grown = new Uint8Array(Math.max(this.buf.length * 2, this.n + count));
    grown.set(this.buf.subarray(0, this.n));
    this.buf = grown;
  }
}

class ByteReader {
  private pos = 0;

  constructor(private readonly buf: Uint8Array) {}

  get left(): number {
    return this.buf.length - this.pos;
  }

  varint(what: string): number {
    // Fast path: most gaps and all tfs fit one byte.
    if (this.pos < this.buf.length) {
      const b = this.buf[this.pos]!;
      if (b < 0x80) {
        this.pos++;
        return b;
      }
    }
    let value = 0;
    for (let i = 0; i < 5; i++) {
      if (this.pos >= this.buf.length) throw new LexicalIndexFormatError(`truncated ${what}`);
      const b = this.buf[this.pos++]!;
      if (i === 4 && b > 0x0f) throw new LexicalIndexFormatError(`${what} does not fit 32 bits`);
      value += (b & 0x7f) * 2 ** (7 * i);
      if (b < 0x80) return value;
    }
    throw new LexicalIndexFormatError(`${what} does not fit 32 bits`);
  }

  bytes(count: number, what: string): Uint8Array {
    if (count > this.left) throw new LexicalIndexFormatError(`truncated ${what}`);
    const out = this.buf.subarray(this.pos, this.pos + count);
    this.pos += count;
    return out;
  }
}
