import { readFileSync } from 'node:fs';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import fc from 'fast-check';
import { profileText } from '../../src/catalog/profile-text';
import { analyzeDocument } from '../../src/lexical/analyzer';
import { BM25_B, BM25_K1, LexicalIndex, MAX_QUERY_WORDS, type LexicalDoc } from '../../src/lexical/lexical-index';

const idf = (n: number, df: number): number => Math.log(1 + (n - df + 0.5) / (df + 0.5));
const bm25 = (idfValue: number, tf: number, dl: number, avgdl: number): number =>
  (idfValue * tf * (BM25_K1 + 1)) / (tf + BM25_K1 * (1 - BM25_B + (BM25_B * dl) / avgdl));

interface SampleCreator {
  id: string;
  name: string;
  about: string;
  tags: string[];
  category: string;
  language: string;
}

const sample: SampleCreator[] = readFileSync(path.join(__dirname, '../../data/sample-creators.jsonl'), 'utf8')
  .split('\n')
  .filter(Boolean)
  .map((l) => JSON.parse(l) as SampleCreator);
const sampleDocs: LexicalDoc[] = sample.map((c, label) => ({ label, text: profileText(c), language: c.language }));
const fanQueries: string[] = readFileSync(path.join(__dirname, '../../data/sample-fans.jsonl'), 'utf8')
  .split('\n')
  .filter(Boolean)
  .map((l) => (JSON.parse(l) as { interest_text: string }).interest_text);

describe('BM25 scores (hand-computed, 4 documents)', () => {
  // apple banana | apple apple cherry | banana | durian ×4 → lengths 2, 3, 1, 4; N = 4, avgdl = 2.5.
  const index = LexicalIndex.build([
    { label: 0, text: 'apple banana' },
    { label: 1, text: 'apple apple cherry' },
    { label: 2, text: 'banana' },
    { label: 3, text: 'durian durian durian durian' },
  ]);

  it('one term', () => {
    // df(apple) = 2: idf = ln(1 + 2.5 / 2.5) = ln 2.
    // doc 1: tf 2, dl 3: ln2 · 2 · 2.2 / (2 + 1.2 · (0.25 + 0.75 · 3 / 2.5)) = ln2 · 4.4 / 3.38
    // doc 0: tf 1, dl 2: ln2 · 2.2 / (1 + 1.2 · (0.25 + 0.75 · 2 / 2.5)) = ln2 · 2.2 / 2.02
    const hits = index.search('apple', 10);
    expect(hits.map((h) => h.label)).toEqual([1, 0]);
    expect(hits[0]!.score).toBeCloseTo((Math.LN2 * 4.4) / 3.38, 12);
    expect(hits[1]!.score).toBeCloseTo((Math.LN2 * 2.2) / 2.02, 12);
    expect(hits[0]!.score).toBeCloseTo(bm25(idf(4, 2), 2, 3, 2.5), 12);
  });

  it('two terms add up; only documents sharing a term are returned', () => {
    // doc 0: apple + banana, both tf 1, dl 2; doc 2: banana, dl 1: ln2 · 2.2 / (1 + 1.2 · 0.55).
    const hits = index.search('apple banana', 10);
    expect(hits.map((h) => h.label)).toEqual([0, 2, 1]);
    expect(hits[0]!.score).toBeCloseTo((2 * Math.LN2 * 2.2) / 2.02, 12);
    expect(hits[1]!.score).toBeCloseTo((Math.LN2 * 2.2) / 1.66, 12);
    expect(hits[2]!.score).toBeCloseTo((Math.LN2 * 4.4) / 3.38, 12);
  });

  it('rare term: idf ln(1 + 3.5 / 1.5), tf 4 in a long document', () => {
    const [hit] = index.search('durians', 10);
    expect(hit!.label).toBe(3);
    expect(hit!.score).toBeCloseTo((Math.log(1 + 3.5 / 1.5) * 4 * 2.2) / (4 + 1.2 * (0.25 + 0.75 * 4 / 2.5)), 12);
  });

  it('queryStats', () => {
    expect(index.queryStats('apple durian kiwi')).toEqual({ terms: 3, matchedTerms: 2, maxIdf: idf(4, 1), sumIdf: idf(4, 1) + Math.LN2 });
    expect(index.queryStats('kiwi')).toEqual({ terms: 1, matchedTerms: 0, maxIdf: 0, sumIdf: 0 });
    expect(index.queryStats('')).toEqual({ terms: 0, matchedTerms: 0, maxIdf: 0, sumIdf: 0 });
  });

  it('no match, empty query, k <= 0', () => {
    expect(index.search('kiwi', 10)).toEqual([]);
    expect(index.search('', 10)).toEqual([]);
    expect(index.search('apple', 0)).toEqual([]);
    expect(index.search('apple', -1)).toEqual([]);
    expect(index.search('apple', 1).map((h) => h.label)).toEqual([1]);
  });

  it('ties are broken by the smaller label', () => {
    const tied = LexicalIndex.build([5, 3, 9, 1].map((label) => ({ label, text: 'same words here' })));
    expect(tied.search('words', 10).map((h) => h.label)).toEqual([1, 3, 5, 9]);
    expect(tied.search('words', 2).map((h) => h.label)).toEqual([1, 3]);
  });

  it("a word's stem variants count once (the best one), not once each", () => {
    // Spanish doc: terms receta (English stem) and recet (Spanish stem); df(receta) = 2, df(recet) = 1.
    const idx = LexicalIndex.build([
      { label: 0, text: 'recetas', language: 'es' },
      { label: 1, text: 'receta', language: 'en' },
      { label: 2, text: 'banana' },
      { label: 3, text: 'cherry' },
    ]);
    expect(analyzeDocument('recetas', 'es').terms).toEqual(['receta', 'recet']);
    const hits = idx.search('las recetas de la', 10); // firm Spanish: variants receta, recet
    expect(hits.map((h) => h.label)).toEqual([0, 1]);
    expect(hits[0]!.score).toBeCloseTo(bm25(idf(4, 1), 1, 1, 1), 12);
    expect(hits[1]!.score).toBeCloseTo(bm25(idf(4, 2), 1, 1, 1), 12);
  });
});

