#!/usr/bin/env node
import { Command, InvalidArgumentError } from 'commander';
import { z } from 'zod';
import type { Filter } from '../../src/contract/creatormatch/v1/Filter';
import { filterSchema } from '../eval/fans';
import { countFanLines, runBatchMatch, type BatchProgress } from './batch-match';
import { CreatorMatchClient } from '../../clients/node/creator-match-client';
import { cliOutput, logFormatOf, ToolError, withCommonOptions } from '../cli/cli-kit';

const int = (min: number) => (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`must be an integer >= ${min}`);
  return n;
};
const fraction = (value: string): number => {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || n > 1) throw new InvalidArgumentError('must be a number between 0 and 1');
  return n;
};
const filterJson = (value: string): Filter => {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new InvalidArgumentError('must be a JSON object, e.g. \'{"languages":["en"]}\'');
  }
  const filter = filterSchema.safeParse(parsed);
  if (!filter.success) throw new InvalidArgumentError(`not a filter: ${z.prettifyError(filter.error)}`);
  return filter.data;
};

const line = (p: BatchProgress): string =>
  `${p.ok + p.errors + p.invalid + p.skipped}/${p.total} lines (${p.skipped} skipped as already done, ${p.ok} ok, ${p.errors} errors, ${p.invalid} invalid input lines), ${p.perSecond.toFixed(1)} fans/s`;

/** The parsed options (commander's opts() is untyped). */
interface BatchMatchCliOptions {
  fans: string;
  out: string;
  errors?: string;
  addr: string;
  concurrency: number;
  window: number;
  k: number;
  filter?: Filter;
  diversity: number;
  maxPerCategory: number;
  includeProfile: boolean;
  json: boolean;
  waitMs: number;
  logFormat?: string;
}

/** npm run batch-match -- --fans FILE --out FILE [--concurrency N]. */
export async function main(argv: string[]): Promise<number> {
  const program = withCommonOptions(new Command())
    .name('batch-match')
    .description('Stream fans through BatchMatch and write recommendations JSONL; rerun the same command to resume (see docs/RELEVANCE.md).')
    .requiredOption('--fans <file>', 'fans JSONL: fan_id plus interest_text, follows (+ weights) or vector')
    .requiredOption('--out <file>', 'recommendations JSONL (appended; fans already in it are skipped)')
    .option('--errors <file>', 'failed fans JSONL (default: OUT.errors.jsonl)')
    .option('--addr <host:port>', 'creator-match server', process.env.MATCH_ADDR ?? 'localhost:50051')
    .option('--concurrency <n>', 'parallel BatchMatch streams', int(1), 2)
    .option('--window <n>', 'requests in flight per stream', int(1), 32)
    .option('--k <n>', 'matches per fan (0: server default 10; a fan line may set its own k)', int(0), 0)
    .option('--filter <json>', 'filter for every fan (a fan line may set its own)', filterJson)
    .option('--diversity <lambda>', 'MMR diversity λ', fraction, 0)
    .option('--max-per-category <n>', 'at most N matches per category', int(0), 0)
    .option('--include-profile', 'write creator profiles with the matches', false)
    .option('--json', 'print the summary as JSON', false)
    .option('--wait-ms <ms>', 'wait this long for the server to be up and serving an index (0: do not wait)', int(0), 30_000)
    .exitOverride();
  try {
    program.parse(argv, { from: 'user' });
  } catch (err) {
    return (err as { exitCode?: number }).exitCode ?? 2;
  }
  const o = program.opts<BatchMatchCliOptions>();
  const abort = new AbortController();
  const onSignal = (): void => {
    if (abort.signal.aborted) process.exit(130);
    process.stderr.write('batch-match: stopping after the fans in flight (Ctrl-C again to quit now; rerun to resume)\n');
    abort.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const out = cliOutput('batch-match', logFormatOf(o.logFormat));
  try {
    if (o.waitMs > 0) {
      const probe = new CreatorMatchClient(o.addr);
      try {
        await probe.waitUntilReady(o.waitMs);
      } catch (err) {
        throw new ToolError(`the server at ${o.addr} did not answer with an index within ${o.waitMs} ms (${(err as Error).message}); start it (npm start) or raise --wait-ms`, { cause: err });
      } finally {
        probe.close();
      }
    }
    // A bar on a terminal (human mode); progress lines otherwise.
    const total = process.stderr.isTTY ? await countFanLines(o.fans) : 0;
    const bar = total > 0 ? out.progress('matching fans', total) : undefined;
    const summary = await runBatchMatch({
      fans: o.fans,
      out: o.out,
      errors: o.errors,
      addr: o.addr,
      concurrency: o.concurrency,
      window: o.window,
      k: o.k,
      filter: o.filter,
      diversity: o.diversity,
      maxPerCategory: o.maxPerCategory,
      includeProfile: o.includeProfile,
      signal: abort.signal,
      onProgress: (p) => {
        if (out.format === 'json') out.log.info({ ...p }, 'progress');
        else if (bar) bar.update(p.ok + p.errors + p.invalid + p.skipped);
        else process.stderr.write(`batch-match: ${line(p)}\n`);
      },
      progressEveryMs: 2000,
    });
    bar?.stop();
    if (o.json) process.stdout.write(JSON.stringify(summary, null, 2) + '\n');
    else {
      process.stdout.write(
        [
          `${summary.interrupted ? 'interrupted' : 'done'}: ${line(summary)}`,
          `wrote ${summary.ok} recommendations to ${summary.out} in ${summary.seconds.toFixed(1)} s (${summary.alreadyDone} fans were already there)`,
          ...(summary.retryable > 0 ? [`${summary.retryable} fans failed for a transient reason (see ${summary.errorsFile}, retryable: true): rerun the same command to retry them`] : []),
          ...(summary.errors - summary.retryable + summary.invalid > 0
            ? [`${summary.invalid} invalid input lines and ${summary.errors - summary.retryable} fans the service refused (see ${summary.errorsFile}, retryable: false): fix those lines; a rerun will not help`]
            : []),
          ...summary.streamErrors.map((e) => `stream failed: ${e}`),
        ].join('\n') + '\n',
      );
    }
    return summary.streamErrors.length > 0 || summary.errors + summary.invalid > 0 ? 1 : summary.interrupted ? 130 : 0;
  } catch (err) {
    return out.fail('batch-match', err);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

if (require.main === module) {
  // A rejection (a bug: main answers its errors) is unhandled and ends the process with its stack.
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
