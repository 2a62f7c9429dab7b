import fc from 'fast-check';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Catalog, type FilterSpec } from '../../src/catalog/catalog';
import { IdTable } from '../../src/catalog/columns';
import type { CreatorProfile } from '../../src/catalog/creator';
import { ReferenceCatalog } from '../helpers/reference-catalog';

const profile = (id: string, over: Partial<CreatorProfile> = {}): CreatorProfile => ({
  id,
  name: `Name ${id}`,
  category: 'music',
  tags: ['a', 'b'],
  language: 'en',
  is_nsfw: false,
  ...over,
});

const jsonl = (ps: readonly unknown[], eol = '\n'): Buffer => Buffer.from(ps.map((p) => JSON.stringify(p)).join(eol) + eol, 'utf8');

/** Every observable of the catalog, compared as JSON text (key order and values). */
function snapshot(c: Catalog): unknown {
  return {
    labelCount: c.labelCount,
    size: c.size,
    profiles: Array.from({ length: c.labelCount }, (_, l) => JSON.stringify(c.profile(l))),
    live: Array.from({ length: c.labelCount }, (_, l) => c.isLive(l)),
    liveLabels: c.liveLabels(),
    categories: c.categories(),
    languages: c.languages(),
  };
}

const UNICODE: CreatorProfile[] = [
  profile('ascii-1'),
  profile('ünïcødé-2', { name: 'Zoë Ångström', tags: ['café', 'naïve', 'Ελληνικά'], category: 'Küche', language: 'de' }),
  profile('日本-3', { name: '山田 太郎 🎸', tags: ['音楽', 'ギター', '🎶🎶'], category: '音楽', language: 'ja' }),
  profile('emoji-😀-4', { name: '👩🏽‍🍳 Chef', tags: ['e\u0301', '\u2028line', 'quote "x" \\ back'], language: 'ES ' }),
  profile('rtl-5', { name: 'مرحبا', tags: [], category: '', language: '' }),
  profile('ctl-6', { name: 'tab\there\nnewline\u0000nul', tags: ['\r'], is_nsfw: true }),
];

describe('Catalog storage: profiles', () => {
  it.each([
    ['object constructor', () => new Catalog(UNICODE)],
    ['fromJsonLines', () => Catalog.fromJsonLines(jsonl(UNICODE))],
  ])('round-trips unicode names, tags, ids, categories (%s)', (_name, make) => {
    const c = make();
    expect(c.labelCount).toBe(UNICODE.length);
    UNICODE.forEach((p, l) => {
      expect(c.profile(l)).toEqual(p);
      expect(JSON.stringify(c.profile(l))).toBe(JSON.stringify(p));
      expect(c.idOf(l)).toBe(p.id);
      expect(c.categoryOf(l)).toBe(p.category);
      expect(c.labelOf(p.id)).toBe(l);
    });
    expect(c.storageStats().compactRows).toBe(UNICODE.length);
  });

  it('returns a fresh object per call (callers may not mutate the store)', () => {
    const c = new Catalog([profile('a')]);
    const p = c.profile(0);
    p.tags.push('mutated');
    p.name = 'changed';
    expect(c.profile(0)).toEqual(profile('a'));
  });

  it('keeps profiles that are not plain CreatorProfiles exactly as their JSON (extra fields, key order, odd types)', () => {
    const odd = [
      { ...profile('x1'), about: 'extra field', vector: [0.1, -0.25, 1e-7] },
      { name: 'first', id: 'x2', category: 'music', tags: ['t'], language: 'en', is_nsfw: false },
      { ...profile('x3'), is_nsfw: 1 },
      { ...profile('x4'), tags: ['ok', 7, null, { deep: ['x'] }] },
      { ...profile('x5'), name: undefined },
      { ...profile('x6'), name: 42 },
    ] as unknown as CreatorProfile[];
    for (const c of [new Catalog(odd), Catalog.fromJsonLines(jsonl(odd))]) {
      expect(c.storageStats().compactRows).toBe(0);
      odd.forEach((p, l) => expect(JSON.stringify(c.profile(l))).toBe(JSON.stringify(p)));
      expect(c.compile({ excludeIds: [], categories: [], languages: [], includeNsfw: false }).allows(2)).toBe(false);
    }
  });

  it('stores compact rows smaller than the JSON lines', () => {
    const ps = Array.from({ length: 200 }, (_, i) => profile(`cr_${i}`, { category: ['music', 'games'][i % 2]!, language: ['en', 'fr', 'es'][i % 3]!, is_nsfw: i % 7 === 0 }));
    const c = Catalog.fromJsonLines(jsonl(ps));
    const stats = c.storageStats();
    expect(stats.compactRows).toBe(200);
    expect(stats.profileBytes).toBe(ps.reduce((n, p) => n + Buffer.byteLength(JSON.stringify([p.name, p.tags])), 0));
    expect(stats.profileBytes).toBeLessThan(jsonl(ps).length / 2);
  });

  it('throws RangeError for labels it never assigned', () => {
    const c = new Catalog([profile('a')]);
    for (const bad of [-1, 1, 0.5, NaN]) {
      expect(() => c.profile(bad)).toThrow(RangeError);
      expect(() => c.idOf(bad)).toThrow(RangeError);
      expect(() => c.categoryOf(bad)).toThrow(RangeError);
    }
  });
});

