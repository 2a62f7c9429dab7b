import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { argmax, countsByItem, dawidSkene, fleissKappa, majorityVote, raterReport, type Rating } from '../../tools/labels/aggregate';
import { importAnswers, itemId } from '../../tools/labels/task';
import { main as importCli } from '../../tools/labels/import-cli';
import { readJudgments } from '../../tools/eval/fans';

describe("Fleiss' kappa", () => {
  it('the worked example of Fleiss (1971) as on Wikipedia: 10 items, 14 raters, 5 categories, κ = 0.210', () => {
    const table = [
      [0, 0, 0, 0, 14],
      [0, 2, 6, 4, 2],
      [0, 0, 3, 5, 6],
      [0, 3, 9, 2, 0],
      [2, 2, 8, 1, 1],
      [7, 7, 0, 0, 0],
      [3, 2, 6, 3, 0],
      [2, 5, 3, 2, 2],
      [6, 5, 2, 1, 0],
      [0, 2, 2, 3, 7],
    ];
    const k = fleissKappa(table, 5);
    expect(k.proportions.map((p) => Number(p.toFixed(3)))).toEqual([0.143, 0.2, 0.279, 0.15, 0.229]);
    expect(k.observed).toBeCloseTo(0.378, 3);
    expect(k.expected).toBeCloseTo(0.213, 3);
    expect(k.kappa).toBeCloseTo(0.21, 3);
  });

  it('a small hand-computed case: P̄ = 2/3, P̄e = 11/27, κ = 7/16', () => {
    // Items: all three raters say 0; all say 1; one each. P_i = 1, 1, 0; p = 4/9, 4/9, 1/9.
    const k = fleissKappa(
      new Map([
        ['a', [3, 0, 0]],
        ['b', [0, 3, 0]],
        ['c', [1, 1, 1]],
        ['single', [0, 0, 1]], // one rating only: left out
      ]),
      3,
    );
    expect(k.items).toBe(3);
    expect(k.observed).toBeCloseTo(2 / 3, 12);
    expect(k.expected).toBeCloseTo(11 / 27, 12);
    expect(k.kappa).toBeCloseTo(7 / 16, 12);
  });

  it('is NaN when everyone always gives the same grade (no chance correction possible)', () => {
    expect(fleissKappa([[3, 0, 0], [2, 0, 0]], 3).kappa).toBeNaN();
  });
});

describe('majority vote', () => {
  it('takes the mode; a tie goes to the tied grade nearest the mean, then the lower one', () => {
    const m = majorityVote(
      new Map([
        ['mode', [2, 0, 1]],
        ['zero-two', [1, 0, 1]],
        ['zero-one', [1, 1, 0]],
        ['one-two', [0, 1, 1]],
        ['three-way', [1, 1, 1]],
      ]),
    );
    expect(Object.fromEntries([...m].map(([k, v]) => [k, v.grade]))).toEqual({ mode: 0, 'zero-two': 0, 'zero-one': 0, 'one-two': 1, 'three-way': 1 });
    expect(m.get('mode')).toEqual({ grade: 0, agreement: 2 / 3, ratings: 3 });
  });
});

