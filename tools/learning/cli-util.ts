/** Shared bits of the learning and labelling CLIs: commander setup, one-line errors, progress bars. */
import { Presets, SingleBar } from 'cli-progress';
import { Command, InvalidArgumentError } from 'commander';
import { readFileSync } from 'node:fs';
import path from 'node:path';

/** A failure whose message already says what to do; printed as one line. */
export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

export function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return '0.0.0';
  }
}

/** A commander program with --version, --help and errors that do not exit the process. */
export function program(name: string, description: string): Command {
  return new Command()
    .name(name)
    .description(description)
    .version(packageVersion(), '-V, --version', 'print the version and exit')
    .exitOverride()
    .configureOutput({ outputError: (s, write) => write(s.replace(/\n+$/, '') + ` (see npm run ${name} -- --help)\n`) });
}

/**
 * Parses argv, runs `action`, and maps errors to one stderr line and an exit code:
 * commander errors (usage) 2 (0 for --help / --version), CliError its own code, anything else 1.
 */
export async function runCli(cmd: Command, argv: string[], action: (opts: Record<string, any>) => Promise<number>): Promise<number> {
  try {
    cmd.parse(argv, { from: 'user' });
  } catch (err) {
    const code = (err as { exitCode?: number; code?: string }).exitCode;
    return code === 0 ? 0 : 2;
  }
  try {
    return await action(cmd.opts());
  } catch (err) {
    const message = (err as Error).message.split('\n')[0];
    process.stderr.write(`${cmd.name()} failed: ${message}\n`);
    return err instanceof CliError ? err.exitCode : 1;
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
