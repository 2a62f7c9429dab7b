import type { LoadedIndex } from '../index/loaded-index';
import type { ServedIndex } from './instruments';

/** What the index gauges report about a loaded version. */
export function servedIndexOf(index: LoadedIndex, variant: string): ServedIndex {
  const { manifest } = index;
  return {
    variant,
    version: index.version,
    modelId: manifest.model?.id ?? '',
    creators: index.catalog.size,
    dims: manifest.dims,
    bytes: Object.values(manifest.files).reduce((sum, f) => sum + f.bytes, 0),
    builtAt: manifest.builtAt,
    buildRecall: manifest.recall.value,
  };
}

/** A low-cardinality label for why a version was refused, from the refusal message. */
export function refusalReason(message: string): string {
  if (/sha256|checksum|\bhas \d+ bytes\b/i.test(message)) return 'integrity';
  if (/ENOENT|no such file|missing/i.test(message)) return 'missing_files';
  if (/\bmodel\b/i.test(message)) return 'model';
  if (/manifest/i.test(message)) return 'manifest';
  if (/dims|dimension|rows|holds|count|shape|smoke/i.test(message)) return 'shape';
  return 'other';
}