describe('Dawid–Skene', () => {
  // 4 items, 3 raters, 2 classes. Hand computation in the comments (M-step from vote proportions, then E-step).
  const ratings: Rating[] = [
    ['A', [0, 0, 0]],
    ['B', [1, 1, 0]],
    ['C', [1, 1, 1]],
    ['D', [0, 1, 1]],
  ].flatMap(([item, gs]) => (gs as number[]).map((grade, j) => ({ item: item as string, rater: `r${j + 1}`, grade })));

  it('one iteration matches the hand computation', () => {
    const ds = dawidSkene(ratings, { classes: 2, maxIterations: 1 });
    // Init T(class 1) = 0, 2/3, 1, 2/3 → priors (5/12, 7/12).
    expect(ds.priors[0]).toBeCloseTo(5 / 12, 12);
    expect(ds.priors[1]).toBeCloseTo(7 / 12, 12);
    // r1: row 0 = (1 + 1/3, 1/3) / (5/3) = (4/5, 1/5); row 1 = (2/3, 5/3) / (7/3) = (2/7, 5/7).
    const r1 = ds.confusion.get('r1')!;
    expect(r1[0]![0]).toBeCloseTo(4 / 5, 12);
    expect(r1[1]![1]).toBeCloseTo(5 / 7, 12);
    // r2 never says 0 for a (partly) class-1 item: row 1 = (0, 1); row 0 = (1, 2/3) / (5/3) = (3/5, 2/5).
    expect(ds.confusion.get('r2')).toEqual([
      [expect.closeTo(3 / 5, 12), expect.closeTo(2 / 5, 12)],
      [0, 1],
    ]);
    // E-step. A: class 1 impossible (r2 said 0, π_r2[1][0] = 0) → (1, 0).
    expect(ds.posteriors.get('A')).toEqual([1, 0]);
    // B: 5/12·1/5·2/5·4/5 = 2/75 vs 7/12·5/7·1·2/7 = 5/42 → class 1 = 375/459 = 125/153.
    expect(ds.posteriors.get('B')![1]).toBeCloseTo(125 / 153, 12);
    // C: 1/150 vs 25/84 → 625/639.
    expect(ds.posteriors.get('C')![1]).toBeCloseTo(625 / 639, 12);
    // D: same products as B.
    expect(ds.posteriors.get('D')![1]).toBeCloseTo(125 / 153, 12);
  });

  it('converges, and discounts a spammer that majority vote follows', () => {
    // r_good always right, r_ok wrong on every 4th item, r_spam always says 2. Where r_good and
    // r_ok disagree, two informative raters cannot tell who is right (DS is not identifiable
    // there), but the spammer's "2" no longer decides.
    const truth = Array.from({ length: 40 }, (_, i) => i % 3);
    const rs: Rating[] = truth.flatMap((t, i) => [
      { item: `i${i}`, rater: 'r_good', grade: t },
      { item: `i${i}`, rater: 'r_ok', grade: i % 4 === 0 ? (t + 1) % 3 : t },
      { item: `i${i}`, rater: 'r_spam', grade: 2 },
    ]);
    const ds = dawidSkene(rs, { classes: 3, smoothing: 0.01 });
    expect(ds.converged).toBe(true);
    const correct = truth.filter((t, i) => argmax(ds.posteriors.get(`i${i}`)!) === t).length;
    const mv = majorityVote(countsByItem(rs, 3));
    const mvCorrect = truth.filter((t, i) => mv.get(`i${i}`)!.grade === t).length;
    expect(mvCorrect).toBe(33); // wrong wherever r_ok errs towards 2 along with the spammer
    expect(correct).toBe(37);
    const report = raterReport(rs, new Map(truth.map((t, i) => [`i${i}`, t])), ds);
    expect(report.find((r) => r.rater === 'r_good')).toMatchObject({ goldAccuracy: 1, goldMeanAbsError: 0 });
    expect(report.find((r) => r.rater === 'r_spam')!.goldAccuracy).toBeCloseTo(13 / 40, 12);
    expect(report.find((r) => r.rater === 'r_good')!.estimatedAccuracy!).toBeGreaterThan(0.8);
    expect(report.find((r) => r.rater === 'r_spam')!.estimatedAccuracy!).toBeLessThan(0.5);
  });
});

