/**
 * `npm run bench:corpus [-- --creators 100000 --queries 1000 --dtype q8 --force]` (`--quick`: 10k)
 * Builds the benchmark fixture in .bench-cache/corpus-N/ (outside git): the seeded sample
 * generator grown to N creators, embedded with the default model (512-d, normalised) ->
 * vectors.f32; fan interest texts embedded the same way -> queries.f32; exact top-100 per query
 * (brute force with numpy) -> truth.i32; catalog profiles (label order) -> profiles.jsonl.
 * About 1 min for 10k, 5-10 min for 100k and over an hour for 1M on 2 idle cores.
 */
import { spawnSync } from 'node:child_process';
import { createReadStream, createWriteStream, existsSync, readFileSync } from 'node:fs';
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { profileText } from '../src/catalog/profile-text';
import { toProfile, type CreatorRecord } from '../src/catalog/creator';
import { createEmbedder, DEFAULT_MODEL_ID } from '../src/embedding';
import { writeDataset } from '../tools/sample-data/dataset';
import { arg, argStr, corpusDir, corpusFiles, creatorsArg, flag, PYTHON, readF32, type CorpusMeta } from './lib/common';

const TRUTH_K = 100;
const CHUNK = 1024;

async function* lines(file: string): AsyncGenerator<string> {
  const rl = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
  for await (const line of rl) if (line) yield line;
}

export async function ensureCorpus(opts: { creators?: number; queries?: number; dtype?: 'q8' | 'fp32'; force?: boolean } = {}): Promise<CorpusMeta> {
  const creators = opts.creators ?? 100_000;
  const queries = opts.queries ?? 1000;
  const dtype = opts.dtype ?? 'q8';
  const dir = corpusDir(creators);
  const f = corpusFiles(dir);
  if (!opts.force && existsSync(f.meta)) {
    const meta = JSON.parse(readFileSync(f.meta, 'utf8')) as CorpusMeta;
    if (meta.creators === creators && meta.queries === queries && meta.dtype === dtype) {
      if (meta.queryEmbedding === 'single') return meta;
      // A fixture from before queries were embedded one per call: redo the queries and the truth.
      return embedQueries(dir, meta);
    }
  }
  await mkdir(dir, { recursive: true });
  const t0 = Date.now();
  writeDataset({ creators, fans: queries, seed: 42 }, dir, 'sample-creators.jsonl', 'sample-fans.jsonl');
  const embedder = createEmbedder({ dtype, threads: 2 });
  await embedder.init();
  const dims = embedder.dims;
  const vectorsOut = createWriteStream(f.vectors);
  const profilesOut = createWriteStream(f.profiles);
  const write = async (out: NodeJS.WritableStream, data: string | Uint8Array): Promise<void> => {
    if (!out.write(data)) await once(out, 'drain');
  };
  const flush = async (batch: string[], out: NodeJS.WritableStream): Promise<void> => {
    const vs = await embedder.embed(batch);
    const buf = new Float32Array(vs.length * dims);
    vs.forEach((v, i) => buf.set(v, i * dims));
    await write(out, new Uint8Array(buf.buffer));
  };
  let done = 0;
  let batch: string[] = [];
  let profiles: string[] = [];
  for await (const line of lines(f.creators)) {
    const r = JSON.parse(line) as CreatorRecord;
    batch.push(profileText(r));
    profiles.push(JSON.stringify(toProfile(r)));
    if (batch.length === CHUNK) {
      await flush(batch, vectorsOut);
      await write(profilesOut, `${profiles.join('\n')}\n`);
      done += batch.length;
      batch = [];
      profiles = [];
      if (done % (CHUNK * 10) === 0) process.stderr.write(`creators: ${done}/${creators} (${((Date.now() - t0) / 1000).toFixed(0)} s)\n`);
    }
  }
  if (batch.length) {
    await flush(batch, vectorsOut);
    await write(profilesOut, `${profiles.join('\n')}\n`);
  }
  for (const out of [vectorsOut, profilesOut]) {
    out.end();
    await once(out, 'finish');
  }
  const revision = embedder.revision;
  await embedder.dispose();
  const meta = await embedQueries(dir, { creators, queries, dims, truthK: TRUTH_K, model: DEFAULT_MODEL_ID, revision, dtype });
  process.stderr.write(`corpus ready in ${((Date.now() - t0) / 1000).toFixed(0)} s: ${dir}\n`);
  return meta;
}

/**
 * A corpus of `creators` made from a smaller embedded one without running the model (embedding
 * 1M profiles takes over an hour on 2 cores), for cost curves (build, load, memory, QPS, recall),
 * not for relevance. The first `from` creators keep the source's vectors; creator i beyond them
 * gets the source's vector i mod `from` plus Gaussian noise of norm about `noise`, renormalised
 * (cosine ~0.89 with it at 0.5): new points near the real embeddings' manifold. Profiles are the
 * generator's own for `creators`, the queries are the source's (same fan texts, same vectors),
 * and the exact top-100 is recomputed by numpy over all the vectors.
 */
