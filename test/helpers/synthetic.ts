import { mulberry32 } from '../../src/util/mulberry32';
import type { CreatorProfile } from '../../src/catalog/creator';

/** A seeded PRNG for reproducible test data. */
export const prng = mulberry32;

export const CATEGORIES = ['cooking', 'music', 'games', 'fitness', 'podcasts'];
export const LANGUAGES = ['en', 'es', 'fr'];

export interface SyntheticCreator extends CreatorProfile {
  about: string;
  vector: number[];
}

/** Clustered random unit vectors: creators of a category sit near their category's centre. */
/** Every `rareEvery`-th creator (if set) gets the rare language 'xx'. */
export function syntheticCreators(n: number, dims: number, seed = 1, rareEvery = 0): SyntheticCreator[] {
  const rand = prng(seed);
  const gauss = (): number => Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());
  const centres = CATEGORIES.map(() => Array.from({ length: dims }, gauss));
  return Array.from({ length: n }, (_, i) => {
    const c = i % CATEGORIES.length;
    const v = centres[c]!.map((x) => x + 1.5 * gauss());
    const norm = Math.hypot(...v);
    const pick = LANGUAGES[Math.floor(rand() * LANGUAGES.length)]!;
    const language = rareEvery > 0 && i % rareEvery === 1 ? 'xx' : pick;
    return {
      id: `cr_${String(i).padStart(6, '0')}`,
      name: `Creator ${i}`,
      about: `A ${CATEGORIES[c]} creator`,
      category: CATEGORIES[c]!,
      tags: [CATEGORIES[c]!],
      language,
      is_nsfw: i % 17 === 0,
      vector: v.map((x) => x / norm),
    };
  });
}
