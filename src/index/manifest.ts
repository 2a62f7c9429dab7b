import { createHash } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { IndexLoadError } from './load-error';

export const MANIFEST_FILE = 'manifest.json';
export const CURRENT_FILE = 'CURRENT';
export const FORMAT_VERSION = 1;
/** The HNSW file format of index.hnsw (versions written before the one-engine builder say 'hnswlib-node': same format). */
export const ANN_KIND = 'hnswlib';

/** Files of a version directory, besides the manifest. */
export const ARTIFACT_FILES = {
  index: 'index.hnsw',
  vectors: 'vectors.f32',
  creators: 'creators.jsonl',
} as const;

/**
 * Files of versions built with hybrid retrieval (listed in `files` when present): the lexical
 * (BM25) index the service loads, and the profile texts it was built from (one JSON line per
 * label, for compaction, evaluation and other backends; the service does not read it).
 */
export const LEXICAL_FILES = {
  lexical: 'lexical.bin',
  texts: 'texts.jsonl',
} as const;

export const RETRIEVAL_MODES = ['dense', 'lexical', 'hybrid'] as const;
export type ServedRetrieval = (typeof RETRIEVAL_MODES)[number];

/**
 * How hybrid retrieval fuses the dense and lexical candidate lists (docs/RELEVANCE.md, src/match/fusion.ts).
 * The builder records the default (or the setting a sweep chose) in the manifest.
 */
export const fusionSchema = z.object({
  /** rrf: weighted reciprocal rank fusion; minmax / zscore / dbsf: a blend of normalised scores. */
  method: z.enum(['rrf', 'minmax', 'zscore', 'dbsf']),
  /** RRF's k (rank offset). */
  rrfK: z.number().positive(),
  /** Weight of the lexical list (the dense list gets 1 - wLex); 0 for a query none of whose words the catalog has. */
  wLex: z.number().min(0).max(1),
  /** Candidates taken from each side (at least k). */
  denseN: z.number().int().positive(),
  lexicalN: z.number().int().positive(),
  /**
   * Pseudo-relevance feedback: the query moved by beta x the mean vector of the first m fused
   * results, searched again, fused with the same lexical list (m = 0: off; off with diversity or a
   * category cap, which want the breadth it narrows).
   */
  feedbackM: z.number().int().nonnegative(),
  feedbackBeta: z.number().nonnegative(),
  /** Category vote: add gamma x the share of the first voteM fused results in a creator's category (0: off). */
  voteGamma: z.number().nonnegative(),
  voteM: z.number().int().nonnegative(),
  /**
   * Category-centroid smoothing of the dense side (cluster-based retrieval, Liu & Croft 2004): a
   * dense candidate's score is its cosine + centroidGamma x the cosine of the query with the
   * centroid of its category (the normalised mean of the category's stored vectors). 0: off.
   * Absent in manifests written before it existed (read as 0).
   */
  centroidGamma: z.number().nonnegative().optional(),
});
export type FusionParams = z.infer<typeof fusionSchema>;

const fileEntry = z.object({ sha256: z.string().regex(/^[0-9a-f]{64}$/), bytes: z.number().int().nonnegative() });

/** A figure or hyper-parameter recorded with an adapter (numbers, strings, flags, or nested records of them). */
const recordedValue: z.ZodType<unknown> = z.lazy(() => z.union([z.number(), z.string(), z.boolean(), z.null(), z.array(recordedValue), z.record(z.string(), recordedValue)]));

/**
 * Optional learned query adapter (src/match/query-adapter.ts, docs/LEARNING.md): queries by text
 * or liked creators are mapped by it before search; raw vector queries are not. Its file is
 * listed in `files` like every other file.
 */
export const adapterSchema = z.object({
  /** File name inside the version directory (listed in `files`). */
  file: z.string().regex(/^[A-Za-z0-9._-]+$/),
  /** W = I + U·Vᵀ; the file's header repeats dims and rank. */
  format: z.literal('identity-plus-low-rank'),
  dims: z.number().int().positive(),
  rank: z.number().int().positive(),
  /** Query kinds the adapter applies to. */
  appliesTo: z.array(z.enum(['text', 'like'])).min(1),
  /** The version whose vectors it was trained on (this version's files are a copy of that one's). */
  baseVersion: z.string(),
  trainedAt: z.string(),
  trainingData: z.object({
    /** sha256 over the training data (see docs/LEARNING.md for which bytes). */
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    files: z.array(z.object({ name: z.string(), sha256: z.string().regex(/^[0-9a-f]{64}$/), bytes: z.number().int().nonnegative() })),
    pairs: z.number().int().nonnegative(),
    queries: z.number().int().nonnegative(),
    fans: z.number().int().nonnegative(),
  }),
  hyperParameters: z.record(z.string(), recordedValue),
  /** Validation figures (before = identity, after = the kept epoch) and anything else training reports. */
  validation: z.record(z.string(), recordedValue),
});

export type AdapterManifest = z.infer<typeof adapterSchema>;

