/**
 * The embedding contract shared by the index builder and the service.
 * Implementations must return L2-normalised vectors of length `dims`.
 */
export interface Embedder {
  /** Canonical model id: the string that `createEmbedder({ model })` accepts to load the same model. */
  readonly modelId: string;
  /** Content revision of the loaded weights (e.g. sha256 prefix of the ONNX file) and dtype. */
  readonly revision: string;
  /** Output dimension; valid only after `init()`. */
  readonly dims: number;
  /** Idempotent: loads the model (converting the bundled default on first use). */
  init(): Promise<void>;
  /** Embeds texts in length-sorted batches; output order matches input order. */
  embed(texts: readonly string[], signal?: AbortSignal): Promise<Float32Array[]>;
  /** Idempotent: releases the ONNX session. */
  dispose(): Promise<void>;
}
