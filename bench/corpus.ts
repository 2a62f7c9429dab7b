/**
 * `npm run bench:corpus [-- --creators 100000 --queries 1000 --dtype q8 --force]`
 * Builds the benchmark fixture in .bench-cache/corpus/ (outside git): the seeded sample generator
 * grown to N creators, embedded with the default model (512-d, normalised) -> vectors.f32; fan
 * interest texts embedded the same way -> queries.f32; exact top-100 per query (brute force with
 * numpy) -> truth.i32; catalog profiles (label order) -> profiles.jsonl.
 */
import { spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { once } from 'node:events';
import { profileText } from '../src/catalog/profile-text';
import { toProfile, type CreatorRecord } from '../src/catalog/creator';
import { createEmbedder, DEFAULT_MODEL_ID } from '../src/embedding';
import { writeDataset } from '../tools/sample-data/dataset';
import { arg, argStr, CORPUS, corpusFiles, flag, PYTHON, type CorpusMeta } from './lib/common';

const TRUTH_K = 100;

export async function ensureCorpus(opts: { creators?: number; queries?: number; dtype?: 'q8' | 'fp32'; force?: boolean } = {}): Promise<CorpusMeta> {
  const creators = opts.creators ?? 100_000;
  const queries = opts.queries ?? 1000;
  const dtype = opts.dtype ?? 'q8';
  const f = corpusFiles();
  if (!opts.force && existsSync(f.meta)) {
    const meta = JSON.parse(readFileSync(f.meta, 'utf8')) as CorpusMeta;
    if (meta.creators === creators && meta.queries === queries && meta.dtype === dtype) return meta;
  }
  await mkdir(CORPUS, { recursive: true });
  const t0 = Date.now();
  writeDataset({ creators, fans: queries, seed: 42 }, CORPUS, 'sample-creators.jsonl', 'sample-fans.jsonl');
  const records = readFileSync(f.creators, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as CreatorRecord);
  const fans = readFileSync(f.fans, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { interest_text: string });
  const embedder = createEmbedder({ dtype, threads: 2 });
  await embedder.init();
  const dims = embedder.dims;
  const embedAll = async (texts: string[], file: string, label: string): Promise<void> => {
    const out = createWriteStream(file);
    for (let s = 0; s < texts.length; s += 1024) {
      const vs = await embedder.embed(texts.slice(s, s + 1024));
      const buf = new Float32Array(vs.length * dims);
      vs.forEach((v, i) => buf.set(v, i * dims));
      if (!out.write(new Uint8Array(buf.buffer))) await once(out, 'drain');
      if (s % 10240 === 0) process.stderr.write(`${label}: ${s + vs.length}/${texts.length} (${((Date.now() - t0) / 1000).toFixed(0)} s)\n`);
    }
    out.end();
    await once(out, 'finish');
  };
  await embedAll(records.map(profileText), f.vectors, 'creators');
  await embedAll(fans.map((x) => x.interest_text), f.queries, 'queries');
  await embedder.dispose();
  await writeFile(f.profiles, records.map((r) => JSON.stringify(toProfile(r))).join('\n') + '\n');
  const py = spawnSync(PYTHON, [`${__dirname}/py/truth.py`, f.vectors, f.queries, f.truth, String(dims), String(TRUTH_K)], { stdio: 'inherit' });
  if (py.status !== 0) throw new Error('ground truth (bench/py/truth.py) failed');
  const meta: CorpusMeta = { creators, queries, dims, truthK: TRUTH_K, model: DEFAULT_MODEL_ID, dtype };
  await writeFile(f.meta, JSON.stringify(meta, null, 2));
  process.stderr.write(`corpus ready in ${((Date.now() - t0) / 1000).toFixed(0)} s: ${CORPUS}\n`);
  return meta;
}

if (require.main === module) {
  ensureCorpus({ creators: arg('creators', 100_000), queries: arg('queries', 1000), dtype: argStr('dtype', 'q8') as 'q8' | 'fp32', force: flag('force') })
    .then((m) => console.log(JSON.stringify(m)))
    .catch((err: unknown) => {
      console.error(err);
      process.exit(1);
    });
}