describe('Catalog storage: upsert, delete, retire', () => {
  it('retires the old label on upsert and on delete; retired profiles stay readable', () => {
    const c = Catalog.fromJsonLines(jsonl([profile('a', { category: 'music' }), profile('b', { category: 'games', is_nsfw: true }), profile('c', { language: 'fr' })]));
    expect(c.upsert(profile('b', { name: 'B2', category: 'cooking' }))).toEqual({ label: 3, replaced: 1 });
    expect(c.labelOf('b')).toBe(3);
    expect(c.isLive(1)).toBe(false);
    expect(c.profile(1).name).toBe('Name b');
    expect(c.profile(3).name).toBe('B2');
    expect(c.categories()).toEqual(['cooking', 'music']);
    expect(c.size).toBe(3);
    expect(c.labelCount).toBe(4);

    expect(c.delete('c')).toBe(2);
    expect(c.delete('c')).toBeUndefined();
    expect(c.delete('nope')).toBeUndefined();
    expect(c.labelOf('c')).toBeUndefined();
    expect(c.languages()).toEqual(['en']);
    expect(c.liveLabels()).toEqual([0, 3]);
    expect(c.size).toBe(2);

    // A deleted id can come back under a new label.
    expect(c.upsert(profile('c'))).toEqual({ label: 4, replaced: undefined });
    expect(c.labelOf('c')).toBe(4);
    expect(c.liveLabels()).toEqual([0, 3, 4]);
    const all = c.compile({ excludeIds: [], categories: [], languages: [], includeNsfw: true });
    expect([0, 1, 2, 3, 4].filter(all.allows)).toEqual([0, 3, 4]);
  });

  it('leaves the catalog unchanged when an upsert is rejected', () => {
    const c = new Catalog([profile('a')]);
    const before = snapshot(c);
    expect(() => c.upsert({ ...profile('a'), category: undefined } as unknown as CreatorProfile)).toThrow(TypeError);
    expect(() => c.upsert({ ...profile('z'), id: 5 } as unknown as CreatorProfile)).toThrow(/id must be a string/);
    expect(snapshot(c)).toEqual(before);
  });

  it('grows every column past its initial capacity (object constructor, fromJsonLines, empty)', () => {
    const n = 3000;
    const extra = Array.from({ length: n }, (_, i) => profile(`new-${i}-ñ`, { name: `N${i} 🎉`, category: `cat${i % 40}`, language: `l${i % 3}`, is_nsfw: i % 5 === 0, tags: [`t${i}`] }));
    for (const c of [new Catalog([]), new Catalog([profile('seed')]), Catalog.fromJsonLines(jsonl([profile('seed')]))]) {
      const start = c.labelCount;
      for (const p of extra) c.upsert(p);
      // Replace every other one: new labels, old ones retired.
      for (let i = 0; i < n; i += 2) expect(c.upsert({ ...extra[i]!, name: 'v2' }).replaced).toBe(start + i);
      expect(c.labelCount).toBe(start + n + n / 2);
      expect(c.size).toBe(start + n);
      extra.forEach((p, i) => {
        const label = c.labelOf(p.id)!;
        expect(label).toBe(i % 2 === 0 ? start + n + i / 2 : start + i);
        expect(c.profile(label)).toEqual(i % 2 === 0 ? { ...p, name: 'v2' } : p);
        expect(c.profile(start + i)).toEqual(p);
      });
      expect(c.categories().filter((k) => k.startsWith('cat'))).toHaveLength(40);
      const nsfwOff = c.compile({ excludeIds: [], categories: ['cat0'], languages: [], includeNsfw: false });
      expect(nsfwOff.candidates!.every((l) => !c.profile(l).is_nsfw && c.profile(l).category === 'cat0' && c.isLive(l))).toBe(true);
      expect(nsfwOff.candidates).toHaveLength(extra.filter((p) => p.category === 'cat0' && !p.is_nsfw).length);
    }
  });
});

