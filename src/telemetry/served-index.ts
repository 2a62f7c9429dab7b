import type { ServedIndex } from './instruments';

/** What the index gauges report about a loaded version. */
/** The parts of a served version the gauges read (structural: telemetry depends on no other layer). */
export interface GaugedVersion {
  version: string;
  manifest: { model?: { id: string } | null | undefined; dims: number; files: Record<string, { bytes: number }>; builtAt: string; recall: { value: number } };
  catalog: { size: number };
}

export function servedIndexOf(index: GaugedVersion, variant: string): ServedIndex {
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
