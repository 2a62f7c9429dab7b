/** Command-line parsing for scripts/generate-sample-data.ts (node:util parseArgs). */
import { parseArgs } from 'node:util';
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
  help: boolean;
}

export const DEFAULT_EVENTS_FILE = 'engagement.jsonl';

export const USAGE = `Usage: npm run data:generate -- [options]

  --creators N          number of creators (default ${DEFAULT_OPTIONS.creators})
  --fans N              number of fans (default ${DEFAULT_OPTIONS.fans})
  --seed S              PRNG seed, unsigned 32-bit integer (default ${DEFAULT_OPTIONS.seed})
  --out-dir DIR         output directory (default data)
  --creators-file NAME  creators file name (default ${DEFAULT_CREATORS_FILE})
  --fans-file NAME      fans file name (default ${DEFAULT_FANS_FILE})
  --foreign-share X     share of non-English fans in [0, 1] (default: the sample's ~8%)
  --engagement FILE     do not generate: simulate engagement of the fans and creators already in
                        --out-dir against the exposure log FILE, write --events-file there
                        (docs/LEARNING.md; --seed seeds the simulation)
  --events-file NAME    engagement events file name (default engagement.jsonl)
  --rate TASK           do not generate: simulated raters answer the labels:export task TASK,
                        judged by the fans in --out-dir; writes answers-r1.csv … there
  --raters N            simulated raters for --rate (default 3)
  -h, --help            show this help`;

function nonNegativeInt(flag: string, raw: string | undefined, fallback: number, max: number): number {
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw.trim())) throw new Error(`${flag} must be a non-negative integer, got "${raw}"`);
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value > max) throw new Error(`${flag} must be at most ${max}, got "${raw}"`);
  return value;
}

function fileName(flag: string, raw: string | undefined, fallback: string): string {
  if (raw === undefined) return fallback;
  if (raw.length === 0 || /[\\/]/.test(raw)) throw new Error(`${flag} must be a plain file name, got "${raw}"`);
  return raw;
}

export function parseCli(argv: string[]): CliOptions {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      creators: { type: 'string' },
      fans: { type: 'string' },
      seed: { type: 'string' },
      'out-dir': { type: 'string' },
      'creators-file': { type: 'string' },
      'fans-file': { type: 'string' },
      'foreign-share': { type: 'string' },
      engagement: { type: 'string' },
      'events-file': { type: 'string' },
      rate: { type: 'string' },
      raters: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const foreign = values['foreign-share'];
  let foreignShare: number | undefined;
  if (foreign !== undefined) {
    foreignShare = Number(foreign);
    if (!/^\s*\d*\.?\d+\s*$/.test(foreign) || !(foreignShare >= 0 && foreignShare <= 1)) throw new Error(`--foreign-share must be a number between 0 and 1, got "${foreign}"`);
  }
  if (values.engagement !== undefined && values.engagement.trim() === '') throw new Error('--engagement needs the exposure log file');
  return {
    ...(foreignShare !== undefined ? { foreignShare } : {}),
    ...(values.engagement !== undefined ? { engagement: values.engagement } : {}),
    ...(values.rate !== undefined ? { rate: values.rate } : {}),
    ...(values.raters !== undefined ? { raters: nonNegativeInt('--raters', values.raters, 3, 100) } : {}),
    ...(values['events-file'] !== undefined ? { eventsFile: fileName('--events-file', values['events-file'], DEFAULT_EVENTS_FILE) } : {}),
    creators: nonNegativeInt('--creators', values.creators, DEFAULT_OPTIONS.creators, 50_000_000),
    fans: nonNegativeInt('--fans', values.fans, DEFAULT_OPTIONS.fans, 10_000_000),
    seed: nonNegativeInt('--seed', values.seed, DEFAULT_OPTIONS.seed, 0xffffffff),
    outDir: values['out-dir'] ?? 'data',
    creatorsFile: fileName('--creators-file', values['creators-file'], DEFAULT_CREATORS_FILE),
    fansFile: fileName('--fans-file', values['fans-file'], DEFAULT_FANS_FILE),
    help: values.help ?? false,
  };
}
