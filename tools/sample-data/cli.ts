/**
 * Seeded sample-data generator for creator-match.
 *
 *   npm run data:generate                                   # committed defaults → data/
 *   npm run data:generate -- --creators 100000 --out-dir /tmp/big
 *
 * Same flags + seed ⇒ byte-identical output. See data/README.md for the format.
 */
import * as path from 'node:path';
import { DEFAULT_EVENTS_FILE, USAGE, parseCli } from './cli-args';
import { writeDataset } from './dataset';
import { writeEngagement } from './engagement';
import { writeRaterAnswers } from './raters';

async function main(): Promise<void> {
  let options;
  try {
    options = parseCli(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n\n${USAGE}\n`);
    process.exitCode = 2;
    return;
  }
  if (options.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const started = Date.now();
  if (options.rate !== undefined) {
    try {
      const files = writeRaterAnswers({ taskPath: options.rate, fansPath: path.join(options.outDir, options.fansFile), outDir: options.outDir, raters: options.raters ?? 3, seed: options.seed });
      process.stdout.write(`wrote ${files.length} simulated raters' answers: ${files.join(', ')}\n`);
    } catch (err) {
      process.stderr.write(`data:generate --rate failed: ${(err as Error).message} (the fans file of --out-dir is the truth; generate it first)\n`);
      process.exitCode = 1;
    }
    return;
  }
  if (options.engagement !== undefined) {
    const outPath = path.join(options.outDir, options.eventsFile ?? DEFAULT_EVENTS_FILE);
    try {
      const summary = await writeEngagement({
        creatorsPath: path.join(options.outDir, options.creatorsFile),
        fansPath: path.join(options.outDir, options.fansFile),
        exposuresPath: options.engagement,
        outPath,
        seed: options.seed,
      });
      const counts = Object.entries(summary.events).map(([k, v]) => `${k} ${v}`).join(', ');
      process.stdout.write(
        `simulated ${summary.exposures} exposures (${summary.skippedExposures} of unknown fans skipped) → ${outPath}\n${counts}\nseed ${options.seed}, ${((Date.now() - started) / 1000).toFixed(2)}s\n`,
      );
    } catch (err) {
      process.stderr.write(`data:generate --engagement failed: ${(err as Error).message} (generate the fans and creators into --out-dir first)\n`);
      process.exitCode = 1;
    }
    return;
  }
  const result = writeDataset(options, options.outDir, options.creatorsFile, options.fansFile);
  const seconds = ((Date.now() - started) / 1000).toFixed(2);
  process.stdout.write(
    `wrote ${result.creators} creators → ${result.creatorsPath}\n` +
      `wrote ${result.fans} fans → ${result.fansPath}\n` +
      `seed ${options.seed}, ${seconds}s\n`,
  );
}

void main();
