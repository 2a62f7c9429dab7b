import { createLogger, type Logger } from '../src/logging/logger';

/**
 * The builder's logger: the service's pino setup (JSON, `err`, redaction, LOG_LEVEL), written to
 * stderr so that stdout keeps the report (`--json`). `component: "index-builder"` on every line.
 */
export function builderLogger(env: NodeJS.ProcessEnv = process.env): Logger {
  const level = env.LOG_LEVEL && ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(env.LOG_LEVEL) ? env.LOG_LEVEL : 'info';
  return createLogger(level, process.stderr).child({ component: 'index-builder' });
}
