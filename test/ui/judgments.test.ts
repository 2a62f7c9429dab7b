import { promises as fs } from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import { readJudgments } from '../../tools/eval/fans';
import { itemId } from '../../tools/labels/task';
import { MatchError } from '../../src/errors/match-error';
import { itemIdOf, JudgmentsWriter, parseJudgment } from '../../src/ui/judgments-writer';
import { parseRatingTask } from '../../src/ui/rating-task';
import { tempDir } from '../helpers/server';

let dir: string;
const logs: Array<Record<string, unknown>> = [];
const logger = pino({ level: 'debug' }, { write: (l: string) => void logs.push(JSON.parse(l) as Record<string, unknown>) });
beforeAll(async () => {
  dir = await tempDir('creator-match-judgments-');
});
afterAll(() => fs.rm(dir, { recursive: true, force: true }));

const j = (over: Record<string, unknown> = {}): Record<string, unknown> => ({ rater_id: 'alice', fan_id: 'fan_1', creator_id: 'cr_1', grade: 2, ...over });
const invalid = (value: unknown): string => {
  try {
    parseJudgment(value);
  } catch (err) {
    if (err instanceof MatchError && err.code === 'INVALID_BODY') return err.message;
    throw err;
  }
  throw new Error('accepted');
};

describe('judgments from the workbench', () => {
  it('item ids are the ones labels:export writes', () => {
    for (const [f, c] of [['fan_1', 'cr_1'], ['fän', 'cr_ü'], ['a', 'b\u0000c']]) expect(itemIdOf(f!, c!)).toBe(itemId(f!, c!));
  });

  it('validates a judgment and adds item id, time and source', () => {
    const line = parseJudgment(j({ item_id: itemId('fan_1', 'cr_1'), query: { interest_text: 'x'.repeat(600) } }), new Date('2026-12-01T00:00:00Z'));
    expect(line).toMatchObject({ rater_id: 'alice', fan_id: 'fan_1', creator_id: 'cr_1', grade: 2, item_id: itemId('fan_1', 'cr_1'), ts: '2026-12-01T00:00:00.000Z', source: 'workbench' });
    expect(line.query!.interest_text).toHaveLength(512);
    expect(invalid(j({ grade: 5 }))).toMatch(/grade: grade must be 0-4/);
    expect(invalid(j({ grade: 1.5 }))).toMatch(/grade must be an integer/);
    expect(invalid(j({ rater_id: 'a b' }))).toMatch(/rater_id may hold/);
    expect(invalid(j({ fan_id: '' }))).toMatch(/fan_id must not be empty/);
    expect(invalid(j({ creator_id: 'cr\n1' }))).toMatch(/control characters/);
    expect(invalid(j({ item_id: 'it_0000000000000000' }))).toMatch(/is not the item of fan fan_1 and creator cr_1/);
    expect(invalid(j({ extra: 1 }))).toMatch(/Unrecognized key/);
    expect(invalid([])).toMatch(/invalid judgment/);
  });

  it('appends one fsynced JSON line per judgment, in order, and reads them back per rater', async () => {
    const file = path.join(dir, 'a', 'judgments.jsonl');
    const w = await JudgmentsWriter.open(file, logger);
    await Promise.all([0, 1, 2, 3, 4].map((g) => w.append(parseJudgment(j({ creator_id: `cr_${g}`, grade: g % 3 })))));
    await w.append(parseJudgment(j({ creator_id: 'cr_0', grade: 2 })));
    await w.append(parseJudgment(j({ rater_id: 'bob', grade: 0 })));
    const lines = (await fs.readFile(file, 'utf8')).trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((l) => l.creator_id)).toEqual(['cr_0', 'cr_1', 'cr_2', 'cr_3', 'cr_4', 'cr_0', 'cr_1']);
    expect(w.ratingsOf('alice', 'fan_1').find((r) => r.creator_id === 'cr_0')!.grade).toBe(2);
    expect(w.ratingsOf('bob')).toHaveLength(1);
    expect(w.ratingsOf('carol')).toEqual([]);
    await w.close();
    await expect(w.append(parseJudgment(j()))).rejects.toThrow(/closed/);
    // Reopened: earlier ratings are remembered.
    const again = await JudgmentsWriter.open(file, logger);
    expect(again.ratingsOf('alice', 'fan_1')).toHaveLength(5);
    await again.close();
  });

  it('cuts a torn last line (never acknowledged) when it opens the file', async () => {
    const file = path.join(dir, 'torn.jsonl');
    await fs.writeFile(file, `${JSON.stringify(parseJudgment(j()))}\n{"rater_id":"alice","fan_`);
    const w = await JudgmentsWriter.open(file, logger);
    await w.append(parseJudgment(j({ creator_id: 'cr_2' })));
    await w.close();
    const text = await fs.readFile(file, 'utf8');
    expect(text.split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { creator_id: string }).creator_id)).toEqual(['cr_1', 'cr_2']);
    expect(logs.some((l) => String(l.msg).includes('torn last line'))).toBe(true);
  });

  it('feeds eval: a rater\'s latest grade counts, several raters give the median, plain lines stay as they were', async () => {
    const file = path.join(dir, 'eval.jsonl');
    const rows = [
      j({ creator_id: 'a', grade: 0 }),
      j({ creator_id: 'a', grade: 2 }), // alice changed her mind
      j({ rater_id: 'bob', creator_id: 'b', grade: 1 }),
      j({ rater_id: 'carol', creator_id: 'b', grade: 2 }),
      j({ rater_id: 'dave', creator_id: 'b', grade: 0 }),
      j({ rater_id: 'bob', creator_id: 'c', grade: 2 }),
      j({ rater_id: 'carol', creator_id: 'c', grade: 1 }), // two raters: the lower middle grade
      { fan_id: 'fan_2', creator_id: 'x', grade: 4 },
    ];
    await fs.writeFile(file, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
    const judgments = await readJudgments(file);
    expect(Object.fromEntries(judgments.get('fan_1')!)).toEqual({ a: 2, b: 1, c: 1 });
    expect(judgments.get('fan_2')!.get('x')).toBe(4);
    await fs.appendFile(file, JSON.stringify({ fan_id: 'fan_1', creator_id: 'a', grade: 1 }) + '\n');
    await expect(readJudgments(file)).rejects.toThrow(/rated by raters from line 1 on/);
  });
});