describe('Catalog storage: dictionary codes', () => {
  it('codes each raw category/language once; filters match on the normalised key, categoryOf gives the raw value', () => {
    const c = new Catalog([
      profile('a', { category: 'Music', language: 'EN' }),
      profile('b', { category: 'music', language: 'en' }),
      profile('c', { category: ' music ', language: 'en' }),
      profile('d', { category: 'Music', language: 'fr' }),
      profile('e', { category: 'games', language: 'EN' }),
    ]);
    const stats = c.storageStats();
    expect(stats.categoryDictionary).toEqual(['Music', 'music', ' music ', 'games']);
    expect(stats.languageDictionary).toEqual(['EN', 'en', 'fr']);
    expect([0, 1, 2, 3, 4].map((l) => c.categoryOf(l))).toEqual(['Music', 'music', ' music ', 'Music', 'games']);
    expect(c.categories()).toEqual(['games', 'music']);
    const f = c.compile({ excludeIds: [], categories: ['MUSIC'], languages: ['en'], includeNsfw: false });
    expect(f.candidates).toEqual([0, 1, 2]);
    expect([0, 1, 2, 3, 4].filter(f.allows)).toEqual([0, 1, 2]);
  });

  it('widens codes past 65,536 distinct values', () => {
    const n = 70_000;
    const ps = Array.from({ length: n }, (_, i) => profile(`p${i}`, { category: `c${i}`, tags: [] }));
    const c = Catalog.fromJsonLines(jsonl(ps));
    expect(c.storageStats().categoryDictionary).toHaveLength(n);
    for (const l of [0, 65_535, 65_536, 65_537, n - 1]) {
      expect(c.categoryOf(l)).toBe(`c${l}`);
      expect(c.compile({ excludeIds: [], categories: [`c${l}`], languages: [], includeNsfw: true }).candidates).toEqual([l]);
    }
    c.upsert(profile('p65536', { category: 'c0' }));
    expect(c.compile({ excludeIds: [], categories: ['c0'], languages: [], includeNsfw: true }).candidates).toEqual([0, n]);
  });

  it('on equal category and language union sizes, enumerates the category union (key order, then label order)', () => {
    const ps = [
      profile('0', { category: 'games', language: 'en' }),
      profile('1', { category: 'music', language: 'en' }),
      profile('2', { category: 'music', language: 'fr' }),
      profile('3', { category: 'games', language: 'fr' }),
    ];
    const spec = { excludeIds: [], categories: ['music', 'games'], languages: ['en', 'fr'], includeNsfw: false };
    expect(new Catalog(ps).compile(spec).candidates).toEqual([1, 2, 0, 3]);
    expect(new ReferenceCatalog(ps).compile(spec).candidates).toEqual([1, 2, 0, 3]);
    expect(new Catalog(ps).compile({ ...spec, languages: ['fr', 'en'], categories: ['music', 'games', 'cooking'] }).candidates).toEqual([1, 2, 0, 3]);
    expect(new Catalog(ps).compile({ ...spec, languages: ['fr', 'en'], categories: ['music'] }).candidates).toEqual([1, 2]);
  });

  it('a filter compiled before an upsert sees the new label, even under a value coded after it', () => {
    const c = new Catalog([profile('a', { category: 'music' })]);
    const f = c.compile({ excludeIds: [], categories: ['music'], languages: [], includeNsfw: false });
    c.upsert(profile('b', { category: 'MUSIC ' }));
    c.upsert(profile('c', { category: 'games' }));
    expect([0, 1, 2, 3].map(f.allows)).toEqual([true, true, false, false]);
    c.delete('a');
    expect(f.allows(0)).toBe(false);
  });
});