describe('filtered search', () => {
  const docs: LexicalDoc[] = Array.from({ length: 2000 }, (_, label) => ({
    label,
    text: `common words ${label % 3 === 0 ? 'fizz' : ''} ${label % 5 === 0 ? 'buzz buzz' : ''} item${label % 50}`,
  }));
  const index = LexicalIndex.build(docs);

  it('returns only allowed documents, up to k, in the unfiltered order', () => {
    const allows = (l: number): boolean => l % 100 === 7; // 20 of 2,000 (1%)
    const all = index.search('common fizz buzz', 2000);
    expect(all).toHaveLength(2000);
    const expected = all.filter((h) => allows(h.label));
    expect(index.search('common fizz buzz', 5, allows)).toEqual(expected.slice(0, 5));
    expect(index.search('common fizz buzz', 50, allows)).toEqual(expected);
    expect(index.search('common fizz buzz', 50, () => false)).toEqual([]);
  });

  it('calls the filter once per candidate', () => {
    const calls = new Map<number, number>();
    index.search('common fizz buzz item7', 10, (l) => {
      calls.set(l, (calls.get(l) ?? 0) + 1);
      return l < 10;
    });
    expect(calls.size).toBe(2000);
    expect(Math.max(...calls.values())).toBe(1);
  });
});

