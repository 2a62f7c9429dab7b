import { parseCreator, parseCreatorLine } from '../../src/catalog/creator';
import { profileText } from '../../src/catalog/profile-text';
import { parseCsvLine } from '../../src/catalog/csv';

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

describe('parseCsvLine', () => {
  it('handles quotes, escaped quotes and empty cells', () => {
    expect(parseCsvLine('a,"b, c","say ""hi""",,e')).toEqual(['a', 'b, c', 'say "hi"', '', 'e']);
  });
});
