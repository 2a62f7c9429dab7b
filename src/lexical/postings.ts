/**
 * Posting lists as the lexical index holds them in memory: every term's postings in ascending
 * label order, delta-coded into one byte array (term t's are bytes [offsets[t], offsets[t + 1])).
 *
 * A posting is a LEB128 varint of `gap · 2 + (tf > 1 ? 1 : 0)`, where gap is the label minus the
 * previous label of the same term (the first from -1, so gap >= 1), followed by one byte of tf
 * when tf > 1. A list is only ever read front to back (search, document frequencies,
 * compaction), so labels need not be addressable: at 100k creators this is ~1.5–2 bytes a
 * posting against 5 for a Uint32 label plus a Uint8 tf.
 *
 * Labels are at most 0x7fff_fffe, so a varint holds < 2^33: arithmetic here stays in doubles
 * (no 32-bit shifts on values).
 */

/** Bytes of all posting lists together at most: term offsets into the byte array are Uint32. */
const MAX_BYTES = 0xffff_ffff;

export class PostingWriter {
  private buf: Uint8Array;
  private n = 0;
  private prev = -1;
  private count = 0;

  constructor(capacity = 1024) {
    this.buf = new Uint8Array(Math.max(capacity, 16));
  }

  /** Byte position of the next posting (a term's offset). */
  get position(): number {
    return this.n;
  }

  /** Postings written so far. */
  get postings(): number {
    return this.count;
  }

  /** The next postings belong to a new term (gaps restart from -1). */
  startTerm(): void {
    this.prev = -1;
  }

  /** Appends a posting; labels must ascend within a term, 1 <= tf <= 255. */
  add(label: number, tf: number): void {
    if (this.n + 7 > this.buf.length) this.grow(this.n + 7);
    let v = (label - this.prev) * 2 + (tf > 1 ? 1 : 0);
    while (v >= 0x80) {
      this.buf[this.n++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.buf[this.n++] = v;
    if (tf > 1) this.buf[this.n++] = tf;
    this.prev = label;
    this.count++;
  }

  /** The bytes written, in an array of exactly their length. */
  finish(): Uint8Array {
    return this.buf.slice(0, this.n);
  }

  private grow(needed: number): void {
    if (needed > MAX_BYTES) throw new RangeError('lexical index: posting lists are limited to 4 GiB');
    const next = new Uint8Array(Math.min(MAX_BYTES, Math.max(needed, this.buf.length * 2)));
    next.set(this.buf.subarray(0, this.n));
    this.buf = next;
  }
}

/**
 * Calls `visit(label, tf)` for every posting in bytes [from, to), in order. Assumes bytes a
 * PostingWriter wrote (the file decoder validates before anything reaches here).
 */
export function forEachPosting(bytes: Uint8Array, from: number, to: number, visit: (label: number, tf: number) => void): void {
  let label = -1;
  for (let p = from; p < to; ) {
    let b = bytes[p++]!;
    let v = b;
    if (b >= 0x80) {
      v = b & 0x7f;
      let scale = 0x80;
      do {
        b = bytes[p++]!;
        v += (b & 0x7f) * scale;
        scale *= 0x80;
      } while (b >= 0x80);
    }
    const flag = v % 2;
    label += (v - flag) / 2;
    visit(label, flag === 1 ? bytes[p++]! : 1);
  }
}
