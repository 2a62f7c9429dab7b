/**
 * npm run train: interactions → adapter → new index version → release gate → publish (or not).
 * The orchestration lives here (used by the CLI and the tests); the algorithm is train-adapter.ts.
 */
import { readFans, readJudgments, type Fan, type GradedJudgments } from '../eval/fans';
import { noProgress, type Progress } from './cli-util';
import { adapterGate, DEFAULT_GATE, type GateDecision, type GateOptions } from './gate';
import { engagementGate, readInteractions, type GateScope, type HeldOutSet, type InteractionSet } from './interactions';
import { DEFAULT_FAN_SPLIT, type FanSplitOptions } from './split';
import { DEFAULT_TRAIN_CONFIG, trainAdapter, type EpochStats, type TrainConfig, type TrainResult } from './train-adapter';
import { buildTrainData, embedGroupTexts } from './train-data';
import { tuneFusion, type FusionTuning } from './tune-fusion';
import { publishVersion, readCurrent, readVersion, writeAdaptedVersion, type WrittenVersion } from './version-io';
import type { FusionParams } from '../../src/index/manifest';

export interface TrainRunOptions {
  indexDir: string;
  /** Version of --index to train on (default: CURRENT). */
  baseVersion?: string;
  interactions: string;
  out: string;
  config: Partial<TrainConfig>;
  split: FanSplitOptions;
  skipInvalid: boolean;
  /** Held-out fans for the gate (default: the test split of the interactions, graded by engagement). */
  gateFans?: string;
  gateJudgments?: string;
  /**
   * What the engagement gate (the test split, no --gate-fans) ranks: 'logged' = each fan's
   * logged exposures (engaged or shown and ignored), 'catalog' = the whole catalog.
   */
  gateScope: GateScope;
  gate: Omit<GateOptions, 'fans' | 'judgments' | 'logged'>;
  /** false: write the version and run the gate, but never switch CURRENT. */
  publish: boolean;
  /** true: also choose the hybrid fusion with the adapter on the validation split (tune-fusion.ts); default: keep the base version's. */
  tuneFusion?: boolean;
  modelsDir?: string;
  progress?: Progress;
  log?: (line: string) => void;
}

export interface TrainRunReport {
  base: { indexDir: string; version: string };
  data: {
    files: InteractionSet['files'];
    sha256: string;
    lines: number;
    badLines: number;
    splitSource: InteractionSet['splitSource'];
    splits: Record<'train' | 'validation' | 'test', { fans: number; queries: number; positives: number; negatives: number }>;
    unknownCreators: { train: number; validation: number };
    droppedGroups: number;
    /** Share of held-out (test) text queries whose exact text also occurs in training. */
    testTextsSeenInTraining: number | null;
  };
  config: TrainConfig;
  training: Omit<TrainResult, 'adapter'>;
  /** The hybrid fusion chosen with the adapter on the validation split (null: without --tune-fusion, or not hybrid). */
  fusion: FusionTuning | null;
  written: Omit<WrittenVersion, 'manifest'>;
  gate: Omit<GateDecision, 'baselineReport' | 'candidateReport'> & { perLanguage: Record<string, { fans: number; baseline: number | undefined; candidate: number | undefined }> };
  published: boolean;
  seconds: { embed: number; train: number; fusion: number; write: number; gate: number; total: number };
}

