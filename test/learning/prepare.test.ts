import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseEventLine, parseInteractionLine, parseLogLine, parseTimestamp } from '../../tools/learning/formats';
import { readInteractions } from '../../tools/learning/interactions';
import { DEFAULT_EVENT_WEIGHTS, prepare, writePrepared, type PrepareOptions } from '../../tools/learning/prepare';
import { main as prepareCli } from '../../tools/learning/prepare-cli';
import { splitOfFan } from '../../tools/learning/split';

let dir: string;
beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'prepare-'));
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

const T = Date.parse('2026-11-01T10:00:00.000Z');
const MIN = 60_000;
const lines = (xs: Array<string | object>): string => xs.map((x) => (typeof x === 'string' ? x : JSON.stringify(x))).join('\n') + '\n';
const exposure = (o: object): object => ({ level: 30, msg: 'exposure', experiment: 'e', index_version: 'v1', variant: 'control', ...o });
const allTrain: PrepareOptions = {
  weights: DEFAULT_EVENT_WEIGHTS,
  windowMs: 60 * MIN,
  split: { validationShare: 0, testShare: 0, salt: 's' },
  cutoff: T + 365 * 86_400_000,
  cutoffQuantile: 0.8,
};

describe('formats', () => {
  it('timestamps: RFC 3339 or epoch ms; epoch seconds and junk are refused with the reason', () => {
    expect(parseTimestamp('2026-11-01T10:00:00Z', 'ts')).toEqual({ ok: true, value: T });
    expect(parseTimestamp('2026-11-01T11:00:00.000+01:00', 'ts')).toEqual({ ok: true, value: T });
    expect(parseTimestamp(T, 'ts')).toEqual({ ok: true, value: T });
    expect(parseTimestamp(T / 1000, 'ts')).toMatchObject({ ok: false, reason: expect.stringMatching(/looks like epoch seconds/) });
    expect(parseTimestamp('2026-11-01', 'ts')).toMatchObject({ ok: false, reason: expect.stringMatching(/not RFC 3339/) });
    expect(parseTimestamp('2026-13-45T99:00:00Z', 'ts')).toMatchObject({ ok: false });
    expect(parseTimestamp(undefined, 'ts')).toMatchObject({ ok: false, reason: expect.stringMatching(/ts is required/) });
  });

  it('event lines: every field checked, reasons name the field', () => {
    const ok = parseEventLine(JSON.stringify({ fan_id: 'f', creator_id: 'c', event: 'pledge', ts: T, request_id: 'r', variant: 'x', index_version: 'v' }), 7);
    expect(ok).toEqual({ ok: true, value: { line: 7, fanId: 'f', creatorId: 'c', event: 'pledge', ts: T, requestId: 'r', variant: 'x', indexVersion: 'v' } });
    const bad = (o: unknown): string => {
      const r = parseEventLine(typeof o === 'string' ? o : JSON.stringify(o), 1);
      if (r.ok) throw new Error('expected a bad line');
      return r.reason;
    };
    expect(bad('{nope')).toMatch(/not JSON/);
    expect(bad([1])).toMatch(/expected a JSON object/);
    expect(bad({ creator_id: 'c', event: 'click', ts: T })).toMatch(/fan_id/);
    expect(bad({ fan_id: 'f', creator_id: ' ', event: 'click', ts: T })).toMatch(/creator_id must not be empty/);
    expect(bad({ fan_id: 'f', creator_id: 'c', event: 'like', ts: T })).toMatch(/event must be one of impression, click, follow, pledge, unfollow/);
    expect(bad({ fan_id: 'f', creator_id: 'c', event: 'click', ts: 'yesterday' })).toMatch(/ts "yesterday" is not RFC 3339/);
  });

  it('log lines: exposures, other lines skipped, bad exposures with the reason; time as epoch ms or ISO', () => {
    expect(parseLogLine(JSON.stringify({ level: 30, msg: 'match ok', time: T }), 1)).toEqual({ kind: 'other' });
    const x = parseLogLine(JSON.stringify(exposure({ time: new Date(T).toISOString(), request_id: 'r', fan_id: 'f', creator_ids: ['a', 'b'], query_kind: 'like', like_creator_ids: ['z'] })), 3);
    expect(x).toEqual({ kind: 'exposure', exposure: { line: 3, time: T, requestId: 'r', fanId: 'f', variant: 'control', experiment: 'e', indexVersion: 'v1', creatorIds: ['a', 'b'], queryKind: 'like', likeCreatorIds: ['z'] } });
    expect(parseLogLine('garbage{', 1)).toMatchObject({ kind: 'bad', reason: expect.stringMatching(/not JSON/) });
    expect(parseLogLine(JSON.stringify(exposure({ time: T, query_kind: 'text' })), 1)).toMatchObject({ kind: 'bad', reason: expect.stringMatching(/creator_ids/) });
    expect(parseLogLine(JSON.stringify(exposure({ time: T, creator_ids: [], query_kind: 'audio' })), 1)).toMatchObject({ kind: 'bad', reason: expect.stringMatching(/query_kind must be one of text, like, vector/) });
  });

  it('interaction lines: exactly one of interest_text and like_creators, label 1 or 0', () => {
    expect(parseInteractionLine(JSON.stringify({ fan_id: 'f', interest_text: ' knitting ', creator_id: 'c', label: 1 }), 1)).toEqual({ ok: true, value: { line: 1, fanId: 'f', text: 'knitting', creatorId: 'c', label: 1, weight: 1 } });
    expect(parseInteractionLine(JSON.stringify({ fan_id: 'f', like_creators: ['a'], creator_id: 'c', label: 0, weight: 2, split: 'test' }), 1)).toMatchObject({ ok: true, value: { likeCreators: ['a'], label: 0, weight: 2, split: 'test' } });
    expect(parseInteractionLine(JSON.stringify({ fan_id: 'f', creator_id: 'c', label: 1 }), 1)).toMatchObject({ ok: false, reason: expect.stringMatching(/exactly one of interest_text/) });
    expect(parseInteractionLine(JSON.stringify({ fan_id: 'f', interest_text: 'x', like_creators: ['a'], creator_id: 'c', label: 1 }), 1)).toMatchObject({ ok: false, reason: expect.stringMatching(/exactly one/) });
    expect(parseInteractionLine(JSON.stringify({ fan_id: 'f', interest_text: 'x', creator_id: 'c', label: 2 }), 1)).toMatchObject({ ok: false, reason: expect.stringMatching(/label must be 1/) });
    expect(parseInteractionLine(JSON.stringify({ fan_id: 'f', interest_text: 'x', creator_id: 'c', label: 1, weight: -1 }), 1)).toMatchObject({ ok: false, reason: expect.stringMatching(/weight must be positive/) });
  });
});

