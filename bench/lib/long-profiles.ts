import { profileText } from '../../src/catalog/profile-text';
import type { CreatorRecord } from '../../src/catalog/creator';
import { generateDataset } from '../../tools/sample-data/dataset';

const words = (s: string): number => s.split(/\s+/).filter(Boolean).length;

/**
 * n creators whose profile text has about `target` words (deterministic): the seeded sample
 * generator's creators, each `about` lengthened with the about texts of other creators of the
 * same category and language (bench:build:text's profiles; bench:text's long interest texts).
 */
export function longProfiles(n: number, target: number): CreatorRecord[] {
  const pool = generateDataset({ creators: n * 4, fans: 0, seed: 7 }).creators;
  const groups = new Map<string, CreatorRecord[]>();
  for (const c of pool) {
    const key = `${c.category}/${c.language}`;
    const g = groups.get(key) ?? [];
    g.push(c);
    groups.set(key, g);
  }
  return pool.slice(0, n).map((c) => {
    const g = groups.get(`${c.category}/${c.language}`)!;
    let about = c.about;
    for (let j = 1; words(profileText({ ...c, about })) < target && j < g.length; j++) {
      const other = g[(g.indexOf(c) + j) % g.length]!;
      if (other !== c) about = `${about} ${other.about}`;
    }
    return { ...c, about };
  });
}
