import { createHash } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { IndexLoadError } from './load-error';
import { assertRealDirectory, hashOpenFile, isSafeName, openRegularFile, pinnedPath, readSmallFile, SAFE_NAME, showName, type RegularFile } from './safe-files';

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
   * results re-scores the union of the dense and lexical lists (no second search) and is fused
   * with the same lexical list (m = 0: off; off with diversity or a category cap, which want the
   * breadth it narrows).
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

const fileEntry = z.object({ sha256: z.string().regex(/^[0-9a-f]{64}$/), bytes: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER) });

/** Largest manifest.json read (a real one is about 1 KB). */
export const MAX_MANIFEST_BYTES = 1 << 20;
/** Largest CURRENT read (a version name and a newline). */
export const MAX_CURRENT_BYTES = 256;
/** Most files a manifest may list. */
export const MAX_MANIFEST_FILES = 64;
/** Largest vector dimension a manifest may declare (the addon and the request limits assume far less). */
export const MAX_DIMS = 65_536;

/** A figure or hyper-parameter recorded with an adapter (numbers, strings, flags, or nested records of them). */
const recordedValue: z.ZodType<unknown> = z.lazy(() => z.union([z.number(), z.string(), z.boolean(), z.null(), z.array(recordedValue), z.record(z.string(), recordedValue)]));

/**
 * Optional learned query adapter (src/index/query-adapter.ts, docs/LEARNING.md): queries by text
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
  version: z.string().regex(SAFE_NAME, 'must be a plain version name'),
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
  dims: z.number().int().positive().max(MAX_DIMS),
  metric: z.literal('cosine'),
  normalized: z.literal(true),
  count: z.number().int().nonnegative().max(2 ** 31 - 1),
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
  // Plain names inside the version directory only: no '/', no '..', no absolute paths.
  files: z
    .record(z.string().regex(SAFE_NAME, 'file names must be plain names inside the version directory'), fileEntry)
    .refine((files) => Object.keys(files).length <= MAX_MANIFEST_FILES, `at most ${MAX_MANIFEST_FILES} files`),
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
  await assertRealDirectory(versionDir, `version directory ${versionDir}`);
  let text: string;
  try {
    text = (await readSmallFile(file, MAX_MANIFEST_BYTES, MANIFEST_FILE)).toString('utf8');
  } catch (err) {
    if (err instanceof IndexLoadError) throw err;
    throw new IndexLoadError(`${MANIFEST_FILE} is missing or unreadable: ${(err as Error).message}`, 'missing_files', { cause: err });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new IndexLoadError(`${file} is not valid JSON: ${(err as Error).message.slice(0, 200)}`, 'manifest', { cause: err });
  }
  const parsed = manifestSchema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.slice(0, 5).map((i) => `${i.path.map((p) => (typeof p === 'string' ? p.slice(0, 64) : String(p))).join('.')}: ${i.message.slice(0, 200)}`);
    throw new IndexLoadError(`${file} is not a valid manifest: ${issues.join('; ')}`, 'manifest');
  }
  return parsed.data;
}

/** The verified files of a version, still open: read them through `path(name)` (the very files that were checked). */
export interface VerifiedFiles {
  /** A path to the verified file (Linux: /proc/self/fd/N of the checked descriptor, so it cannot be swapped). */
  path(name: string): string;
  /** `message` with the pinned paths replaced by the files' real paths (errors of code that read them). */
  unpin(message: string): string;
  close(): Promise<void>;
}

/**
 * Checks every listed file: a regular file (no symlink, FIFO or device) inside the version
 * directory, its size against the manifest before a byte is hashed, then the sha256 of exactly
 * that many bytes. Throws naming the first mismatch. The files stay open (see VerifiedFiles).
 */
export async function verifyAndPinFiles(versionDir: string, manifest: Manifest, signal?: AbortSignal): Promise<VerifiedFiles> {
  for (const name of [...Object.values(ARTIFACT_FILES), ...(manifest.lexical ? Object.values(LEXICAL_FILES) : [])]) {
    if (!manifest.files[name]) throw new IndexLoadError(`manifest of ${manifest.version} does not list ${name}`, 'manifest');
  }
  const open = new Map<string, RegularFile>();
  const close = async (): Promise<void> => {
    const all = [...open.values()];
    open.clear();
    await Promise.all(all.map((f) => f.handle.close().catch(() => undefined)));
  };
  try {
    for (const [name, expected] of Object.entries(manifest.files)) {
      if (!isSafeName(name)) throw new IndexLoadError(`manifest lists ${showName(name)}, not a plain file name`, 'manifest');
      signal?.throwIfAborted();
      const file = await openRegularFile(path.join(versionDir, name), name).catch((err: unknown) => {
        if (err instanceof IndexLoadError) throw err;
        throw new IndexLoadError(`${name} is missing or unreadable in ${versionDir}: ${(err as Error).message}`, 'missing_files', { cause: err });
      });
      open.set(name, file);
      if (file.size !== expected.bytes) throw new IndexLoadError(`${name} has ${file.size} bytes, manifest says ${expected.bytes}`, 'integrity');
      const sha256 = await hashOpenFile(file.handle, expected.bytes, name, signal);
      if (sha256 !== expected.sha256) throw new IndexLoadError(`${name} checksum mismatch (corrupt or modified)`, 'integrity');
    }
  } catch (err) {
    await close();
    throw err;
  }
  return {
    path: (name) => {
      const f = open.get(name);
      if (!f) throw new Error(`${name} was not verified`);
      return pinnedPath(f.handle, path.join(versionDir, name));
    },
    unpin: (message) => {
      let out = message;
      for (const [name, f] of open) out = out.split(pinnedPath(f.handle, path.join(versionDir, name))).join(path.join(versionDir, name));
      return out;
    },
    close,
  };
}

/** Checks every listed file's size and sha256 (see verifyAndPinFiles); throws naming the first mismatch. */
export async function verifyFiles(versionDir: string, manifest: Manifest, signal?: AbortSignal): Promise<void> {
  await (await verifyAndPinFiles(versionDir, manifest, signal)).close();
}

/** Throws unless `version` is a plain version name (one path component, no leading dot). */
export function assertVersionName(version: string, source = 'version'): void {
  if (!isSafeName(version)) throw new IndexLoadError(`${source} names ${showName(version)}, not a version name (letters, digits, '.', '_', '-'; no leading dot, no '/')`, 'manifest');
}

/**
 * The published version named by DIR/CURRENT, or undefined when nothing is published. CURRENT
 * must be a small regular file (not a symlink, FIFO or device) holding one plain version name.
 */
export async function readCurrent(indexDir: string): Promise<string | undefined> {
  let text: string;
  try {
    text = (await readSmallFile(path.join(indexDir, CURRENT_FILE), MAX_CURRENT_BYTES, CURRENT_FILE)).toString('utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const version = text.trim();
  if (!version) return undefined;
  assertVersionName(version, CURRENT_FILE);
  return version;
}

/**
 * Points DIR/CURRENT at a version atomically (temp file + fsync + rename). The version must be a
 * plain name and a real directory at that moment (callers that prune hold the index-dir lock,
 * src/index/index-lock.ts, so that it cannot be removed before CURRENT names it).
 */
export async function writeCurrent(indexDir: string, version: string): Promise<void> {
  assertVersionName(version);
  await assertRealDirectory(path.join(indexDir, version), `version ${version}`).catch((err: unknown) => {
    throw new Error(`cannot publish ${version}: ${(err as Error).message} (removed by a concurrent prune?)`, { cause: err });
  });
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
