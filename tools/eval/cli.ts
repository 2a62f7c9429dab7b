#!/usr/bin/env node
import { promises as fs } from 'node:fs';
import { Command, InvalidArgumentError, Option } from 'commander';
import { readFans, readJudgments } from './fans';
import { evaluateIndex, type EvalStage, type QueryMode } from './evaluate';
import { formatReport, reportJson } from './report';
import { describeFusion, sweepFusion, type SweepObjective, type SweepReport } from './sweep';
import { writeFusionFile } from './fusion-file';
import { loadIndexVersion } from '../../src/index/loaded-index';
import { cliOutput, logFormatOf, withCommonOptions, type CliOutput } from '../cli/cli-kit';

const positiveInt = (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('must be a positive integer');
  return n;
};
const nonNegativeInt = (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('must be a non-negative integer');
  return n;
};
const fraction = (value: string): number => {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || n > 1) throw new InvalidArgumentError('must be a number between 0 and 1');
  return n;
};

/** The parsed options (commander's opts() is untyped). */
interface EvalOptions {
  index: string;
  fans: string;
  version?: string;
  k: number;
  query: QueryMode;
  creators?: string;
  diversity?: number;
  maxPerCategory?: number;
  json?: string | true;
  perFan: boolean;
  logFormat?: string;
  judgments?: string;
  /** false with --no-adapter. */
  adapter: boolean;
  sweepFusion: boolean;
  sweepObjective: SweepObjective;
  write?: string;
  /** false with --no-progress. */
  progress: boolean;
}

/** npm run eval -- --index DIR --fans FILE: offline relevance of one index version. */
export async function main(argv: string[], out: (s: string) => void = (s) => process.stdout.write(s)): Promise<number> {
  const program = withCommonOptions(new Command(), '-V')
    .name('eval')
    .description('Offline relevance evaluation of every retrieval mode (dense = model, lexical, hybrid, the served default) vs exact search vs BM25, plus ANN recall; or a sweep over the hybrid fusion (see docs/RELEVANCE.md).')
    .requiredOption('--index <dir>', 'index directory (evaluates the version CURRENT names unless --version)')
    .requiredOption('--fans <file>', 'fans JSONL with interest_text and/or follows, and expected_categories or relevant_creator_ids')
    .option('--version <version>', 'index version to evaluate (default: CURRENT)')
    .option('--k <n>', 'cut-off for P@k, R@k, NDCG@k, MRR and ANN recall@k', positiveInt, 10)
    .addOption(new Option('--query <mode>', 'what to query with: auto = interest text if present, else follows').choices(['auto', 'text', 'follows']).default('auto'))
    .option('--creators <file>', 'creator input file, for the BM25 profile text (default: the bundled sample if the index came from it)')
    .option('--diversity <lambda>', 'also evaluate the model with MMR diversity λ', fraction)
    .option('--max-per-category <n>', 'also evaluate the model with this per-category cap', nonNegativeInt)
    .option('--json [file]', 'print the report as JSON (or write it to FILE and still print the table)')
    .option('--per-fan', 'include per-fan rows in the JSON', false)
    .option('--judgments <file>', 'graded judgments JSONL (fan_id, creator_id, grade 0-4, e.g. from npm run labels:import) instead of the fans\' categories; NDCG gains 2^grade - 1')
    .option('--no-adapter', 'do not apply the version\'s query adapter (default: applied to text and follows queries, as served)')
    .option('--sweep-fusion', 'instead of the report: evaluate hybrid retrieval under a grid of fusion settings and print the best', false)
    .addOption(new Option('--sweep-objective <metric>', 'what the sweep maximises (at --k; p5 = precision at 5)').choices(['ndcg', 'precision', 'p5', 'mrr']).default('ndcg'))
    .option('--write <file>', 'with --sweep-fusion: write the best setting as a fusion file for index:build --fusion FILE')
    .option('--no-progress', 'no progress bar (there is one only on a terminal, in human log format)')
    .exitOverride();
  try {
    program.parse(argv, { from: 'user' });
  } catch (err) {
    return (err as { exitCode?: number }).exitCode ?? 2;
  }
  const o = program.opts<EvalOptions>();
  try {
    const index = await loadIndexVersion(o.index, o.version);
    try {
      const fans = await readFans(o.fans);
      if (o.sweepFusion) return await sweep(index, fans, o, out);
      const rerank = o.diversity !== undefined || o.maxPerCategory !== undefined ? { diversity: o.diversity ?? 0, maxPerCategory: o.maxPerCategory ?? 0 } : undefined;
      const judgments = o.judgments ? await readJudgments(o.judgments) : undefined;
      const progress = evalProgress(o);
      const report = await evaluateIndex(index, fans, {
        onProgress: progress.update,
        k: o.k,
        queryMode: o.query,
        ...(rerank ? { rerank } : {}),
        ...(o.creators ? { creatorsFile: o.creators } : {}),
        ...(judgments ? { judgments } : {}),
        ...(o.adapter === false ? { adapter: null } : {}),
      }).finally(progress.stop);
      const json = JSON.stringify(reportJson(report, o.perFan), null, 2) + '\n';
      if (o.json === true) out(json);
      else {
        if (typeof o.json === 'string') await fs.writeFile(o.json, json);
        const notes = [
          report.adapter ? `query adapter: rank ${report.adapter.rank}, applied to ${report.adapter.appliesTo.join(' and ')} queries (--no-adapter to evaluate without it)` : '',
          report.judgments === 'graded' ? `judgments: graded, from ${o.judgments} (NDCG gains 2^grade - 1)` : '',
        ].filter(Boolean);
        out(formatReport(report) + '\n' + notes.map((n) => n + '\n').join(''));
      }
      return report.fans.evaluated > 0 ? 0 : 1;
    } finally {
      await index.hnsw.close();
    }
  } catch (err) {
    return cliOutput('eval', logFormatOf(o.logFormat)).fail('eval', err);
  }
}

