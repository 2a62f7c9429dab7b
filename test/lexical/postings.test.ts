import fc from 'fast-check';
import { forEachPosting, PostingWriter } from '../../src/lexical/postings';
import { LexicalIndex, MAX_LABEL, MAX_TF } from '../../src/lexical/lexical-index';

/** Writes each list as one term and reads every term back. */
function roundTrip(lists: Array<Array<[number, number]>>): Array<Array<[number, number]>> {
  const w = new PostingWriter(4);
  const offsets = [0];
  for (const list of lists) {
    w.startTerm();
    for (const [label, tf] of list) w.add(label, tf);
    offsets.push(w.position);
  }
  const bytes = w.finish();
  expect(bytes.length).toBe(w.position);
  return lists.map((_, t) => {
    const out: Array<[number, number]> = [];
    forEachPosting(bytes, offsets[t]!, offsets[t + 1]!, (label, tf) => out.push([label, tf]));
    return out;
  });
}

describe('delta-coded posting lists', () => {
  it('round-trip the extremes: label 0 and MAX_LABEL, gaps of every varint length, tf 1, 2 and 255', () => {
    const lists: Array<Array<[number, number]>> = [
      [[0, 1]],
      [[0, 255], [1, 1], [MAX_LABEL, 2]],
      [[MAX_LABEL, 1]],
      [[63, 1], [64, 2], [64 + 8192, 1], [64 + 8192 + 2 ** 20, MAX_TF], [2 ** 31 - 2, 1]],
      [],
    ];
    expect(roundTrip(lists)).toEqual(lists);
  });

  it('round-trip random ascending lists (property)', () => {
    const list = fc
      .uniqueArray(fc.integer({ min: 0, max: MAX_LABEL }), { maxLength: 40 })
      .chain((labels) => fc.tuple(fc.constant([...labels].sort((a, b) => a - b)), fc.array(fc.integer({ min: 1, max: MAX_TF }), { minLength: labels.length, maxLength: labels.length })))
      .map(([labels, tfs]) => labels.map((l, i): [number, number] => [l, tfs[i]!]));
    fc.assert(fc.property(fc.array(list, { maxLength: 8 }), (lists) => {
      expect(roundTrip(lists)).toEqual(lists);
    }));
  });

  it('an index with labels far apart and repeated words answers the same after a compaction and a round trip', () => {
    const docs = [0, 1, 127, 128, 16_383, 16_384, 250_000].map((label, i) => ({ label, text: `${'lantern '.repeat(1 + (i % 3))}harbour${i} ${i % 2 ? 'violin' : 'pottery'}`, language: 'en' }));
    const index = LexicalIndex.build(docs);
    const queries = ['lantern', 'violin pottery', 'harbour3 lantern', 'harbour6'];
    const before = queries.map((q) => index.search(q, 10));
    expect(before[0]!.map((h) => h.label).sort((a, b) => a - b)).toEqual(docs.map((d) => d.label));
    expect(before[3]!.map((h) => h.label)).toEqual([250_000]);
    const loaded = LexicalIndex.deserialize(index.serialize());
    expect(queries.map((q) => loaded.search(q, 10))).toEqual(before);
    // Removing and re-adding the far label compacts through the same encoding.
    loaded.remove(250_000);
    loaded.add(250_000, 'harbour6 lantern', 'en');
    expect(loaded.search('harbour6', 10).map((h) => h.label)).toEqual([250_000]);
  });
});
