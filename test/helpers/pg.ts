/** Helpers for the PostgreSQL-only tests (test/pg). */
import { Client } from 'pg';
import { createLogger, type Logger } from '../../src/logging/logger';

export const silentLogger = (): Logger => createLogger('silent');

/** One query on a short-lived connection. */
export async function sqlOnce<R extends Record<string, unknown>>(url: string, text: string, values: unknown[] = []): Promise<R[]> {
  const c = new Client({ connectionString: url });
  c.on('error', () => undefined); // the query reports it
  await c.connect();
  try {
    return (await c.query<R>(text, values)).rows;
  } finally {
    await c.end();
  }
}
