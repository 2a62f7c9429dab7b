import pino, { type Logger } from 'pino';

export type { Logger };

/** The one root logger: JSON to stdout, errors under `err`, secrets redacted. */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'creator-match' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: ['token', 'authorization', '*.authorization', 'vector', '*.vector', 'values'], censor: '[redacted]' },
    },
    destination ?? pino.destination({ dest: 1, sync: false }),
  );
}
