import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { clean, MissingSourceError, split, wordCount, type Candidate, type Dataset } from './common';

/**
 * fortune cookie files (Debian `fortunes` and `fortunes-min`, /usr/share/games/fortunes; BSD
 * licence for the program, the quotations themselves are of mixed, mostly unattributed origin, so
 * nothing is committed: the set is derived at evaluation time).
 *
 * A cookie is one document (about = its text, no name); its category is the file it is in. Only
 * files named by topic are used (not `fortunes`, `cookie`, `miscellaneous`, `people`, `wisdom`,
 * `platitudes`, `humorists`, `zippy`, ...: those are grouped by style or author, not subject; and
 * not `ethnic`, `ascii-art`, `translate-me`, `debian`, `knghtbrd`). Cookies of 8-150 words.
 * Queries: long only (a held-out cookie's text); the source has no short paraphrases.
 */

export const FORTUNES_DIR = '/usr/share/games/fortunes';

export const TOPICAL_FILES = [
  'art', 'computers', 'drugs', 'education', 'food', 'kids', 'law', 'linux', 'literature', 'love', 'medicine', 'men-women',
  'news', 'perl', 'pets', 'politics', 'riddles', 'science', 'songs-poems', 'sports', 'startrek', 'tao', 'work',
] as const;

export function fortunes(seed: number, dir = FORTUNES_DIR): Dataset {
  const cands: Candidate[] = [];
  for (const file of TOPICAL_FILES) {
    const f = path.join(dir, file);
    if (!existsSync(f)) throw new MissingSourceError(f, 'fortunes fortunes-min');
    const cookies = readFileSync(f, 'utf8').split(/\n%\n/);
    cookies.forEach((raw, i) => {
      const text = clean(raw.replace(/^%$/gm, ''));
      const n = wordCount(text);
      if (n < 8 || n > 150) return;
      cands.push({ key: `${file}#${i}`, category: file.replace(/-/g, '_'), record: { name: '', about: text, tags: [] }, longQuery: text });
    });
  }
  return split('fortunes', 'fortunes', 'fortune cookies labelled by their (topical) file', cands, {
    seed,
    maxPerCategory: 200,
    queriesPerCategory: 12,
    minPerCategory: 25,
  });
}
