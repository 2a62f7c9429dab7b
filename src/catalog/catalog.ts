import { open } from 'node:fs/promises';
import { ByteColumn, ensureCapacity, fitted, IdTable, KeyedColumn } from './columns';
import { normaliseKey, type CreatorProfile } from './creator';
import { showValue } from '../errors/echo';

/** A compiled filter: which labels may be returned. */
export interface CompiledFilter {
  /** What it was compiled from (a backend that filters elsewhere, e.g. in SQL, reads this). */
  readonly spec: FilterSpec;
  /** Labels excluded on top of the spec's ids (the liked creators of a like_creators query). */
  readonly excludedLabels: readonly number[];
  /** A plain function (no `this`): pass it around as a callback. */
  readonly allows: (label: number) => boolean;
  /** Every live creator passes (no category, language, exclusion or NSFW restriction applies). */
  readonly allowsAllLive?: boolean;
  /**
   * Labels that may pass, when the filter narrows by category or language (a superset that
   * `allows` still has to confirm); undefined when any label may pass.
   */
  readonly candidates: readonly number[] | undefined;
  /** Estimated number of allowed labels (exact when `candidates` is set and fully checked). */
  readonly estimatedAllowed: number;
  /**
   * The allowed labels below `labelCount` as a bitset (bit l of byte l >> 3), for native
   * in-traversal filtering; walks only the narrowing posting lists when there are some.
   */
  bitset(labelCount: number): Uint8Array;
}

export interface FilterSpec {
  excludeIds: readonly string[];
  categories: readonly string[];
  languages: readonly string[];
  includeNsfw: boolean;
}

/** What the catalog's columns hold (tests, memory benchmarks). */
export interface CatalogStorageStats {
  labels: number;
  /** Profile bytes in use (compact rows + full-JSON rows). */
  profileBytes: number;
  /** Rows stored as [name, tags] (the rest are full JSON objects). */
  compactRows: number;
  /** Raw values per dictionary code. */
  categoryDictionary: readonly string[];
  languageDictionary: readonly string[];
  /** Bytes held by all typed arrays and buffers, spare capacity included. */
  capacityBytes: number;
}

const NSFW = 1;
const RETIRED = 2;
const OPEN_BRACKET = 0x5b; // '[': a compact row
const CANONICAL_KEYS = ['id', 'name', 'category', 'tags', 'language', 'is_nsfw'] as const;

/**
 * Creator metadata indexed by label (the HNSW label is the creator's position in the catalog).
 * Labels only grow: an update gives the creator a new label and retires the old one, a delete
 * retires it. Retired labels are never returned (filters reject them).
 *
 * Stored as columns rather than one object per creator: ids in an IdTable (open addressing, no
 * Map), category and language dictionary-coded with posting lists per normalised key, NSFW and
 * retired bits in a Uint8Array, and each profile as UTF-8 JSON in one buffer, decoded on demand
 * by `profile(label)`. A profile with exactly the fields of CreatorProfile, in that order and with
 * their types, is stored as just `[name, tags]` (the rest comes from the other columns); anything
 * else is stored as its whole JSON. Either way `profile()` returns what JSON.parse of the
 * profile's JSON gives, so what a compaction writes is unchanged.
 */
export class Catalog {
  private count = 0;
  private retiredCount = 0;
  private nsfwLive = 0;
  private compactRows = 0;
  private flags: Uint8Array;
  private readonly ids: IdTable;
  private readonly rows: ByteColumn;
  private readonly cats: KeyedColumn;
  private readonly langs: KeyedColumn;

  constructor(profiles: readonly CreatorProfile[]) {
    this.flags = new Uint8Array(profiles.length);
    this.ids = new IdTable(profiles.length, profiles.length * 12);
    this.rows = new ByteColumn(profiles.length, profiles.length * 64);
    this.cats = new KeyedColumn(profiles.length);
    this.langs = new KeyedColumn(profiles.length);
    for (const p of profiles) {
      if (this.labelOf(p.id) !== undefined) throw new Error(`duplicate creator id ${showValue(p.id)} in catalog`);
      this.append(p, undefined);
    }
  }

