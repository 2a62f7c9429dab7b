#!/usr/bin/env node
/**
 * npm run learning:gate -- --index DIR --candidate VERSION (--fans FILE [--judgments FILE] |
 * --interactions DIR|FILE): the release gate of `npm run train` on its own, e.g. on crowd labels
 * of pooled candidates (labels:export --versions OLD,NEW → raters → labels:import) after a
 * `train --no-publish`, or on the held-out engagement of a data:prepare output as train judges it.
 */
import { InvalidArgumentError, Option } from 'commander';
import { readFans, readJudgments } from '../eval/fans';
import { UsageError } from '../cli/cli-kit';
import { nonNegativeNumber, positiveInt, program, runCli, type CommonOptions } from './cli-util';
import { adapterGate, DEFAULT_GATE, formatGate, type GateMetric } from './gate';
import { engagementGate, readInteractions, type GateScope } from './interactions';
import { DEFAULT_FAN_SPLIT } from './split';
import { publishVersion, readVersionCreators, resolveVersion } from './version-io';

const confidence = (value: string): number => {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || n >= 1) throw new InvalidArgumentError('must be in [0, 1) (0 turns the significance check off)');
  return n;
};

/** The parsed options (commander's opts() is untyped). */
interface GateCliOptions extends CommonOptions {
  index: string;
  candidate: string;
  baseline?: string;
  fans?: string;
  judgments?: string;
  interactions?: string;
  gateScope: GateScope;
  k: number;
  /** One of the --gate-metric choices (commander checks them). */
  gateMetric: GateMetric;
  minImprovement: number;
  maxRegression: number;
  confidence: number;
  /** false with --no-publish. */
  publish: boolean;
}

export async function main(argv: string[], out: (s: string) => void = (s) => process.stdout.write(s)): Promise<number> {
  const cmd = program('learning:gate', 'Release gate: evaluate a candidate version against the published one on held-out fans and publish it only if it is better (exit 0), else exit 3.')
    .requiredOption('--index <dir>', 'index directory of the candidate (CURRENT there is switched if it passes)')
    .requiredOption('--candidate <version>', 'candidate version in --index')
    .option('--baseline <version>', 'version it would replace (default: CURRENT of --index)')
    .option('--fans <file>', 'held-out fans (eval fans format)')
    .option('--judgments <file>', 'graded judgments for --fans (e.g. from labels:import); default: the fans\' expected_categories / relevant_creator_ids')
    .option('--interactions <dir|file>', 'instead of --fans: judge by the held-out (test) engagement of a data:prepare output or interactions file, as npm run train does')
    .addOption(new Option('--gate-scope <s>', "with --interactions: rank each fan's logged exposures, or the whole catalog").choices(['logged', 'catalog']).default('logged'))
    .option('--k <n>', 'cut-off', positiveInt, DEFAULT_GATE.k)
    .addOption(new Option('--gate-metric <m>', 'metric that must rise').choices(['ndcg', 'precision']).default(DEFAULT_GATE.metric))
    .option('--min-improvement <x>', 'smallest rise that publishes (absolute)', nonNegativeNumber, DEFAULT_GATE.minImprovement)
    .option('--max-regression <x>', 'largest allowed drop of any served-model metric', nonNegativeNumber, DEFAULT_GATE.maxRegression)
    .option('--confidence <x>', 'the bootstrap interval of the rise at this level must exclude 0', confidence, DEFAULT_GATE.confidence)
    .option('--no-publish', 'only report');
  return runCli<GateCliOptions>(cmd, argv, async (o) => {
    if ((o.fans === undefined) === (o.interactions === undefined)) throw new UsageError('give one of --fans FILE or --interactions DIR|FILE');
    if (o.judgments && !o.fans) throw new UsageError('--judgments needs --fans');
    const held = o.interactions ? engagementGate((await readInteractions(o.interactions, { split: DEFAULT_FAN_SPLIT })).groups.test, o.gateScope) : undefined;
    const baseline = await resolveVersion(o.index, o.baseline);
    const { manifest } = await readVersionCreators(o.index, o.candidate);
    const decision = await adapterGate({ indexDir: o.index, version: baseline }, { indexDir: o.index, version: o.candidate }, manifest.model ? { id: manifest.model.id, dtype: manifest.model.dtype } : null, {
      ...DEFAULT_GATE,
      k: o.k,
      metric: o.gateMetric,
      minImprovement: o.minImprovement,
      maxRegression: o.maxRegression,
      confidence: o.confidence,
      ...(held ? held : { fans: await readFans(o.fans!), ...(o.judgments ? { judgments: await readJudgments(o.judgments) } : {}) }),
    });
    out(formatGate(decision) + '\n');
    if (!decision.ok) {
      out(`not published: CURRENT still names ${baseline}\n`);
      return 3;
    }
    if (o.publish !== false) {
      await publishVersion(o.index, o.candidate);
      out(`published ${o.candidate} (CURRENT in ${o.index})\n`);
    }
    return 0;
  });
}

if (require.main === module) {
  // A rejection (a bug: main answers its errors) is unhandled and ends the process with its stack.
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