export async function ensureExpandedCorpus(creators: number, from: number, noise = 0.5): Promise<CorpusMeta> {
  const dir = corpusDir(creators);
  const f = corpusFiles(dir);
  if (existsSync(f.meta)) {
    const meta = JSON.parse(readFileSync(f.meta, 'utf8')) as CorpusMeta;
    if (meta.creators === creators && (meta.expandedFrom === undefined || (meta.expandedFrom.creators === from && meta.expandedFrom.noise === noise))) return meta;
  }
  const source = await ensureCorpus({ creators: from });
  const src = corpusFiles(corpusDir(from));
  await mkdir(dir, { recursive: true });
  const t0 = Date.now();
  writeDataset({ creators, fans: source.queries, seed: 42 }, dir, 'sample-creators.jsonl', 'sample-fans.jsonl');
  const profilesOut = createWriteStream(f.profiles);
  for await (const line of lines(f.creators)) if (!profilesOut.write(`${JSON.stringify(toProfile(JSON.parse(line) as CreatorRecord))}\n`)) await once(profilesOut, 'drain');
  profilesOut.end();
  await once(profilesOut, 'finish');

  const dims = source.dims;
  const base = readF32(src.vectors);
  let seed = 1_000_003;
  const uniform = (): number => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return (seed + 1) / 4294967297;
  };
  const gaussian = (): number => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
  const sigma = noise / Math.sqrt(dims);
  const vectorsOut = createWriteStream(f.vectors);
  const rows = 4096;
  for (let start = 0; start < creators; start += rows) {
    const n = Math.min(rows, creators - start);
    const chunk = new Float32Array(n * dims);
    for (let r = 0; r < n; r++) {
      const i = start + r;
      const v = chunk.subarray(r * dims, (r + 1) * dims);
      v.set(base.subarray((i % from) * dims, (i % from + 1) * dims));
      if (i < from) continue;
      let norm = 0;
      for (let d = 0; d < dims; d++) norm += (v[d]! += sigma * gaussian()) ** 2;
      const s = 1 / Math.sqrt(norm);
      for (let d = 0; d < dims; d++) v[d]! *= s;
    }
    if (!vectorsOut.write(new Uint8Array(chunk.buffer))) await once(vectorsOut, 'drain');
  }
  vectorsOut.end();
  await once(vectorsOut, 'finish');
  await copyFile(src.queries, f.queries);
  await copyFile(src.fans, f.fans);
  const py = spawnSync(PYTHON, [`${__dirname}/py/truth.py`, f.vectors, f.queries, f.truth, String(dims), String(source.truthK)], { stdio: 'inherit' });
  if (py.status !== 0) throw new Error('ground truth (bench/py/truth.py) failed: install python3-numpy');
  const meta: CorpusMeta = { ...source, creators, expandedFrom: { creators: from, noise } };
  await writeFile(f.meta, JSON.stringify(meta, null, 2));
  process.stderr.write(`expanded corpus ready in ${((Date.now() - t0) / 1000).toFixed(0)} s: ${dir}\n`);
  return meta;
}

/**
 * The fan queries, embedded one text per call as the service embeds an interest_text (with the
 * q8 model a text's vector depends slightly on its batch-mates: dynamic quantization scales over
 * the whole batch), then the exact top-100 by numpy. Writes meta.json last.
 */
async function embedQueries(dir: string, base: Omit<CorpusMeta, 'queryEmbedding'>): Promise<CorpusMeta> {
  const f = corpusFiles(dir);
  const embedder = createEmbedder({ dtype: base.dtype as 'q8' | 'fp32' });
  await embedder.init();
  const fans: string[] = [];
  for await (const line of lines(f.fans)) fans.push((JSON.parse(line) as { interest_text: string }).interest_text);
  const buf = new Float32Array(fans.length * base.dims);
  for (let i = 0; i < fans.length; i++) buf.set((await embedder.embed([fans[i]!]))[0]!, i * base.dims);
  await embedder.dispose();
  await writeFile(f.queries, new Uint8Array(buf.buffer));
  const py = spawnSync(PYTHON, [`${__dirname}/py/truth.py`, f.vectors, f.queries, f.truth, String(base.dims), String(base.truthK)], { stdio: 'inherit' });
  if (py.status !== 0) throw new Error('ground truth (bench/py/truth.py) failed: install python3-numpy');
  const meta: CorpusMeta = { ...base, queries: fans.length, queryEmbedding: 'single' };
  await writeFile(f.meta, JSON.stringify(meta, null, 2));
  return meta;
}

if (require.main === module) {
  ensureCorpus({ creators: creatorsArg(), queries: arg('queries', 1000), dtype: argStr('dtype', 'q8') as 'q8' | 'fp32', force: flag('force') })
    .then((m) => console.log(JSON.stringify(m)))
    .catch((err: unknown) => {
      console.error(err);
      process.exit(1);
    });
}