describe('IdTable', () => {
  it('tells ids apart that share bytes or hash buckets, and keeps lone surrogates exact', () => {
    const t = new IdTable();
    const ids = ['', 'a', 'b', 'ab', 'ba', '\ud800', '\udc00', '\ud800\udc00', '𐀁', 'x'.repeat(3000), 'x'.repeat(2999)];
    // Ids that are prefixes of one another, so some probe sequences pass over a longer or shorter twin.
    for (let i = 0; i < 3000; i++) ids.push(...(i % 2 ? [`id-${i}`, `id-${i}_`] : [`id-${i}_`, `id-${i}`]));
    ids.forEach((id) => t.append(id));
    ids.forEach((id, label) => {
      expect(t.find(id)).toBe(label);
      expect(t.idOf(label)).toBe(id);
    });
    expect(t.find('nope')).toBe(-1);
    expect(t.find('\udbff')).toBe(-1);
    t.append('a');
    expect(t.find('a')).toBe(ids.length);
    expect(t.idOf(1)).toBe('a');
  });

  it('holds Latin-1 ids in one byte a unit and widens, without losing any, at the first id above U+00FF', () => {
    const narrow = Array.from({ length: 5000 }, (_, i) => (i % 3 === 0 ? `créateur-${i}-ÿ` : `cr_${String(i).padStart(7, '0')}`));
    const latin = new IdTable();
    narrow.forEach((id) => latin.append(id));
    const wide = new IdTable();
    [...narrow.slice(0, 1), 'Ā'].forEach((id) => wide.append(id));
    narrow.slice(1).forEach((id) => wide.append(id));
    // One byte a unit until widened: about half the id bytes of the widened table.
    expect(latin.capacityBytes).toBeLessThan(wide.capacityBytes - 40_000);
    // Widened late, after many appends and rehashes: every id still found and exact.
    const all = [...narrow, 'Ā', '数据-1', '\ud800'];
    all.slice(narrow.length).forEach((id) => latin.append(id));
    all.forEach((id, label) => {
      expect(latin.find(id)).toBe(label);
      expect(latin.idOf(label)).toBe(id);
    });
    expect(latin.find('cr_0000001\u0100')).toBe(-1);
  });
});