  /**
   * A catalog from a creators.jsonl file's bytes (one JSON profile per line, empty lines skipped;
   * \n, \r\n and \r end a line), without keeping an object per creator. Same result as
   * `new Catalog(lines.map(JSON.parse))`; throws on invalid JSON and duplicate ids.
   */
  static fromJsonLines(buf: Uint8Array): Catalog {
    const catalog = new Catalog([]);
    const reader = catalog.lineReader();
    reader.push(Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength));
    reader.end();
    catalog.trim();
    return catalog;
  }

  /**
   * `fromJsonLines` of a file, read in chunks of `chunkBytes` (the whole file is never in memory
   * at once). This is how the service loads a version's creators.jsonl.
   */
  static async readJsonLinesFile(file: string, chunkBytes = 1 << 20): Promise<Catalog> {
    const catalog = new Catalog([]);
    const reader = catalog.lineReader();
    const fh = await open(file, 'r');
    try {
      const chunk = Buffer.allocUnsafeSlow(chunkBytes);
      for (;;) {
        const { bytesRead } = await fh.read(chunk, 0, chunkBytes, null);
        if (bytesRead === 0) break;
        reader.push(chunk.subarray(0, bytesRead));
      }
    } finally {
      await fh.close();
    }
    reader.end();
    catalog.trim();
    return catalog;
  }

  /** Appends the creators of JSON lines pushed in chunks of any size (a line may span chunks). */
  private lineReader(): { push(chunk: Buffer): void; end(): void } {
    let lineNo = 0;
    /** The start of a line the previous chunks did not finish. */
    let carry = Buffer.alloc(0);
    let carryLength = 0;
    /** The previous chunk ended in \r: a \n opening the next one is part of that line end. */
    let skipLf = false;
    const line = (bytes: Buffer, start: number, end: number): void => {
      lineNo++;
      if (end === start) return;
      let value: unknown;
      try {
        value = JSON.parse(bytes.toString('utf8', start, end));
      } catch (err) {
        throw new Error(`creators line ${lineNo}: invalid JSON: ${(err as Error).message}`, { cause: err });
      }
      if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error(`creators line ${lineNo}: expected a JSON object`);
      const p = value as CreatorProfile;
      if (this.labelOf(p.id) !== undefined) throw new Error(`duplicate creator id ${showValue(p.id)} in catalog`);
      this.append(p, { bytes, start, end });
    };
    const keep = (bytes: Buffer, start: number, end: number): void => {
      const needed = carryLength + end - start;
      if (needed > carry.length) {
        const grown = Buffer.allocUnsafeSlow(Math.max(needed, carry.length * 2, 1024));
        carry.copy(grown, 0, 0, carryLength);
        carry = grown;
      }
      bytes.copy(carry, carryLength, start, end);
      carryLength = needed;
    };
    return {
      push: (bytes: Buffer): void => {
        const len = bytes.length;
        let start = 0;
        if (len > 0 && skipLf) {
          if (bytes[0] === 0x0a) start = 1;
          skipLf = false;
        }
        let nextLf = -1;
        let nextCr = -1;
        while (start < len) {
          // Positions only move forward, so each byte is searched once.
          if (nextLf < start) nextLf = indexOrEnd(bytes, 0x0a, start);
          if (nextCr < start) nextCr = indexOrEnd(bytes, 0x0d, start);
          const end = Math.min(nextLf, nextCr);
          if (end === len) {
            keep(bytes, start, len);
            return;
          }
          if (carryLength > 0) {
            keep(bytes, start, end);
            const n = carryLength;
            carryLength = 0;
            line(carry, 0, n);
          } else {
            line(bytes, start, end);
          }
          if (bytes[end] === 0x0d && end + 1 === len) skipLf = true;
          start = bytes[end] === 0x0d && bytes[end + 1] === 0x0a ? end + 2 : end + 1;
        }
      },
      end: (): void => {
        if (carryLength > 0) line(carry, 0, carryLength);
        carryLength = 0;
      },
    };
  }

  /** Labels ever assigned (live and retired). */
  get labelCount(): number {
    return this.count;
  }

  /** Live creators. */
  get size(): number {
    return this.count - this.retiredCount;
  }

  /**
   * Adds a creator under a new label; an existing creator with the same id is retired.
   * Returns the new label and the retired one, if any.
   */
  upsert(profile: CreatorProfile): { label: number; replaced: number | undefined } {
    const replaced = this.labelOf(profile.id);
    const label = this.append(profile, undefined);
    if (replaced !== undefined) this.retire(replaced);
    return { label, replaced };
  }

  /** Retires a creator; returns its label, or undefined if the id is unknown. */
  delete(id: string): number | undefined {
    const label = this.labelOf(id);
    if (label === undefined) return undefined;
    this.retire(label);
    return label;
  }

  /**
   * Appends `p` under the next label. `source` is the JSON line `p` was parsed from (kept as is
   * when `p` is not compact). Everything that can throw (non-string id, category or language)
   * runs before any label is assigned; at worst a new dictionary value stays behind, unused.
   */
  private append(p: CreatorProfile, source: { bytes: Buffer; start: number; end: number } | undefined): number {
    if (typeof p.id !== 'string') throw new TypeError(`creator id must be a string, got ${showValue(p.id)}`);
    const cat = this.cats.codeFor(p.category);
    const lang = this.langs.codeFor(p.language);
    const compact = compactRow(p);
    const full = compact === undefined && source === undefined ? JSON.stringify(p) : undefined;
    if (compact === undefined && full === undefined && source === undefined) throw new TypeError('creator profile is not JSON-serialisable');

    const label = this.count;
    this.ids.append(p.id);
    if (compact !== undefined) {
      this.rows.appendString(compact);
      this.compactRows++;
    } else if (full !== undefined) {
      this.rows.appendString(full);
    } else {
      this.rows.appendBytes(source!.bytes, source!.start, source!.end);
    }
    this.cats.append(label, cat);
    this.langs.append(label, lang);
    this.flags = ensureCapacity(this.flags, label + 1);
    this.flags[label] = p.is_nsfw ? NSFW : 0;
    if (p.is_nsfw) this.nsfwLive++;
    this.count++;
    return label;
  }

  private retire(label: number): void {
    const f = this.flags[label]!;
    if ((f & RETIRED) !== 0) return;
    this.flags[label] = f | RETIRED;
    this.retiredCount++;
    if ((f & NSFW) !== 0) this.nsfwLive--;
    this.cats.retire(label);
    this.langs.retire(label);
  }

  isLive(label: number): boolean {
    return label >= 0 && label < this.count && (this.flags[label]! & RETIRED) === 0;
  }

  labelOf(id: string): number | undefined {
    if (typeof id !== 'string') return undefined;
    const label = this.ids.find(id);
    return label >= 0 && (this.flags[label]! & RETIRED) === 0 ? label : undefined;
  }

  /** The profile of a label (live or retired), decoded from storage: a new object on every call. */
  profile(label: number): CreatorProfile {
    this.check(label);
    const text = this.rows.text(label);
    if (this.rows.firstByte(label) !== OPEN_BRACKET) return JSON.parse(text) as CreatorProfile;
    const [name, tags] = JSON.parse(text) as [string, string[]];
    return {
      id: this.ids.idOf(label),
      name,
      category: this.cats.value(label),
      tags,
      language: this.langs.value(label),
      is_nsfw: (this.flags[label]! & NSFW) !== 0,
    };
  }

  /** `profile(label).id` without decoding the profile. */
  idOf(label: number): string {
    this.check(label);
    return this.ids.idOf(label);
  }

  /** `profile(label).category` without decoding the profile. */
  categoryOf(label: number): string {
    this.check(label);
    return this.cats.value(label);
  }

  categories(): string[] {
    return this.cats.liveKeys();
  }

  languages(): string[] {
    return this.langs.liveKeys();
  }

  /** Live profiles in label order (what a compaction writes out). */
  liveLabels(): number[] {
    const out: number[] = [];
    for (let l = 0; l < this.count; l++) if ((this.flags[l]! & RETIRED) === 0) out.push(l);
    return out;
  }

  /**
   * Drops the columns' spare capacity (x1.5 growth leaves up to a third unused). A catalog read
   * from a file is trimmed once it is complete; appends after that grow the columns again.
   */
  private trim(): void {
    this.flags = fitted(this.flags, this.count);
    this.ids.trim();
    this.rows.trim();
    this.cats.trim(this.count);
    this.langs.trim(this.count);
  }

  storageStats(): CatalogStorageStats {
    return {
      labels: this.count,
      profileBytes: this.rows.byteLength,
      compactRows: this.compactRows,
      categoryDictionary: [...this.cats.dictionary()],
      languageDictionary: [...this.langs.dictionary()],
      capacityBytes: this.flags.byteLength + this.ids.capacityBytes + this.rows.capacityBytes + this.cats.capacityBytes + this.langs.capacityBytes,
    };
  }

  /**
   * Compiles a request filter plus extra excluded labels (e.g. the liked creators). Candidate
   * lists longer than `enumerateLimit` are not enumerated (the caller will not search them exactly).
   * `allows` reads the catalog as it is when called (labels appended or retired later count).
   */
  compile(spec: FilterSpec, extraExcluded: readonly number[] = [], enumerateLimit = Infinity): CompiledFilter {
    const excludedLabels = [...extraExcluded];
    const excluded = new Set<number>(extraExcluded);
    for (const id of spec.excludeIds) {
      const label = this.labelOf(id);
      if (label !== undefined) excluded.add(label);
    }
    const categories = new Set(spec.categories.map(normaliseKey));
    const languages = new Set(spec.languages.map(normaliseKey));
    const reject = spec.includeNsfw ? RETIRED : RETIRED | NSFW;
    const { cats, langs } = this;
    const catMask = categories.size > 0 ? cats.mask(categories) : undefined;
    const langMask = languages.size > 0 ? langs.mask(languages) : undefined;
    const checkExcluded = excluded.size > 0;

    const allows = (label: number): boolean => {
      if (!(label >= 0 && label < this.count)) return false;
      if ((this.flags[label]! & reject) !== 0) return false;
      if (checkExcluded && excluded.has(label)) return false;
      if (catMask !== undefined && !cats.matches(label, catMask, categories)) return false;
      if (langMask !== undefined && !langs.matches(label, langMask, languages)) return false;
      return true;
    };

    // The smaller of the category/language posting unions, if either narrows (8 categories can be
    // half the catalog); sized first, enumerated only when within enumerateLimit.
    let side: { column: KeyedColumn; keys: Set<string>; size: number } | undefined;
    if (categories.size > 0 || languages.size > 0) {
      const bySize = (column: KeyedColumn, keys: Set<string>) => ({ column, keys, size: column.unionSize(keys) });
      if (categories.size === 0) side = bySize(langs, languages);
      else if (languages.size === 0) side = bySize(cats, categories);
      else {
        const c = bySize(cats, categories);
        const l = bySize(langs, languages);
        side = c.size <= l.size ? c : l;
      }
    }
    const bitset = (labelCount: number): Uint8Array => {
      const bits = new Uint8Array((labelCount + 7) >> 3);
      if (side !== undefined) side.column.markUnion(side.keys, allows, bits, labelCount);
      else for (let l = 0; l < labelCount; l++) if (allows(l)) bits[l >> 3]! |= 1 << (l & 7);
      return bits;
    };
    if (side !== undefined && side.size <= enumerateLimit) {
      const allowed = side.column.union(side.keys, allows);
      return { spec, excludedLabels, allows, candidates: allowed, estimatedAllowed: allowed.length, bitset };
    }
    const pool = side?.size ?? this.size;
    const nsfwShare = spec.includeNsfw || this.size === 0 ? 0 : this.nsfwLive / this.size;
    const estimatedAllowed = Math.max(0, Math.round(pool * (1 - nsfwShare)) - excluded.size);
    // Nothing narrows: every live creator passes (retired ones never come out of the index).
    const allowsAllLive = side === undefined && excluded.size === 0 && (spec.includeNsfw || this.nsfwLive === 0);
    return { spec, excludedLabels, allows, candidates: undefined, estimatedAllowed, bitset, allowsAllLive };
  }

  private check(label: number): void {
    if (!(Number.isInteger(label) && label >= 0 && label < this.count)) throw new RangeError(`no creator with label ${label}`);
  }
}

