#!/usr/bin/env node
/**
 * Seeded sample-data generator for creator-match.
 *
 *   npm run data:generate                                   # committed defaults → data/
 *   npm run data:generate -- --creators 100000 --out-dir /tmp/big
 *
 * Same flags + seed ⇒ byte-identical output. See data/README.md for the format.
 */
import * as path from 'node:path';
import { CommanderError } from 'commander';
import { cliOutput, logFormatOf } from '../cli/cli-kit';
import { DEFAULT_EVENTS_FILE, parseCli, type CliOptions } from './cli-args';
import { writeDataset } from './dataset';
import { writeEngagement } from './engagement';
import { writeRaterAnswers } from './raters';

/** Exit code: 0, 1 (failed), 2 (bad usage). */
export async function main(argv: string[], out: (s: string) => void = (s) => process.stdout.write(s)): Promise<number> {
  let options: CliOptions;
  try {
    options = parseCli(argv, { writeOut: out, writeErr: (s) => process.stderr.write(s) });
  } catch (err) {
    // commander has printed the help, the version or the usage error (with a pointer to --help).
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    throw err;
  }
  const output = cliOutput('sample-data', logFormatOf(options.logFormat));
  const started = Date.now();
  if (options.rate !== undefined) {
    try {
      const files = writeRaterAnswers({ taskPath: options.rate, fansPath: path.join(options.outDir, options.fansFile), outDir: options.outDir, raters: options.raters ?? 3, seed: options.seed });
      out(`wrote ${files.length} simulated raters' answers: ${files.join(', ')}\n`);
      return 0;
    } catch (err) {
      return output.fail(output.format === 'human' ? 'data:generate --rate failed' : 'data:generate --rate', err, 'the fans file of --out-dir is the truth; generate it first');
    }
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
      out(`simulated ${summary.exposures} exposures (${summary.skippedExposures} of unknown fans skipped) → ${outPath}\n${counts}\nseed ${options.seed}, ${((Date.now() - started) / 1000).toFixed(2)}s\n`);
      return 0;
    } catch (err) {
      return output.fail(output.format === 'human' ? 'data:generate --engagement failed' : 'data:generate --engagement', err, 'generate the fans and creators into --out-dir first');
    }
  }
  try {
    const result = writeDataset(options, options.outDir, options.creatorsFile, options.fansFile);
    const seconds = ((Date.now() - started) / 1000).toFixed(2);
    out(`wrote ${result.creators} creators → ${result.creatorsPath}\n` + `wrote ${result.fans} fans → ${result.fansPath}\n` + `seed ${options.seed}, ${seconds}s\n`);
    return 0;
  } catch (err) {
    return output.fail(output.format === 'human' ? 'data:generate failed' : 'data:generate', err);
  }
}

if (require.main === module) {
  // A rejection (a bug: main answers its errors) is unhandled and ends the process with its stack.
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
