import path from 'node:path';
import { toProfile, type CreatorRecord } from '../src/catalog/creator';
import { profileText } from '../src/catalog/profile-text';
import { createEmbedder } from '../src/embedding';
import { prepareIfBundled } from '../tools/model/prepare-default-model';
import { loadIndexVersion } from '../src/index/loaded-index';
import { applyDelete, applyEntries, applyUpsert } from '../src/lifecycle/apply-updates';
import { readUpdates } from '../src/lifecycle/update-log';
import { publishVersion, type BuildHooks, type ProfileDoc, type PublishReport } from './publish-version';
import { LEXICAL_FILES } from '../src/index/manifest';
import { readFile } from 'node:fs/promises';
import { VectorMatrix } from './vector-matrix';
import { InputError, readCreators } from '../src/catalog/creator-file';

export interface UpdateOptions {
  out: string;
  /** Creators JSONL/CSV to add or replace (embedded with the version's model unless they carry vectors). */
  upsertFile?: string;
  deleteIds?: string[];
  modelsDir?: string;
  minRecall?: number;
  keep?: number;
  publish?: boolean;
}

export interface UpdateReport extends PublishReport {
  base: string;
  upserted: number;
  deleted: number;
  notFound: string[];
}

/**
 * Applies upserts and deletes to the published version (its update log included) and publishes the
 * result as a new, compacted version: live creators only, a fresh HNSW graph, no deleted slots.
 * Unchanged creators are not re-embedded.
 */
export async function updateIndex(opts: UpdateOptions, hooks: BuildHooks = {}): Promise<UpdateReport> {
  const base = await loadIndexVersion(opts.out);
  try {
    const log = await readUpdates(base.dir, base.manifest.dims);
    if (log.rejected.length > 0) {
      throw new InputError(`the update log of ${base.version} has ${log.rejected.length} invalid line(s), e.g. line ${log.rejected[0]!.line}: ${log.rejected[0]!.reason}; fix or remove them before compacting`);
    }
    await applyEntries(base, log.entries);
    // Profile texts for the lexical index: the base version's, then each update's own.
    const baseTexts = base.manifest.lexical ? await readTexts(path.join(base.dir, LEXICAL_FILES.texts)) : [];
    const textById = new Map<string, ProfileDoc>();
    for (const e of log.entries) if (e.op === 'upsert' && e.text !== undefined) textById.set(e.creator.id, { text: e.text, language: e.creator.language });
    let upserted = 0;
    if (opts.upsertFile) {
      const read = await readCreators(opts.upsertFile);
      if (read.invalid.length > 0) {
        throw new InputError(`${read.invalid.length} invalid line(s) in ${opts.upsertFile}: ${read.invalid.slice(0, 5).map((i) => `line ${i.line}: ${i.reason}`).join('; ')}`);
      }
      const vectors = await vectorsFor(read.records, base.manifest, opts.modelsDir);
      for (const [i, r] of read.records.entries()) {
        await applyUpsert(base, toProfile(r), vectors[i]!, profileText(r));
        textById.set(r.id, { text: profileText(r), language: r.language });
      }
      upserted = read.records.length;
    }
    const notFound = opts.deleteIds?.length ? await applyDelete(base, opts.deleteIds) : [];
    const deleted = (opts.deleteIds?.length ?? 0) - notFound.length;

    const live = base.catalog.liveLabels();
    const compacted = new VectorMatrix(base.manifest.dims, new Float32Array(live.length * base.manifest.dims));
    const rows = await base.hnsw.vectors(live);
    rows.forEach((row, i) => compacted.data.set(row!, i * base.manifest.dims));
    const report = await publishVersion(
      {
        out: opts.out,
        profiles: live.map((l) => base.catalog.profile(l)),
        // The query adapter is query-side: compaction does not change what it maps to.
        ...(base.manifest.adapter ? { adapter: { source: path.join(base.dir, base.manifest.adapter.file), manifest: base.manifest.adapter } } : {}),
        ...(base.manifest.lexical
          ? {
              texts: live.map((l) => {
                const p = base.catalog.profile(l);
                return textById.get(p.id) ?? baseTexts[l] ?? { text: profileText({ ...p, about: '' }), language: p.language };
              }),
              ...(base.manifest.retrieval ? { retrieval: base.manifest.retrieval } : {}),
            }
          : {}),
        matrix: compacted,
        model: base.manifest.model,
        vectorSource: base.manifest.vectorSource,
        params: base.manifest.ann,
        minRecall: opts.minRecall ?? 0.95,
        recallSample: base.manifest.recall.sampleSize || 500,
        input: { ...base.manifest.input, file: `${base.manifest.input.file} + updates of ${base.version}${opts.upsertFile ? ` + ${path.basename(opts.upsertFile)}` : ''}` },
        publish: opts.publish ?? true,
        ...(opts.keep !== undefined ? { keep: opts.keep } : {}),
      },
      hooks,
    );
    return { ...report, base: base.version, upserted, deleted, notFound };
  } finally {
    await base.hnsw.close();
  }
}

async function vectorsFor(records: CreatorRecord[], manifest: { model: { id: string; dtype: 'fp32' | 'q8' } | null; dims: number }, modelsDir?: string): Promise<Float32Array[]> {
  const missing = records.filter((r) => r.vector === undefined);
  if (missing.length > 0 && !manifest.model) throw new InputError('this index has no model (built from provided vectors): every upserted creator needs a vector');
  const out = new Map<CreatorRecord, Float32Array>();
  if (missing.length > 0) {
    await prepareIfBundled(manifest.model!.id, modelsDir);
    const embedder = createEmbedder({ model: manifest.model!.id, dtype: manifest.model!.dtype, ...(modelsDir ? { modelsDir } : {}) });
    try {
      const vs = await embedder.embed(missing.map(profileText));
      missing.forEach((r, i) => out.set(r, vs[i]!));
    } finally {
      await embedder.dispose();
    }
  }
  return records.map((r) => {
    const v = r.vector ? Float32Array.from(r.vector) : out.get(r)!;
    if (v.length !== manifest.dims) throw new InputError(`creator ${r.id}: vector has ${v.length} values, the index has ${manifest.dims} dimensions`);
    return v;
  });
}

/** A version's texts.jsonl: one {text, language} per label. */
async function readTexts(file: string): Promise<ProfileDoc[]> {
  const text = await readFile(file, 'utf8');
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as ProfileDoc);
}