export const manifestSchema = z.object({
  formatVersion: z.literal(FORMAT_VERSION),
  version: z.string().regex(/^[A-Za-z0-9._-]+$/),
  builtAt: z.string(),
  model: z
    .object({
      id: z.string().min(1),
      revision: z.string(),
      dtype: z.enum(['fp32', 'q8']),
    })
    .nullable(),
  /** 'model': embedded by the builder; 'provided': vectors came with the input. */
  vectorSource: z.enum(['model', 'provided']),
  dims: z.number().int().positive(),
  metric: z.literal('cosine'),
  normalized: z.literal(true),
  count: z.number().int().nonnegative(),
  ann: z.object({
    kind: z.enum([ANN_KIND, 'hnswlib-node'], { error: `ann.kind must be ${ANN_KIND} (the only index format this service reads; rebuild other versions)` }),
    m: z.number().int().positive(),
    efConstruction: z.number().int().positive(),
    efSearch: z.number().int().positive(),
    randomSeed: z.number().int(),
  }),
  recall: z.object({ k: z.number().int().positive(), sampleSize: z.number().int().nonnegative(), value: z.number() }),
  profileTextTemplate: z.number().int(),
  input: z.object({ file: z.string(), sha256: z.string(), lines: z.number().int(), skipped: z.number().int() }),
  /** The lexical index (versions built with hybrid retrieval); absent: dense only. */
  lexical: z.object({ documents: z.number().int().nonnegative(), formatVersion: z.number().int().positive() }).optional(),
  /** The mode a request with no retrieval gets, and the fusion hybrid uses. */
  retrieval: z.object({ default: z.enum(RETRIEVAL_MODES), fusion: fusionSchema, chosenBy: z.string() }).optional(),
  files: z.record(z.string(), fileEntry),
  adapter: adapterSchema.optional(),
}).superRefine((m, ctx) => {
  if (m.adapter && !m.files[m.adapter.file]) ctx.addIssue({ code: 'custom', path: ['adapter', 'file'], message: `${m.adapter.file} is not listed in files` });
  if (m.adapter && m.adapter.dims !== m.dims) ctx.addIssue({ code: 'custom', path: ['adapter', 'dims'], message: `adapter has ${m.adapter.dims} dims, the index ${m.dims}` });
  if (m.adapter && m.adapter.rank > m.adapter.dims) ctx.addIssue({ code: 'custom', path: ['adapter', 'rank'], message: `rank ${m.adapter.rank} exceeds dims ${m.adapter.dims}` });
});

export type Manifest = z.infer<typeof manifestSchema>;

export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export async function describeFile(file: string): Promise<{ sha256: string; bytes: number }> {
  const [sha256, stat] = await Promise.all([sha256File(file), fs.stat(file)]);
  return { sha256, bytes: stat.size };
}

export async function readManifest(versionDir: string): Promise<Manifest> {
  const file = path.join(versionDir, MANIFEST_FILE);
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    throw new IndexLoadError(`${MANIFEST_FILE} is missing or unreadable: ${(err as Error).message}`, 'missing_files', { cause: err });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new IndexLoadError(`${file} is not valid JSON: ${(err as Error).message}`, 'manifest', { cause: err });
  }
  const parsed = manifestSchema.safeParse(raw);
  if (!parsed.success) {
    throw new IndexLoadError(`${file} is not a valid manifest: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`, 'manifest');
  }
  return parsed.data;
}

/** Checks every listed file's size and sha256; throws naming the first mismatch. */
export async function verifyFiles(versionDir: string, manifest: Manifest): Promise<void> {
  for (const name of [...Object.values(ARTIFACT_FILES), ...(manifest.lexical ? Object.values(LEXICAL_FILES) : [])]) {
    if (!manifest.files[name]) throw new IndexLoadError(`manifest of ${manifest.version} does not list ${name}`, 'manifest');
  }
  for (const [name, expected] of Object.entries(manifest.files)) {
    const actual = await describeFile(path.join(versionDir, name)).catch((err: unknown) => {
      throw new IndexLoadError(`${name} is missing or unreadable in ${versionDir}: ${(err as Error).message}`, 'missing_files', { cause: err });
    });
    if (actual.bytes !== expected.bytes) throw new IndexLoadError(`${name} has ${actual.bytes} bytes, manifest says ${expected.bytes}`, 'integrity');
    if (actual.sha256 !== expected.sha256) throw new IndexLoadError(`${name} checksum mismatch (corrupt or modified)`, 'integrity');
  }
}

/** The published version named by DIR/CURRENT, or undefined when nothing is published. */
export async function readCurrent(indexDir: string): Promise<string | undefined> {
  try {
    const version = (await fs.readFile(path.join(indexDir, CURRENT_FILE), 'utf8')).trim();
    return version || undefined;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** Points DIR/CURRENT at a version atomically (temp file + fsync + rename). */
export async function writeCurrent(indexDir: string, version: string): Promise<void> {
  const tmp = path.join(indexDir, `.${CURRENT_FILE}.${process.pid}.${Date.now()}.tmp`);
  const handle = await fs.open(tmp, 'w');
  try {
    await handle.writeFile(`${version}\n`);
    await handle.sync();
  } catch (err) {
    await handle.close().catch(() => undefined);
    await fs.rm(tmp, { force: true });
    throw err;
  }
  await handle.close();
  await fs.rename(tmp, path.join(indexDir, CURRENT_FILE));
}
