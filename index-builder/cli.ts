#!/usr/bin/env node
import { Command, InvalidArgumentError, Option } from 'commander';
import { cliOutput, logFormatOf, withCommonOptions } from '../tools/cli/cli-kit';
import { progressHooks } from './build-progress';
import { buildIndex, ReleaseGateError, type BuildOptions, type BuildReport } from './build-index';
import { buildToPg, type BuildToPgReport } from './build-to-pg';
import { readFusionFile } from '../tools/eval/fusion-file';
import { DEFAULT_FUSION } from '../src/match/fusion-defaults';
import { RETRIEVAL_MODES, type ServedRetrieval } from '../src/index/manifest';

const positiveInt = (name: string) => (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError(`${name} must be a positive integer`);
  return n;
};
const fraction = (value: string): number => {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || n > 1) throw new InvalidArgumentError('must be a number between 0 and 1');
  return n;
};

/** What commander parses from the command line (the options above). */
interface BuildCliOptions {
  input: string;
  out: string;
  model?: string;
  dtype: 'fp32' | 'q8';
  modelsDir?: string;
  allowRemoteModels: boolean;
  m: number;
  efConstruction: number;
  threads?: number;
  embedWorkers?: number;
  embedThreads?: number;
  embedInFlight?: number;
  efSearch: number;
  seed: number;
  minRecall: number;
  recallSample: number;
  skipInvalid: boolean;
  publish: boolean;
  keep?: number;
  format?: 'jsonl' | 'csv';
  delimiter?: string;
  retrieval?: ServedRetrieval;
  fusion?: string;
  evalFans?: string;
  maxRegression: number;
  pg?: string;
  pgIndex: string;
  pgEfConstruction?: number;
  pgMinRecall: number;
  json: boolean;
  progress: boolean;
  logFormat?: string;
}

