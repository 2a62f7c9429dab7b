/**
 * The reference for the text path: the raw transformers.js feature-extraction pipeline, with the
 * same model files, dtype, pooling and ONNX Runtime session options (intra-op threads, no
 * spinning) as the service's TransformersEmbedder, and nothing else around it.
 */
import type { FeatureExtractionPipeline } from '@huggingface/transformers';
import { DEFAULT_MODEL_ID } from '../../src/embedding';
import { poolingFromConfig, readLocalConfig, resolveModel, type Pooling } from '../../src/embedding/model-source';
import { defaultModelsDir } from '../../src/embedding/paths';

export interface RawPipeline {
  embed(texts: string[]): Promise<Float32Array>;
  dispose(): Promise<void>;
}

export async function rawPipeline(opts: { threads: number; dtype?: 'q8' | 'fp32' }): Promise<RawPipeline> {
  const modelsDir = defaultModelsDir();
  const source = resolveModel(DEFAULT_MODEL_ID, modelsDir);
  const pooling: Pooling = poolingFromConfig(readLocalConfig(source)) ?? 'cls';
  const { env, pipeline } = await import('@huggingface/transformers');
  env.allowLocalModels = true;
  env.localModelPath = modelsDir;
  env.allowRemoteModels = false;
  const pipe: FeatureExtractionPipeline = await pipeline('feature-extraction', source.pipelineName, {
    dtype: opts.dtype ?? 'q8',
    device: 'cpu',
    session_options: { intraOpNumThreads: opts.threads, interOpNumThreads: 1, extra: { session: { intra_op: { allow_spinning: '0' } } } },
  });
  return {
    async embed(texts) {
      const t = await pipe(texts, { pooling, normalize: true });
      const data = (t.data as Float32Array).slice();
      t.dispose();
      return data;
    },
    dispose: () => pipe.dispose(),
  };
}
