// The object-per-creator Catalog as it was before the columnar storage (src/catalog/catalog.ts at c8125ca),
// kept only as the reference the columnar Catalog is checked against in test/unit/catalog-storage.test.ts.
import type { CompiledFilter, FilterSpec } from '../../src/catalog/catalog';
import { normaliseKey, type CreatorProfile } from '../../src/catalog/creator';

/**
 * Creator metadata indexed by label (the HNSW label is the creator's position in the catalog).
 * Labels only grow: an update gives the creator a new label and retires the old one, a delete
 * retires it. Retired labels are never returned (filters reject them).
 */
export class ReferenceCatalog {
  private readonly profiles: CreatorProfile[] = [];
  private readonly labelById = new Map<string, number>();
  private readonly byCategory = new Map<string, number[]>();
  private readonly byLanguage = new Map<string, number[]>();
  private readonly nsfw: number[] = [];
  private readonly retired = new Set<number>();
  private nsfwCount = 0;

  constructor(profiles: readonly CreatorProfile[]) {
    for (const p of profiles) {
      if (this.labelById.has(p.id)) throw new Error(`duplicate creator id ${JSON.stringify(p.id)} in catalog`);
      this.append(p);
    }
  }

  /** Labels ever assigned (live and retired). */
  get labelCount(): number {
    return this.profiles.length;
  }

  /** Live creators. */
  get size(): number {
    return this.labelById.size;
  }

  /**
   * Adds a creator under a new label; an existing creator with the same id is retired.
   * Returns the new label and the retired one, if any.
   */
  upsert(profile: CreatorProfile): { label: number; replaced: number | undefined } {
    const replaced = this.labelById.get(profile.id);
    if (replaced !== undefined) this.retire(replaced);
    return { label: this.append(profile), replaced };
  }

  /** Retires a creator; returns its label, or undefined if the id is unknown. */
  delete(id: string): number | undefined {
    const label = this.labelById.get(id);
    if (label === undefined) return undefined;
    this.labelById.delete(id);
    this.retire(label);
    return label;
  }

  private append(p: CreatorProfile): number {
    const label = this.profiles.length;
    this.profiles.push(p);
    this.labelById.set(p.id, label);
    push(this.byCategory, normaliseKey(p.category), label);
    push(this.byLanguage, normaliseKey(p.language), label);
    this.nsfw.push(p.is_nsfw ? 1 : 0);
    if (p.is_nsfw) this.nsfwCount++;
    return label;
  }

  private retire(label: number): void {
    if (this.retired.has(label)) return;
    this.retired.add(label);
    if (this.nsfw[label] === 1) this.nsfwCount--;
  }

  isLive(label: number): boolean {
    return label >= 0 && label < this.profiles.length && !this.retired.has(label);
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
    return this.keysWithLive(this.byCategory);
  }

  languages(): string[] {
    return this.keysWithLive(this.byLanguage);
  }

  /** Live profiles in label order (what a compaction writes out). */
  liveLabels(): number[] {
    return [...this.labelById.values()].sort((a, b) => a - b);
  }

  private keysWithLive(map: Map<string, number[]>): string[] {
    return [...map.entries()]
      .filter(([key, labels]) => key !== '' && labels.some((l) => !this.retired.has(l)))
      .map(([key]) => key)
      .sort();
  }

  /**
   * Compiles a request filter plus extra excluded labels (e.g. the liked creators). Candidate
   * lists longer than `enumerateLimit` are not enumerated (the caller will not search them exactly).
   */
  compile(spec: FilterSpec, extraExcluded: Iterable<number> = [], enumerateLimit = Infinity): Pick<CompiledFilter, 'allows' | 'candidates' | 'estimatedAllowed'> {
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
    const retired = this.retired;

    const allows = (label: number): boolean => {
      if (label < 0 || label >= profiles.length) return false;
      if (!includeNsfw && nsfw[label] === 1) return false;
      if (retired.has(label)) return false;
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
    // Size both unions first and materialise only the smaller (8 categories can be half the catalog).
    const size = (map: Map<string, number[]>, keys: Set<string>): number => [...keys].reduce((n, k) => n + (map.get(k)?.length ?? 0), 0);
    const union = (map: Map<string, number[]>, keys: Set<string>): number[] => [...keys].flatMap((k) => map.get(k) ?? []);
    if (categories.size === 0 && languages.size === 0) return undefined;
    if (categories.size === 0) return union(this.byLanguage, languages);
    if (languages.size === 0) return union(this.byCategory, categories);
    return size(this.byCategory, categories) <= size(this.byLanguage, languages) ? union(this.byCategory, categories) : union(this.byLanguage, languages);
  }
}

function push(map: Map<string, number[]>, key: string, label: number): void {
  const list = map.get(key);
  if (list) list.push(label);
  else map.set(key, [label]);
}
