import { promises as fs } from 'node:fs';
import { fusionSchema, type FusionParams } from '../../src/index/manifest';

/**
 * A fusion file: the hybrid fusion a build records in its manifest (`index:build -- --fusion FILE`),
 * as `npm run eval -- --sweep-fusion --write FILE` writes it. JSON with the fields of the
 * manifest's `retrieval.fusion` (src/index/manifest.ts, fusionSchema) at the top level, plus:
 * - `chosenBy`: one line on where the setting came from (recorded as `retrieval.chosenBy`);
 * - `_doc`: what the fields mean (ignored when read);
 * - `sweep`: how the setting was chosen (objective, fans, version, the best settings and their
 *   metrics; ignored when read).
 */
export interface FusionFile {
  fusion: FusionParams;
  chosenBy: string;
}

export const FUSION_FIELD_DOCS: Record<keyof FusionParams, string> = {
  method: "rrf: weighted reciprocal rank fusion; minmax / zscore / dbsf: a blend of normalised scores",
  rrfK: "RRF's rank offset k: a list member at rank r adds weight / (k + r)",
  wLex: 'weight of the lexical (BM25) list; the dense list gets 1 - wLex; 0 for a query none of whose words the catalog has',
  denseN: 'candidates taken from the dense side (at least k)',
  lexicalN: 'candidates taken from the lexical side (at least k)',
  feedbackM: 'Rocchio feedback: the query moves towards the mean vector of the first m fused results, re-scores the union of the dense and lexical lists and is fused again (0: off; always off with diversity or max_per_category)',
  feedbackBeta: 'feedback weight: q2 = normalise(q + beta * mean)',
  voteGamma: "category vote: + gamma x share of the first voteM fused results in a creator's category (0: off)",
  voteM: 'results that vote',
  centroidGamma: "category-centroid smoothing of the dense side: a candidate's dense score is its cosine + gamma x the cosine of the query with its category's centroid (0: off)",
};

export async function readFusionFile(file: string): Promise<FusionFile> {
  let raw: unknown;
  try {
    raw = JSON.parse(await fs.readFile(file, 'utf8'));
  } catch (err) {
    throw new Error(`--fusion ${file}: ${(err as Error).message}`, { cause: err });
  }
  const parsed = fusionSchema.safeParse(raw);
  if (!parsed.success) throw new Error(`--fusion ${file} is not a fusion setting: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(top)'}: ${i.message}`).join('; ')}`);
  const chosenBy = typeof (raw as { chosenBy?: unknown }).chosenBy === 'string' ? (raw as { chosenBy: string }).chosenBy : `file ${file}`;
  return { fusion: parsed.data, chosenBy };
}

export async function writeFusionFile(file: string, fusion: FusionParams, chosenBy: string, sweep: unknown): Promise<void> {
  const doc = { ...fusion, chosenBy, _doc: FUSION_FIELD_DOCS, sweep };
  await fs.writeFile(file, JSON.stringify(doc, null, 2) + '\n');
}
