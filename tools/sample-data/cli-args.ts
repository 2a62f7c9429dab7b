/** Command-line parsing for `npm run data:generate` (tools/sample-data/cli.ts): commander, with the CLI kit's --version and --log-format. */
import { Command, InvalidArgumentError, type OutputConfiguration } from 'commander';
import { withCommonOptions } from '../cli/cli-kit';
import { DEFAULT_CREATORS_FILE, DEFAULT_FANS_FILE, DEFAULT_OPTIONS, type DatasetOptions } from './dataset';

export interface CliOptions extends DatasetOptions {
  outDir: string;
  creatorsFile: string;
  fansFile: string;
  /** --engagement FILE: simulate engagement against this exposure log instead of generating. */
  engagement?: string;
  /** Engagement events file name (default engagement.jsonl). */
  eventsFile?: string;
  /** --rate TASK: simulated raters answer a labels:export task (fans of --out-dir are the truth). */
  rate?: string;
  raters?: number;
  /** --log-format human|json (cli-kit; default by whether stderr is a terminal). */
  logFormat?: string;
}

export const DEFAULT_EVENTS_FILE = 'engagement.jsonl';

const nonNegativeInt =
  (max: number) =>
  (raw: string): number => {
    if (!/^\d+$/.test(raw.trim())) throw new InvalidArgumentError(`must be a non-negative integer, got "${raw}"`);
    const value = Number(raw);
    if (!Number.isSafeInteger(value) || value > max) throw new InvalidArgumentError(`must be at most ${max}, got "${raw}"`);
    return value;
  };

const fileName = (raw: string): string => {
  if (raw.length === 0 || /[\\/]/.test(raw)) throw new InvalidArgumentError(`must be a plain file name, got "${raw}"`);
  return raw;
};

const share = (raw: string): number => {
  const value = Number(raw);
  if (!/^\s*\d*\.?\d+\s*$/.test(raw) || !(value >= 0 && value <= 1)) throw new InvalidArgumentError(`must be a number between 0 and 1, got "${raw}"`);
  return value;
};

const exposureLog = (raw: string): string => {
  if (raw.trim() === '') throw new InvalidArgumentError('needs the exposure log file');
  return raw;
};

/** The data:generate program: --help, --version, --log-format and its own flags. */
export function dataGenerateCommand(): Command {
  return withCommonOptions(
    new Command()
      .name('data:generate')
      .description('Seeded sample-data generator: creators and fans (same flags and seed, byte-identical output; data/README.md), or, with --engagement / --rate, simulated engagement or raters.'),
  )
    .option('--creators <n>', 'number of creators', nonNegativeInt(50_000_000), DEFAULT_OPTIONS.creators)
    .option('--fans <n>', 'number of fans', nonNegativeInt(10_000_000), DEFAULT_OPTIONS.fans)
    .option('--seed <s>', 'PRNG seed, unsigned 32-bit integer', nonNegativeInt(0xffffffff), DEFAULT_OPTIONS.seed)
    .option('--out-dir <dir>', 'output directory', 'data')
    .option('--creators-file <name>', 'creators file name', fileName, DEFAULT_CREATORS_FILE)
    .option('--fans-file <name>', 'fans file name', fileName, DEFAULT_FANS_FILE)
    .option('--foreign-share <x>', "share of non-English fans in [0, 1] (default: the sample's ~8%)", share)
    .option('--engagement <file>', 'do not generate: simulate engagement of the fans and creators already in --out-dir against the exposure log FILE, write --events-file there (docs/LEARNING.md; --seed seeds the simulation)', exposureLog)
    .option('--events-file <name>', `engagement events file name (default ${DEFAULT_EVENTS_FILE})`, fileName)
    .option('--rate <task>', 'do not generate: simulated raters answer the labels:export task TASK, judged by the fans in --out-dir; writes answers-r1.csv … there')
    .option('--raters <n>', 'simulated raters for --rate (default 3)', nonNegativeInt(100))
    .exitOverride()
    .configureOutput({ outputError: (s, write) => write(s.replace(/\n+$/, '') + ' (see npm run data:generate -- --help)\n') });
}

/**
 * Parses argv. Bad usage throws commander's CommanderError (exitCode 0 for --help / --version,
 * after printing them); `output` is where commander writes (default: nowhere, as a pure parser).
 */
export function parseCli(argv: string[], output: OutputConfiguration = { writeOut: () => undefined, writeErr: () => undefined }): CliOptions {
  const cmd = dataGenerateCommand().configureOutput(output);
  cmd.parse(argv, { from: 'user' });
  const o = cmd.opts<CliOptions>();
  return {
    ...(o.foreignShare !== undefined ? { foreignShare: o.foreignShare } : {}),
    ...(o.engagement !== undefined ? { engagement: o.engagement } : {}),
    ...(o.rate !== undefined ? { rate: o.rate } : {}),
    ...(o.raters !== undefined ? { raters: o.raters } : {}),
    ...(o.eventsFile !== undefined ? { eventsFile: o.eventsFile } : {}),
    ...(o.logFormat !== undefined ? { logFormat: o.logFormat } : {}),
    creators: o.creators,
    fans: o.fans,
    seed: o.seed,
    outDir: o.outDir,
    creatorsFile: o.creatorsFile,
    fansFile: o.fansFile,
  };
}
