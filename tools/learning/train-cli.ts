#!/usr/bin/env node
/** npm run train -- --index DIR --interactions FILE|DIR --out DIR: learn a query adapter, gate it, publish it. */
import { promises as fs } from 'node:fs';
import { InvalidArgumentError, Option } from 'commander';
import { UsageError } from '../cli/cli-kit';
import { fraction, nonNegativeNumber, positiveInt, positiveNumber, program, runCli, type CommonOptions } from './cli-util';
import { formatGate, type GateMetric } from './gate';
import { DEFAULT_FAN_SPLIT, DEFAULT_GATE, DEFAULT_TRAIN_CONFIG, runTraining } from './train';

const confidence = (value: string): number => {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || n >= 1) throw new InvalidArgumentError('must be in [0, 1) (0 turns the significance check off)');
  return n;
};

/** The parsed options (commander's opts() is untyped). */
interface TrainCliOptions extends CommonOptions {
  index: string;
  base?: string;
  interactions: string;
  out: string;
  rank: number;
  epochs: number;
  batch: number;
  learningRate: number;
  l2: number;
  temperature: number;
  patience: number;
  /** One of the --early-stopping choices (commander checks them). */
  earlyStopping: 'loss' | 'ndcg';
  checkSteps: number;
  hardNegatives: number;
  seed: number;
  validationShare: number;
  testShare: number;
  splitSalt: string;
  skipInvalid: boolean;
  gateFans?: string;
  gateJudgments?: string;
  k: number;
  /** One of the --gate-metric choices. */
  gateMetric: GateMetric;
  gateScope: 'logged' | 'catalog';
  minImprovement: number;
  maxRegression: number;
  confidence: number;
  /** false with --no-publish. */
  publish: boolean;
  /** true with --tune-fusion. */
  tuneFusion: boolean;
  json?: string;
}

/**
 * `err` takes the training log lines in human mode; with --log-format json (or when stderr is not
 * a terminal) they are JSON log lines on stderr instead.
 */
