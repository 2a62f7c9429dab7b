#!/usr/bin/env node
/** npm run labels:export -- --index DIR --fans FILE --out task.csv: a rating task for crowd raters. */
import { fraction, nonNegativeInt, positiveInt, program, runCli, type CommonOptions } from '../learning/cli-util';
import { exportTask } from './task';

/** The parsed options (commander's opts() is untyped). */
interface ExportCliOptions extends CommonOptions {
  index: string;
  /** Comma-separated. */
  versions?: string;
  fans: string;
  out: string;
  perFan: number;
  raters: number;
  goldShare: number;
  gold?: string;
  creators?: string;
  seed: number;
}

export async function main(argv: string[], out: (s: string) => void = (s) => process.stdout.write(s)): Promise<number> {
  const cmd = program('labels:export', 'Write a relevance rating task (CSV) from the top candidates of index versions for some fans, with gold items of known answer (docs/LEARNING.md).')
    .requiredOption('--index <dir>', 'index directory')
    .option('--versions <list>', 'comma-separated versions whose candidates are pooled (default: CURRENT)')
    .requiredOption('--fans <file>', 'fans JSONL (interest_text or follows; expected_categories / relevant_creator_ids give gold answers)')
    .requiredOption('--out <file>', 'task CSV for the raters; the gold answers go to <name>.gold.csv next to it (do not send that one)')
    .option('--per-fan <n>', 'candidates per fan and version', positiveInt, 10)
    .option('--raters <n>', 'ratings wanted per item (written into the task)', positiveInt, 3)
    .option('--gold-share <x>', 'share of items that are gold (known answer)', fraction, 0.1)
    .option('--gold <file>', 'judgments JSONL (fan_id, creator_id, grade 0-2) of known answers for gold items')
    .option('--creators <file>', 'creator input file, to show the about text')
    .option('--seed <n>', 'seed of the gold sample and the row order', nonNegativeInt, 1);
  return runCli<ExportCliOptions>(cmd, argv, async (o) => {
    const r = await exportTask({
      indexDir: o.index,
      ...(o.versions ? { versions: o.versions.split(',').map((v) => v.trim()).filter(Boolean) } : {}),
      fansFile: o.fans,
      out: o.out,
      perFan: o.perFan,
      raters: o.raters,
      goldShare: o.goldShare,
      ...(o.gold ? { goldFile: o.gold } : {}),
      ...(o.creators ? { creatorsFile: o.creators } : {}),
      seed: o.seed,
    });
    out(
      `wrote ${r.items} items for ${r.fans} fans (versions ${r.versions.join(', ')}) to ${r.files.task}, ${o.raters} ratings wanted each\n` +
        `gold: ${r.gold} items (${r.goldByGrade.map((n, g) => `grade ${g}: ${n}`).join(', ')}) in ${r.files.gold}: keep it, do not send it to raters\n` +
        (r.skippedFans.length ? `skipped ${r.skippedFans.length} fans (first: ${r.skippedFans[0]!.fanId}: ${r.skippedFans[0]!.reason})\n` : ''),
    );
    return 0;
  });
}

if (require.main === module) {
  // A rejection (a bug: main answers its errors) is unhandled and ends the process with its stack.
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
