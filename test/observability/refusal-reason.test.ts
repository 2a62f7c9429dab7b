import { refusalReason } from '../../src/telemetry/served-index';

describe('refusalReason (the label of creator_match_index_load_refusals_total)', () => {
  it.each([
    ['vectors.f32 checksum mismatch', 'integrity'],
    ['index.hnsw has 100 bytes, manifest says 200', 'integrity'],
    ["manifest.json: ENOENT: no such file or directory, open '/x/manifest.json'", 'missing_files'],
    ["its model creator-match/use-lite cannot be loaded", 'model'],
    ['manifest says version a, directory is b', 'manifest'],
    ['creators file has 3 rows, manifest says 4', 'manifest'],
    ['HNSW index holds 3 points, expected 4', 'shape'],
    ['something else entirely', 'other'],
  ])('%s -> %s', (message, reason) => {
    expect(refusalReason(message)).toBe(reason);
  });
});
