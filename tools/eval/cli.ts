#!/usr/bin/env node
import { promises as fs } from 'node:fs';
import { Command, InvalidArgumentError, Option } from 'commander';
import { readFans, readJudgments } from './fans';
import { evaluateIndex, type QueryMode } from './evaluate';
import { formatReport, reportJson } from './report';
import { loadIndexVersion } from '../../src/index/loaded-index';
import { cliOutput, logFormatOf, withCommonOptions } from '../cli/cli-kit';

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
}

/** npm run eval -- --index DIR --fans FILE: offline relevance of one index version. */
export async function main(argv: string[], out: (s: string) => void = (s) => process.stdout.write(s)): Promise<number> {
  const program = withCommonOptions(new Command(), '-V')
    .name('eval')
    .description('Offline relevance evaluation of every retrieval mode (dense = model, lexical, hybrid, the served default) vs exact search vs BM25, plus ANN recall (see docs/RELEVANCE.md).')
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
      const rerank = o.diversity !== undefined || o.maxPerCategory !== undefined ? { diversity: o.diversity ?? 0, maxPerCategory: o.maxPerCategory ?? 0 } : undefined;
      const judgments = o.judgments ? await readJudgments(o.judgments) : undefined;
      const report = await evaluateIndex(index, fans, {
        k: o.k,
        queryMode: o.query,
        ...(rerank ? { rerank } : {}),
        ...(o.creators ? { creatorsFile: o.creators } : {}),
        ...(judgments ? { judgments } : {}),
        ...(o.adapter === false ? { adapter: null } : {}),
      });
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

if (require.main === module) {
  // A rejection (a bug: main answers its errors) is unhandled and ends the process with its stack.
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
