/**
 * @jest-environment ./test/support/onnx-environment.js
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { SAMPLE_CATALOG } from '../../src/config/config';
import { DEFAULT_MODEL_ID } from '../../src/embedding';
import { describeBackends } from '../helpers/backends';
import { adminClient, adminUpsert, ADMIN_TOKEN, batch, unary, unaryError, type Running } from '../helpers/server';

// The real default model over the bundled sample catalog, end to end through gRPC, served from
// memory and from PostgreSQL: text is embedded with the version's own model either way.
let running: Running;
let creators: Array<{ id: string; category: string; language: string; is_nsfw: boolean }>;

beforeAll(async () => {
  creators = (await fs.readFile(SAMPLE_CATALOG, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as (typeof creators)[number]);
});

const byId = (id: string) => creators.find((c) => c.id === id)!;
const categoriesOf = (res: { matches: Array<{ creator_id: string }> }) => res.matches.map((m) => byId(m.creator_id).category);

// One query per category, written for this test (not taken from the sample data).
const QUERIES: Array<[string, string]> = [
  ['podcasts', 'a weekly interview podcast I can listen to on my commute'],
  ['video', 'YouTube video essays and vlogs with great editing'],
  ['music', 'an independent songwriter who releases new songs and albums'],
  ['visual_art', 'digital painting and illustration, character art commissions'],
  ['fiction', 'serialized fantasy novels and short stories by an indie author'],
  ['games', 'indie game developer devlogs about making a platformer'],
  ['education', 'tutoring lessons that explain math for students'],
  ['cooking', 'easy weeknight dinner recipes and baking bread'],
  ['fitness', 'home workout routines, strength training and yoga'],
  ['tabletop_rpg', 'a Dungeons and Dragons game master with homebrew campaigns'],
  ['crafts', 'knitting, sewing and handmade pottery tutorials'],
  ['open_source', 'maintainer of open source Rust and Python libraries on GitHub'],
  ['comics', 'webcomic artist drawing manga and graphic novels'],
  ['photography', 'landscape photography, camera gear and photo editing'],
  ['science', 'space, physics and biology explained by a scientist'],
  ['history', 'stories about ancient Rome and medieval history'],
];

describeBackends('text queries with the default model', (backend) => {
  beforeAll(async () => {
    await backend().buildFile(SAMPLE_CATALOG, { recallSample: 500, minRecall: 0.95 });
    running = await backend().start({ MATCH_ADMIN_TOKEN: ADMIN_TOKEN });
  });
  afterAll(async () => {
    await running?.stop();
  });

  it('puts cooking creators in the top 5 for the dumplings query', async () => {
    const res = await unary(running.client, 'Match', { request_id: 'dumplings', interest_text: 'I want to learn to cook dumplings at home', k: 5 });
    expect(res.model_id).toBe(DEFAULT_MODEL_ID);
    expect(categoriesOf(res)).toEqual(['cooking', 'cooking', 'cooking', 'cooking', 'cooking']);
  });

  it("serves the version's default retrieval (hybrid: its lexical index is loaded too)", async () => {
    const res = await unary(running.client, 'Match', { interest_text: 'sourdough bread baking', k: 5, explain: true });
    expect(res.retrieval).toBe('RETRIEVAL_HYBRID');
    expect(res.matches.some((m) => (m.explanation?.lexical_rank ?? 0) > 0)).toBe(true);
  });

  it('covers every category of the sample catalog', () => {
    expect(QUERIES.map(([c]) => c).sort()).toEqual([...new Set(creators.map((c) => c.category))].sort());
  });

  it.each(QUERIES)('%s: the top result and most of the top 5 are in the category', async (category, text) => {
    const res = await unary(running.client, 'Match', { interest_text: text, k: 5 });
    const cats = categoriesOf(res);
    expect(cats[0]).toBe(category);
    expect(cats.filter((c) => c === category).length).toBeGreaterThanOrEqual(3);
  });

  it('combines a text query with every filter', async () => {
    const excluded = creators.filter((c) => c.category === 'music').slice(0, 20).map((c) => c.id);
    const res = await unary(running.client, 'Match', {
      interest_text: 'lo-fi beats and synth music production',
      k: 30,
      include_profile: true,
      filter: { categories: ['music', 'video'], languages: ['en'], exclude_creator_ids: excluded, include_nsfw: false, min_score: -1 },
    });
    expect(res.matches).toHaveLength(30);
    for (const m of res.matches) {
      const c = byId(m.creator_id);
      expect(['music', 'video']).toContain(c.category);
      expect(c.language).toBe('en');
      expect(c.is_nsfw).toBe(false);
      expect(excluded).not.toContain(m.creator_id);
      expect(m.profile?.category).toBe(c.category);
    }
  });

  it('returns exactly k under a filter that keeps about 1% of creators', async () => {
    // One non-English language within one category: ~2 of 75 creators, plus NSFW excluded.
    const keep = creators.filter((c) => c.language === 'ja' && !c.is_nsfw);
    expect(keep.length / creators.length).toBeLessThanOrEqual(0.03);
    const res = await unary(running.client, 'Match', { interest_text: 'anything creative', k: 12, filter: { languages: ['ja'] } });
    expect(res.matches).toHaveLength(Math.min(12, keep.length));
    for (const m of res.matches) expect(byId(m.creator_id).language).toBe('ja');
    const tight = creators.filter((c) => c.language === 'ja' && c.category === 'cooking' && !c.is_nsfw);
    const res2 = await unary(running.client, 'Match', { interest_text: 'food', k: 10, filter: { languages: ['ja'], categories: ['cooking'] } });
    expect(res2.matches.map((m: { creator_id: string }) => m.creator_id).sort()).toEqual(tight.map((c) => c.id).sort().slice(0, 10));
  });

  it('never leaks NSFW creators by default, and finds them when asked', async () => {
    const res = await unary(running.client, 'Match', { interest_text: 'mature adult art for 18+ audiences', k: 100 });
    for (const m of res.matches) expect(byId(m.creator_id).is_nsfw).toBe(false);
    const withNsfw = await unary(running.client, 'Match', { interest_text: 'mature adult art for 18+ audiences', k: 100, filter: { include_nsfw: true } });
    expect(withNsfw.matches.some((m: { creator_id: string }) => byId(m.creator_id).is_nsfw)).toBe(true);
  });

  it('matches fans of creators to the same category, never returning the liked ones', async () => {
    const liked = creators.filter((c) => c.category === 'tabletop_rpg' && c.language === 'en').slice(0, 3).map((c) => c.id);
    const res = await unary(running.client, 'Match', { like_creators: { ids: liked }, k: 10 });
    expect(res.matches).toHaveLength(10);
    const returned = res.matches.map((m: { creator_id: string }) => m.creator_id);
    for (const id of liked) expect(returned).not.toContain(id);
    expect(categoriesOf(res).filter((c) => c === 'tabletop_rpg').length).toBeGreaterThanOrEqual(7);
  });

  it('rejects empty and oversized text with INVALID_ARGUMENT', async () => {
    expect((await unaryError(running.client, 'Match', { interest_text: '  \t\n ' })).reason).toBe('INVALID_TEXT');
    expect((await unaryError(running.client, 'Match', { interest_text: 'x'.repeat(5000) })).details).toContain('maximum is 4096');
  });

  it('BatchMatch mixes text, vector and like queries with a bad item in the middle', async () => {
    const out = await batch(running.client, [
      { request_id: 't1', interest_text: 'knitting patterns', k: 3 },
      { request_id: 't2', interest_text: '' },
      { request_id: 't3', like_creators: { ids: [creators[0]!.id] }, k: 3 },
    ]);
    expect(out.map((r) => r.request_id)).toEqual(['t1', 't2', 't3']);
    expect(categoriesOf(out[0]!)).toContain('crafts');
    expect(out[1]?.error?.reason).toBe('INVALID_TEXT');
    expect(out[2]!.matches).toHaveLength(3);
  });

  it("runs the README's example client against the server", async () => {
    const { execFile } = await import('node:child_process');
    const root = path.resolve(__dirname, '..', '..');
    const stdout = await new Promise<string>((resolve, reject) =>
      execFile(path.join(root, 'node_modules/.bin/tsx'), ['scripts/example-client.ts'], { cwd: root, env: { ...process.env, MATCH_ADDR: `127.0.0.1:${running.port}` } }, (err, out) =>
        err ? reject(new Error(`example client failed: ${err.message}`, { cause: err })) : resolve(out),
      ),
    );
    const lines = stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^index \S+, model creator-match\/use-lite, retrieval (hybrid|dense|lexical)$/);
    expect(lines.slice(1)).toHaveLength(5);
    for (const line of lines.slice(1)) expect(line).toMatch(/^\d\.\d{3} {2}cr_\d+ {2}.+ \(cooking\)$/);
  });

  it('the example client answers --help instead of sending it as a query', async () => {
    const { execFile } = await import('node:child_process');
    const { promisify } = await import('node:util');
    const root = path.resolve(__dirname, '..', '..');
    const { stdout } = await promisify(execFile)(path.join(root, 'node_modules/.bin/tsx'), ['scripts/example-client.ts', '--help'], { cwd: root, env: { ...process.env, MATCH_ADDR: '127.0.0.1:1' } });
    expect(stdout).toMatch(/^usage: npm run example:client/);
  });

  it('embeds creators upserted through IndexAdmin with the index model', async () => {
    const admin = adminClient(running.port);
    try {
      const r = await adminUpsert(admin, [
        { id: 'new-beekeeper', name: 'Hive Minded', about: 'Beekeeping diaries: honey harvests, queen bees and hive inspections.', tags: ['bees', 'honey'], category: 'science', language: 'en' },
      ]);
      expect(r).toMatchObject({ upserted: 1, created: 1 });
      const res = await unary(running.client, 'Match', { interest_text: 'beekeeping and honey bees', k: 3 });
      expect(res.matches[0]!.creator_id).toBe('new-beekeeper');
    } finally {
      admin.close();
    }
  });
});