/** Longest creator id a catalog file may hold (what the builder and the admin API accept). */
const MAX_ID_CHARS = 256;

/**
 * Why a profile cannot be served (the builder writes exactly these fields and types; a
 * creators.jsonl that passed its checksum may still come from elsewhere): a mistyped field would
 * break every response that includes the profile. The catalog itself keeps any JSON object as it
 * is (see `compactRow`); the service checks what it loads (src/index/cross-check.ts).
 */
export function profileProblem(p: Record<string, unknown>): string | undefined {
  if (typeof p.id !== 'string' || !p.id.trim()) return `id must be a non-empty string, got ${showValue(p.id)}`;
  if (p.id.length > MAX_ID_CHARS) return `id ${showValue(p.id)} is longer than ${MAX_ID_CHARS} characters`;
  for (const field of ['name', 'category', 'language'] as const) {
    if (typeof p[field] !== 'string') return `${field} of ${showValue(p.id)} must be a string, got ${showValue(p[field])}`;
  }
  if (!Array.isArray(p.tags) || !p.tags.every((t) => typeof t === 'string')) return `tags of ${showValue(p.id)} must be an array of strings`;
  if (typeof p.is_nsfw !== 'boolean') return `is_nsfw of ${showValue(p.id)} must be true or false, got ${showValue(p.is_nsfw)}`;
  return undefined;
}

function indexOrEnd(bytes: Buffer, byte: number, from: number): number {
  const i = bytes.indexOf(byte, from);
  return i < 0 ? bytes.length : i;
}

/**
 * `[name, tags]` as JSON when `p` has exactly CreatorProfile's fields, in order, with their types
 * (so the other columns rebuild it exactly); otherwise undefined.
 */
function compactRow(p: CreatorProfile): string | undefined {
  if (typeof p.name !== 'string' || typeof p.category !== 'string' || typeof p.language !== 'string' || typeof p.is_nsfw !== 'boolean') return undefined;
  if (!Array.isArray(p.tags) || !p.tags.every((t) => typeof t === 'string')) return undefined;
  const keys = Object.keys(p);
  if (keys.length !== CANONICAL_KEYS.length || keys.some((k, i) => k !== CANONICAL_KEYS[i])) return undefined;
  return JSON.stringify([p.name, p.tags]);
}
