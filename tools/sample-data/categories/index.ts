/** Registry of English category vocabularies, in CATEGORY_IDS order. */
import { CATEGORY_IDS, type CategoryId, type CategorySpec } from '../types';
import { comics, fiction, photography, visualArt } from './arts';
import { education, history, openSource, science } from './learning';
import { cooking, crafts, fitness } from './lifestyle';
import { music, podcasts, video } from './media';
import { games, tabletopRpg } from './play';

export const CATEGORY_SPECS: Record<CategoryId, CategorySpec> = {
  podcasts,
  video,
  music,
  visual_art: visualArt,
  fiction,
  games,
  education,
  cooking,
  fitness,
  tabletop_rpg: tabletopRpg,
  crafts,
  open_source: openSource,
  comics,
  photography,
  science,
  history,
};

export function categorySpec(id: CategoryId): CategorySpec {
  return CATEGORY_SPECS[id];
}

export const ALL_CATEGORY_SPECS: readonly CategorySpec[] = CATEGORY_IDS.map((id) => CATEGORY_SPECS[id]);
