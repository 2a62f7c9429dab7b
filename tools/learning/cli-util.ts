/**
 * Shared bits of the learning and labelling CLIs on top of the project's CLI kit (tools/cli/cli-kit):
 * commander setup (--help, --version, --log-format), one-line errors, progress bars.
 */
import { Presets, SingleBar } from 'cli-progress';
import { Command, InvalidArgumentError } from 'commander';
import { cliOutput, logFormatOf, withCommonOptions, type CliOutput } from '../cli/cli-kit';

/** A failure whose message already says what to do; printed as one line, exit code `exitCode`. */
export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    message: string,
    readonly exitCode = 1,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** What every CLI of this family parses besides its own options (withCommonOptions). */
export interface CommonOptions {
  logFormat?: string;
}

/** A commander program with --version, --log-format, --help and errors that do not exit the process. */
export function program(name: string, description: string): Command {
  return withCommonOptions(new Command().name(name).description(description))
    .exitOverride()
    .configureOutput({ outputError: (s, write) => write(s.replace(/\n+$/, '') + ` (see npm run ${name} -- --help)\n`) });
}

/** What an action gets besides its options: the output of its --log-format, and progress bars for it. */
export interface CliContext {
  readonly output: CliOutput;
  /** A progress bar on stderr in human mode on a terminal; a no-op otherwise (it would fight JSON lines). */
  progress(): Progress;
}

/**
 * The tools' own failures are plain Errors whose message says what went wrong (a bad file, an
 * empty split, a refused option): shown as one line, like the kit's named expected errors. Other
 * classes (TypeError, RangeError, …) are bugs and keep the kit's "unexpected" treatment.
 */
function shownError(err: unknown): unknown {
  return err instanceof Error && Object.getPrototypeOf(err) === Error.prototype ? new CliError(err.message, 1, { cause: err }) : err;
}

/**
 * Parses argv, runs `action`, and maps errors to an exit code: commander errors (usage) 2 (0 for
 * --help / --version), CliError its own code, UsageError 2, anything else 1. A failure is one
 * human line on stderr (`NAME failed: …`), or one JSON error line with --log-format json or when
 * stderr is not a terminal (cli-kit).
 */
export async function runCli<T extends CommonOptions>(cmd: Command, argv: string[], action: (opts: T, cli: CliContext) => Promise<number>): Promise<number> {
  try {
    cmd.parse(argv, { from: 'user' });
  } catch (err) {
    const code = (err as { exitCode?: number }).exitCode;
    return code === 0 ? 0 : 2;
  }
  const opts = cmd.opts<T>();
  const output = cliOutput(cmd.name(), logFormatOf(opts.logFormat));
  const cli: CliContext = { output, progress: () => progress(output.format === 'human' && process.stderr.isTTY === true) };
  try {
    return await action(opts, cli);
  } catch (err) {
    // Human: "train failed: …"; JSON: the kit's "train failed: …" message.
    const code = output.fail(output.format === 'human' ? `${cmd.name()} failed` : cmd.name(), shownError(err));
    return err instanceof CliError ? err.exitCode : code;
  }
}

export const positiveInt = (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('must be a positive integer');
  return n;
};
export const nonNegativeInt = (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('must be a non-negative integer');
  return n;
};
export const positiveNumber = (value: string): number => {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('must be a positive number');
  return n;
};
export const nonNegativeNumber = (value: string): number => {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError('must be a non-negative number');
  return n;
};
export const fraction = (value: string): number => {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || n > 1) throw new InvalidArgumentError('must be a number between 0 and 1');
  return n;
};

/** A progress bar on stderr, drawn only when stderr is a terminal (no-op otherwise). */
export interface Progress {
  start(label: string, total: number): void;
  update(value: number): void;
  setTotal(total: number): void;
  stop(): void;
}

export function progress(enabled: boolean = process.stderr.isTTY === true): Progress {
  let bar: SingleBar | undefined;
  return {
    start(label, total) {
      if (!enabled) return;
      bar?.stop();
      bar = new SingleBar(
        { format: `${label.padEnd(18)} [{bar}] {percentage}% {value}/{total} {eta_formatted}`, clearOnComplete: false, stream: process.stderr },
        Presets.shades_classic,
      );
      bar.start(total, 0);
    },
    update(value) {
      bar?.update(value);
    },
    setTotal(total) {
      bar?.setTotal(total);
    },
    stop() {
      bar?.stop();
      bar = undefined;
    },
  };
}

export const noProgress: Progress = { start() {}, update() {}, setTotal() {}, stop() {} };
