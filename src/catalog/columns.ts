/**
 * Column storage for the Catalog: growable typed arrays instead of one JS object per creator.
 * Everything here is indexed by label (0, 1, 2, ... in append order) and only ever appended to.
 */
import { normaliseKey } from './creator';
import { showValue } from '../errors/echo';

type Column = Uint8Array | Uint16Array | Uint32Array | Int32Array;

/** `arr` if it holds exactly `length` elements, else a copy of its first `length`. */
export function fitted<T extends Column>(arr: T, length: number): T {
  return arr.length === length ? arr : (arr.slice(0, length) as T);
}

/** `arr` if it holds `needed` elements, else a copy with room for at least that many (x1.5 growth). */
export function ensureCapacity<T extends Column>(arr: T, needed: number): T {
  if (needed <= arr.length) return arr;
  const Ctor = arr.constructor as new (length: number) => T;
  const next = new Ctor(Math.max(needed, Math.ceil(arr.length * 1.5), 16));
  (next as Uint32Array).set(arr);
  return next;
}

/**
 * Byte strings per label in one growable buffer: label i is bytes [starts[i], starts[i + 1]).
 */
export class ByteColumn {
  private bytes: Buffer;
  private used = 0;
  private starts: Uint32Array;
  private count = 0;

  constructor(labels = 0, bytes = 0) {
    this.bytes = Buffer.allocUnsafeSlow(bytes);
    this.starts = new Uint32Array(labels + 1);
  }

  get length(): number {
    return this.count;
  }

  /** Bytes in use (not counting spare capacity). */
  get byteLength(): number {
    return this.used;
  }

  /** Appends the UTF-8 encoding of `text`. */
  appendString(text: string): void {
    const n = Buffer.byteLength(text, 'utf8');
    this.makeRoom(n);
    this.bytes.write(text, this.used, n, 'utf8');
    this.advance(n);
  }

  /** Appends `source[start, end)`. */
  appendBytes(source: Uint8Array, start: number, end: number): void {
    const n = end - start;
    this.makeRoom(n);
    this.bytes.set(source.subarray(start, end), this.used);
    this.advance(n);
  }

  /** Label `i`'s bytes decoded as UTF-8. */
  text(i: number): string {
    return this.bytes.toString('utf8', this.starts[i], this.starts[i + 1]);
  }

  /** First byte of label `i`'s bytes (-1 if empty). */
  firstByte(i: number): number {
    const s = this.starts[i]!;
    return s < this.starts[i + 1]! ? this.bytes[s]! : -1;
  }

  /** Bytes held, spare capacity included. */
  get capacityBytes(): number {
    return this.bytes.length + this.starts.byteLength;
  }

  /** Drops the spare capacity (appending grows it again). */
  trim(): void {
    if (this.bytes.length !== this.used) {
      const exact = Buffer.allocUnsafeSlow(this.used);
      this.bytes.copy(exact, 0, 0, this.used);
      this.bytes = exact;
    }
    this.starts = fitted(this.starts, this.count + 1);
  }

  private makeRoom(n: number): void {
    this.ensureBytes(this.used + n);
    this.starts = ensureCapacity(this.starts, this.count + 2);
  }

  private ensureBytes(needed: number): void {
    if (needed > 0xffffffff) throw new RangeError('catalog profile storage is limited to 4 GiB');
    if (needed > this.bytes.length) {
      const next = Buffer.allocUnsafeSlow(Math.min(0xffffffff, Math.max(needed, Math.ceil(this.bytes.length * 1.5), 4096)));
      this.bytes.copy(next, 0, 0, this.used);
      this.bytes = next;
    }
  }

  private advance(n: number): void {
    this.used += n;
    this.count++;
    this.starts[this.count] = this.used;
  }
}

/** Labels that share one normalised key, in label order, with how many of them are live. */
export class PostingList {
  labels = new Int32Array(16);
  length = 0;
  live = 0;

  constructor(readonly key: string) {}

  push(label: number): void {
    this.labels = ensureCapacity(this.labels, this.length + 1);
    this.labels[this.length++] = label;
    this.live++;
  }

  trim(): void {
    this.labels = fitted(this.labels, this.length);
  }
}

/**
 * A per-label string column (category, language), dictionary-coded: each label holds a code
 * (Uint16, widened to Uint32 past 65,536 distinct values) into a table of the raw values as
 * given; each raw value maps to the posting list of its normalised key (normaliseKey), which is
 * what filters match on.
 */
