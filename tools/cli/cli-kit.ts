/**
 * What every command-line tool of the project shares (index:build, index:list/rollback/update/
 * prune, model:prepare, eval, batch-match, data:generate, and through tools/learning/cli-util
 * data:prepare, train, learning:expose/compare/gate, labels:export/import):
 *
 * - `--log-format human|json`: human output by default on a terminal; JSON log lines (pino, the
 *   service's format, on stderr) when asked or when stderr is not a terminal (CI, pipes, files);
 * - errors as one human line (what went wrong and, where we know it, the fix), exit code 1 (2 for
 *   bad usage), never a stack for an expected error; in JSON mode one JSON error line instead;
 * - progress bars (cli-progress) only in human mode on a terminal, so they never fight log lines.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Option, type Command } from 'commander';
import { SingleBar, Presets } from 'cli-progress';
import { PACKAGE_ROOT } from '../../src/config/config';
import { createLogger, type Logger } from '../../src/logging/logger';
import { truncateForEcho } from '../../src/errors/echo';

export type LogFormat = 'human' | 'json';

/** The package version, for `--version`. */
export function packageVersion(): string {
  return (JSON.parse(readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
}

/**
 * `--version` and `--log-format` on a commander program; returns it for chaining. A tool whose
 * `--version` means something else (eval: the index version) keeps `-V` only.
 */
export function withCommonOptions(program: Command, versionFlags = '-V, --version'): Command {
  return program
    .version(packageVersion(), versionFlags, 'print the version and exit')
    .addOption(new Option('--log-format <format>', 'human lines, or JSON log lines on stderr (default: human on a terminal, json otherwise)').choices(['human', 'json']));
}

export function logFormatOf(option: string | undefined, stderr: { isTTY?: boolean } = process.stderr): LogFormat {
  if (option === 'human' || option === 'json') return option;
  return stderr.isTTY === true ? 'human' : 'json';
}

/** Errors whose message is the whole story (no stack): the tools' own and bad files or arguments. */
const EXPECTED = new Set(['InputError', 'CliError', 'BuildError', 'ReleaseGateError', 'ConfigError', 'ModelError', 'IndexLoadError', 'CsvSyntaxError', 'MatchError', 'UsageError', 'ToolError']);

/** A usage problem found after parsing (exit code 2). */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** A failure a tool explains itself (what and the fix, in the message): exit code 1, no stack. */
export class ToolError extends Error {
  override readonly name = 'ToolError';
}

export function isExpected(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as NodeJS.ErrnoException).code;
  return EXPECTED.has(err.name) || (typeof code === 'string' && /^E[A-Z]+$/.test(code));
}

/** A message for one terminal: control characters shown, each line cut to a readable length. */
export function humanMessage(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const lines = message
    // eslint-disable-next-line no-control-regex -- control characters are what this shows
    .replace(/[\u0000-\u0008\u000B-\u001F\u007F]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)
    .split('\n')
    .slice(0, 12)
    .map((l) => truncateForEcho(l, 300));
  return lines.join('\n');
}

export interface CliOutput {
  readonly format: LogFormat;
  /** The JSON log (silent in human mode). */
  readonly log: Logger;
  /** A progress bar for a stage (human mode on a terminal only); `update`/`total`/`stop` are no-ops otherwise. */
  progress(label: string, total: number): { update(done: number): void; total(n: number): void; stop(): void };
  /** Reports a failure and returns the exit code (2 for usage errors, else 1). */
  fail(command: string, err: unknown, hint?: string): number;
}

export function cliOutput(component: string, format: LogFormat, stderr: NodeJS.WriteStream = process.stderr): CliOutput {
  const level = format === 'json' ? (process.env.LOG_LEVEL ?? 'info') : 'silent';
  const log = createLogger(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(level) ? level : 'info', stderr).child({ component });
  const interactive = format === 'human' && stderr.isTTY === true;
  return {
    format,
    log,
    progress(label, total) {
      if (!interactive || total <= 0) return { update() {}, total() {}, stop() {} };
      const bar = new SingleBar({ format: `${label.padEnd(18)} [{bar}] {value}/{total} {eta_formatted}`, clearOnComplete: false, stream: stderr }, Presets.shades_classic);
      bar.start(total, 0);
      return { update: (done) => bar.update(done), total: (n) => bar.setTotal(n), stop: () => bar.stop() };
    },
    fail(command, err, hint) {
      const usage = err instanceof UsageError;
      const expected = isExpected(err);
      const message = humanMessage(err);
      if (format === 'json') {
        const e = err instanceof Error ? err : new Error(String(err));
        // An expected error is its message: no stack frames (they would repeat the message).
        const logged = expected ? Object.assign(new Error(e.message), { name: e.name, stack: `${e.name}: ${e.message}`, ...((e as NodeJS.ErrnoException).code ? { code: (e as NodeJS.ErrnoException).code } : {}) }) : e;
        log.error({ err: logged, ...(hint ? { hint } : {}) }, `${command} failed: ${truncateForEcho(e.message, 2000)}`);
        log.flush();
      } else {
        const tail = hint ? `\n  fix: ${hint}` : expected ? '' : '\n  (unexpected: run with --log-format json for the details)';
        stderr.write(`${command}: ${message}${tail}\n`);
      }
      return usage ? 2 : 1;
    },
  };
}
