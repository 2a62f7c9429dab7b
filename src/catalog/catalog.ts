import { normaliseKey, type CreatorProfile } from './creator';

/** A compiled filter: which labels may be returned. */
export interface CompiledFilter {
  allows(label: number): boolean;
  /**
   * Labels that may pass, when the filter narrows by category or language (a superset that
   * `allows` still has to confirm); undefined when any label may pass.
   */
  readonly candidates: readonly number[] | undefined;
  /** Estimated number of allowed labels (exact when `candidates` is set and fully checked). */
  readonly estimatedAllowed: number;
}

export interface FilterSpec {
  excludeIds: readonly string[];
  categories: readonly string[];
  languages: readonly string[];
  includeNsfw: boolean;
}

/**
 * Creator metadata indexed by label (the HNSW label is the creator's position in the catalog).
 * Immutable once built.
 */
export class Catalog {
  private readonly labelById = new Map<string, number>();
  private readonly byCategory = new Map<string, number[]>();
  private readonly byLanguage = new Map<string, number[]>();
  private readonly nsfw: Uint8Array;
  private readonly nsfwCount: number;

  constructor(private readonly profiles: readonly CreatorProfile[]) {
    this.nsfw = new Uint8Array(profiles.length);
    let nsfwCount = 0;
    profiles.forEach((p, label) => {
      if (this.labelById.has(p.id)) throw new Error(`duplicate creator id ${JSON.stringify(p.id)} in catalog`);
      this.labelById.set(p.id, label);
      push(this.byCategory, normaliseKey(p.category), label);
      push(this.byLanguage, normaliseKey(p.language), label);
      if (p.is_nsfw) {
        this.nsfw[label] = 1;
        nsfwCount++;
      }
    });
    this.nsfwCount = nsfwCount;
  }

  get size(): number {
    return this.profiles.length;
  }

  labelOf(id: string): number | undefined {
    return this.labelById.get(id);
  }

  profile(label: number): CreatorProfile {
    const p = this.profiles[label];
    if (p === undefined) throw new RangeError(`no creator with label ${label}`);
    return p;
  }

  categories(): string[] {
    return [...this.byCategory.keys()].filter(Boolean).sort();
  }

  languages(): string[] {
    return [...this.byLanguage.keys()].filter(Boolean).sort();
  }

  /**
   * Compiles a request filter plus extra excluded labels (e.g. the liked creators). Candidate
   * lists longer than `enumerateLimit` are not enumerated (the caller will not search them exactly).
   */
  compile(spec: FilterSpec, extraExcluded: Iterable<number> = [], enumerateLimit = Infinity): CompiledFilter {
    const excluded = new Set<number>(extraExcluded);
    for (const id of spec.excludeIds) {
      const label = this.labelById.get(id);
      if (label !== undefined) excluded.add(label);
    }
    const categories = new Set(spec.categories.map(normaliseKey));
    const languages = new Set(spec.languages.map(normaliseKey));
    const nsfw = this.nsfw;
    const includeNsfw = spec.includeNsfw;
    const profiles = this.profiles;

    const allows = (label: number): boolean => {
      if (label < 0 || label >= profiles.length) return false;
      if (!includeNsfw && nsfw[label] === 1) return false;
      if (excluded.has(label)) return false;
      const p = profiles[label]!;
      if (categories.size > 0 && !categories.has(normaliseKey(p.category))) return false;
      if (languages.size > 0 && !languages.has(normaliseKey(p.language))) return false;
      return true;
    };

    const candidates = this.candidateLabels(categories, languages);
    if (candidates !== undefined && candidates.length <= enumerateLimit) {
      const allowed = candidates.filter(allows);
      return { allows, candidates: allowed, estimatedAllowed: allowed.length };
    }
    const pool = candidates?.length ?? this.size;
    const nsfwShare = includeNsfw || this.size === 0 ? 0 : this.nsfwCount / this.size;
    const estimatedAllowed = Math.max(0, Math.round(pool * (1 - nsfwShare)) - excluded.size);
    return { allows, candidates: undefined, estimatedAllowed };
  }

  /** The smaller of the category/language posting unions, or undefined if neither narrows. */
  private candidateLabels(categories: Set<string>, languages: Set<string>): number[] | undefined {
    const union = (map: Map<string, number[]>, keys: Set<string>): number[] => [...keys].flatMap((k) => map.get(k) ?? []);
    const byCat = categories.size > 0 ? union(this.byCategory, categories) : undefined;
    const byLang = languages.size > 0 ? union(this.byLanguage, languages) : undefined;
    if (byCat === undefined) return byLang;
    if (byLang === undefined) return byCat;
    return byCat.length <= byLang.length ? byCat : byLang;
  }
}

function push(map: Map<string, number[]>, key: string, label: number): void {
  const list = map.get(key);
  if (list) list.push(label);
  else map.set(key, [label]);
}