async function sweep(index: Awaited<ReturnType<typeof loadIndexVersion>>, fans: Awaited<ReturnType<typeof readFans>>, o: EvalOptions, out: (s: string) => void): Promise<number> {
  const judgments = o.judgments ? await readJudgments(o.judgments) : undefined;
  const report = await sweepFusion(index, fans, {
    k: o.k,
    queryMode: o.query,
    objective: o.sweepObjective,
    ...(judgments ? { judgments } : {}),
    // A progress line on a terminal only.
    ...(process.stderr.isTTY ? { onProgress: (done: number, total: number) => process.stderr.write(`\rsweep: ${done}/${total} settings${done === total ? '\n' : ''}`) } : {}),
  });
  const name = o.sweepObjective === 'p5' ? 'P@5' : `${{ ndcg: 'NDCG', precision: 'P', mrr: 'MRR' }[o.sweepObjective]}${o.sweepObjective === 'mrr' ? '' : `@${report.k}`}`;
  const chosenBy = `npm run eval -- --sweep-fusion: best ${name} of ${report.rows.length} settings on ${o.fans} (${report.fans} fans), version ${report.version}`;
  if (o.write) await writeFusionFile(o.write, report.best.fusion, chosenBy, sweepSummary(report, o.fans));
  if (o.json === true) {
    out(JSON.stringify(report, null, 2) + '\n');
  } else {
    if (typeof o.json === 'string') await fs.writeFile(o.json, JSON.stringify(report, null, 2) + '\n');
    const row = (label: string, r: SweepReport['best']): string =>
      `${label.padEnd(9)}${r.value.toFixed(4).padStart(8)}  P@5 ${r.metrics.p5.toFixed(4)}  P@${report.k} ${r.metrics.precision.toFixed(4)}  NDCG@${report.k} ${r.metrics.ndcg.toFixed(4)}  MRR ${r.metrics.mrr.toFixed(4)}  ${describeFusion(r.fusion)}`;
    const lines = [
      `sweep of ${report.rows.length} hybrid fusion settings on ${report.version}, ${report.fans} fans, objective ${name}`,
      row('current', report.current),
      ...report.rows.slice(0, 10).map((r, i) => row(`#${i + 1}`, r)),
      `best - current: ${(report.best.value - report.current.value >= 0 ? '+' : '') + (report.best.value - report.current.value).toFixed(4)} ${name}` +
        (o.write ? `; written to ${o.write} (index:build -- --fusion ${o.write})` : ' (--write FILE to keep it)'),
      'note: a sweep tunes on these fans; check the setting on other fans before building with it (docs/RELEVANCE.md)',
    ];
    out(lines.join('\n') + '\n');
  }
  return report.fans > 0 ? 0 : 1;
}

/** A progress bar per stage of the evaluation (on a terminal in human mode, unless --no-progress). */
function evalProgress(o: EvalOptions): { update: (stage: EvalStage, done: number, total: number) => void; stop: () => void } {
  const cli = cliOutput('eval', logFormatOf(o.logFormat));
  let current: { stage: EvalStage; bar: ReturnType<CliOutput['progress']> } | undefined;
  const stop = (): void => {
    current?.bar.stop();
    current = undefined;
  };
  return {
    update(stage, done, total) {
      if (!o.progress) return;
      if (current?.stage !== stage) {
        stop();
        current = { stage, bar: cli.progress(stage, total) };
      }
      current.bar.update(done);
    },
    stop,
  };
}

/** What a fusion file records about the sweep that chose it (the best 10 settings). */
function sweepSummary(r: SweepReport, fans: string): unknown {
  return {
    objective: r.objective,
    k: r.k,
    fans,
    evaluatedFans: r.fans,
    version: r.version,
    settings: r.rows.length,
    current: { fusion: r.current.fusion, value: r.current.value },
    best: r.rows.slice(0, 10).map((x) => ({ fusion: x.fusion, value: x.value, metrics: x.metrics })),
  };
}

if (require.main === module) {
  // A rejection (a bug: main answers its errors) is unhandled and ends the process with its stack.
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
