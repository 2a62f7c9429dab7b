import type { Embedder } from './embedder';
import type { EmbeddingDtype, Pooling } from './model-source';
import { TransformersEmbedder } from './transformers-embedder';

export type { Embedder } from './embedder';
export { ModelError, type ModelErrorCode } from './errors';
export { DEFAULT_MODEL_ID } from './model-source';
export type { EmbeddingDtype, Pooling } from './model-source';
export { defaultModelsDir } from './paths';
export { ThreadedEmbedder } from './threaded-embedder';

export interface EmbedderOptions {
  /** DEFAULT_MODEL_ID (default), a transformers.js hub id (looked up under modelsDir), or a local directory path (absolute or "./"-relative). */
  model?: string;
  /** 'q8' (default): onnx/model_quantized.onnx; 'fp32': onnx/model.onnx. */
  dtype?: EmbeddingDtype;
  /** Converted bundled model and offline model copies; default <package root>/models; relative paths resolve against the package root. */
  modelsDir?: string;
  /** Allow downloads from the Hugging Face hub (cached into modelsDir). Default false. */
  allowRemoteModels?: boolean;
  /** Texts per ONNX run. Default 32. */
  batchSize?: number;
  /** Override pooling; default: config.json `creator_match.pooling`, else 'cls' for the bundled model and 'mean' otherwise. */
  pooling?: Pooling;
  /** ONNX Runtime intra-op threads; default: available cores - 1, clamped to 1..4. */
  threads?: number;
  /** Sees every ONNX run (texts, seconds); default: the embedding batch metrics. */
  onBatch?: (size: number, seconds: number) => void;
}

/** Creates an embedder; nothing is loaded until `init()` (or the first `embed()`). */
export function createEmbedder(opts: EmbedderOptions = {}): Embedder & { readonly dtype: EmbeddingDtype } {
  return new TransformersEmbedder({
    model: opts.model,
    dtype: opts.dtype ?? 'q8',
    modelsDir: opts.modelsDir,
    allowRemoteModels: opts.allowRemoteModels ?? false,
    batchSize: opts.batchSize ?? 32,
    pooling: opts.pooling,
    threads: opts.threads,
    onBatch: opts.onBatch,
  });
}