export class KeyedColumn {
  private codes: Uint16Array | Uint32Array;
  private readonly values: string[] = [];
  private readonly codeOfValue = new Map<string, number>();
  /** code -> the posting list of normaliseKey(values[code]). */
  private readonly listOfCode: PostingList[] = [];
  private readonly lists = new Map<string, PostingList>();

  constructor(capacity = 0) {
    this.codes = new Uint16Array(capacity);
  }

  /** The code for a raw value, adding it to the dictionary if new (normaliseKey throws on a non-string). */
  codeFor(value: string): number {
    const known = this.codeOfValue.get(value);
    if (known !== undefined) return known;
    const key = normaliseKey(value);
    const code = this.values.length;
    let list = this.lists.get(key);
    if (list === undefined) {
      list = new PostingList(key);
      this.lists.set(key, list);
    }
    this.values.push(value);
    this.codeOfValue.set(value, code);
    this.listOfCode.push(list);
    if (code > 0xffff && this.codes instanceof Uint16Array) this.codes = Uint32Array.from(this.codes);
    return code;
  }

  /** Gives `label` (the next label) the value `code` stands for. */
  append(label: number, code: number): void {
    this.codes = ensureCapacity(this.codes, label + 1);
    this.codes[label] = code;
    this.listOfCode[code]!.push(label);
  }

  retire(label: number): void {
    this.listOfCode[this.codes[label]!]!.live--;
  }

  /** The raw value of `label`. */
  value(label: number): string {
    return this.values[this.codes[label]!]!;
  }

  code(label: number): number {
    return this.codes[label]!;
  }

  /** The dictionary: raw value per code. */
  dictionary(): readonly string[] {
    return this.values;
  }

  /** Non-empty normalised keys with at least one live label, sorted. */
  liveKeys(): string[] {
    return [...this.lists.values()]
      .filter((l) => l.key !== '' && l.live > 0)
      .map((l) => l.key)
      .sort();
  }

  /** Per code known now: 1 if its normalised key is in `keys`. */
  mask(keys: ReadonlySet<string>): Uint8Array {
    const mask = new Uint8Array(this.listOfCode.length);
    for (let c = 0; c < mask.length; c++) if (keys.has(this.listOfCode[c]!.key)) mask[c] = 1;
    return mask;
  }

  /** Whether `label`'s normalised key is in `keys`; `mask` is mask(keys), codes added since are looked up. */
  matches(label: number, mask: Uint8Array, keys: ReadonlySet<string>): boolean {
    const c = this.codes[label]!;
    return c < mask.length ? mask[c] === 1 : keys.has(this.listOfCode[c]!.key);
  }

  /** Labels (live and retired) under any of `keys`. */
  unionSize(keys: Iterable<string>): number {
    let n = 0;
    for (const k of keys) n += this.lists.get(k)?.length ?? 0;
    return n;
  }

  /** Calls `visit` for each label under `keys` (key order, then label order). */
  private eachUnder(keys: Iterable<string>, visit: (label: number) => void): void {
    for (const k of keys) {
      const list = this.lists.get(k);
      if (list === undefined) continue;
      const labels = list.labels;
      for (let i = 0; i < list.length; i++) visit(labels[i]!);
    }
  }

  /** Sets bit l (of byte l >> 3) for each label l < n under `keys` that passes `keep`. */
  markUnion(keys: Iterable<string>, keep: (label: number) => boolean, bits: Uint8Array, n: number): void {
    this.eachUnder(keys, (l) => {
      if (l < n && keep(l)) bits[l >> 3]! |= 1 << (l & 7);
    });
  }

  /** Labels under `keys` (key order, then label order) that pass `keep`. */
  union(keys: Iterable<string>, keep: (label: number) => boolean): number[] {
    const out: number[] = [];
    this.eachUnder(keys, (l) => {
      if (keep(l)) out.push(l);
    });
    return out;
  }

  /** Drops the spare capacity of the codes (labels 0 .. `labels` - 1) and of every posting list. */
  trim(labels: number): void {
    this.codes = fitted(this.codes, labels);
    for (const list of this.lists.values()) list.trim();
  }

  get capacityBytes(): number {
    let n = this.codes.byteLength;
    for (const list of this.lists.values()) n += list.labels.byteLength;
    return n;
  }
}

const EMPTY = -1;