describe('add / remove', () => {
  const texts = ['apple banana', 'apple apple cherry', 'banana', 'durian durian', 'cherry banana apple'];

  it('remove updates N, df and avgdl exactly; re-add and upsert', () => {
    const index = LexicalIndex.build(texts.map((text, label) => ({ label, text })));
    index.remove(1);
    index.remove(1); // again: ignored
    index.remove(99); // unknown: ignored
    expect(index.size).toBe(4);
    const fresh = LexicalIndex.build([0, 2, 3, 4].map((label) => ({ label, text: texts[label]! })));
    expect(index.search('apple cherry banana', 10)).toEqual(fresh.search('apple cherry banana', 10));

    index.add(1, 'durian'); // re-add a removed label with a new text
    index.add(0, 'cherry'); // upsert a live label
    index.add(7, 'apple'); // a new label
    expect(index.size).toBe(6);
    const expected = LexicalIndex.build([
      { label: 0, text: 'cherry' },
      { label: 1, text: 'durian' },
      { label: 2, text: texts[2]! },
      { label: 3, text: texts[3]! },
      { label: 4, text: texts[4]! },
      { label: 7, text: 'apple' },
    ]);
    for (const q of ['apple', 'cherry', 'durian banana', 'apple banana cherry durian']) expect(index.search(q, 10)).toEqual(expected.search(q, 10));
  });

  it('a query asked again after an add, a remove or a compaction is planned afresh (the last plan is remembered only while nothing changed)', () => {
    const index = LexicalIndex.build(texts.map((text, label) => ({ label, text })));
    const q = 'durian cherry';
    expect(index.queryStats(q).matchedTerms).toBe(2);
    expect(index.search(q, 10).map((h) => h.label)).toEqual([3, 1, 4]);
    index.add(9, 'elderberry durian');
    expect(index.search(q, 10).map((h) => h.label)).toContain(9);
    expect(index.queryStats('elderberry').matchedTerms).toBe(1);
    index.remove(9);
    expect(index.queryStats('elderberry').matchedTerms).toBe(0);
    expect(index.search(q, 10).map((h) => h.label)).not.toContain(9);
    for (const label of [0, 1, 2, 3]) index.remove(label); // enough removals to compact
    const fresh = LexicalIndex.build([{ label: 4, text: texts[4]! }]);
    expect(index.search(q, 10)).toEqual(fresh.search(q, 10));
    expect(index.queryStats(q)).toEqual(fresh.queryStats(q));
  });

  it('rejects bad labels and non-string texts', () => {
    const index = new LexicalIndex();
    expect(() => index.add(-1, 'x')).toThrow(RangeError);
    expect(() => index.add(1.5, 'x')).toThrow(RangeError);
    expect(() => index.add(Number.NaN, 'x')).toThrow(RangeError);
    expect(() => index.add(0, null as unknown as string)).toThrow(TypeError);
    expect(index.size).toBe(0);
    expect(index.search('x', 10)).toEqual([]);
  });

  it('many updates (compactions) give the same results as a fresh build', () => {
    const index = LexicalIndex.build(sampleDocs);
    const live = new Map(sampleDocs.map((d) => [d.label, d]));
    let next = sampleDocs.length;
    // Retire and re-append every other creator (as catalog updates do), then delete some.
    for (let label = 0; label < sampleDocs.length; label += 2) {
      const doc = live.get(label)!;
      index.remove(label);
      live.delete(label);
      const moved = { ...doc, label: next++ };
      index.add(moved.label, moved.text, moved.language);
      live.set(moved.label, moved);
    }
    for (let label = 1; label < 400; label += 4) {
      index.remove(label);
      live.delete(label);
    }
    // Then most of the rest: past REMOVED_COMPACT_MIN, removals trigger a compaction.
    const compact = jest.spyOn(LexicalIndex.prototype as unknown as { compact(): void }, 'compact');
    for (const label of [...live.keys()].slice(0, 1100)) {
      index.remove(label);
      live.delete(label);
    }
    expect(compact).toHaveBeenCalled();
    compact.mockRestore();
    expect(index.size).toBe(live.size);
    const fresh = LexicalIndex.build(live.values());
    for (const q of fanQueries.slice(0, 60)) {
      const a = index.search(q, 20);
      const b = fresh.search(q, 20);
      expect(a.map((h) => h.label)).toEqual(b.map((h) => h.label));
      a.forEach((h, i) => expect(h.score).toBeCloseTo(b[i]!.score, 9));
    }
  });

  it('documents added one by one (tail compactions) give the same results as a build', () => {
    const compact = jest.spyOn(LexicalIndex.prototype as unknown as { compact(): void }, 'compact');
    const index = new LexicalIndex();
    // 4,800 documents, ~100k postings: past TAIL_COMPACT_MIN.
    const docs = [0, 1, 2, 3].flatMap((copy) => sampleDocs.map((d) => ({ ...d, label: d.label + copy * sampleDocs.length })));
    for (const d of docs) index.add(d.label, d.text, d.language);
    expect(compact).toHaveBeenCalled();
    compact.mockRestore();
    const built = LexicalIndex.build(docs);
    for (const q of fanQueries.slice(0, 60)) {
      const a = index.search(q, 20);
      const b = built.search(q, 20);
      expect(a.map((h) => h.label)).toEqual(b.map((h) => h.label));
      a.forEach((h, i) => expect(h.score).toBeCloseTo(b[i]!.score, 9));
    }
  });

  it('random add/remove sequences match a fresh build (property)', () => {
    const words = ['apple', 'banana', 'cherry', 'durian', 'elder', 'fig', 'recetas', 'フィルム'];
    const text = fc.array(fc.constantFrom(...words), { minLength: 1, maxLength: 6 }).map((w) => w.join(' '));
    const op = fc.oneof(
      fc.record({ kind: fc.constant('add' as const), label: fc.nat(30), text, language: fc.constantFrom('en', 'es', 'ja') }),
      fc.record({ kind: fc.constant('remove' as const), label: fc.nat(30) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), fc.array(fc.constantFrom(...words), { minLength: 1, maxLength: 4 }), (ops, queryWords) => {
        const index = new LexicalIndex();
        const live = new Map<number, LexicalDoc>();
        for (const o of ops) {
          if (o.kind === 'add') {
            index.add(o.label, o.text, o.language);
            live.set(o.label, { label: o.label, text: o.text, language: o.language });
          } else {
            index.remove(o.label);
            live.delete(o.label);
          }
        }
        const q = queryWords.join(' ');
        const fresh = LexicalIndex.build(live.values());
        const a = index.search(q, 50);
        const b = fresh.search(q, 50);
        expect(a.map((h) => h.label)).toEqual(b.map((h) => h.label));
        a.forEach((h, i) => expect(h.score).toBeCloseTo(b[i]!.score, 9));
        const c = LexicalIndex.deserialize(index.serialize()).search(q, 50);
        expect(c.map((h) => h.label)).toEqual(b.map((h) => h.label));
      }),
      { numRuns: 150 },
    );
  });
});

