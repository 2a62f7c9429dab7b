#!/usr/bin/env node
/**
 * npm run pg:start  — installs PostgreSQL 15 + pgvector >= 0.8 if missing (Debian, as root; see
 *                     engine.ts for why this engine), then starts (or reuses) the local server in
 *                     MATCH_PG_HOME (default var/pg) and prints its URL as the last line of stdout.
 * npm run pg:stop   — stops it (`-- --purge` also deletes its data).
 * tsx scripts/pg/cli.ts status — prints the URL when it runs (exit 0), else exit 3.
 * Progress goes to stderr; errors are one line with a fix, exit 1.
 */
import { Command } from 'commander';
import { PgSetupError } from './proc';
import { persistentStatus, redact, startPersistent, stopPersistent } from './local-pg';

const say = (line: string): void => void process.stderr.write(`pg: ${line}\n`);

export async function main(argv: string[]): Promise<number> {
  let code = 0;
  const guard =
    <A extends unknown[]>(fn: (...a: A) => Promise<number | void>) =>
    async (...a: A) => {
      try {
        code = (await fn(...a)) ?? 0;
      } catch (err) {
        const e = err as Error;
        process.stderr.write(`pg: ${e instanceof PgSetupError ? e.message : `failed: ${e.message}; fix: see the output above, or run with DEBUG_PG=1 for the stack`}\n`);
        if (process.env.DEBUG_PG) process.stderr.write(`${(err as PgSetupError).detail ?? ''}\n${e.stack ?? ''}\n`);
        code = 1;
      }
    };
  const program = new Command()
    .name('pg')
    .description('A local PostgreSQL 15 + pgvector >= 0.8 server on 127.0.0.1 (a free port) for development and CI.')
    .addHelpText(
      'after',
      [
        '',
        'Environment:',
        '  MATCH_PG_HOME           state dir: data/, server.log, port, url (default var/pg of the repository)',
        '  MATCH_PG_USER           user the server runs as when started by root (default postgres)',
        '  MATCH_PG_BINDIR         PostgreSQL bin dir instead of /usr/lib/postgresql/15/bin (checked, not installed into)',
        "  MATCH_PG_DEBIAN_MIRROR  Debian mirror for the pgvector source (default: the system apt sources' one)",
        '  MATCH_PGVECTOR_SUITE    Debian suite of the pgvector source (default trixie)',
      ].join('\n'),
    )
    .exitOverride();

  program
    .command('start')
    .description('install the engine if missing (root), start or reuse the server, print its URL last on stdout')
    .action(
      guard(async () => {
        const t0 = Date.now();
        const r = await startPersistent(say);
        const verb = r.action === 'reused' ? 'already running' : r.action === 'started' ? 'started' : 'created and started';
        say(`${verb}: PostgreSQL ${r.engine.pgVersion} + pgvector ${r.engine.pgvectorVersion}, ${redact(r.url)}, state in ${r.home} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
        process.stdout.write(`${r.url}\n`);
      }),
    );

  program
    .command('stop')
    .description('stop the server (fast shutdown); nothing to do when it is not running')
    .option('--purge', 'also delete the state dir (data, log, credentials)')
    .action(
      guard(async (o: { purge?: boolean }) => {
        const r = await stopPersistent({ purge: !!o.purge });
        say(`${r.wasRunning ? 'stopped' : 'not running'}${r.purged ? `; deleted ${r.home}` : ''}`);
      }),
    );

  program
    .command('status')
    .description('print the URL when the server runs (exit 0), else exit 3')
    .action(
      guard(async () => {
        const s = await persistentStatus();
        if (!s.running) {
          say(`not running (state dir ${s.home}); start it with npm run pg:start`);
          return 3;
        }
        process.stdout.write(`${s.url}\n`);
        return 0;
      }),
    );

  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (err) {
    const e = err as { code?: string; exitCode?: number };
    if (e.code === 'commander.helpDisplayed' || e.code === 'commander.help' || e.code === 'commander.version') return 0;
    return e.exitCode ?? 1;
  }
  return code;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (err: Error) => {
      process.stderr.write(`pg: failed: ${err.message}\n`);
      process.exitCode = 1;
    },
  );
}
