#!/usr/bin/env node
/** npm run labels:import -- --task task.csv --answers a.csv [b.csv …] --out judgments.jsonl */
import { promises as fs } from 'node:fs';
import { Option } from 'commander';
import { CliError, nonNegativeNumber, positiveInt, program, runCli, type CommonOptions } from '../learning/cli-util';
import { formatImportReport, importAnswers, type ImportOptions } from './task';

/** The parsed options (commander's opts() is untyped). */
interface ImportCliOptions extends CommonOptions {
  task: string;
  answers: string[];
  out: string;
  gold?: string;
  /** One of the --method choices (commander checks them). */
  method: ImportOptions['method'];
  minRatings: number;
  smoothing: number;
  strict: boolean;
  json?: string;
}

export async function main(argv: string[], out: (s: string) => void = (s) => process.stdout.write(s)): Promise<number> {
  const cmd = program('labels:import', "Aggregate raters' answers (majority vote and Dawid-Skene), report Fleiss' kappa and each rater's accuracy on gold items, and write graded judgments for npm run eval -- --judgments.")
    .requiredOption('--task <file>', 'the task CSV written by labels:export')
    .requiredOption('--answers <files...>', 'answer CSVs with columns item_id, rater_id, grade (0, 1 or 2)')
    .requiredOption('--out <file>', 'judgments JSONL to write (fan_id, creator_id, grade, …)')
    .option('--gold <file>', 'gold answers (default: <task>.gold.csv next to the task, if present)')
    .addOption(new Option('--method <m>', 'how an item\'s grade is chosen').choices(['dawid-skene', 'majority']).default('dawid-skene'))
    .option('--min-ratings <n>', 'leave out items with fewer ratings', positiveInt, 1)
    .option('--smoothing <x>', 'Dawid-Skene: pseudo-count added to every confusion cell', nonNegativeNumber, 0.01)
    .option('--strict', 'exit 1 when any answer line is bad (the judgments are still written)', false)
    .option('--json <file>', 'write the report as JSON');
  return runCli<ImportCliOptions>(cmd, argv, async (o) => {
    const r = await importAnswers({ task: o.task, answers: o.answers, out: o.out, ...(o.gold ? { gold: o.gold } : {}), method: o.method, minRatings: o.minRatings, smoothing: o.smoothing });
    if (o.json) await fs.writeFile(o.json, JSON.stringify(r, null, 2) + '\n');
    out(formatImportReport(r) + `\nwrote ${o.out}\n`);
    if (o.strict && r.bad.count > 0) throw new CliError(`${r.bad.count} bad answer line(s) (listed above); fix them or drop --strict`);
    return 0;
  });
}

if (require.main === module) {
  // A rejection (a bug: main answers its errors) is unhandled and ends the process with its stack.
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