describe('data:prepare', () => {
  let exposures: string;
  let events: string;
  beforeAll(async () => {
    exposures = path.join(dir, 'exposures.log');
    events = path.join(dir, 'events.jsonl');
    await fs.writeFile(
      exposures,
      lines([
        exposure({ time: new Date(T).toISOString(), request_id: 'r1', fan_id: 'f1', creator_ids: ['c1', 'c2', 'c3', 'c4'], query_kind: 'text', interest_text: 'cooking' }),
        { level: 30, time: T, msg: 'match ok', request_id: 'r1' },
        'garbage{',
        exposure({ time: T, request_id: 'r0', fan_id: 'f1', query_kind: 'text' }),
        exposure({ time: T + 60 * MIN, request_id: 'r2', fan_id: 'f1', creator_ids: ['c5', 'c6', 'c7'], query_kind: 'like', like_creator_ids: ['c9'] }),
        exposure({ time: T, request_id: 'r3', fan_id: 'f2', creator_ids: ['c1', 'c8'], query_kind: 'text', interest_text: 'music' }),
        exposure({ time: T, request_id: 'r4', fan_id: 'f3', creator_ids: ['c1'], query_kind: 'vector' }),
      ]),
    );
    await fs.writeFile(
      events,
      lines([
        { fan_id: 'f1', creator_id: 'c3', event: 'click', ts: new Date(T + 30_000).toISOString(), request_id: 'r1' },
        { fan_id: 'f1', creator_id: 'c3', event: 'follow', ts: T + MIN },
        { fan_id: 'f1', creator_id: 'c2', event: 'click', ts: T + 10_000, request_id: 'r1' },
        { fan_id: 'f1', creator_id: 'c2', event: 'unfollow', ts: T + 2 * 86_400_000 },
        { fan_id: 'f2', creator_id: 'c8', event: 'pledge', ts: T + 5 * MIN },
        { fan_id: 'f2', creator_id: 'c8', event: 'like', ts: T },
        { fan_id: 'f2', creator_id: 'c8', event: 'click', ts: Math.round(T / 1000) },
        { fan_id: 'f1', creator_id: 'c99', event: 'click', ts: T + 5 * 60 * MIN },
        { fan_id: 'f4', creator_id: 'c1', event: 'click', ts: T },
        { fan_id: 'f2', creator_id: 'c1', event: 'click', ts: T + MIN, request_id: 'rX' },
        { fan_id: 'f1', creator_id: 'c4', event: 'impression', ts: T + 1000, request_id: 'r1' },
      ]),
    );
  });

  it('joins by request_id, else by fan and time; weights, unfollows, hard negatives, organic positives', async () => {
    const r = await prepare(events, exposures, allTrain);
    const groups = r.groups.train;
    const byKey = new Map(groups.map((g) => [`${g.fanId}/${g.text ?? g.likeIds!.join(',')}`, g]));
    expect([...byKey.keys()].sort()).toEqual(['f1/c9', 'f1/cooking', 'f2/music']);
    const cooking = byKey.get('f1/cooking')!;
    // c3: click (request_id) then follow (time join): the follow's weight; c2 was cancelled by the unfollow.
    expect([...cooking.positives]).toEqual([['c3', { weight: 2, event: 'follow', ts: T }]]);
    // Shown above c3 (position 3) and not engaged: c1; c2 is neither (unfollowed), c4 is below.
    expect([...cooking.negatives]).toEqual(['c1']);
    const music = byKey.get('f2/music')!;
    expect(Object.fromEntries([...music.positives].map(([id, p]) => [id, p.weight]))).toEqual({ c1: 1, c8: 4 });
    expect(music.negatives.size).toBe(0);
    // Organic: c99 was never shown; it joins f1's latest query before it (the like query at T+1h).
    expect([...byKey.get('f1/c9')!.positives.keys()]).toEqual(['c99']);

    const rep = r.report;
    expect(rep.exposures).toMatchObject({ lines: 7, exposures: 4, otherLogLines: 1, byQueryKind: { text: 2, like: 1, vector: 1 }, untrainable: { 'vector query (not adapted, no query to train on)': 1 } });
    expect(rep.exposures.bad.count).toBe(2);
    expect(rep.exposures.bad.first.map((b) => b.line)).toEqual([3, 4]);
    expect(rep.events.bad.first.map((b) => b.line)).toEqual([6, 7]);
    expect(rep.events.bad.first[1]!.reason).toMatch(/epoch seconds/);
    expect(rep.events.joined).toEqual({ byRequestId: 3, byTime: 3 });
    expect(rep.events.requestIdFallback).toEqual({ notInLog: 1, otherFan: 0 });
    expect(rep.events.cancelledByUnfollow).toEqual({ click: 1 });
    expect(rep.events.organic).toMatchObject({ enabled: true, attached: { click: 1 }, noEarlierQuery: 1 });
    expect(rep.events.unjoined).toEqual({ 'no exposure of the fan within the window before the event': 1, 'no exposure of the fan': 1 });
    // Position bias: 4 exposures show a creator at position 1; one of them (f2's c1) was engaged there.
    expect(rep.positionBias[0]).toEqual({ position: 1, shown: 4, engaged: 1, rate: 0.25, impressions: 0 });
    expect(rep.positionBias[3]).toMatchObject({ position: 4, impressions: 1 });
    expect(rep.catalog).toMatchObject({ size: null, exposedShare: null, exposedCreators: 8 });
  });

  it('--no-organic drops events that join no exposure', async () => {
    const r = await prepare(events, exposures, { ...allTrain, organic: false });
    expect(r.groups.train.map((g) => g.key).some((k) => k.startsWith('l'))).toBe(false);
    expect(r.report.events.organic).toMatchObject({ enabled: false, attached: {} });
  });

  it('with a catalog: per category and language, and the share of the catalog ever shown', async () => {
    const info = new Map([...'12345678'].map((n) => [`c${n}`, { category: Number(n) % 2 ? 'odd' : 'even', language: 'en' }]));
    const r = await prepare(events, exposures, { ...allTrain, catalog: { size: 16, info: (id) => info.get(id) } });
    expect(r.report.catalog).toMatchObject({ size: 16, exposedCreators: 8, exposedShare: 0.5 });
    expect(r.report.perCategory!.odd).toMatchObject({ creators: 4 });
    expect(r.report.perLanguage!.en!.shown).toBe(10);
  });

  it('writes the splits, held-out files and reports; train reads them back', async () => {
    const r = await prepare(events, exposures, allTrain);
    const out = path.join(dir, 'prepared');
    await writePrepared(out, r);
    const train = (await fs.readFile(path.join(out, 'train.jsonl'), 'utf8')).trim().split('\n').map((l): unknown => JSON.parse(l));
    expect(train).toContainEqual({ fan_id: 'f1', interest_text: 'cooking', creator_id: 'c3', label: 1, weight: 2, split: 'train', event: 'follow', position: 3, ts: new Date(T).toISOString(), n: 1 });
    expect(train).toContainEqual(expect.objectContaining({ fan_id: 'f1', creator_id: 'c1', label: 0, event: 'skipped', position: 1 }));
    expect(await fs.readFile(path.join(out, 'report.txt'), 'utf8')).toMatch(/bad line {3}exposure log line 3: not JSON/);
    const set = await readInteractions(out, { split: allTrain.split });
    expect(set.splitSource).toBe('prepared');
    expect(set.groups.train.map((g) => g.positives.size).reduce((a, b) => a + b, 0)).toBe(4);
    expect(set.files.map((f) => f.name)).toEqual(['train.jsonl', 'validation.jsonl', 'test.jsonl']);
  });

  it('the CLI prints the table, lists bad lines with numbers, and --strict exits 1', async () => {
    const out: string[] = [];
    const err = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      expect(await prepareCli(['--events', events, '--exposures', exposures, '--out', path.join(dir, 'cli'), '--cutoff', new Date(allTrain.cutoff!).toISOString(), '--validation-share', '0', '--test-share', '0'], (s) => out.push(s))).toBe(0);
      expect(out.join('')).toMatch(/bad line {3}events line 6: event must be one of/);
      expect(await prepareCli(['--events', events, '--exposures', exposures, '--out', path.join(dir, 'cli'), '--strict', '--cutoff', String(allTrain.cutoff), '--test-share', '0', '--validation-share', '0', '--log-format', 'human'], () => undefined)).toBe(1);
      expect(err.mock.calls.map((c) => String(c[0])).join('')).toMatch(/^data:prepare failed: 4 bad input line\(s\)/m);
      expect(await prepareCli(['--events', events], () => undefined)).toBe(2);
    } finally {
      err.mockRestore();
    }
  });
});

