#!/usr/bin/env node
/**
 * `npm start` runs this first (npm's `prestart`): the offline steps a fresh clone needs before the
 * service can serve the bundled default. The service itself never converts models or builds indexes.
 *
 * 1. Converts the bundled model into models/ if it is missing or stale (`npm ci` already did it).
 * 2. With MATCH_AUTO_BUILD_SAMPLE (default: only for the default MATCH_INDEX_DIR, never with
 *    MATCH_VARIANTS_FILE), builds data/sample-creators.jsonl into the index dir when nothing is
 *    published there yet.
 *
 * It reads the same environment as the service (src/config) and exits 0 when there is nothing to do.
 */
import { ConfigError, loadConfig, SAMPLE_CATALOG, type Config } from '../src/config/config';
import { DEFAULT_MODEL_ID } from '../src/embedding';
import { readCurrent } from '../src/index/manifest';
import { prepareDefaultModel } from '../tools/model/prepare-default-model';
import { buildIndex } from './build-index';
import { builderLogger } from './build-log';

export async function bootstrap(config: Config, log = builderLogger()): Promise<void> {
  if (config.model === undefined || config.model === DEFAULT_MODEL_ID) {
    const { dir, created } = await prepareDefaultModel(config.modelsDir);
    if (created) log.info({ dir }, 'converted the bundled model');
  }
  if (config.variantsFile || !config.autoBuildSample || (await readCurrent(config.indexDir)) !== undefined) return;
  log.info({ indexDir: config.indexDir, input: SAMPLE_CATALOG }, 'no published index: building the bundled sample catalog');
  const report = await buildIndex({
    input: SAMPLE_CATALOG,
    out: config.indexDir,
    ...(config.model ? { model: config.model } : {}),
    dtype: config.modelDtype,
    ...(config.modelsDir ? { modelsDir: config.modelsDir } : {}),
    allowRemoteModels: config.allowRemoteModels,
  });
  log.info({ version: report.version, count: report.count, recall: report.recall.value, seconds: report.seconds.total }, 'sample index built');
}

if (require.main === module) {
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exit(err instanceof ConfigError ? 2 : 1);
  }
  bootstrap(config).catch((err: unknown) => {
    process.stderr.write(`bootstrap failed: ${(err as Error).message}\n`);
    process.exitCode = 1;
  });
}
