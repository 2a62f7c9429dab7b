import type { MatchSource } from '../match/matcher';
import type { ServedIndex } from './instruments';

/** What the index gauges report about a loaded version. */
export function servedIndexOf(index: MatchSource, variant: string): ServedIndex {
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