describe('rating tasks', () => {
  const header = 'item_id,fan_id,query_kind,fan_text,liked_creators,creator_id,creator_name,creator_category,creator_language,creator_tags,creator_about,raters,grade_scale';
  const row = (fan: string, creator: string, id = itemId(fan, creator)): string => `${id},${fan},text,"knit, purl",,${creator},Wool Co,crafts,en,yarn|knitting,,3,0-2`;

  it('reads labels:export\'s task.csv', () => {
    const items = parseRatingTask(`${header}\r\n${row('fan_1', 'cr_1')}\r\n${row('fan_1', 'cr_2')}\r\n`);
    expect(items).toHaveLength(2);
    expect(items[0]).toMatchObject({ item_id: itemId('fan_1', 'cr_1'), fan_id: 'fan_1', fan_text: 'knit, purl', creator_name: 'Wool Co', creator_tags: ['yarn', 'knitting'] });
  });

  it.each([
    ['', /no items/],
    ['a,b\n1,2\n', /missing column\(s\) item_id, fan_id, creator_id/],
    [`${header}\n${row('fan_1', 'cr_1', 'it_bad')}\n`, /line 2: item_id it_bad is not the item of fan fan_1 and creator cr_1/],
    [`${header}\n${row('fan_1', 'cr_1')}\n${row('fan_1', 'cr_1')}\n`, /line 3: item .* appears twice/],
    [`${header}\n"unterminated\n`, /not valid CSV/],
  ])('refuses a bad task (%#)', (csv, message) => {
    expect(() => parseRatingTask(csv)).toThrow(message);
  });
});