/**
 * Creator ids per label (UTF-16 code units in one array, so any JS string round-trips exactly:
 * a Uint8Array while every unit is below 256, widened to a Uint16Array by the first id that has
 * one above) plus an open-addressing hash table (FNV-1a, linear probing) from id to the latest
 * label appended with it. Replaces a Map<string, number> and its 100k heap strings.
 */
export class IdTable {
  private units: Uint8Array | Uint16Array;
  private used = 0;
  private starts: Uint32Array;
  private count = 0;
  /** Latest label per distinct id, EMPTY where free; power-of-two size, at most half full. */
  private slots: Int32Array;
  private distinct = 0;

  constructor(labels = 0, units = 0) {
    this.units = new Uint8Array(units);
    this.starts = new Uint32Array(labels + 1);
    this.slots = new Int32Array(tableSize(labels)).fill(EMPTY);
  }

  get length(): number {
    return this.count;
  }

  /** The latest label appended with `id`, or -1. */
  find(id: string): number {
    const slot = this.slotOf(id);
    return slot >= 0 ? this.slots[slot]! : -1;
  }

  /** Appends `id` as the next label's and makes that label the latest for it. */
  append(id: string): number {
    if (typeof id !== 'string') throw new TypeError(`creator id must be a string, got ${showValue(id)}`);
    const label = this.count;
    const n = id.length;
    if (this.used + n > 0xffffffff) throw new RangeError('catalog id storage is limited to 4 Gi code units');
    if (this.units instanceof Uint8Array) {
      for (let i = 0; i < n; i++) {
        if (id.charCodeAt(i) > 0xff) {
          this.units = Uint16Array.from(this.units);
          break;
        }
      }
    }
    this.units = ensureCapacity(this.units, this.used + n);
    for (let i = 0; i < n; i++) this.units[this.used + i] = id.charCodeAt(i);
    this.used += n;
    this.starts = ensureCapacity(this.starts, label + 2);
    this.count++;
    this.starts[this.count] = this.used;

    const slot = this.slotOf(id);
    if (slot >= 0) {
      this.slots[slot] = label;
    } else {
      this.slots[~slot] = label;
      this.distinct++;
      if (this.distinct * 2 > this.slots.length) this.rehash(this.slots.length * 2);
    }
    return label;
  }

  idOf(label: number): string {
    const s = this.starts[label]!;
    const e = this.starts[label + 1]!;
    if (e - s <= 1024) return String.fromCharCode.apply(null, this.units.subarray(s, e) as unknown as number[]);
    let out = '';
    for (let i = s; i < e; i += 1024) out += String.fromCharCode.apply(null, this.units.subarray(i, Math.min(e, i + 1024)) as unknown as number[]);
    return out;
  }

  get capacityBytes(): number {
    return this.units.byteLength + this.starts.byteLength + this.slots.byteLength;
  }

  /** Drops the spare capacity of the id storage (the hash table keeps its size). */
  trim(): void {
    this.units = fitted(this.units, this.used);
    this.starts = fitted(this.starts, this.count + 1);
  }

  /** The slot holding `id` (>= 0), or ~(the free slot it would go in). */
  private slotOf(id: string): number {
    const slots = this.slots;
    const mask = slots.length - 1;
    const units = this.units;
    const starts = this.starts;
    const n = id.length;
    let i = hashString(id) & mask;
    for (;;) {
      const label = slots[i]!;
      if (label === EMPTY) return ~i;
      const s = starts[label]!;
      if (starts[label + 1]! - s === n) {
        let j = 0;
        while (j < n && units[s + j] === id.charCodeAt(j)) j++;
        if (j === n) return i;
      }
      i = (i + 1) & mask;
    }
  }

  private rehash(size: number): void {
    const old = this.slots;
    const slots = new Int32Array(size).fill(EMPTY);
    const mask = size - 1;
    for (const label of old) {
      if (label === EMPTY) continue;
      let i = hashUnits(this.units, this.starts[label]!, this.starts[label + 1]!) & mask;
      while (slots[i] !== EMPTY) i = (i + 1) & mask;
      slots[i] = label;
    }
    this.slots = slots;
  }
}

/** Smallest power of two >= 16 and >= 2 * entries. */
function tableSize(entries: number): number {
  let size = 16;
  while (size < entries * 2) size *= 2;
  return size;
}

/** FNV-1a over UTF-16 code units, then a murmur3 finaliser so the low bits mix. */
function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return fmix(h);
}

function hashUnits(units: Uint8Array | Uint16Array, start: number, end: number): number {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) h = Math.imul(h ^ units[i]!, 0x01000193);
  return fmix(h);
}

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
