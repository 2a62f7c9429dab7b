/** What every view shares: the service's workbench config, index info per variant, the rater. */
import type { UiConfig } from '../../src/ui/api-types';
import { api, ApiError, type IndexInfo } from './api';
import type { AppState } from './state';

const RATER_KEY = 'creator-match.workbench.rater';

export class Ctx {
  readonly info = new Map<string, IndexInfo | ApiError>();
  /** Creator names seen (search hits, results), for liked-creator chips. */
  readonly names = new Map<string, string>();
  /** The rater's latest grades: fan → creator → grade. */
  private readonly grades = new Map<string, Map<string, number>>();
  private loadedFans = new Set<string>();
  rater: string;

  constructor(
    readonly config: UiConfig,
    public state: AppState,
    /** Re-renders the page for a new state (pushes the URL unless replace). */
    readonly navigate: (state: AppState, replace?: boolean) => void,
  ) {
    this.rater = localStorage.getItem(RATER_KEY) ?? '';
  }

  setRater(id: string): void {
    this.rater = id.trim();
    localStorage.setItem(RATER_KEY, this.rater);
    this.grades.clear();
    this.loadedFans.clear();
  }

  /** The variants to describe: '' (= the first, control) and each named one. */
  async loadInfo(): Promise<void> {
    await Promise.all(
      this.config.variants.map(async (v) => {
        try {
          this.info.set(v, await api.indexInfo(v));
        } catch (err) {
          this.info.set(v, err instanceof ApiError ? err : new ApiError(0, 'unknown', String(err), ''));
        }
      }),
    );
  }

  /** Index info of a variant ('' = the first). */
  infoOf(variant: string): IndexInfo | undefined {
    const i = this.info.get(variant || this.config.variants[0] || '');
    return i instanceof ApiError ? undefined : i;
  }

  gradeOf(fan: string, creator: string): number | undefined {
    return this.grades.get(fan)?.get(creator);
  }

  setGrade(fan: string, creator: string, grade: number): void {
    let m = this.grades.get(fan);
    if (!m) this.grades.set(fan, (m = new Map<string, number>()));
    m.set(creator, grade);
  }

  /** The rater's earlier grades for a fan (once per fan), or for every fan (fan undefined). */
  async loadGrades(fan?: string): Promise<void> {
    if (!this.config.judgments || !this.rater) return;
    const key = fan ?? '\u0000all';
    if (this.loadedFans.has(key)) return;
    const { judgments } = await api.ratings(this.rater, fan);
    for (const j of judgments) this.setGrade(j.fan_id, j.creator_id, j.grade);
    this.loadedFans.add(key);
  }
}