export async function runTraining(opts: TrainRunOptions): Promise<{ report: TrainRunReport; decision: GateDecision }> {
  const log = opts.log ?? (() => undefined);
  const bar = opts.progress ?? noProgress;
  const t0 = performance.now();
  const base = await readVersion(opts.indexDir, opts.baseVersion);
  const set = await readInteractions(opts.interactions, { split: opts.split, skipInvalid: opts.skipInvalid, progress: bar });
  const splits = Object.fromEntries(
    (['train', 'validation', 'test'] as const).map((s) => {
      const gs = set.groups[s];
      return [s, { fans: new Set(gs.map((g) => g.fanId)).size, queries: gs.length, positives: gs.reduce((n, g) => n + g.positives.size, 0), negatives: gs.reduce((n, g) => n + g.negatives.size, 0) }];
    }),
  ) as TrainRunReport['data']['splits'];
  log(
    `data: ${set.lines} lines (${set.bad.count} bad), split ${set.splitSource === 'prepared' ? 'as given' : 'by fan hash here'}; ` +
      (['train', 'validation', 'test'] as const).map((s) => `${s} ${splits[s].fans} fans / ${splits[s].positives} positives / ${splits[s].negatives} negatives`).join(', '),
  );
  if (splits.train.positives === 0) throw new Error(`no training positives in ${opts.interactions}`);
  if (splits.validation.positives === 0) throw new Error(`no validation positives in ${opts.interactions}; early stopping needs a validation split (raise --validation-share, or check the cutoff of data:prepare)`);

  // Embed every query text once with the base version's model.
  const tEmbed = performance.now();
  const all = [...set.groups.train, ...set.groups.validation, ...set.groups.test];
  bar.start('embedding queries', 1);
  const texts = await embedGroupTexts(base, all, {
    ...(opts.modelsDir ? { modelsDir: opts.modelsDir } : {}),
    onProgress: (done, total) => {
      bar.setTotal(total);
      bar.update(done);
    },
  });
  bar.stop();
  const embedSeconds = (performance.now() - tEmbed) / 1000;
  const built = buildTrainData(base, set.groups.train, set.groups.validation, texts);
  const trainTexts = new Set(set.groups.train.filter((g) => g.kind === 'text').map((g) => g.text!));
  const testTexts = set.groups.test.filter((g) => g.kind === 'text').map((g) => g.text!);

  // Train.
  const config: TrainConfig = { ...DEFAULT_TRAIN_CONFIG, ...opts.config };
  const tTrain = performance.now();
  const result = trainAdapter({ dims: base.dims, count: base.count, vectors: base.vectors, train: built.train, validation: built.validation, validationGroups: built.validationGroups }, config, {
    onEpochStart: (epoch, steps) => bar.start(`epoch ${epoch}`, steps),
    onStep: (step) => {
      if (step % 8 === 0) bar.update(step);
    },
    onEpochEnd: (s: EpochStats) => {
      bar.stop();
      log(
        s.epoch === 0
          ? `epoch 0 (identity): validation loss ${s.validation.loss?.toFixed(4) ?? 'n/a'}, NDCG@${config.evalK} ${s.validation.ndcg.toFixed(4)}, recall ${s.validation.recall.toFixed(4)} on ${s.validation.queries} fans`
          : `epoch ${s.epoch.toFixed(2)}: loss ${s.loss.toFixed(4)}, penalty ${s.penalty.toFixed(4)}, validation loss ${s.validation.loss?.toFixed(4) ?? 'n/a'}, NDCG@${config.evalK} ${s.validation.ndcg.toFixed(4)}, recall ${s.validation.recall.toFixed(4)}${s.improved ? ' (best)' : ''}, ${s.seconds.toFixed(1)} s`,
      );
    },
  });
  const trainSeconds = (performance.now() - tTrain) / 1000;
  log(
    `kept the state at epoch ${result.bestEpoch}${result.bestEpoch === 0 ? ' (the identity: no check beat the frozen encoder on validation)' : ''}: ` +
      `validation loss ${result.before.loss?.toFixed(4) ?? 'n/a'} -> ${result.after.loss?.toFixed(4) ?? 'n/a'}, NDCG@${config.evalK} ${result.before.ndcg.toFixed(4)} -> ${result.after.ndcg.toFixed(4)} (early stopping on ${config.earlyStopping})`,
  );

  const kinds = [...new Set(built.train.map((g) => (g.exclude.length > 0 ? 'like' : 'text')))] as Array<'text' | 'like'>;

  // The hybrid fusion, with the new adapter, on the validation split.
  const gateOpts = { ...DEFAULT_GATE, ...opts.gate };
  const tFusion = performance.now();
  let fusion: FusionTuning | undefined;
  if (opts.tuneFusion === true) {
    // Judged like the gate: each validation fan's logged exposures (with --gate-scope logged).
    const validation = engagementGate(set.groups.validation, opts.gateScope);
    bar.start('fusion settings', 1);
    fusion = await tuneFusion({
      indexDir: base.indexDir,
      version: base.version,
      adapter: result.adapter,
      appliesTo: kinds,
      fans: validation.fans,
      judgments: validation.judgments,
      logged: validation.logged,
      k: gateOpts.k,
      metric: gateOpts.metric,
      minImprovement: gateOpts.minImprovement,
      modelsDir: opts.modelsDir,
      onProgress: (done, total) => {
        bar.setTotal(total);
        bar.update(done);
      },
    });
    bar.stop();
    if (fusion) {
      const describe = (f: FusionParams): string => `lexical weight ${f.wLex}, feedback ${f.feedbackM > 0 ? `m ${f.feedbackM} beta ${f.feedbackBeta}` : 'off'}, centroid smoothing ${f.centroidGamma ?? 0}`;
      log(
        `fusion: ${fusion.settings} settings on ${fusion.fans} validation fans, ${fusion.objective}@${gateOpts.k} ${fusion.base.value.toFixed(4)} (base setting) -> best ${fusion.best.value.toFixed(4)}; ` +
          (fusion.changed ? `recorded the best: ${describe(fusion.chosen)}` : `kept the base setting (the best gains less than ${gateOpts.minImprovement})`),
      );
    }
  }
  const fusionSeconds = (performance.now() - tFusion) / 1000;

  // Write the version.
  const tWrite = performance.now();
  const written = await writeAdaptedVersion(base, opts.out, result.adapter, {
    appliesTo: kinds.sort(),
    baseVersion: base.version,
    trainedAt: new Date().toISOString(),
    trainingData: { sha256: set.sha256, files: set.files, pairs: set.lines - set.bad.count, queries: built.train.length, fans: splits.train.fans },
    hyperParameters: { ...config, objective: 'multi-positive InfoNCE, in-batch + hard negatives', init: 'U = 0, V ~ N(0, 1/r)', optimiser: 'Adam' },
    validation: {
      metric: config.earlyStopping === 'loss' ? 'infonce-loss' : `ndcg@${config.evalK}`,
      before: { ...result.before },
      after: { ...result.after },
      bestEpoch: result.bestEpoch,
      epochs: result.history.length - 1,
      history: result.history.map((h) => ({ epoch: h.epoch, loss: Number.isFinite(h.loss) ? h.loss : null, validationLoss: h.validation.loss ?? null, ndcg: h.validation.ndcg, recall: h.validation.recall })),
    },
  }, fusion?.changed && base.manifest.retrieval ? { ...base.manifest.retrieval, fusion: fusion.chosen, chosenBy: `npm run train: best ${fusion.objective}@${gateOpts.k} of ${fusion.settings} settings with the adapter on ${fusion.fans} validation fans (base version ${base.version})` } : undefined);
  const writeSeconds = (performance.now() - tWrite) / 1000;
  log(`wrote version ${written.version} to ${written.dir}${written.copiedUpdateLog ? ' (with the base version\'s update log)' : ''}`);

  // Gate: against the version it would replace (CURRENT of --out, else the base version).
  const tGate = performance.now();
  const replaced = (await readCurrent(opts.out)) ?? undefined;
  const baselineRef = replaced && replaced !== written.version ? { indexDir: opts.out, version: replaced } : { indexDir: opts.indexDir, version: base.version };
  let fans: Fan[];
  let judgments: GradedJudgments | undefined;
  let logged: HeldOutSet['shown'] | undefined;
  if (opts.gateFans) {
    fans = await readFans(opts.gateFans);
    judgments = opts.gateJudgments ? await readJudgments(opts.gateJudgments) : undefined;
  } else {
    ({ fans, judgments, logged } = engagementGate(set.groups.test, opts.gateScope));
  }
  if (fans.length === 0) throw new Error('no held-out fans for the release gate (the test split is empty); raise --test-share or pass --gate-fans');
  const decision = await adapterGate(baselineRef, { indexDir: opts.out, version: written.version }, base.manifest.model ? { id: base.manifest.model.id, dtype: base.manifest.model.dtype } : null, {
    ...gateOpts,
    fans,
    ...(judgments ? { judgments } : {}),
    ...(logged ? { logged } : {}),
    ...(opts.modelsDir ? { modelsDir: opts.modelsDir } : {}),
  });
  const gateSeconds = (performance.now() - tGate) / 1000;
  let published = false;
  if (decision.ok && opts.publish) {
    await publishVersion(opts.out, written.version);
    published = true;
  }
  const { baselineReport, candidateReport, ...gate } = decision;
  const perLanguage: TrainRunReport['gate']['perLanguage'] = {};
  for (const [l, c] of Object.entries(candidateReport.perLanguage)) {
    const system = decision.regressions.system;
    perLanguage[l] = { fans: c.fans, baseline: baselineReport.perLanguage[l]?.systems[system]?.[decision.metric], candidate: c.systems[system]?.[decision.metric] };
  }
  const { adapter: _adapter, ...training } = result;
  const { manifest: _manifest, ...writtenInfo } = written;
  const report: TrainRunReport = {
    base: { indexDir: opts.indexDir, version: base.version },
    data: {
      files: set.files,
      sha256: set.sha256,
      lines: set.lines,
      badLines: set.bad.count,
      splitSource: set.splitSource,
      splits,
      unknownCreators: built.unknownCreators,
      droppedGroups: built.droppedGroups,
      testTextsSeenInTraining: testTexts.length ? testTexts.filter((t) => trainTexts.has(t)).length / testTexts.length : null,
    },
    config,
    training,
    written: writtenInfo,
    gate: { ...gate, perLanguage },
    published,
    fusion: fusion ?? null,
    seconds: { embed: embedSeconds, train: trainSeconds, fusion: fusionSeconds, write: writeSeconds, gate: gateSeconds, total: (performance.now() - t0) / 1000 },
  };
  return { report, decision };
}

export { DEFAULT_FAN_SPLIT, DEFAULT_GATE, DEFAULT_TRAIN_CONFIG };