describe('serialize / deserialize', () => {
  it('round trip gives identical results', () => {
    const index = LexicalIndex.build(sampleDocs);
    const bytes = index.serialize();
    const loaded = LexicalIndex.deserialize(bytes);
    expect(loaded.size).toBe(index.size);
    for (const q of fanQueries) {
      expect(loaded.search(q, 20)).toEqual(index.search(q, 20));
      expect(loaded.queryStats(q)).toEqual(index.queryStats(q));
    }
    // The loaded index takes updates too, and serializes to the same bytes as the original would.
    loaded.add(5000, 'sourdough fermentation', 'en');
    index.add(5000, 'sourdough fermentation', 'en');
    loaded.remove(3);
    index.remove(3);
    expect(Buffer.from(loaded.serialize()).equals(Buffer.from(index.serialize()))).toBe(true);
  });

  it('empty index round trip', () => {
    const loaded = LexicalIndex.deserialize(new LexicalIndex().serialize());
    expect(loaded.size).toBe(0);
    expect(loaded.search('x', 5)).toEqual([]);
  });

  describe('corrupt input is rejected with an Error', () => {
    const small = LexicalIndex.build(sampleDocs.slice(0, 40)).serialize();
    const expectRejected = (bytes: Uint8Array): void => {
      expect(() => LexicalIndex.deserialize(bytes)).toThrow(/lexical index file/);
    };

    it('truncated at every offset', () => {
      for (let n = 0; n < small.length; n++) expectRejected(small.subarray(0, n));
    });

    it('padded', () => {
      expectRejected(Buffer.concat([small, Buffer.from([0])]));
    });

    it('any bit flip (property)', () => {
      fc.assert(
        fc.property(fc.nat(small.length * 8 - 1), (bit) => {
          const bytes = Uint8Array.from(small);
          bytes[bit >> 3]! ^= 1 << (bit & 7);
          expectRejected(bytes);
        }),
        { numRuns: 300 },
      );
    });

    it('random bytes, with or without a valid header (property)', () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 300 }), fc.boolean(), (payload, withHeader) => {
          const bytes = withHeader ? withValidHeader(payload) : payload;
          let loaded: LexicalIndex | undefined;
          try {
            loaded = LexicalIndex.deserialize(bytes);
          } catch (err) {
            expect(err).toBeInstanceOf(Error);
            expect((err as Error).message).toMatch(/lexical index file/);
            return;
          }
          // A payload that happens to be valid must give a working index.
          loaded.search('apple banana', 5);
        }),
        { numRuns: 500 },
      );
    });

    it('huge counts in a checksummed payload fail fast without allocating', () => {
      // labelEnd = 2^32 - 1, then nothing.
      const started = performance.now();
      expectRejected(withValidHeader(Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0x0f, 0, 0])));
      expectRejected(withValidHeader(Uint8Array.from([0, 0xff, 0xff, 0xff, 0xff, 0x0f, 0])));
      expectRejected(withValidHeader(Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff])));
      expect(performance.now() - started).toBeLessThan(100);
    });

    it('not bytes at all', () => {
      expect(() => LexicalIndex.deserialize('CMLX' as unknown as Uint8Array)).toThrow(/lexical index file/);
    });
  });
});