describe('labels:import', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'labels-'));
  });
  afterAll(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('aggregates answers, writes graded judgments eval reads, and reports bad lines with their numbers', async () => {
    const items = [
      ['fan_1', 'cr_1'],
      ['fan_1', 'cr_2'],
      ['fan_2', 'cr_1'],
      ['fan_2', 'cr_3'],
    ].map(([f, c]) => ({ id: itemId(f!, c!), fan: f!, creator: c! }));
    expect(itemId('fan_1', 'cr_1')).toBe(items[0]!.id);
    expect(items[0]!.id).toMatch(/^it_[0-9a-f]{16}$/);
    const task = path.join(dir, 'task.csv');
    await fs.writeFile(task, 'item_id,fan_id,creator_id,fan_text\n' + items.map((i) => `${i.id},${i.fan},${i.creator},"I like ""quotes"", commas"`).join('\n') + '\n');
    await fs.writeFile(path.join(dir, 'task.gold.csv'), `item_id,grade\n${items[3]!.id},0\n`);
    const grades = [
      [2, 0, 1, 0],
      [2, 0, 2, 1],
      [1, 0, 2, 0],
    ];
    const answers = grades.map((_, j) => path.join(dir, `r${j}.csv`));
    for (const [j, file] of answers.entries()) await fs.writeFile(file, 'item_id,rater_id,grade\r\n' + items.map((it, i) => `${it.id},r${j},${grades[j]![i]}`).join('\r\n') + '\r\n');
    await fs.appendFile(answers[0]!, ['nope,r0,1', `${items[0]!.id},r0,5`, `${items[0]!.id},r0,2`, `${items[1]!.id},,1`, `${items[2]!.id},r0`].join('\n') + '\n');
    const out = path.join(dir, 'judgments.jsonl');
    const r = await importAnswers({ task, answers, out, method: 'dawid-skene', minRatings: 1, smoothing: 0.01 });
    expect(r.ratings).toBe(12);
    expect(r.bad.count).toBe(5);
    expect(r.bad.first.map((b) => b.reason)).toEqual([
      'r0.csv line 6: item "nope" is not in the task',
      'r0.csv line 7: grade "5" is not 0, 1 or 2',
      expect.stringMatching(/^r0.csv line 8: rater r0 already rated it_.* \(r0.csv line 2\); the first rating counts$/),
      'r0.csv line 9: rater_id is empty',
      'r0.csv line 10: wrong number of fields (the header has item_id, rater_id, grade, …)',
    ]);
    expect(r.gold).toMatchObject({ items: 1, majorityAccuracy: 1 });
    expect(r.raterReport.map((x) => [x.rater, x.goldRated, x.goldAccuracy])).toEqual([
      ['r0', 1, 1],
      ['r1', 1, 0],
      ['r2', 1, 1],
    ]);
    const judgments = await readJudgments(out);
    expect(judgments.get('fan_1')).toEqual(new Map([['cr_1', 2], ['cr_2', 0]]));
    expect(judgments.get('fan_2')!.get('cr_3')).toBe(0); // gold answer wins
    const judgmentLine = z.looseObject({ fan_id: z.string(), creator_id: z.string() });
    const lines = (await fs.readFile(out, 'utf8')).trim().split('\n').map((l) => judgmentLine.parse(JSON.parse(l)));
    expect(lines.find((l) => l.creator_id === 'cr_3' && l.fan_id === 'fan_2')).toMatchObject({ method: 'gold', ratings: 3 });

    // The CLI: a report table, --strict makes bad lines fatal, a missing column is one line with the fix
    // (human lines asked for: JSON log lines are the default when stderr is not a terminal).
    const printed: string[] = [];
    const err = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      expect(await importCli(['--task', task, '--answers', ...answers, '--out', out, '--log-format', 'human'], (s) => printed.push(s))).toBe(0);
      expect(printed.join('')).toMatch(/Fleiss' kappa/);
      expect(await importCli(['--task', task, '--answers', ...answers, '--out', out, '--strict', '--log-format', 'human'], () => undefined)).toBe(1);
      await fs.writeFile(path.join(dir, 'bad.csv'), 'item,grade\nx,1\n');
      expect(await importCli(['--task', task, '--answers', path.join(dir, 'bad.csv'), '--out', out, '--log-format', 'human'], () => undefined)).toBe(1);
      const lines = err.mock.calls.map((c) => String(c[0]));
      expect(lines).toContainEqual(expect.stringMatching(/^labels:import failed: 5 bad answer line\(s\)/));
      expect(lines).toContainEqual(expect.stringMatching(/^labels:import failed: .*bad.csv: missing column\(s\) item_id, rater_id \(the header row must have item_id, rater_id, grade\)\n$/));
    } finally {
      err.mockRestore();
    }
  });
});