export async function main(argv: string[]): Promise<number> {
  const program = withCommonOptions(new Command())
    .name('index:build')
    .description('Embed creator profiles, build an HNSW index and publish it as a new version of DIR.')
    .requiredOption('--input <file>', 'creators JSONL (or .csv), one creator per line')
    .requiredOption('--out <dir>', 'index directory; the version goes to DIR/<version>/ and DIR/CURRENT points at it')
    .option('--model <id>', 'embedding model: the bundled default, a transformers.js model id or a local directory')
    .addOption(new Option('--dtype <dtype>', 'model weights').choices(['fp32', 'q8']).default('q8'))
    .option('--models-dir <dir>', 'where local models live (default: <repo>/models)')
    .option('--allow-remote-models', 'allow downloading --model from the Hugging Face hub', false)
    .option('--m <n>', 'HNSW M (links per node)', positiveInt('--m'), 16)
    .option('--ef-construction <n>', 'HNSW efConstruction', positiveInt('--ef-construction'), 200)
    .option('--threads <n>', 'HNSW insert threads (default: every core; 1 = byte-identical rebuilds)', positiveInt('--threads'))
    .option('--embed-workers <n>', 'threads that embed profiles, each with its own model session (default: every core, at most 4; 1 = this thread only)', positiveInt('--embed-workers'))
    .option('--embed-threads <n>', 'ONNX Runtime intra-op threads per embedding thread (default: 1 with several, else every core, at most 8)', positiveInt('--embed-threads'))
    .option('--embed-in-flight <n>', 'chunks of 256 profiles being embedded at once (default: one per embedding thread)', positiveInt('--embed-in-flight'))
    .option('--ef-search <n>', 'HNSW ef used at query time and for the recall check', positiveInt('--ef-search'), 64)
    .option('--seed <n>', 'random seed for HNSW levels and the recall sample', positiveInt('--seed'), 100)
    .option('--min-recall <r>', 'refuse to publish below this recall@10', fraction, 0.95)
    .option('--recall-sample <n>', 'creators used as recall queries', positiveInt('--recall-sample'), 500)
    .option('--skip-invalid', 'skip invalid lines (they are counted and listed) instead of failing', false)
    .option('--no-publish', 'write the version but do not switch CURRENT')
    .option('--keep <n>', 'keep the n newest versions (and the published one); delete older ones', positiveInt('--keep'))
    .addOption(new Option('--format <format>', 'input format (default: by file extension)').choices(['jsonl', 'csv']))
    .option('--delimiter <char>', 'CSV cell separator (default ","; e.g. ";")', (v: string) => {
      if (v.length !== 1 || v === '"' || v === '\n' || v === '\r') throw new InvalidArgumentError('must be one character other than a quote or a line break');
      return v;
    })
    .addOption(new Option('--retrieval <mode>', 'the retrieval mode a request without one gets (default: hybrid)').choices([...RETRIEVAL_MODES]))
    .option('--fusion <file>', 'the hybrid fusion to record in the manifest: a fusion file, as npm run eval -- --sweep-fusion --write FILE writes it (default: the built-in default)')
    .option('--eval-fans <file>', 'release gate: evaluate the served mode on these fans (see npm run eval) against the published version\'s; publish only without regression')
    .option('--max-regression <d>', 'release gate: largest allowed drop of P/R/NDCG@10, MRR or ANN recall (absolute)', fraction, 0.01)
    .option('--pg <url>', 'also load the version into PostgreSQL + pgvector (postgres://…, the primary) and publish it there (see README "PostgreSQL backend")')
    .option('--pg-index <name>', 'with --pg: the published index name to switch', 'default')
    .option('--pg-ef-construction <n>', 'with --pg: ef_construction of the pgvector HNSW index (default min(--ef-construction, 64))', positiveInt('--pg-ef-construction'))
    .option('--pg-min-recall <r>', 'with --pg: refuse the PostgreSQL copy below this recall@10', fraction, 0.9)
    .option('--json', 'print the build report as JSON', false)
    .option('--no-progress', 'no progress bar')
    .exitOverride();

  try {
    program.parse(argv, { from: 'user' });
  } catch (err) {
    const code = (err as { exitCode?: number }).exitCode;
    return code ?? 2;
  }
  const o = program.opts<BuildCliOptions>();
  const out = cliOutput('index-builder', logFormatOf(o.logFormat));
  let retrieval: BuildOptions['retrieval'];
  if (o.fusion || o.retrieval) {
    try {
      const file = o.fusion ? await readFusionFile(o.fusion) : { fusion: DEFAULT_FUSION, chosenBy: 'default' };
      retrieval = { default: o.retrieval ?? 'hybrid', fusion: file.fusion, chosenBy: o.retrieval ? `${file.chosenBy}; default mode ${o.retrieval} by --retrieval` : file.chosenBy };
    } catch (err) {
      return out.fail('index:build', err);
    }
  }
  const options: BuildOptions = {
    ...(retrieval ? { retrieval } : {}),
    input: o.input,
    out: o.out,
    model: o.model,
    dtype: o.dtype,
    modelsDir: o.modelsDir,
    allowRemoteModels: o.allowRemoteModels,
    m: o.m,
    efConstruction: o.efConstruction,
    threads: o.threads,
    embedWorkers: o.embedWorkers,
    embedThreads: o.embedThreads,
    embedInFlight: o.embedInFlight,
    efSearch: o.efSearch,
    seed: o.seed,
    minRecall: o.minRecall,
    recallSample: o.recallSample,
    skipInvalid: o.skipInvalid,
    publish: o.publish,
    keep: o.keep,
    format: o.format,
    delimiter: o.delimiter,
    evalFans: o.evalFans,
    maxRegression: o.maxRegression,
  };
  const log = out.log;
  const hooks = progressHooks(out, Boolean(o.progress));
  try {
    const report: BuildReport & Partial<Pick<BuildToPgReport, 'pg'>> = o.pg
      ? await buildToPg(options, { url: o.pg, indexName: o.pgIndex, minRecall: o.pgMinRecall, ...(o.pgEfConstruction ? { efConstruction: o.pgEfConstruction } : {}), log: (msg, fields) => log.info(fields ?? {}, msg) }, hooks)
      : await buildIndex(options, hooks);
    hooks.stop();
    log.info({ version: report.version, published: report.published, count: report.count, dims: report.dims, model: report.modelId, recall: report.recall.value, seconds: report.seconds.total, skipped: report.skipped.length }, 'index built');
    if (o.json) {
      process.stdout.write(JSON.stringify(report, (key, v: unknown) => (key === "perFan" ? undefined : v), 2) + '\n');
    } else {
      const lines = [
        `version     ${report.version}${report.published ? ' (published: CURRENT points at it)' : ' (not published)'}`,
        `directory   ${report.dir}`,
        `creators    ${report.count}${report.skipped.length ? ` (${report.skipped.length} invalid lines skipped)` : ''}`,
        `model       ${report.modelId ?? '(vectors provided with the input)'}, ${report.dims} dims`,
        `recall@10   ${report.recall.value.toFixed(4)} on ${report.recall.sampleSize} sampled creators`,
        `retrieval   ${retrieval ? `${retrieval.default} by default; fusion chosen by: ${retrieval.chosenBy}` : 'hybrid by default; fusion: the built-in default'}`,
        `time        ${report.seconds.total.toFixed(1)} s (read ${report.seconds.read.toFixed(1)} s, embed ${report.seconds.embed.toFixed(1)} s, insert ${report.seconds.insert.toFixed(1)} s, recall ${report.seconds.recall.toFixed(1)} s, write ${report.seconds.write.toFixed(1)} s)`,
        ...(report.gate
          ? [
              `gate        ${report.gate.ok ? 'passed' : 'REGRESSED'}${report.gate.baseline ? ` against ${report.gate.baseline}` : ''} (max regression ${o.maxRegression})`,
              ...report.gate.summary.split('\n').map((l) => `            ${l}`),
            ]
          : []),
        ...(report.pg
          ? [
              `postgresql  table ${report.pg.table}${report.pg.published ? `, published as ${JSON.stringify(o.pgIndex)}${report.pg.previous ? ` (was ${report.pg.previous})` : ''}` : ' (not published)'}, recall@10 ${report.pg.recall.value.toFixed(4)}, ${(report.pg.bytes.total / 2 ** 20).toFixed(1)} MiB`,
              `            copy ${report.pg.seconds.copy.toFixed(1)} s, HNSW ${report.pg.seconds.index.toFixed(1)} s, validate ${report.pg.seconds.validate.toFixed(1)} s`,
            ]
          : []),
        ...(report.pruned.length ? [`pruned      ${report.pruned.join(', ')}`] : []),
        ...report.skipped.slice(0, 20).map((s) => `skipped     line ${s.line}: ${s.reason}`),
      ];
      process.stdout.write(lines.join('\n') + '\n');
    }
    return 0;
  } catch (err) {
    hooks.stop();
    const code = out.fail('index:build', err);
    if (err instanceof ReleaseGateError) {
      if (out.format === 'human') process.stderr.write(err.gate.summary + '\n');
      return 3;
    }
    return code;
  }
}

if (require.main === module) {
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
