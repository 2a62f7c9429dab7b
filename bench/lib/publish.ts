/**
 * Publishes a bench corpus as a service index version with the builder's own publishVersion
 * (the code behind `npm run index:build`: recall check, checksums, manifest, CURRENT), over the
 * cached graph (no rebuild). `withModel` records the corpus's model in the manifest, so the
 * service loads it and answers interest_text queries; without it the version carries provided
 * vectors and the service loads no model.
 */
import { createReadStream, existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { publishVersion } from '../../index-builder/publish-version';
import { VectorMatrix } from '../../index-builder/vector-matrix';
import type { CreatorProfile } from '../../src/catalog/creator';
import { readCurrent, readManifest } from '../../src/index/manifest';
import { profileText } from '../../src/catalog/profile-text';
import { DEFAULT_RETRIEVAL } from '../../src/match/fusion-defaults';
import { HnswIndex } from '../../src/index/hnsw-index';
import { CACHE, corpusFiles, type Corpus } from './common';
import { ensureHnsw, PARAMS } from './indexes';

export async function readProfiles(file: string): Promise<CreatorProfile[]> {
  const out: CreatorProfile[] = [];
  const rl = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
  for await (const line of rl) if (line) out.push(JSON.parse(line) as CreatorProfile);
  return out;
}

export const benchIndexDir = (c: Corpus, withModel: boolean): string => path.join(CACHE, `index-${c.meta.creators}-${withModel ? 'model' : 'vectors'}`);

/** The index directory (DIR/CURRENT -> the version); published once and reused. */
export async function publishBenchIndex(c: Corpus, opts: { withModel?: boolean } = {}): Promise<{ dir: string; version: string; publishSeconds?: number }> {
  const withModel = opts.withModel ?? false;
  const dir = benchIndexDir(c, withModel);
  const current = existsSync(dir) ? await readCurrent(dir) : undefined;
  // A cached version that does not serve what a build serves by default (hybrid) is stale: rebuild it.
  if (current && (await readManifest(path.join(dir, current))).retrieval?.default === DEFAULT_RETRIEVAL.default) return { dir, version: current };
  await rm(dir, { recursive: true, force: true });
  const { file } = await ensureHnsw(c);
  const t0 = performance.now();
  const profiles = await readProfiles(corpusFiles(c.dir).profiles);
  const report = await publishVersion({
    out: dir,
    profiles,
    // The lexical index every build has (hybrid retrieval), from the same profile text.
    texts: profiles.map((p) => ({ text: profileText({ name: p.name, about: '', category: p.category, tags: p.tags }), language: p.language })),
    retrieval: DEFAULT_RETRIEVAL,
    matrix: new VectorMatrix(c.meta.dims, c.vectors),
    model: withModel ? { id: c.meta.model, revision: c.meta.revision ?? 'external', dtype: c.meta.dtype as 'q8' | 'fp32' } : null,
    vectorSource: withModel ? 'model' : 'provided',
    params: PARAMS,
    minRecall: 0,
    recallSample: 50,
    input: { file: 'bench-corpus', sha256: '0'.repeat(64), lines: c.meta.creators, skipped: 0 },
    publish: true,
    prebuilt: { ann: await HnswIndex.load(file, c.meta.dims), insertSeconds: 0 },
  });
  return { dir, version: report.version, publishSeconds: (performance.now() - t0) / 1000 };
}

/** A fresh version of provided vectors, built and published by the builder's own path (publishVersion: build, recall check on 200, write). */
export function publishProvided(out: string, profiles: CreatorProfile[], dims: number, vectors: Float32Array, inputName: string): ReturnType<typeof publishVersion> {
  return publishVersion({
    out,
    profiles,
    matrix: new VectorMatrix(dims, vectors),
    model: null,
    vectorSource: 'provided',
    params: PARAMS,
    minRecall: 0,
    recallSample: 200,
    input: { file: inputName, sha256: '0'.repeat(64), lines: profiles.length, skipped: 0 },
    publish: true,
  });
}
