/**
 * @jest-environment ./test/support/onnx-environment.js
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { status } from '@grpc/grpc-js';
import { buildIndex } from '../../index-builder/build-index';
import { SAMPLE_CATALOG } from '../../src/config/config';
import { describeFile, LEXICAL_FILES, MANIFEST_FILE, readManifest, writeCurrent } from '../../src/index/manifest';
import type { MatchRequest } from '../../src/contract/creatormatch/v1/MatchRequest';
import { adminClient, adminUnary, adminUpsert, ADMIN_TOKEN, startServer, tempDir, unary, unaryError, type Running } from '../helpers/server';

// Retrieval modes end to end over the bundled sample catalog with the real model.
let dir: string;
let running: Running;
let version: string;
type Creator = { id: string; category: string; language: string; is_nsfw: boolean; about: string };
let creators: Creator[];
const byId = (id: string) => creators.find((c) => c.id === id)!;
const MODES = ['RETRIEVAL_DENSE', 'RETRIEVAL_LEXICAL', 'RETRIEVAL_HYBRID', 'RETRIEVAL_UNSPECIFIED'] as const;
const TEXT = 'knitting sweaters and sewing my own clothes';

beforeAll(async () => {
  dir = await tempDir('hybrid-');
  version = (await buildIndex({ input: SAMPLE_CATALOG, out: dir })).version;
  running = await startServer(dir, { MATCH_ADMIN_TOKEN: ADMIN_TOKEN });
  creators = (await fs.readFile(SAMPLE_CATALOG, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Creator);
});
afterAll(async () => {
  await running?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

describe('retrieval modes', () => {
  it('the index records its lexical index and default mode, and GetIndexInfo reports them', async () => {
    const m = await readManifest(path.join(dir, version));
    expect(m.lexical?.documents).toBe(creators.length);
    expect(m.files[LEXICAL_FILES.lexical]).toBeDefined();
    const info = await unary(running.client, 'GetIndexInfo', {});
    expect(info.default_retrieval).toBe(`RETRIEVAL_${m.retrieval!.default.toUpperCase()}`);
    expect(JSON.parse(info.fusion)).toEqual(m.retrieval!.fusion);
    expect(info.lexical_documents).toBe(String(creators.length));
  });

  it.each(MODES)('%s: answers with the mode it used; crafts text finds crafts creators', async (retrieval) => {
    const res = await unary(running.client, 'Match', { interest_text: TEXT, k: 10, retrieval });
    expect(res.retrieval).toBe(retrieval === 'RETRIEVAL_UNSPECIFIED' ? (await unary(running.client, 'GetIndexInfo', {})).default_retrieval : retrieval);
    expect(res.matches).toHaveLength(10);
    expect(res.matches.filter((m) => byId(m.creator_id).category === 'crafts').length).toBeGreaterThanOrEqual(5);
    for (const m of res.matches) expect(m.explanation).toBeNull();
  });

  const FILTERS: Array<[string, NonNullable<MatchRequest['filter']>, (c: (typeof creators)[number]) => boolean]> = [
    ['one language', { languages: ['de'] }, (c) => c.language === 'de' && !c.is_nsfw],
    ['another category', { categories: ['cooking'] }, (c) => c.category === 'cooking' && !c.is_nsfw],
    ['category + language', { categories: ['games'], languages: ['fr'] }, (c) => c.category === 'games' && c.language === 'fr' && !c.is_nsfw],
    ['nsfw included, many excluded', { include_nsfw: true, exclude_creator_ids: [] }, () => true],
  ];
  it.each(MODES.flatMap((mode) => FILTERS.map((f) => [mode, ...f] as const)))('%s with %s: k results when k pass, nothing leaks', async (retrieval, _name, filter, passes) => {
    const allowed = creators.filter(passes);
    for (const k of [1, 10, 60]) {
      const res = await unary(running.client, 'Match', { interest_text: TEXT, k, retrieval, filter });
      expect(res.matches.length).toBe(Math.min(k, allowed.length));
      for (const m of res.matches) expect(passes(byId(m.creator_id))).toBe(true);
      expect(new Set(res.matches.map((m) => m.creator_id)).size).toBe(res.matches.length);
    }
  });

  it.each(MODES)('%s: min_score thresholds the cosine (score) in every mode', async (retrieval) => {
    const res = await unary(running.client, 'Match', { interest_text: TEXT, k: 50, retrieval, filter: { min_score: 0.45 } });
    for (const m of res.matches) expect(m.score).toBeGreaterThanOrEqual(0.45 - 1e-6);
  });

  it('explains each match: dense and lexical scores and ranks, the fused score it was sorted by', async () => {
    const res = await unary(running.client, 'Match', { interest_text: TEXT, k: 10, retrieval: 'RETRIEVAL_HYBRID', explain: true });
    const ex = res.matches.map((m) => m.explanation!);
    // score = the cosine, capped by the score above: scores descend in the fused order.
    for (let i = 1; i < res.matches.length; i++) expect(res.matches[i]!.score).toBeLessThanOrEqual(res.matches[i - 1]!.score);
    for (const [i, e] of ex.entries()) {
      expect(res.matches[i]!.score).toBeLessThanOrEqual(e.dense_score + 1e-6);
      if (i === 0) expect(e.dense_score).toBeCloseTo(res.matches[0]!.score, 5);
      expect(e.dense_rank > 0 || e.lexical_rank > 0).toBe(true);
      if (e.lexical_rank === 0) expect(e.lexical_score).toBe(0);
      expect(e.lexical_weight).toBeGreaterThan(0);
    }
    for (let i = 1; i < ex.length; i++) expect(ex[i]!.fused_score).toBeLessThanOrEqual(ex[i - 1]!.fused_score);
    expect(ex.some((e) => e.lexical_rank > 0)).toBe(true);
    const lexical = await unary(running.client, 'Match', { interest_text: TEXT, k: 5, retrieval: 'RETRIEVAL_LEXICAL', explain: true });
    expect(lexical.matches.map((m) => m.explanation!.lexical_rank)).toEqual([1, 2, 3, 4, 5]);
    const dense = await unary(running.client, 'Match', { interest_text: TEXT, k: 3, retrieval: 'RETRIEVAL_DENSE', explain: true });
    expect(dense.matches.map((m) => m.explanation!.dense_rank)).toEqual([1, 2, 3]);
  });

  it('a lexical query whose words match no creator still returns k (the dense ranking fills in)', async () => {
    const res = await unary(running.client, 'Match', { interest_text: 'zzzqqxv wwxyzt', k: 7, retrieval: 'RETRIEVAL_LEXICAL', explain: true });
    expect(res.matches).toHaveLength(7);
    for (const m of res.matches) expect(m.explanation!.lexical_rank).toBe(0);
  });

  it('refuses a lexical mode for a vector query, and an unknown mode', async () => {
    const v = { values: new Array<number>(512).fill(0.01) };
    let err = await unaryError(running.client, 'Match', { vector: v, retrieval: 'RETRIEVAL_LEXICAL' });
    expect({ code: err.code, reason: err.reason }).toEqual({ code: status.INVALID_ARGUMENT, reason: 'INVALID_QUERY' });
    err = await unaryError(running.client, 'Match', { interest_text: TEXT, retrieval: 9 as unknown as 'RETRIEVAL_DENSE' });
    expect({ code: err.code, reason: err.reason }).toEqual({ code: status.INVALID_ARGUMENT, reason: 'INVALID_QUERY' });
  });

  it('like_creators with hybrid retrieval adds the liked creators\u2019 own terms, never returns them', async () => {
    const liked = creators.filter((c) => c.category === 'photography').slice(0, 3).map((c) => c.id);
    const res = await unary(running.client, 'Match', { like_creators: { ids: liked }, k: 10, retrieval: 'RETRIEVAL_HYBRID', explain: true });
    expect(res.retrieval).toBe('RETRIEVAL_HYBRID');
    expect(res.matches).toHaveLength(10);
    for (const m of res.matches) expect(liked).not.toContain(m.creator_id);
    expect(res.matches.filter((m) => byId(m.creator_id).category === 'photography').length).toBeGreaterThanOrEqual(6);
  });
});

describe('incremental updates keep the lexical index in step', () => {
  it('an upserted creator is found by its own words at once and after a restart; a deleted one is gone', async () => {
    const admin = adminClient(running.port);
    try {
      const fresh = { id: 'lex-new-1', name: 'Quokka Quilting Guild', about: 'quokkaquilt patterns every week', tags: ['quilting'], category: 'crafts', language: 'en' };
      await adminUpsert(admin, [fresh]);
      const q = { interest_text: 'quokkaquilt', k: 3, retrieval: 'RETRIEVAL_LEXICAL' as const, explain: true };
      let res = await unary(running.client, 'Match', q);
      expect(res.matches[0]!.creator_id).toBe('lex-new-1');
      expect(res.matches[0]!.explanation!.lexical_rank).toBe(1);
      await running.stop();
      running = await startServer(dir, { MATCH_ADMIN_TOKEN: ADMIN_TOKEN }); // replays the update log
      res = await unary(running.client, 'Match', q);
      expect(res.matches[0]!.creator_id).toBe('lex-new-1');
      const admin2 = adminClient(running.port);
      await adminUnary(admin2, 'DeleteCreators', { ids: ['lex-new-1'] });
      admin2.close();
      res = await unary(running.client, 'Match', q);
      expect(res.matches.map((m) => m.creator_id)).not.toContain('lex-new-1');
      expect(res.matches.every((m) => m.explanation!.lexical_rank === 0)).toBe(true);
    } finally {
      admin.close();
    }
  });
});

describe('a damaged lexical index is refused like any other file', () => {
  async function copyVersion(name: string): Promise<string> {
    await fs.cp(path.join(dir, version), path.join(dir, name), { recursive: true });
    const m = JSON.parse(await fs.readFile(path.join(dir, name, MANIFEST_FILE), 'utf8')) as Record<string, unknown>;
    await fs.writeFile(path.join(dir, name, MANIFEST_FILE), JSON.stringify({ ...m, version: name }));
    await fs.rm(path.join(dir, name, 'updates.jsonl'), { force: true });
    return path.join(dir, name);
  }

  it('a changed byte: checksum mismatch, refused, the old version keeps serving', async () => {
    const v = await copyVersion('20991231T000000000Z-lexbad');
    const file = path.join(v, LEXICAL_FILES.lexical);
    const bytes = await fs.readFile(file);
    bytes[bytes.length >> 1]! ^= 0xff;
    await fs.writeFile(file, bytes);
    const admin = adminClient(running.port);
    try {
      const err = await adminUnary(admin, 'ReloadIndex', { version: '20991231T000000000Z-lexbad' }).catch((e: unknown) => e as { code: number; details: string });
      expect(err).toMatchObject({ code: status.FAILED_PRECONDITION, details: expect.stringContaining('lexical.bin checksum mismatch') });
    } finally {
      admin.close();
    }
    expect((await unary(running.client, 'GetIndexInfo', {})).version).not.toBe('20991231T000000000Z-lexbad');
  });

  it('a file whose checksum was updated but whose content is not a lexical index: refused with the reason', async () => {
    const v = await copyVersion('20991231T000000001Z-lexjunk');
    const file = path.join(v, LEXICAL_FILES.lexical);
    await fs.writeFile(file, Buffer.alloc(4096, 0x42));
    const m = JSON.parse(await fs.readFile(path.join(v, MANIFEST_FILE), 'utf8')) as { files: Record<string, unknown> };
    m.files[LEXICAL_FILES.lexical] = await describeFile(file);
    await fs.writeFile(path.join(v, MANIFEST_FILE), JSON.stringify(m));
    const admin = adminClient(running.port);
    try {
      const err = await adminUnary(admin, 'ReloadIndex', { version: '20991231T000000001Z-lexjunk' }).catch((e: unknown) => e as { code: number; details: string });
      expect(err).toMatchObject({ code: status.FAILED_PRECONDITION, details: expect.stringContaining('lexical.bin') });
    } finally {
      admin.close();
    }
    expect((await unary(running.client, 'GetIndexInfo', {})).last_refused_version).toBe('20991231T000000001Z-lexjunk');
  });

  it('a version without a lexical index serves dense only: unspecified is dense, an explicit lexical mode is FAILED_PRECONDITION', async () => {
    const v = await copyVersion('20991231T000000002Z-dense');
    const m = JSON.parse(await fs.readFile(path.join(v, MANIFEST_FILE), 'utf8')) as { files: Record<string, unknown>; lexical?: unknown; retrieval?: unknown };
    delete m.lexical;
    delete m.retrieval;
    delete m.files[LEXICAL_FILES.lexical];
    delete m.files[LEXICAL_FILES.texts];
    await fs.writeFile(path.join(v, MANIFEST_FILE), JSON.stringify(m));
    await writeCurrent(dir, '20991231T000000002Z-dense');
    const admin = adminClient(running.port);
    try {
      await adminUnary(admin, 'ReloadIndex', {});
    } finally {
      admin.close();
    }
    const res = await unary(running.client, 'Match', { interest_text: TEXT, k: 3 });
    expect(res.retrieval).toBe('RETRIEVAL_DENSE');
    const err = await unaryError(running.client, 'Match', { interest_text: TEXT, retrieval: 'RETRIEVAL_HYBRID' });
    expect({ code: err.code, reason: err.reason }).toEqual({ code: status.FAILED_PRECONDITION, reason: 'RETRIEVAL_UNSUPPORTED' });
    expect((await unary(running.client, 'GetIndexInfo', {})).default_retrieval).toBe('RETRIEVAL_DENSE');
  });
});
