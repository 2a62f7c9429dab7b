#!/usr/bin/env node
/** npm run learning:expose -- --index DIR --fans FILE --out exposures.log: simulated serving (offline). */
import { UsageError } from '../cli/cli-kit';
import { fraction, positiveInt, positiveNumber, program, runCli, type CommonOptions } from './cli-util';
import { loadExperiment, simulateExposures, type ExposeOptions } from './expose';
import { parseTimestamp } from './formats';

/** The parsed options (commander's opts() is untyped). */
interface ExposeCliOptions extends CommonOptions {
  index?: string;
  base?: string;
  variants?: string;
  fans: string;
  out: string;
  sessions: number;
  k: number;
  likeShare: number;
  start: string;
  days: number;
  seed: number;
  requestPrefix: string;
}

export async function main(argv: string[], out: (s: string) => void = (s) => process.stdout.write(s)): Promise<number> {
  const cmd = program(
    'learning:expose',
    'Simulation only: play fans\' requests against an index version (or an experiment\'s variants) as the service answers them, and write the exposure log lines the service writes.',
  )
    .option('--index <dir>', 'index directory (serves CURRENT, or --base)')
    .option('--base <version>', 'version of --index to serve (default: CURRENT)')
    .option('--variants <file>', 'A/B variants file (MATCH_VARIANTS_FILE format): fans are assigned as the service assigns them')
    .requiredOption('--fans <file>', 'fans JSONL (interest_text and/or follows), e.g. from npm run data:generate')
    .requiredOption('--out <file>', 'exposure log to write (JSON lines, msg "exposure")')
    .option('--sessions <n>', 'mean requests per fan (each fan makes 1 … 2n-1)', positiveInt, 3)
    .option('--k <n>', 'creators shown per request', positiveInt, 10)
    .option('--like-share <x>', 'share of requests by the fan\'s follows (like_creators) instead of its text', fraction, 0.2)
    .option('--start <time>', 'start of the simulated period (RFC 3339)', '2026-11-01T00:00:00Z')
    .option('--days <n>', 'length of the simulated period in days', positiveNumber, 28)
    .option('--seed <n>', 'seed of the request plan', positiveInt, 1)
    .option('--request-prefix <s>', 'request id prefix', 'sim');
  return runCli<ExposeCliOptions>(cmd, argv, async (o, cli) => {
    if (!o.index === !o.variants) throw new UsageError('pass exactly one of --index DIR and --variants FILE');
    const start = parseTimestamp(o.start, '--start');
    if (!start.ok) throw new UsageError(start.reason);
    const target: ExposeOptions['target'] = o.variants ? { experiment: loadExperiment(o.variants) } : { indexDir: o.index!, ...(o.base ? { version: o.base } : {}) };
    const report = await simulateExposures(
      {
        target,
        fansFile: o.fans,
        out: o.out,
        sessions: o.sessions,
        k: o.k,
        likeShare: o.likeShare,
        start: start.value,
        days: o.days,
        seed: o.seed,
        requestPrefix: o.requestPrefix,
      },
      cli.progress(),
    );
    out(
      `wrote ${report.requests} exposures of ${report.fans} fans to ${o.out} (${report.byKind.text} text, ${report.byKind.like} like; ` +
        `${Object.entries(report.byVariant).map(([v, n]) => `${v} ${n}`).join(', ')})${report.skippedFans ? `; ${report.skippedFans} fans without a query skipped` : ''}\n`,
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
