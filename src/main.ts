import * as grpc from '@grpc/grpc-js';
import { MatchApp } from './app';
import { ConfigError, loadConfig } from './config/config';
import { createLogger } from './logging/logger';
import { startTelemetry, type Telemetry } from './telemetry/sdk';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const logger = createLogger(config.logLevel);
  const grpcLog = logger.child({ component: 'grpc-js' });
  // grpc-js logs a failed bind itself; startup reports it once, with the address and the fix.
  const reportedByUs = /^No address added out of total/;
  grpc.setLogger({
    error: (...a: unknown[]) => {
      const text = a.join(' ');
      if (!reportedByUs.test(text)) grpcLog.warn(text);
    },
  });
  grpc.setLogVerbosity(grpc.logVerbosity.ERROR);

  // OTel SDK first: the app's instruments are created against the registered meter provider.
  let telemetry: Telemetry;
  try {
    telemetry = await startTelemetry({ metricsAddr: config.metricsAddr, logger });
  } catch (err) {
    logger.fatal({ err }, 'startup failed');
    logger.flush();
    process.exitCode = 1;
    return;
  }
  let app: MatchApp;
  try {
    app = new MatchApp(config, logger, telemetry);
  } catch (err) {
    logger.fatal({ err }, `cannot start: ${(err as Error).message}`);
    logger.flush();
    await telemetry.shutdown();
    process.exitCode = 2;
    return;
  }
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    app
      .close()
      .then(() => {
        logger.info('bye');
        logger.flush();
        process.exitCode = 0;
      })
      .catch((err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        logger.flush();
        process.exitCode = 1;
      });
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));

  try {
    await app.init();
    // A signal during startup (a slow load, say) stops it: nothing listens, the process exits 0.
    if (stopping) return;
    await app.listen();
    await app.listenAdmin();
    await app.listenUi();
  } catch (err) {
    if (stopping) return;
    const bind = bindProblem(err);
    if (bind) logger.fatal({ reason: bind.code }, bind.message);
    else logger.fatal({ err }, 'startup failed');
    logger.flush();
    await app.close().catch(() => undefined);
    process.exitCode = 1;
  }
}

/** A listen failure as one sentence with the fix (grpc-js wraps the system error in a long message). */
function bindProblem(err: unknown): { code: string; message: string } | undefined {
  const text = err instanceof Error ? err.message : '';
  const m = /(EADDRINUSE|EADDRNOTAVAIL|EACCES)[^\]]*?address (?:already in use )?([^\s\]]+)?/.exec(text) ?? /(EADDRINUSE|EADDRNOTAVAIL|EACCES)/.exec(text);
  if (!m) return undefined;
  const code = m[1]!;
  const what = code === 'EADDRINUSE' ? 'the address is already in use (another process listens there)' : code === 'EACCES' ? 'permission denied (ports below 1024 need privileges)' : 'the address is not available on this host';
  return { code, message: `cannot listen: ${what}; set MATCH_GRPC_ADDR / MATCH_ADMIN_ADDR / MATCH_UI_ADDR to a free host:port (${text.slice(0, 200)})` };
}

void main();