describe('labels:export', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'labels-export-'));
  });
  afterAll(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('pools the top candidates per fan, marks a balanced share of gold items, and keeps item ids stable', async () => {
    const { buildIndex } = await import('../../index-builder/build-index');
    const { syntheticCreators } = await import('../helpers/synthetic');
    const { exportTask, readTask, goldPathOf, TASK_COLUMNS } = await import('../../tools/labels/task');
    const { parse } = await import('csv-parse/sync');
    const creators = syntheticCreators(60, 16, 3);
    await fs.writeFile(path.join(dir, 'creators.jsonl'), creators.map((c) => JSON.stringify(c)).join('\n') + '\n');
    await buildIndex({ input: path.join(dir, 'creators.jsonl'), out: path.join(dir, 'idx'), recallSample: 20 });
    const fans = Array.from({ length: 8 }, (_, i) => ({ fan_id: `fan_${i}`, follows: [creators[i]!.id, creators[i + 10]!.id], expected_categories: [creators[i]!.category] }));
    await fs.writeFile(path.join(dir, 'fans.jsonl'), fans.map((f) => JSON.stringify(f)).join('\n') + '\n');
    const opts = { indexDir: path.join(dir, 'idx'), fansFile: path.join(dir, 'fans.jsonl'), out: path.join(dir, 'task.csv'), perFan: 5, raters: 3, goldShare: 0.25, seed: 1, creatorsFile: path.join(dir, 'creators.jsonl') };
    const r = await exportTask(opts);
    expect(r).toMatchObject({ items: 40, fans: 8, gold: 10 });
    expect(r.goldByGrade[0]! + r.goldByGrade[2]!).toBe(10);
    expect(Math.abs(r.goldByGrade[0]! - r.goldByGrade[2]!)).toBeLessThanOrEqual(2);
    const text = await fs.readFile(opts.out, 'utf8');
    const rows = parse<Record<string, string>>(text, { columns: true });
    expect(Object.keys(rows[0]!)).toEqual([...TASK_COLUMNS]);
    expect(rows.every((row) => row.item_id === itemId(row.fan_id!, row.creator_id!))).toBe(true);
    expect(rows[0]!.liked_creators).toMatch(/^Creator \d+ \(\w+\); Creator \d+ \(\w+\)$/);
    expect(rows.some((row) => row.creator_about!.startsWith('A '))).toBe(true);
    // Liked creators are never candidates (as served), and the gold answers are not in the task.
    for (const row of rows) expect(fans.find((f) => f.fan_id === row.fan_id)!.follows).not.toContain(row.creator_id);
    expect(text).not.toMatch(/gold/i);
    const gold = parse<{ item_id: string; grade: string }>(await fs.readFile(goldPathOf(opts.out), 'utf8'), { columns: true });
    expect(gold).toHaveLength(10);
    const task = await readTask(opts.out);
    for (const g of gold) expect(task.has(g.item_id)).toBe(true);
    // Same pairs, same ids: a second export (another seed) has the same item set.
    const again = await exportTask({ ...opts, out: path.join(dir, 'task2.csv'), seed: 2 });
    expect(again.items).toBe(40);
    expect(new Set((await readTask(path.join(dir, 'task2.csv'))).keys())).toEqual(new Set(task.keys()));
    // Gold needs known answers.
    await fs.writeFile(path.join(dir, 'plain.jsonl'), fans.map((f) => JSON.stringify({ fan_id: f.fan_id, follows: f.follows })).join('\n') + '\n');
    await expect(exportTask({ ...opts, fansFile: path.join(dir, 'plain.jsonl') })).rejects.toThrow(/no item has a known answer for gold: pass --gold FILE/);
    expect((await exportTask({ ...opts, fansFile: path.join(dir, 'plain.jsonl'), goldShare: 0 })).gold).toBe(0);
  });
});
