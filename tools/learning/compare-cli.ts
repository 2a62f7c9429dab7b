#!/usr/bin/env node
/** npm run learning:compare -- --events FILE --exposures FILE: per-variant engagement with intervals. */
import { promises as fs } from 'node:fs';
import { positiveInt, positiveNumber, program, progress, runCli } from './cli-util';
import { compareVariants, formatCompare } from './compare';
import { DEFAULT_WINDOW_MS } from './prepare';

export async function main(argv: string[], out: (s: string) => void = (s) => process.stdout.write(s)): Promise<number> {
  const cmd = program('learning:compare', 'A/B readout: engagement per exposure for each variant of the exposure log, each treatment against the control with a 95% bootstrap interval over fans.')
    .requiredOption('--events <file>', 'engagement events JSONL')
    .requiredOption('--exposures <file>', "the service's log (exposure lines)")
    .option('--control <variant>', 'control variant (default: "control" if present, else the first by name)')
    .option('--window <minutes>', 'time join window', positiveNumber, DEFAULT_WINDOW_MS / 60000)
    .option('--bootstrap <n>', 'bootstrap resamples', positiveInt, 2000)
    .option('--seed <n>', 'bootstrap seed', positiveInt, 7)
    .option('--json <file>', 'write the report as JSON');
  return runCli(cmd, argv, async (o) => {
    const r = await compareVariants({ events: o.events, exposures: o.exposures, windowMs: o.window * 60000, ...(o.control ? { control: o.control } : {}), bootstrap: o.bootstrap, seed: o.seed }, progress());
    if (o.json) await fs.writeFile(o.json, JSON.stringify(r, null, 2) + '\n');
    out(formatCompare(r) + '\n');
    return 0;
  });
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
