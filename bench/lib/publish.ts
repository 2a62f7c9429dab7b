/** Publishes the bench corpus + a cached ANN file as a service index version (no re-embedding, no rebuild). */
import { existsSync } from 'node:fs';
import { copyFile, link, mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ARTIFACT_FILES, FORMAT_VERSION, MANIFEST_FILE, describeFile, writeCurrent, type Manifest } from '../../src/index/manifest';
import { PROFILE_TEXT_TEMPLATE_VERSION } from '../../src/catalog/profile-text';
import { CACHE, corpusFiles, type Corpus } from './common';
import { PARAMS } from './indexes';

async function place(from: string, to: string): Promise<void> {
  await link(from, to).catch(() => copyFile(from, to));
}

export async function publishBenchIndex(c: Corpus, annFile: string, kind = 'hnswlib-node'): Promise<string> {
  const dir = path.join(CACHE, `index-${kind}-${c.meta.creators}`);
  const version = `bench-${kind}-${c.meta.creators}`;
  const vdir = path.join(dir, version);
  if (existsSync(path.join(vdir, MANIFEST_FILE))) return dir;
  await rm(vdir, { recursive: true, force: true });
  await mkdir(vdir, { recursive: true });
  const f = corpusFiles(c.dir);
  await place(annFile, path.join(vdir, ARTIFACT_FILES.index));
  await place(f.vectors, path.join(vdir, ARTIFACT_FILES.vectors));
  await place(f.profiles, path.join(vdir, ARTIFACT_FILES.creators));
  const files: Manifest['files'] = {};
  for (const name of Object.values(ARTIFACT_FILES)) files[name] = await describeFile(path.join(vdir, name));
  const manifest: Manifest = {
    formatVersion: FORMAT_VERSION,
    version,
    builtAt: new Date().toISOString(),
    model: null,
    vectorSource: 'provided',
    dims: c.meta.dims,
    metric: 'cosine',
    normalized: true,
    count: c.meta.creators,
    ann: { kind, ...PARAMS },
    recall: { k: 10, sampleSize: 0, value: 1 },
    profileTextTemplate: PROFILE_TEXT_TEMPLATE_VERSION,
    input: { file: 'bench-corpus', sha256: '0'.repeat(64), lines: c.meta.creators, skipped: 0 },
    files,
  };
  await writeFile(path.join(vdir, MANIFEST_FILE), JSON.stringify(manifest, null, 2) + '\n');
  await writeCurrent(dir, version);
  return dir;
}