describe('Catalog.fromJsonLines', () => {
  it('reads \\n, \\r\\n and \\r line ends, skips empty lines, needs no final newline', () => {
    const ps = [profile('a'), profile('b', { is_nsfw: true }), profile('c', { tags: ['x\r\ny'] })];
    const lines = ps.map((p) => JSON.stringify(p));
    const expected = snapshot(new Catalog(ps));
    for (const text of [lines.join('\n'), `\n${lines.join('\r\n')}\r\n\r\n`, lines.join('\r'), `${lines[0]}\n\n\r\n${lines[1]}\r\r${lines[2]}\n`]) {
      expect(snapshot(Catalog.fromJsonLines(Buffer.from(text)))).toEqual(expected);
    }
    expect(Catalog.fromJsonLines(Buffer.alloc(0)).labelCount).toBe(0);
  });

  it('reads a Uint8Array view into a larger buffer', () => {
    const body = jsonl([profile('a'), profile('b')]);
    const big = new Uint8Array(body.length + 20).fill(0x41);
    big.set(body, 10);
    expect(snapshot(Catalog.fromJsonLines(big.subarray(10, 10 + body.length)))).toEqual(snapshot(new Catalog([profile('a'), profile('b')])));
  });

  it('rejects duplicate ids, bad JSON and non-objects like the object path does', () => {
    expect(() => Catalog.fromJsonLines(jsonl([profile('a'), profile('b'), profile('a')]))).toThrow('duplicate creator id "a" in catalog');
    expect(() => new Catalog([profile('a'), profile('b'), profile('a')])).toThrow('duplicate creator id "a" in catalog');
    expect(() => Catalog.fromJsonLines(Buffer.from(`${JSON.stringify(profile('a'))}\n{"id": oops}\n`))).toThrow(/creators line 2: invalid JSON/);
    expect(() => Catalog.fromJsonLines(Buffer.from(`${JSON.stringify(profile('a'))}\n  \n`))).toThrow(/creators line 2: invalid JSON/);
    expect(() => Catalog.fromJsonLines(Buffer.from('\ufeff{"id":"a"}\n'))).toThrow(/line 1: invalid JSON/);
    expect(() => Catalog.fromJsonLines(Buffer.from('[1]\n'))).toThrow(/line 1: expected a JSON object/);
    expect(() => Catalog.fromJsonLines(Buffer.from('null\n'))).toThrow(/line 1: expected a JSON object/);
    expect(() => Catalog.fromJsonLines(Buffer.from('{"id":7,"category":"","language":""}\n'))).toThrow(/id must be a string/);
  });

  const creator = fc.record({
    id: fc.string({ minLength: 1, maxLength: 12, unit: 'binary' }),
    name: fc.string({ maxLength: 20, unit: 'grapheme' }),
    category: fc.constantFrom('music', 'Music', 'games', ' Games', 'cooking', ''),
    tags: fc.array(fc.string({ maxLength: 8, unit: 'grapheme' }), { maxLength: 4 }),
    language: fc.constantFrom('en', 'EN', 'fr', 'ja', ''),
    is_nsfw: fc.boolean(),
  });

  it('gives the same catalog as the object constructor (property)', () => {
    fc.assert(
      fc.property(fc.uniqueArray(creator, { selector: (p) => p.id, maxLength: 40 }), fc.constantFrom('\n', '\r\n'), (ps, eol) => {
        expect(snapshot(Catalog.fromJsonLines(jsonl(ps, eol)))).toEqual(snapshot(new Catalog(ps)));
        expect(snapshot(new Catalog(ps))).toEqual(snapshotReference(new ReferenceCatalog(ps)));
      }),
      { numRuns: 150 },
    );
  });
});

describe('Catalog.readJsonLinesFile', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'catalog-storage-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, body: string | Buffer): string => {
    const file = path.join(dir, name);
    writeFileSync(file, body);
    return file;
  };

  it('reads the same catalog whatever the chunk size (lines, \\r\\n and multi-byte characters split across chunks)', async () => {
    const ps = UNICODE.concat(Array.from({ length: 30 }, (_, i) => profile(`p${i}`, { name: 'é'.repeat(i), tags: ['日本'.repeat(i % 4)] })));
    const lines = ps.map((p) => JSON.stringify(p));
    const body = `\r\n${lines.slice(0, 10).join('\r\n')}\r${lines.slice(10, 20).join('\n')}\n\n${lines.slice(20).join('\r\n')}`;
    const file = write('mixed.jsonl', body);
    const expected = snapshot(new Catalog(ps));
    expect(snapshot(Catalog.fromJsonLines(Buffer.from(body)))).toEqual(expected);
    for (const chunk of [1, 2, 3, 5, 7, 64, 333, 1 << 20]) expect(snapshot(await Catalog.readJsonLinesFile(file, chunk))).toEqual(expected);
  });

  it('counts lines across chunks in its errors', async () => {
    const ok = JSON.stringify(profile('a'));
    const file = write('bad.jsonl', `${ok}\r\n\r\n${JSON.stringify(profile('b'))}\r\n{"id":\n`);
    for (const chunk of [1, 4, 1 << 20]) await expect(Catalog.readJsonLinesFile(file, chunk)).rejects.toThrow(/creators line 4: invalid JSON/);
    const dup = write('dup.jsonl', `${ok}\n${ok}`);
    await expect(Catalog.readJsonLinesFile(dup, 3)).rejects.toThrow('duplicate creator id "a" in catalog');
    await expect(Catalog.readJsonLinesFile(path.join(dir, 'missing.jsonl'))).rejects.toThrow(/ENOENT/);
  });

  it('reads an empty file', async () => {
    expect((await Catalog.readJsonLinesFile(write('empty.jsonl', ''))).labelCount).toBe(0);
  });
});