describe('splits', () => {
  it('a fan is in exactly one split; train is before the cutoff, validation and test at or after it', async () => {
    const x: object[] = [];
    const e: object[] = [];
    for (let f = 0; f < 300; f++) {
      for (let s = 0; s < 4; s++) {
        const time = T + (f % 7) * 3_600_000 + s * 86_400_000;
        x.push(exposure({ time, request_id: `r${f}-${s}`, fan_id: `fan${f}`, creator_ids: ['a', 'b', `c${f % 5}`], query_kind: 'text', interest_text: `text ${f % 11}` }));
        e.push({ fan_id: `fan${f}`, creator_id: `c${f % 5}`, event: 'click', ts: time + 1000, request_id: `r${f}-${s}` });
      }
    }
    await fs.writeFile(path.join(dir, 'x.log'), lines(x));
    await fs.writeFile(path.join(dir, 'e.jsonl'), lines(e));
    const split = { validationShare: 0.2, testShare: 0.2, salt: 'x' };
    const cutoff = T + 2 * 86_400_000;
    const r = await prepare(path.join(dir, 'e.jsonl'), path.join(dir, 'x.log'), { ...allTrain, split, cutoff });
    const seen = new Map<string, string>();
    for (const [s, groups] of Object.entries(r.groups)) {
      for (const g of groups) {
        expect(seen.get(g.fanId) ?? s).toBe(s);
        seen.set(g.fanId, s);
        expect(splitOfFan(g.fanId, split)).toBe(s);
        for (const p of g.positives.values()) expect(s === 'train' ? p.ts! < cutoff : p.ts! >= cutoff).toBe(true);
      }
    }
    const counts = Object.fromEntries(Object.entries(r.groups).map(([s, g]) => [s, new Set(g.map((x) => x.fanId)).size]));
    expect(counts.train! + counts.validation! + counts.test!).toBe(300);
    expect(counts.test).toBeGreaterThan(30);
    expect(counts.validation).toBeGreaterThan(30);
    expect(r.report.splits.train.droppedByTime.exposures).toBeGreaterThan(0);
    // The held-out set of the test split: one query per fan, judged by its positives.
    expect(r.heldOut.test.fans.length).toBe(counts.test);
  });

  it('plain interaction files are split by fan hash; a fan in two given splits is refused', async () => {
    const plain = path.join(dir, 'plain.jsonl');
    const rows = Array.from({ length: 400 }, (_, i) => ({ fan_id: `f${i % 100}`, interest_text: `t${i % 100}`, creator_id: `c${i % 13}`, label: i % 4 === 0 ? 0 : 1 }));
    await fs.writeFile(plain, lines(rows));
    const set = await readInteractions(plain, { split: { validationShare: 0.1, testShare: 0.1, salt: 'k' } });
    expect(set.splitSource).toBe('fan-hash');
    const where = new Map<string, string>();
    for (const [s, groups] of Object.entries(set.groups)) for (const g of groups) expect(where.get(g.fanId) ?? (where.set(g.fanId, s), s)).toBe(s);
    expect(where.size).toBe(100);

    await fs.writeFile(plain, lines([{ fan_id: 'f', interest_text: 'a', creator_id: 'c', label: 1, split: 'train' }, { fan_id: 'f', interest_text: 'b', creator_id: 'c', label: 1, split: 'test' }]));
    await expect(readInteractions(plain, { split: { validationShare: 0.1, testShare: 0.1, salt: 'k' } })).rejects.toThrow(/fan f is in both the train and the test split/);
    await fs.writeFile(plain, lines([{ fan_id: 'f', interest_text: 'a', creator_id: 'c', label: 1, split: 'train' }, { fan_id: 'g', interest_text: 'b', creator_id: 'c', label: 1 }]));
    await expect(readInteractions(plain, { split: { validationShare: 0.1, testShare: 0.1, salt: 'k' } })).rejects.toThrow(/give all lines a split or none/);
    await fs.writeFile(plain, lines([{ fan_id: 'f', interest_text: 'a', creator_id: 'c', label: 1 }, '{oops', { fan_id: 'g', creator_id: 'c', label: 1 }]));
    await expect(readInteractions(plain, { split: { validationShare: 0.1, testShare: 0.1, salt: 'k' } })).rejects.toThrow(/2 bad interaction line\(s\) .*line 2: not JSON.*line 3: exactly one of/);
    const skipped = await readInteractions(plain, { split: { validationShare: 0.1, testShare: 0.1, salt: 'k' }, skipInvalid: true });
    expect(skipped.bad.first.map((b) => b.line)).toEqual([2, 3]);
  });
});
