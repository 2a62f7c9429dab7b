/**
 * Builds the evaluation sets from installed Debian data files and writes them in the repo's eval
 * formats (creators JSONL + fans JSONL per query style):
 *
 *   apt-get install -y --no-install-recommends wordnet-base fortunes fortunes-min dict-gcide
 *   npx tsx tools/eval/datasets/cli.ts [--out .bench-cache/datasets] [--seed 1] [NAME ...]
 *
 * NAME: wordnet-lexfile, wordnet-domain, gcide, fortunes (default: all). See README.md here.
 */
import path from 'node:path';
import { writeDataset, type Dataset } from './common';
import { fortunes } from './fortunes';
import { gcide } from './gcide';
import { readSynsets, wordnetDomain, wordnetLexfile } from './wordnet';

export const DATASET_NAMES = ['wordnet-lexfile', 'wordnet-domain', 'gcide', 'fortunes'] as const;
export type DatasetName = (typeof DATASET_NAMES)[number];

export function buildDatasets(names: readonly DatasetName[], seed: number): Dataset[] {
  let synsets: ReturnType<typeof readSynsets> | undefined;
  const wn = (): ReturnType<typeof readSynsets> => (synsets ??= readSynsets());
  return names.map((n) => {
    switch (n) {
      case 'wordnet-lexfile':
        return wordnetLexfile(seed, wn());
      case 'wordnet-domain':
        return wordnetDomain(seed, wn());
      case 'gcide':
        return gcide(seed);
      case 'fortunes':
        return fortunes(seed);
    }
  });
}

function main(argv: string[]): void {
  let out = '.bench-cache/datasets';
  let seed = 1;
  const names: DatasetName[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--out') out = argv[++i] ?? out;
    else if (a === '--seed') seed = Number(argv[++i]);
    else if ((DATASET_NAMES as readonly string[]).includes(a)) names.push(a as DatasetName);
    else throw new Error(`unknown argument ${a}; datasets: ${DATASET_NAMES.join(', ')}`);
  }
  for (const ds of buildDatasets(names.length > 0 ? names : DATASET_NAMES, seed)) {
    const files = writeDataset(ds, out);
    const cats = new Set(ds.creators.map((c) => c.category)).size;
    const q = Object.entries(ds.queries).map(([k, v]) => `${k} ${v.length}`).join(', ');
    console.log(`${ds.name}: ${ds.creators.length} creators in ${cats} categories; queries: ${q} -> ${path.dirname(files[0]!)}`);
  }
}

if (require.main === module) {
  try {
    main(process.argv.slice(2));
  } catch (err) {
    console.error((err as Error).message);
    process.exitCode = 1;
  }
}
