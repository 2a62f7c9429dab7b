import { parseCreatorLine } from '../../src/catalog/creator';
import { profileText } from '../../src/catalog/profile-text';
import { parseCsvLine } from '../../index-builder/csv';

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
