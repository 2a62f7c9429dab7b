import { Transform, type TransformCallback } from 'node:stream';

/**
 * PostgreSQL's binary COPY format, for the columns of a version table (pg-schema.ts):
 * int4 label, text creator_id, bool live, text category_key, text language_key, bool nsfw,
 * json profile, vector embedding. Binary, because formatting and parsing 100k x 512 floats as
 * text costs more than everything else of a load; pgvector's binary form is int16 dims, int16 0,
 * then the floats big-endian.
 */
const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');

export function copyHeader(): Buffer {
  const b = Buffer.alloc(SIGNATURE.length + 8);
  SIGNATURE.copy(b);
  // flags (no OIDs) and header extension length: both 0.
  return b;
}

export function copyTrailer(): Buffer {
  const b = Buffer.alloc(2);
  b.writeInt16BE(-1);
  return b;
}

export interface CopyRow {
  label: number;
  creatorId: string;
  live: boolean;
  categoryKey: string;
  languageKey: string;
  nsfw: boolean;
  /** The profile's JSON text, stored verbatim (json, not jsonb: key order and bytes are kept). */
  profileJson: string;
  /** The vector as float32 little-endian bytes (a row of vectors.f32). */
  vectorLE: Buffer;
}

/** One tuple of the binary COPY stream. */
export function copyTuple(r: CopyRow): Buffer {
  const id = Buffer.from(r.creatorId, 'utf8');
  const cat = Buffer.from(r.categoryKey, 'utf8');
  const lang = Buffer.from(r.languageKey, 'utf8');
  const profile = Buffer.from(r.profileJson, 'utf8');
  const dims = r.vectorLE.length / 4;
  const fields = 8;
  const size = 2 + fields * 4 + 4 + id.length + 1 + cat.length + lang.length + 1 + profile.length + 4 + r.vectorLE.length;
  const b = Buffer.allocUnsafe(size);
  let o = b.writeInt16BE(fields, 0);
  const bytes = (data: Buffer): void => {
    o = b.writeInt32BE(data.length, o);
    o += data.copy(b, o);
  };
  o = b.writeInt32BE(4, o);
  o = b.writeInt32BE(r.label, o);
  bytes(id);
  o = b.writeInt32BE(1, o);
  o = b.writeUInt8(r.live ? 1 : 0, o);
  bytes(cat);
  bytes(lang);
  o = b.writeInt32BE(1, o);
  o = b.writeUInt8(r.nsfw ? 1 : 0, o);
  bytes(profile);
  o = b.writeInt32BE(4 + r.vectorLE.length, o);
  o = b.writeInt16BE(dims, o);
  o = b.writeInt16BE(0, o);
  r.vectorLE.copy(b, o);
  b.subarray(o, o + r.vectorLE.length).swap32(); // little- to big-endian floats, in place
  return b;
}

/**
 * Parses a binary COPY TO stream into one array of field buffers per tuple (null for SQL NULL).
 * Tuples may span chunks.
 */
export class CopyBinaryParser extends Transform {
  private buf: Buffer = Buffer.alloc(0);
  private headerDone = false;
  private ended = false;

  constructor() {
    super({ readableObjectMode: true });
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    try {
      this.drain();
      done();
    } catch (err) {
      done(err as Error);
    }
  }

  override _flush(done: TransformCallback): void {
    done(this.ended ? null : new Error('binary COPY stream ended without its trailer'));
  }

  private drain(): void {
    let o = 0;
    const b = this.buf;
    if (!this.headerDone) {
      if (b.length < SIGNATURE.length + 8) return;
      if (!b.subarray(0, SIGNATURE.length).equals(SIGNATURE)) throw new Error('not a binary COPY stream');
      const ext = b.readInt32BE(SIGNATURE.length + 4);
      if (b.length < SIGNATURE.length + 8 + ext) return;
      o = SIGNATURE.length + 8 + ext;
      this.headerDone = true;
    }
    for (;;) {
      if (this.ended || b.length - o < 2) break;
      const n = b.readInt16BE(o);
      if (n === -1) {
        this.ended = true;
        o += 2;
        break;
      }
      let p = o + 2;
      const fields: Array<Buffer | null> = [];
      let complete = true;
      for (let i = 0; i < n; i++) {
        if (b.length - p < 4) {
          complete = false;
          break;
        }
        const len = b.readInt32BE(p);
        p += 4;
        if (len === -1) {
          fields.push(null);
          continue;
        }
        if (b.length - p < len) {
          complete = false;
          break;
        }
        fields.push(b.subarray(p, p + len));
        p += len;
      }
      if (!complete) break;
      this.push(fields);
      o = p;
    }
    this.buf = o === b.length ? Buffer.alloc(0) : Buffer.from(b.subarray(o));
  }
}

/** The float32 little-endian bytes of pgvector's binary form (int16 dims, int16 0, floats big-endian). */
export function vectorFieldToLE(field: Buffer): Buffer {
  const out = Buffer.from(field.subarray(4));
  out.swap32();
  return out;
}
