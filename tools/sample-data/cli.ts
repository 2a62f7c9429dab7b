/**
 * Seeded sample-data generator for creator-match.
 *
 *   npm run data:generate                                   # committed defaults → data/
 *   npm run data:generate -- --creators 100000 --out-dir /tmp/big
 *
 * Same flags + seed ⇒ byte-identical output. See data/README.md for the format.
 */
import { USAGE, parseCli } from './cli-args';
import { writeDataset } from './dataset';

function main(): void {
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
  const result = writeDataset(options, options.outDir, options.creatorsFile, options.fansFile);
  const seconds = ((Date.now() - started) / 1000).toFixed(2);
  process.stdout.write(
    `wrote ${result.creators} creators → ${result.creatorsPath}\n` +
      `wrote ${result.fans} fans → ${result.fansPath}\n` +
      `seed ${options.seed}, ${seconds}s\n`,
  );
}

main();
