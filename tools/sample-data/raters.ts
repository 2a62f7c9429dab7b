/**
 * Simulated crowd raters for a labels:export task (the simulation's stand-in for real raters):
 *
 *   npm run data:generate -- --out-dir DIR --rate task.csv [--raters 3]     # → DIR/answers-r1.csv …
 *
 * The true grade of an item is 2 if the creator's category is the fan's first expected category,
 * 1 if it is another of its expected categories, else 0 (the fans file in DIR is the truth).
 * Rater j answers the true grade with probability 0.9, 0.8, 0.65, 0.9, … and a uniformly random
 * grade otherwise; with 4 or more raters the last one is a spammer who always answers 2.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { deriveSeed, Rng } from '../common/prng';

const ACCURACY = [0.9, 0.8, 0.65];

export function writeRaterAnswers(opts: { taskPath: string; fansPath: string; outDir: string; raters: number; seed: number }): string[] {
  const fans = new Map(
    fs
      .readFileSync(opts.fansPath, 'utf8')
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => JSON.parse(l) as { fan_id: string; expected_categories: string[] })
      .map((f) => [f.fan_id, f]),
  );
  const rows = parse<Record<string, string>>(fs.readFileSync(opts.taskPath, 'utf8'), { columns: true, bom: true });
  const files: string[] = [];
  for (let j = 0; j < opts.raters; j++) {
    const rater = `r${j + 1}`;
    const spammer = opts.raters >= 4 && j === opts.raters - 1;
    const rng = new Rng(deriveSeed(opts.seed, `rater:${rater}`));
    const answers = rows.map((row) => {
      const expected = fans.get(row.fan_id ?? '')?.expected_categories ?? [];
      const i = expected.indexOf(row.creator_category ?? '');
      const truth = i === 0 ? 2 : i > 0 ? 1 : 0;
      const grade = spammer ? 2 : rng.chance(ACCURACY[j % ACCURACY.length]!) ? truth : rng.int(0, 2);
      return { item_id: row.item_id, rater_id: rater, grade };
    });
    const file = path.join(opts.outDir, `answers-${rater}.csv`);
    fs.writeFileSync(file, stringify(answers, { header: true, columns: ['item_id', 'rater_id', 'grade'] }));
    files.push(file);
  }
  return files;
}
