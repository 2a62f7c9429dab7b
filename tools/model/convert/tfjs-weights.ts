import { readFile } from 'node:fs/promises';
import path from 'node:path';

/** One decoded weight from a TF.js weights manifest. */
export interface TfjsWeight {
  readonly name: string;
  readonly shape: readonly number[];
  readonly dtype: 'float32' | 'int32';
  readonly data: Float32Array | Int32Array;
}

interface ManifestEntry {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: unknown;
}

interface ModelJson {
  weightsManifest: { paths: string[]; weights: ManifestEntry[] }[];
}

/**
 * Reads a TF.js graph model's weights (model.json + binary shards) into typed arrays.
 * Only unquantised float32/int32 weights are supported (all USE-lite ships).
 */
export async function readTfjsWeights(modelJsonPath: string): Promise<Map<string, TfjsWeight>> {
  const dir = path.dirname(modelJsonPath);
  const modelJson = JSON.parse(await readFile(modelJsonPath, 'utf8')) as ModelJson;
  const out = new Map<string, TfjsWeight>();
  for (const group of modelJson.weightsManifest) {
    const shards = await Promise.all(group.paths.map((p) => readFile(path.join(dir, p))));
    const buf = Buffer.concat(shards);
    let offset = 0;
    for (const w of group.weights) {
      if (w.quantization !== undefined) throw new Error(`quantized TF.js weight not supported: ${w.name}`);
      if (w.dtype !== 'float32' && w.dtype !== 'int32') throw new Error(`unsupported dtype ${w.dtype} for ${w.name}`);
      const count = w.shape.reduce((a, b) => a * b, 1);
      const bytes = buf.subarray(offset, offset + count * 4);
      if (bytes.length !== count * 4) throw new Error(`weight ${w.name} truncated in shards`);
      const copy = new ArrayBuffer(count * 4);
      new Uint8Array(copy).set(bytes);
      const data = w.dtype === 'float32' ? new Float32Array(copy) : new Int32Array(copy);
      out.set(w.name, { name: w.name, shape: w.shape, dtype: w.dtype, data });
      offset += count * 4;
    }
    if (offset !== buf.length) throw new Error(`weights manifest covers ${offset} of ${buf.length} shard bytes`);
  }
  return out;
}
