/**
 * @jest-environment ./test/support/onnx-environment.js
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createEmbedder, DEFAULT_MODEL_ID, ModelError } from '../../src/embedding';
import { defaultModelsDir, packageRoot, resolveModelsDir } from '../../src/embedding/paths';
import { locateSource, MANIFEST_FILE, prepareDefaultModel } from '../../tools/model/prepare-default-model';

describe('prepareDefaultModel (USE-lite converter)', () => {
  let tmp: string;

  beforeAll(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'cm-model-'));
  });
  afterAll(async () => {
    await rm(tmp, { recursive: true, force: true });
  });

  it('converts into a transformers.js folder, then is a no-op, then repairs a corrupted file', async () => {
    const first = await prepareDefaultModel(tmp);
    expect(first).toEqual({ dir: path.join(tmp, 'creator-match', 'use-lite'), created: true });
    for (const f of ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'onnx/model.onnx', 'onnx/model_quantized.onnx', MANIFEST_FILE]) {
      expect(existsSync(path.join(first.dir, f))).toBe(true);
    }
    expect(await readdir(path.join(tmp, 'creator-match'))).toEqual(['use-lite']); // no temp leftovers

    await expect(prepareDefaultModel(tmp)).resolves.toEqual({ dir: first.dir, created: false });

    const onnxFile = path.join(first.dir, 'onnx', 'model_quantized.onnx');
    const good = await readFile(onnxFile);
    await writeFile(onnxFile, good.subarray(0, 1000));
    await expect(prepareDefaultModel(tmp)).resolves.toEqual({ dir: first.dir, created: true });
    expect((await readFile(onnxFile)).equals(good)).toBe(true);
  });

  it('is deterministic (same checksums as the default models folder)', async () => {
    const { dir } = await prepareDefaultModel();
    const a = JSON.parse(await readFile(path.join(dir, MANIFEST_FILE), 'utf8')) as { files: unknown };
    const b = JSON.parse(await readFile(path.join(tmp, 'creator-match', 'use-lite', MANIFEST_FILE), 'utf8')) as { files: unknown };
    expect(b.files).toEqual(a.files);
  });

  it('writes the tokenizer and config transformers.js needs', async () => {
    const dir = path.join(tmp, ...DEFAULT_MODEL_ID.split('/'));
    const tok = JSON.parse(await readFile(path.join(dir, 'tokenizer.json'), 'utf8')) as { model: { type: string; unk_id: number; vocab: [string, number][] } };
    expect(tok.model.type).toBe('Unigram');
    expect(tok.model.unk_id).toBe(0);
    expect(tok.model.vocab).toHaveLength(8000);
    expect(tok.model.vocab.every(([, s]) => typeof s === 'number')).toBe(true);
    const cfg = JSON.parse(await readFile(path.join(dir, 'tokenizer_config.json'), 'utf8')) as Record<string, unknown>;
    expect(cfg.pad_token).toBe('\ufffd');
    const config = JSON.parse(await readFile(path.join(dir, 'config.json'), 'utf8')) as { model_type: string; creator_match: { pooling: string } };
    expect(config.model_type).toBe('bert');
    expect(config.creator_match.pooling).toBe('cls');
  });

  it('is not run by the service: a missing bundled model is MODEL_NOT_FOUND with the command that makes it', async () => {
    const fresh = await mkdtemp(path.join(os.tmpdir(), 'cm-model-'));
    const e = createEmbedder({ modelsDir: fresh });
    try {
      await expect(e.init()).rejects.toMatchObject({ code: 'MODEL_NOT_FOUND', message: expect.stringContaining('npm run model:prepare') });
      expect(existsSync(path.join(fresh, 'creator-match'))).toBe(false);
      await prepareDefaultModel(fresh);
      await e.init();
      expect(e.dims).toBe(512);
    } finally {
      await e.dispose();
      await rm(fresh, { recursive: true, force: true });
    }
  });

  it('converts once when called concurrently (cross-process lock)', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'cm-model-'));
    try {
      const results = await Promise.all([prepareDefaultModel(dir), prepareDefaultModel(dir), prepareDefaultModel(dir)]);
      expect(results.filter((r) => r.created)).toHaveLength(1);
      expect((await readdir(path.join(dir, 'creator-match'))).sort()).toEqual(['use-lite']);
      await expect(prepareDefaultModel(dir)).resolves.toMatchObject({ created: false });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('fails clearly when the weights package is not installed', () => {
    let error: unknown;
    try {
      locateSource('@energetic-ai/not-installed-model');
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ModelError);
    expect(error).toMatchObject({ code: 'MODEL_PACKAGE_MISSING', message: expect.stringContaining('npm ci') });
  });

  it('resolves models dirs against the package root, not cwd', () => {
    expect(defaultModelsDir()).toBe(path.join(packageRoot(), 'models'));
    expect(resolveModelsDir('models')).toBe(path.join(packageRoot(), 'models'));
    expect(resolveModelsDir('/abs/dir')).toBe('/abs/dir');
  });
});
