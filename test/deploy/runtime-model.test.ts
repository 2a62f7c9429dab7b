/**
 * @jest-environment ./test/support/onnx-environment.js
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { prepareDefaultModel } from '../../tools/model/prepare-default-model';

// The runtime image ships models/ (converted at build time) but not the TF.js weights package
// (scripts/container/slim-runtime.ts drops it): the service must then use the conversion as is.
describe('the default model without its weights package (the runtime image)', () => {
  let tmp: string;
  const MISSING = '@energetic-ai/not-installed-model';

  beforeAll(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'cm-runtime-model-'));
  });
  afterAll(async () => {
    await rm(tmp, { recursive: true, force: true });
  });

  it('uses a complete conversion, and refuses a damaged or missing one', async () => {
    await expect(prepareDefaultModel(tmp, MISSING)).rejects.toMatchObject({ code: 'MODEL_PACKAGE_MISSING' });
    const { dir } = await prepareDefaultModel(tmp);
    await expect(prepareDefaultModel(tmp, MISSING)).resolves.toEqual({ dir, created: false });
    const onnx = path.join(dir, 'onnx', 'model_quantized.onnx');
    const good = await readFile(onnx);
    await writeFile(onnx, good.subarray(0, 1000));
    await expect(prepareDefaultModel(tmp, MISSING)).rejects.toMatchObject({ code: 'MODEL_PACKAGE_MISSING' });
    await writeFile(onnx, good);
    await expect(prepareDefaultModel(tmp, MISSING)).resolves.toEqual({ dir, created: false });
  });
});
