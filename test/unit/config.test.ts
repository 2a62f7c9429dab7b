import { ConfigError, loadConfig } from '../../src/config/config';
import { exactCandidateLimit } from '../../src/match/matcher';

describe('loadConfig', () => {
  it('has working defaults and freezes the result', () => {
    const c = loadConfig({});
    expect(c.grpcAddr).toBe('0.0.0.0:50051');
    expect(c.indexDir).toBe('./var/indexes');
    expect(c.maxK).toBe(1000);
    expect(c.modelDtype).toBe('q8');
    expect(c.autoBuildSample).toBe(true);
    expect(c.exactMaxCandidates).toBe('auto');
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('parses values and only auto-builds the sample for the default dir', () => {
    const c = loadConfig({ MATCH_GRPC_ADDR: '127.0.0.1:0', MATCH_MAX_K: '50', MATCH_INDEX_DIR: '/tmp/x', MATCH_ALLOW_REMOTE_MODELS: 'true', LOG_LEVEL: 'debug' });
    expect(c).toMatchObject({ grpcAddr: '127.0.0.1:0', maxK: 50, indexDir: '/tmp/x', allowRemoteModels: true, logLevel: 'debug', autoBuildSample: false });
  });

  it('takes MATCH_EXACT_MAX_CANDIDATES as auto or a count; auto grows with the square root of the catalog', () => {
    expect(loadConfig({ MATCH_EXACT_MAX_CANDIDATES: '20000' }).exactMaxCandidates).toBe(20000);
    expect(loadConfig({ MATCH_EXACT_MAX_CANDIDATES: 'auto' }).exactMaxCandidates).toBe('auto');
    expect(exactCandidateLimit(100_000)).toBe(17607);
    expect(exactCandidateLimit(1_000_000)).toBe(55678);
    expect(exactCandidateLimit(10)).toBe(1000);
  });

  it('takes MATCH_EMBED_ONNX_THREADS as a thread count; unset leaves the embedder its default', () => {
    expect(loadConfig({}).embedOnnxThreads).toBeUndefined();
    expect(loadConfig({ MATCH_EMBED_ONNX_THREADS: '2' }).embedOnnxThreads).toBe(2);
  });

  it.each([
    ['MATCH_EXACT_MAX_CANDIDATES', 'lots'],
    ['MATCH_MAX_K', 'lots'],
    ['MATCH_MAX_K', '0'],
    ['MATCH_EMBED_ONNX_THREADS', '0'],
    ['MATCH_EMBED_ONNX_THREADS', '1.5'],
    ['MATCH_GRPC_ADDR', 'localhost'],
    ['MATCH_MODEL_DTYPE', 'fp16'],
    ['LOG_LEVEL', 'loud'],
    ['MATCH_ALLOW_REMOTE_MODELS', 'maybe'],
  ])('rejects %s=%s naming the variable and how to fix it', (key, value) => {
    let error: unknown;
    try {
      loadConfig({ [key]: value });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toContain(key);
    expect((error as Error).message).toContain('Fix the environment');
  });
});