function snapshotReference(c: ReferenceCatalog): unknown {
  return snapshot(c as unknown as Catalog);
}

describe('Catalog against the object-per-creator reference (random operations)', () => {
  type Op =
    | { kind: 'upsert'; p: CreatorProfile }
    | { kind: 'delete'; id: string }
    | { kind: 'compile'; spec: FilterSpec; extra: number[]; limit: number }
    | { kind: 'compileThenUpsert'; spec: FilterSpec; p: CreatorProfile };

  const ids = fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'ünï', '日本');
  const p = fc.record({
    id: ids,
    name: fc.string({ maxLength: 6 }),
    category: fc.constantFrom('music', 'Music ', 'games', 'cooking', ''),
    tags: fc.array(fc.string({ maxLength: 4 }), { maxLength: 3 }),
    language: fc.constantFrom('en', 'fr', 'FR', ''),
    is_nsfw: fc.boolean(),
  });
  const spec = fc.record({
    excludeIds: fc.array(fc.oneof(ids, fc.constant('missing')), { maxLength: 3 }),
    categories: fc.array(fc.constantFrom('music', 'MUSIC', 'games', 'cooking', 'none', ''), { maxLength: 3 }),
    languages: fc.array(fc.constantFrom('en', 'fr', ' Fr', 'xx'), { maxLength: 2 }),
    includeNsfw: fc.boolean(),
  });
  const op: fc.Arbitrary<Op> = fc.oneof(
    { weight: 4, arbitrary: p.map((x) => ({ kind: 'upsert' as const, p: x })) },
    { weight: 2, arbitrary: ids.map((id) => ({ kind: 'delete' as const, id })) },
    {
      weight: 3,
      arbitrary: fc.record({ spec, extra: fc.array(fc.integer({ min: -2, max: 40 }), { maxLength: 4 }), limit: fc.constantFrom(0, 1, 3, 10, Infinity) }).map((x) => ({ kind: 'compile' as const, ...x })),
    },
    { weight: 1, arbitrary: fc.record({ spec, p }).map((x) => ({ kind: 'compileThenUpsert' as const, ...x })) },
  );

  it('agrees on every observable after any sequence of upserts, deletes and compiles', () => {
    fc.assert(
      fc.property(fc.uniqueArray(p, { selector: (x) => x.id, maxLength: 6 }), fc.array(op, { maxLength: 30 }), fc.boolean(), (initial, ops, viaJsonl) => {
        const cat = viaJsonl ? Catalog.fromJsonLines(jsonl(initial)) : new Catalog(initial);
        const ref = new ReferenceCatalog(initial);
        const probe = (): number[] => Array.from({ length: ref.labelCount + 3 }, (_, i) => i - 1);
        for (const o of ops) {
          if (o.kind === 'upsert') expect(cat.upsert(o.p)).toEqual(ref.upsert(o.p));
          else if (o.kind === 'delete') expect(cat.delete(o.id)).toEqual(ref.delete(o.id));
          else if (o.kind === 'compile') {
            const a = cat.compile(o.spec, o.extra, o.limit);
            const b = ref.compile(o.spec, o.extra, o.limit);
            expect(a.candidates).toEqual(b.candidates);
            expect(a.estimatedAllowed).toBe(b.estimatedAllowed);
            expect(probe().map(a.allows)).toEqual(probe().map(b.allows));
          } else {
            const a = cat.compile(o.spec);
            const b = ref.compile(o.spec);
            expect(cat.upsert(o.p)).toEqual(ref.upsert(o.p));
            expect(probe().map(a.allows)).toEqual(probe().map(b.allows));
          }
          expect(snapshot(cat)).toEqual(snapshotReference(ref));
          for (const id of ['a', 'b', 'c', 'ünï', '日本', 'missing']) expect(cat.labelOf(id)).toBe(ref.labelOf(id));
        }
      }),
      { numRuns: 300 },
    );
  });
});
