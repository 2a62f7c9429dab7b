/** From query groups (creator ids, texts) to the trainer's input (labels, query vectors). */
import type { Embedder } from '../../src/embedding';
import { heldOutSet, type QueryGroup } from './interactions';
import type { EvalQuery, TrainGroup } from './train-adapter';
import { embedWithModelOf, rowOf, type VersionData } from './version-io';

export interface QueryVectors {
  /** Query text → normalised embedding by the version's model. */
  texts: Map<string, Float32Array>;
}

export interface BuiltTrainData {
  train: TrainGroup[];
  validation: EvalQuery[];
  /** The validation pairs as groups (validation loss). */
  validationGroups: TrainGroup[];
  /** Ids not in the version's catalog (their pairs are left out), counted per split. */
  unknownCreators: Record<'train' | 'validation', number>;
  /** Groups left out: a like query none of whose creators is known, or no known positive. */
  droppedGroups: number;
}

/** Embeds every distinct text of the groups with the version's model. */
export async function embedGroupTexts(version: VersionData, groups: readonly QueryGroup[], opts: { embedder?: Embedder; modelsDir?: string; onProgress?: (done: number, total: number) => void } = {}): Promise<Map<string, Float32Array>> {
  const texts = [...new Set(groups.filter((g) => g.kind === 'text').map((g) => g.text!))];
  const vectors = await embedWithModelOf(version.manifest, texts, {
    ...(opts.embedder ? { embedder: opts.embedder } : {}),
    ...(opts.modelsDir ? { modelsDir: opts.modelsDir } : {}),
    onProgress: (done) => opts.onProgress?.(done, texts.length),
  });
  return new Map(texts.map((t, i) => [t, vectors[i]!]));
}

/** The frozen encoder's query vector of a group: its text embedding, or the mean of its liked creators. */
export function groupVector(version: VersionData, g: Pick<QueryGroup, 'kind' | 'text' | 'likeIds'>, texts: ReadonlyMap<string, Float32Array>): { vector: Float32Array; exclude: number[] } | undefined {
  if (g.kind === 'text') {
    const v = texts.get(g.text!);
    return v ? { vector: v, exclude: [] } : undefined;
  }
  const labels = (g.likeIds ?? []).map((id) => version.labelOf.get(id)).filter((l): l is number => l !== undefined);
  if (labels.length === 0) return undefined;
  const out = new Float32Array(version.dims);
  for (const l of labels) {
    const row = rowOf(version, l);
    for (let i = 0; i < version.dims; i++) out[i]! += row[i]!;
  }
  let sq = 0;
  for (let i = 0; i < out.length; i++) sq += out[i]! * out[i]!;
  const n = Math.sqrt(sq);
  if (!(n > 0)) return undefined;
  for (let i = 0; i < out.length; i++) out[i]! /= n;
  return { vector: out, exclude: labels };
}

export function buildTrainData(version: VersionData, train: readonly QueryGroup[], validation: readonly QueryGroup[], texts: ReadonlyMap<string, Float32Array>): BuiltTrainData {
  const unknownCreators = { train: 0, validation: 0 };
  let droppedGroups = 0;
  const fanIndex = new Map<string, number>();
  const toGroups = (groups: readonly QueryGroup[], split: 'train' | 'validation'): TrainGroup[] => {
    const out: TrainGroup[] = [];
    for (const g of groups) {
      const q = groupVector(version, g, texts);
      const positives: Array<{ label: number; weight: number }> = [];
      for (const [id, p] of g.positives) {
        const label = version.labelOf.get(id);
        if (label === undefined) unknownCreators[split]++;
        else positives.push({ label, weight: p.weight });
      }
      const hardNegatives: number[] = [];
      for (const id of g.negatives) {
        const label = version.labelOf.get(id);
        if (label === undefined) unknownCreators[split]++;
        else hardNegatives.push(label);
      }
      if (!q || positives.length === 0) {
        if (split === 'train') droppedGroups++;
        continue;
      }
      let fan = fanIndex.get(g.fanId);
      if (fan === undefined) fanIndex.set(g.fanId, (fan = fanIndex.size));
      out.push({ query: q.vector, fan, positives, hardNegatives, exclude: q.exclude });
    }
    return out;
  };
  const trainGroups = toGroups(train, 'train');
  const validationGroups = toGroups(validation, 'validation');
  return { train: trainGroups, validation: evalQueries(version, validation, texts), validationGroups, unknownCreators, droppedGroups };
}

/** Held-out queries of a split (one per fan, graded by all its positives; see heldOutSet). */
export function evalQueries(version: VersionData, groups: readonly QueryGroup[], texts: ReadonlyMap<string, Float32Array>, onUnknown: (n: number) => void = () => undefined): EvalQuery[] {
  const set = heldOutSet(groups);
  const out: EvalQuery[] = [];
  for (const f of set.fans) {
    const q = groupVector(version, f.text !== undefined ? { kind: 'text', text: f.text } : { kind: 'like', likeIds: f.follows! }, texts);
    if (!q) continue;
    const grades = new Map<number, number>();
    let unknown = 0;
    for (const [id, g] of set.judgments.get(f.fanId) ?? []) {
      const label = version.labelOf.get(id);
      if (label === undefined) unknown++;
      else if (!q.exclude.includes(label)) grades.set(label, g);
    }
    onUnknown(unknown);
    if (grades.size > 0) out.push({ query: q.vector, grades, exclude: q.exclude });
  }
  return out;
}
