#!/usr/bin/env node
/** npm run data:prepare -- --events FILE --exposures FILE --out DIR: engagement + exposures → training pairs. */
import { InvalidArgumentError } from 'commander';
import { UsageError } from '../cli/cli-kit';
import { CliError, fraction, positiveNumber, program, runCli, type CommonOptions } from './cli-util';
import { parseTimestamp, POSITIVE_EVENTS, type PositiveEvent } from './formats';
import { DEFAULT_EVENT_WEIGHTS, DEFAULT_WINDOW_MS, formatPrepareReport, prepare, writePrepared, type CatalogInfo } from './prepare';
import { DEFAULT_FAN_SPLIT } from './split';
import { readVersionCreators } from './version-io';

const weightsOption = (value: string): Record<PositiveEvent, number> => {
  const out = { ...DEFAULT_EVENT_WEIGHTS };
  for (const part of value.split(',')) {
    const [k, v] = part.split('=');
    const n = Number(v);
    if (!POSITIVE_EVENTS.includes(k as PositiveEvent) || !Number.isFinite(n) || n <= 0) {
      throw new InvalidArgumentError(`expected kind=weight pairs for ${POSITIVE_EVENTS.join(', ')}, e.g. click=1,follow=2,pledge=4`);
    }
    out[k as PositiveEvent] = n;
  }
  return out;
};

const timestampOption = (value: string): number => {
  const r = parseTimestamp(/^\d+$/.test(value) ? Number(value) : value, '--cutoff');
  if (!r.ok) throw new InvalidArgumentError(r.reason);
  return r.value;
};

/** The parsed options (commander's opts() is untyped). */
interface PrepareCliOptions extends CommonOptions {
  events: string;
  exposures: string;
  out: string;
  index?: string;
  base?: string;
  /** Minutes. */
  window: number;
  weights: Record<PositiveEvent, number>;
  validationShare: number;
  testShare: number;
  splitSalt: string;
  /** Epoch ms. */
  cutoff?: number;
  cutoffQuantile: number;
  /** false with --no-organic. */
  organic: boolean;
  strict: boolean;
  json: boolean;
}

export async function main(argv: string[], out: (s: string) => void = (s) => process.stdout.write(s)): Promise<number> {
  const cmd = program('data:prepare', 'Join engagement events to the exposure log and write training pairs split by fan and by time, with a report (docs/LEARNING.md).')
    .requiredOption('--events <file>', 'engagement events, JSONL (fan_id, creator_id, event, ts, optional request_id, variant, index_version)')
    .requiredOption('--exposures <file>', "the service's log (pino JSON lines; lines with msg \"exposure\" are used, others skipped)")
    .requiredOption('--out <dir>', 'output directory (train/validation/test.jsonl, held-out eval files, report.json, report.txt)')
    .option('--index <dir>', 'index directory, for per-category/language counts and catalog coverage')
    .option('--base <version>', 'index version for --index (default: CURRENT)')
    .option('--window <minutes>', 'time join: an event joins the latest exposure of its fan at most this long before it', positiveNumber, DEFAULT_WINDOW_MS / 60000)
    .option('--weights <list>', 'positive weight per event kind', weightsOption, DEFAULT_EVENT_WEIGHTS)
    .option('--validation-share <x>', 'share of fans in the validation split', fraction, DEFAULT_FAN_SPLIT.validationShare)
    .option('--test-share <x>', 'share of fans in the test split (held out for the release gate)', fraction, DEFAULT_FAN_SPLIT.testShare)
    .option('--split-salt <s>', 'salt of the fan hash that assigns splits', DEFAULT_FAN_SPLIT.salt)
    .option('--cutoff <time>', 'time split: RFC 3339 or epoch ms (default: the --cutoff-quantile of exposure times)', timestampOption)
    .option('--cutoff-quantile <q>', 'default cutoff: this quantile of the trainable exposures\' times', fraction, 0.8)
    .option('--no-organic', 'drop positive events that join no exposure instead of attaching them to the fan\'s latest earlier query')
    .option('--strict', 'exit 1 when any input line is bad (the outputs and the report are still written)', false)
    .option('--json', 'print the report as JSON instead of the table', false);
  return runCli<PrepareCliOptions>(cmd, argv, async (o, cli) => {
    if (o.validationShare + o.testShare >= 1) throw new UsageError('--validation-share plus --test-share must be below 1 (the rest is the training split)');
    let catalog: CatalogInfo | undefined;
    if (o.index) {
      const { creators } = await readVersionCreators(o.index, o.base);
      const byId = new Map(creators.map((c) => [c.id, { category: c.category, language: c.language }]));
      catalog = { size: creators.length, info: (id) => byId.get(id) };
    }
    const result = await prepare(
      o.events,
      o.exposures,
      {
        weights: o.weights,
        windowMs: o.window * 60000,
        split: { validationShare: o.validationShare, testShare: o.testShare, salt: o.splitSalt },
        ...(o.cutoff !== undefined ? { cutoff: o.cutoff } : {}),
        cutoffQuantile: o.cutoffQuantile,
        organic: o.organic !== false,
        ...(catalog ? { catalog } : {}),
      },
      cli.progress(),
    );
    await writePrepared(o.out, result);
    out(o.json ? JSON.stringify(result.report, null, 2) + '\n' : formatPrepareReport(result.report) + `\n\nwrote ${o.out}/{train,validation,test}.jsonl, {validation,test}-{fans,judgments}.jsonl, report.json, report.txt\n`);
    const bad = result.report.events.bad.count + result.report.exposures.bad.count;
    if (result.report.splits.train.positives === 0) throw new CliError('no training positives: check that the events join the exposures (see the report above)');
    if (bad > 0 && o.strict) throw new CliError(`${bad} bad input line(s) (listed in ${o.out}/report.txt); fix them or drop --strict`);
    return 0;
  });
}

if (require.main === module) {
  // A rejection (a bug: main answers its errors) is unhandled and ends the process with its stack.
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
