#!/usr/bin/env node
/** npm run learning:compare -- --events FILE --exposures FILE: per-variant engagement with intervals. */
import { promises as fs } from 'node:fs';
import { positiveInt, positiveNumber, program, runCli, type CommonOptions } from './cli-util';
import { compareVariants, formatCompare } from './compare';
import { DEFAULT_WINDOW_MS } from './prepare';

/** The parsed options (commander's opts() is untyped). */
interface CompareCliOptions extends CommonOptions {
  events: string;
  exposures: string;
  control?: string;
  /** Minutes. */
  window: number;
  bootstrap: number;
  seed: number;
  json?: string;
}

export async function main(argv: string[], out: (s: string) => void = (s) => process.stdout.write(s)): Promise<number> {
  const cmd = program('learning:compare', 'A/B readout: engagement per exposure for each variant of the exposure log, each treatment against the control with a 95% bootstrap interval over fans.')
    .requiredOption('--events <file>', 'engagement events JSONL')
    .requiredOption('--exposures <file>', "the service's log (exposure lines)")
    .option('--control <variant>', 'control variant (default: "control" if present, else the first by name)')
    .option('--window <minutes>', 'time join window', positiveNumber, DEFAULT_WINDOW_MS / 60000)
    .option('--bootstrap <n>', 'bootstrap resamples', positiveInt, 2000)
    .option('--seed <n>', 'bootstrap seed', positiveInt, 7)
    .option('--json <file>', 'write the report as JSON');
  return runCli<CompareCliOptions>(cmd, argv, async (o, cli) => {
    const r = await compareVariants({ events: o.events, exposures: o.exposures, windowMs: o.window * 60000, ...(o.control ? { control: o.control } : {}), bootstrap: o.bootstrap, seed: o.seed }, cli.progress());
    if (o.json) await fs.writeFile(o.json, JSON.stringify(r, null, 2) + '\n');
    out(formatCompare(r) + '\n');
    return 0;
  });
}

if (require.main === module) {
  // A rejection (a bug: main answers its errors) is unhandled and ends the process with its stack.
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
