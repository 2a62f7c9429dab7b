import { parseCreator, parseCreatorLine } from '../../src/catalog/creator';
import { profileText } from '../../src/catalog/profile-text';
import { Readable } from 'node:stream';
import { csvRecords } from '../../src/catalog/csv';
import { parseCreatorInput } from '../../src/catalog/creator-file';

describe('parseCreatorLine', () => {
  it('accepts a full line and normalises category and language', () => {
    const r = parseCreatorLine(JSON.stringify({ id: 'c1', name: 'A', about: 'x', tags: ['t'], category: ' Cooking ', language: 'EN', is_nsfw: true }));
    expect(r).toEqual({ ok: true, record: { id: 'c1', name: 'A', about: 'x', tags: ['t'], category: 'cooking', language: 'en', is_nsfw: true } });
  });

  it('fills defaults and treats null as absent', () => {
    const r = parseCreatorLine('{"id":"c2","name":null}');
    expect(r).toEqual({ ok: true, record: { id: 'c2', name: '', about: '', tags: [], category: '', language: '', is_nsfw: false } });
  });

  it.each([
    ['not json', 'invalid JSON'],
    ['[1,2]', 'expected a JSON object'],
    ['{}', 'id'],
    ['{"id":"  "}', 'id must not be empty'],
    ['{"id":5}', 'id'],
    ['{"id":"a","tags":"x"}', 'tags must be an array'],
    ['{"id":"a","is_nsfw":"yes"}', 'is_nsfw must be true or false'],
    ['{"id":"a","vector":[]}', 'vector must not be empty'],
    ['{"id":"a","vector":[1,"x"]}', 'vector values must be numbers'],
  ])('rejects %s with a reason', (line, reason) => {
    const r = parseCreatorLine(line);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toContain(reason);
  });

  it('keeps a provided vector', () => {
    const r = parseCreatorLine('{"id":"v","vector":[0.5,1,2]}');
    expect(r.ok && r.record.vector).toEqual([0.5, 1, 2]);
  });

  // A valid vector skips zod (a plain loop checks it); the record and every message stay the same.
  it('validates the other fields of a line with a valid vector, and normalises them', () => {
    const r = parseCreatorLine('{"id":" v ","category":" Games ","extra":1,"name":null,"vector":[1,-0.5,3e-7]}');
    expect(r).toEqual({ ok: true, record: { id: 'v', name: '', about: '', tags: [], category: 'games', language: '', is_nsfw: false, vector: [1, -0.5, 3e-7] } });
    expect(Object.keys((r as { record: object }).record).pop()).toBe('vector');
  });

  it.each([
    ['{"id":"a","is_nsfw":"yes","tags":[1],"vector":[1,2]}', 'tags must be strings; is_nsfw must be true or false'],
    ['{"id":"a","is_nsfw":"yes","vector":[1,"x"]}', 'is_nsfw must be true or false; vector values must be numbers'],
    ['{"id":"a","vector":[1,1e999]}', 'vector values must be numbers'],
    ['{"id":"a","vector":{"0":1}}', 'vector must be an array of numbers'],
    ['{"vector":[1]}', 'id is required and must be a string'],
  ])('gives the full reasons for %s', (line, reason) => {
    expect(parseCreatorLine(line)).toEqual({ ok: false, reason });
  });

  it('rejects non-finite values in a decoded object', () => {
    expect(parseCreator({ id: 'a', vector: [1, Infinity] })).toEqual({ ok: false, reason: 'vector values must be numbers' });
    expect(parseCreator({ id: 'a', vector: [NaN, 1, 'x'] })).toEqual({ ok: false, reason: 'vector values must be numbers; vector values must be numbers' });
  });
});

describe('profileText', () => {
  it('follows the documented template', () => {
    expect(profileText({ name: 'Dumpling Diaries', category: 'cooking', about: 'Weekly recipes', tags: ['dumplings', ' asian '] })).toBe(
      'Dumpling Diaries. cooking. Weekly recipes. Tags: dumplings, asian.',
    );
  });
  it('turns category ids into words and skips empty parts', () => {
    expect(profileText({ name: '', category: 'tabletop_rpg', about: 'Dice!', tags: [] })).toBe('tabletop rpg. Dice!');
  });
});

describe('CSV input (csv-parse)', () => {
  const records = async (text: string, delimiter?: string) => {
    const out = [];
    for await (const r of csvRecords(Readable.from([Buffer.from(text)]), delimiter ? { delimiter } : {})) out.push(r);
    return out;
  };
  const creators = async (text: string, delimiter?: string) => {
    const out = [];
    for await (const r of parseCreatorInput(Readable.from([Buffer.from(text)]), 'csv', { delimiter })) out.push(r);
    return out;
  };

  it('handles quotes, escaped quotes and empty cells', async () => {
    expect((await records('a,"b, c","say ""hi""",,e\n'))[0]!.cells).toEqual(['a', 'b, c', 'say "hi"', '', 'e']);
  });

  it('reads a quoted field spanning lines as one creator, with the line it starts on (BOM, CRLF, blank lines)', async () => {
    const text = '\uFEFFid,name,about\r\nc1,One,"first line\r\nsecond line"\r\n\r\nc2,"Two ""quoted""",plain\r\n';
    const got = await creators(text);
    expect(got.map((g) => [g.line, g.result.ok && g.result.record.id])).toEqual([
      [2, 'c1'],
      [5, 'c2'],
    ]);
    expect(got[0]!.result.ok && got[0]!.result.record.about).toBe('first line\nsecond line');
    expect(got[1]!.result.ok && got[1]!.result.record.name).toBe('Two "quoted"');
  });

  it('takes a semicolon delimiter', async () => {
    const got = await creators('id;name;tags\nc1;Un, deux;a|b\n', ';');
    expect(got[0]!.result).toMatchObject({ ok: true, record: { id: 'c1', name: 'Un, deux', tags: ['a', 'b'] } });
  });

  it('reports a row with the wrong number of cells as an invalid line with its number', async () => {
    const got = await creators('id,name\nc1,One\nc2,Two,extra\nc3\n');
    expect(got.map((g) => [g.line, g.result.ok ? 'ok' : g.result.reason])).toEqual([
      [2, 'ok'],
      [3, 'row has 3 cells, the header has 2'],
      [4, 'row has 1 cells, the header has 2'],
    ]);
  });

  it('fails on an unterminated quote, naming the line', async () => {
    await expect(creators('id,name\nc1,One\nc2,"Two\nc3,Three\n')).rejects.toThrow(/CSV line 3: Quote Not Closed/i);
  });
});