describe('sample corpus', () => {
  it('100 documents in 7 languages: none empty, each found by its own text', () => {
    const perLanguage = new Map<string, number>();
    const picked = sampleDocs.filter((d) => {
      const n = perLanguage.get(d.language!) ?? 0;
      if (n >= (d.language === 'en' ? 16 : 14)) return false;
      perLanguage.set(d.language!, n + 1);
      return true;
    });
    expect(picked).toHaveLength(100);
    expect([...perLanguage.keys()].sort()).toEqual(['de', 'en', 'es', 'fr', 'it', 'ja', 'pt']);
    const index = LexicalIndex.build(picked);
    for (const d of picked) {
      expect(analyzeDocument(d.text, d.language).terms.length).toBeGreaterThan(0);
      const hits = index.search(d.text, 10);
      expect(hits.map((h) => h.label)).toContain(d.label);
    }
  });

  it('query work is bounded: a 4,000-character query of hundreds of words', () => {
    const index = LexicalIndex.build(sampleDocs);
    const words = [...new Set(sampleDocs.flatMap((d) => d.text.split(/\s+/)))].slice(0, 600);
    const query = words.join(' ').slice(0, 4000);
    const stats = index.queryStats(query);
    expect(stats.terms).toBeGreaterThan(MAX_QUERY_WORDS);
    expect(stats.matchedTerms).toBeLessThanOrEqual(MAX_QUERY_WORDS);
    const started = performance.now();
    for (let i = 0; i < 10; i++) index.search(query, 10);
    expect((performance.now() - started) / 10).toBeLessThan(50);
  });
});

/** A header that passes the magic, version, length and CRC checks, over `payload`. */
function withValidHeader(payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(16 + payload.length);
  out.set([0x43, 0x4d, 0x4c, 0x58]);
  const view = new DataView(out.buffer);
  view.setUint32(4, 1, true);
  view.setUint32(8, payload.length, true);
  view.setUint32(12, crc32(payload), true);
  out.set(payload, 16);
  return out;
}