export async function main(argv: string[], out: (s: string) => void = (s) => process.stdout.write(s), err: (s: string) => void = (s) => process.stderr.write(s)): Promise<number> {
  const d = DEFAULT_TRAIN_CONFIG;
  const cmd = program(
    'train',
    'Learn a query-side adapter (I + U·Vᵀ) on top of the frozen encoder from interactions, write it as a new index version, and publish it only if it beats the version it would replace on held-out fans (docs/LEARNING.md). Exit codes: 0 published, 3 written but refused by the gate, 1 failed, 2 bad usage.',
  )
    .requiredOption('--index <dir>', 'index directory of the base version (its vectors.f32 and model)')
    .option('--base <version>', 'base version in --index (default: CURRENT)')
    .requiredOption('--interactions <path>', 'a data:prepare --out directory, or a JSONL file of {fan_id, interest_text | like_creators, creator_id, label 1|0}')
    .requiredOption('--out <dir>', 'index directory to write the new version into (may be --index); CURRENT there is switched only if the gate passes')
    .option('--rank <r>', 'rank of U·Vᵀ', positiveInt, d.rank)
    .option('--epochs <n>', 'most epochs', positiveInt, d.epochs)
    .option('--batch <n>', 'query groups per step', positiveInt, d.batchGroups)
    .option('--learning-rate <x>', 'Adam learning rate', positiveNumber, d.learningRate)
    .option('--l2 <x>', 'λ of the pull towards the identity, λ‖U·Vᵀ‖²', nonNegativeNumber, d.l2)
    .option('--temperature <x>', 'InfoNCE temperature τ', positiveNumber, d.temperature)
    .option('--patience <n>', 'validation checks without an improvement before stopping', positiveInt, d.patience)
    .addOption(new Option('--early-stopping <what>', 'validation figure that picks the kept state: the InfoNCE loss, or NDCG@10 of logged engagement (exposure-biased)').choices(['loss', 'ndcg']).default(d.earlyStopping))
    .option('--check-steps <n>', 'validate every n steps (and at the end of each epoch)', positiveInt, d.checkSteps)
    .option('--hard-negatives <n>', 'hard negatives per query', (v) => Number.parseInt(v, 10), d.maxHardNegatives)
    .option('--seed <n>', 'seed (initialisation, shuffles)', positiveInt, d.seed)
    .option('--validation-share <x>', 'plain interaction files: share of fans for validation', fraction, DEFAULT_FAN_SPLIT.validationShare)
    .option('--test-share <x>', 'plain interaction files: share of fans held out for the gate', fraction, DEFAULT_FAN_SPLIT.testShare)
    .option('--split-salt <s>', 'plain interaction files: salt of the fan split', DEFAULT_FAN_SPLIT.salt)
    .option('--skip-invalid', 'continue past bad interaction lines (counted in the report)', false)
    .option('--gate-fans <file>', 'held-out fans for the gate (eval fans format) instead of the test split')
    .option('--gate-judgments <file>', 'graded judgments for --gate-fans (default: their expected_categories / relevant_creator_ids)')
    .option('--k <n>', 'cut-off of the gate\'s metrics', positiveInt, DEFAULT_GATE.k)
    .addOption(new Option('--gate-metric <m>', 'metric that must rise').choices(['ndcg', 'precision']).default(DEFAULT_GATE.metric))
    .addOption(
      new Option('--gate-scope <s>', "on engagement (no --gate-fans): rank each held-out fan's logged exposures (engaged or shown and ignored), or the whole catalog (judged against what the served version showed)")
        .choices(['logged', 'catalog'])
        .default('logged'),
    )
    .option('--min-improvement <x>', 'smallest rise of the gate metric that publishes (absolute)', nonNegativeNumber, DEFAULT_GATE.minImprovement)
    .option('--max-regression <x>', 'largest allowed drop of any served-model metric (absolute)', nonNegativeNumber, DEFAULT_GATE.maxRegression)
    .option('--confidence <x>', 'the bootstrap interval of the rise at this level must exclude 0', confidence, DEFAULT_GATE.confidence)
    .option('--no-publish', 'write the version and run the gate, but never switch CURRENT')
    .option('--tune-fusion', 'also choose the hybrid fusion with the adapter on the validation split (off by default: on logged engagement it follows the exposure bias, docs/LEARNING.md)', false)
    .option('--json <file>', 'write the full report (data, history, gate figures) as JSON');
  return runCli<TrainCliOptions>(cmd, argv, async (o, cli) => {
    if (o.validationShare + o.testShare >= 1) throw new UsageError('--validation-share plus --test-share must be below 1');
    if (o.gateJudgments && !o.gateFans) throw new UsageError('--gate-judgments needs --gate-fans');
    const { report, decision } = await runTraining({
      indexDir: o.index,
      ...(o.base ? { baseVersion: o.base } : {}),
      interactions: o.interactions,
      out: o.out,
      config: {
        rank: o.rank,
        epochs: o.epochs,
        batchGroups: o.batch,
        learningRate: o.learningRate,
        l2: o.l2,
        temperature: o.temperature,
        patience: o.patience,
        checkSteps: o.checkSteps,
        earlyStopping: o.earlyStopping,
        maxHardNegatives: o.hardNegatives,
        seed: o.seed,
      },
      split: { validationShare: o.validationShare, testShare: o.testShare, salt: o.splitSalt },
      skipInvalid: o.skipInvalid,
      ...(o.gateFans ? { gateFans: o.gateFans } : {}),
      gateScope: o.gateScope,
      ...(o.gateJudgments ? { gateJudgments: o.gateJudgments } : {}),
      gate: { k: o.k, metric: o.gateMetric, minImprovement: o.minImprovement, maxRegression: o.maxRegression, confidence: o.confidence, bootstrap: DEFAULT_GATE.bootstrap, seed: DEFAULT_GATE.seed },
      publish: o.publish !== false,
      tuneFusion: o.tuneFusion,
      progress: cli.progress(),
      log: cli.output.format === 'human' ? (line) => err(line + '\n') : (line) => cli.output.log.info(line),
    });
    if (o.json) await fs.writeFile(o.json, JSON.stringify(report, null, 2) + '\n');
    out(formatGate(decision) + '\n');
    out(`trained in ${report.seconds.train.toFixed(1)} s (embedding ${report.seconds.embed.toFixed(1)} s, fusion ${report.seconds.fusion.toFixed(1)} s, gate ${report.seconds.gate.toFixed(1)} s, total ${report.seconds.total.toFixed(1)} s)\n`);
    if (report.published) {
      out(`published ${report.written.version} (CURRENT in ${o.out})\n`);
      return 0;
    }
    if (decision.ok) {
      out(`version ${report.written.version} written to ${report.written.dir}, not published (--no-publish); to publish: npm run index:rollback -- --out ${o.out} --to ${report.written.version}\n`);
      return 0;
    }
    out(`version written, not published: ${report.written.version} in ${report.written.dir}; CURRENT still names ${decision.baseline.version}\n`);
    return 3;
  });
}

if (require.main === module) {
  // A rejection (a bug: main answers its errors) is unhandled and ends the process with its stack.
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
