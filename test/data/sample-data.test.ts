import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseCli } from '../../tools/sample-data/cli-args';
import {
  DEFAULT_CREATORS_FILE,
  DEFAULT_FANS_FILE,
  DEFAULT_OPTIONS,
  generateDataset,
  renderDataset,
  writeDataset,
} from '../../tools/sample-data/dataset';
import { Rng, mulberry32 } from '../../tools/common/prng';
import { CATEGORY_SPECS } from '../../tools/sample-data/categories';
import { CATEGORY_IDS, NON_ENGLISH_LANGUAGES, NSFW_CATEGORIES } from '../../tools/sample-data/types';
import { leaveOneOutAccuracy } from './lexical-classifier';

const DATA_DIR = path.join(__dirname, '..', '..', 'data');
const CREATOR_KEYS = ['id', 'name', 'about', 'tags', 'category', 'language', 'is_nsfw'];
const FAN_KEYS = ['fan_id', 'interest_text', 'expected_categories', 'language', 'follows'];
const LANGUAGES = new Set<string>(['en', ...NON_ENGLISH_LANGUAGES]);

function parseLines(text: string): Record<string, unknown>[] {
  expect(text.endsWith('\n')).toBe(true);
  return text.trimEnd().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
}

const committed = {
  creators: fs.readFileSync(path.join(DATA_DIR, DEFAULT_CREATORS_FILE), 'utf8'),
  fans: fs.readFileSync(path.join(DATA_DIR, DEFAULT_FANS_FILE), 'utf8'),
};
const dataset = generateDataset(DEFAULT_OPTIONS);
const { creators, fans } = dataset;
const byId = new Map(creators.map((c) => [c.id, c]));

describe('prng', () => {
  it('mulberry32 is deterministic and in [0, 1)', () => {
    const a = mulberry32(123);
    const b = mulberry32(123);
    for (let i = 0; i < 1000; i++) {
      const x = a();
      expect(x).toBe(b());
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThan(1);
    }
  });

  it('sample() returns distinct items', () => {
    const rng = new Rng(5);
    const picked = rng.sample([1, 2, 3, 4, 5, 6], 4);
    expect(new Set(picked).size).toBe(4);
  });
});

describe('determinism', () => {
  const small = { creators: 300, fans: 60, seed: 7 };

  it('same seed gives byte-identical output', () => {
    expect(renderDataset(small)).toEqual(renderDataset(small));
  });

  it('different seed gives different output', () => {
    const a = renderDataset(small);
    const b = renderDataset({ ...small, seed: 8 });
    expect(a.creators).not.toEqual(b.creators);
    expect(a.fans).not.toEqual(b.fans);
  });

  it('a larger run is a superset with the same prefix', () => {
    const few = renderDataset({ ...small, creators: 150 }).creators;
    expect(renderDataset(small).creators.startsWith(few)).toBe(true);
  });

  it('committed data/ files equal the generator output with default flags', () => {
    const fresh = renderDataset(DEFAULT_OPTIONS);
    expect(committed.creators === fresh.creators).toBe(true);
    expect(committed.fans === fresh.fans).toBe(true);
  });

  it('the streaming writer produces the same bytes as renderDataset', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sample-data-'));
    try {
      const result = writeDataset(small, dir, 'c.jsonl', 'f.jsonl');
      expect(result).toMatchObject({ creators: 300, fans: 60 });
      const expected = renderDataset(small);
      expect(fs.readFileSync(path.join(dir, 'c.jsonl'), 'utf8')).toBe(expected.creators);
      expect(fs.readFileSync(path.join(dir, 'f.jsonl'), 'utf8')).toBe(expected.fans);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('cli args', () => {
  it('uses documented defaults', () => {
    expect(parseCli([])).toEqual({
      creators: 1200,
      fans: 240,
      seed: 42,
      outDir: 'data',
      creatorsFile: 'sample-creators.jsonl',
      fansFile: 'sample-fans.jsonl',
    });
  });

  it('--help and --version are commander\'s (printed, exit code 0)', () => {
    const printed: string[] = [];
    const writeOut = (s: string): void => void printed.push(s);
    const thrown = (f: () => unknown): unknown => {
      try {
        f();
      } catch (err) {
        return err;
      }
      return undefined;
    };
    expect(thrown(() => parseCli(['--help'], { writeOut }))).toMatchObject({ exitCode: 0, code: 'commander.helpDisplayed' });
    expect(printed.join('')).toMatch(/--foreign-share <x>/);
    expect(printed.join('')).toMatch(/--log-format <format>/);
    expect(thrown(() => parseCli(['--version'], { writeOut }))).toMatchObject({ exitCode: 0, code: 'commander.version' });
    expect(printed.at(-1)).toMatch(/^\d+\.\d+\.\d+\n$/);
    expect(parseCli(['--log-format', 'json'])).toMatchObject({ logFormat: 'json' });
    expect(() => parseCli(['--log-format', 'yaml'])).toThrow();
  });

  it('parses flags and rejects bad values', () => {
    const opts = parseCli(['--creators', '100000', '--fans', '10', '--seed', '9', '--out-dir', '/tmp/big']);
    expect(opts).toMatchObject({ creators: 100000, fans: 10, seed: 9, outDir: '/tmp/big' });
    expect(() => parseCli(['--creators', '-3'])).toThrow();
    expect(() => parseCli(['--creators', 'lots'])).toThrow();
    expect(() => parseCli(['--fans-file', 'a/b.jsonl'])).toThrow();
    expect(() => parseCli(['--bogus'])).toThrow();
  });
});

describe('creators (committed file)', () => {
  const lines = parseLines(committed.creators);

  it('has the default count and exactly the documented fields', () => {
    expect(lines).toHaveLength(DEFAULT_OPTIONS.creators);
    expect(committed.creators.length).toBeLessThan(1_000_000);
    for (const line of lines) {
      expect(Object.keys(line)).toEqual(CREATOR_KEYS);
      expect(typeof line.id).toBe('string');
      expect(typeof line.name).toBe('string');
      expect((line.name as string).length).toBeGreaterThan(0);
      expect(typeof line.about).toBe('string');
      expect(typeof line.is_nsfw).toBe('boolean');
      expect(CATEGORY_IDS).toContain(line.category);
      expect(LANGUAGES.has(line.language as string)).toBe(true);
      const tags = line.tags as string[];
      expect(Array.isArray(tags)).toBe(true);
      expect(tags.length).toBeGreaterThanOrEqual(2);
      expect(tags.length).toBeLessThanOrEqual(6);
      expect(new Set(tags).size).toBe(tags.length);
      for (const tag of tags) expect(tag).toBe(tag.toLowerCase());
    }
  });

  it('has unique ids in cr_NNNNNN form', () => {
    const ids = lines.map((l) => l.id as string);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^cr_\d{6}$/);
  });

  it('about texts are 1-4 sentences, varied and never duplicated', () => {
    const abouts = creators.map((c) => c.about);
    expect(new Set(abouts).size).toBe(abouts.length);
    for (const c of creators) {
      const withoutName = c.about.split(c.name).join('NAME');
      const sentences = withoutName.split(/(?<=[.!?。！？])\s*/u).filter((s) => s.trim().length > 1);
      expect(sentences.length).toBeGreaterThanOrEqual(1);
      expect(sentences.length).toBeLessThanOrEqual(4);
    }
    const lengths = abouts.map((a) => a.length);
    expect(Math.min(...lengths)).toBeLessThan(60);
    expect(Math.max(...lengths)).toBeGreaterThan(300);
  });

  it('covers every category with a roughly balanced share (>= 5% each)', () => {
    expect(CATEGORY_IDS.length).toBeGreaterThanOrEqual(12);
    for (const category of CATEGORY_IDS) {
      const share = creators.filter((c) => c.category === category).length / creators.length;
      expect(share).toBeGreaterThanOrEqual(0.05);
    }
  });

  it('flags 4-6% as NSFW, only in adult-plausible categories, with an 18+ note', () => {
    const nsfw = creators.filter((c) => c.is_nsfw);
    expect(nsfw.length / creators.length).toBeGreaterThanOrEqual(0.04);
    expect(nsfw.length / creators.length).toBeLessThanOrEqual(0.06);
    for (const c of nsfw) {
      expect(NSFW_CATEGORIES).toContain(c.category);
      expect(c.about).toMatch(/18|成人/);
    }
    for (const c of creators.filter((x) => !x.is_nsfw)) expect(c.about).not.toMatch(/18\+|18 and|mayores de 18|18 ans|ab 18|18 anni|18 anos|18歳/);
  });

  it('is ~85% English, the rest spread over es/fr/de/pt/it/ja written in that language', () => {
    const foreign = creators.filter((c) => c.language !== 'en');
    expect(foreign.length / creators.length).toBeGreaterThanOrEqual(0.12);
    expect(foreign.length / creators.length).toBeLessThanOrEqual(0.18);
    for (const lang of NON_ENGLISH_LANGUAGES) {
      expect(foreign.filter((c) => c.language === lang).length).toBeGreaterThanOrEqual(10);
    }
    const englishWords = /(^|\s)(the|and|with|about|every|who|my)\s/i;
    for (const c of foreign) expect(c.about.split(c.name).join(' ')).not.toMatch(englishWords);
    for (const c of foreign.filter((x) => x.language === 'ja')) expect(c.about).toMatch(/[\u3040-\u30ff]/u);
  });

  it('has at least 8 sub-topics per category', () => {
    for (const spec of Object.values(CATEGORY_SPECS)) expect(spec.subtopics.length).toBeGreaterThanOrEqual(8);
  });

  it('texts are category-specific: leave-one-out TF-IDF nearest centroid >= 90%', () => {
    const docs = creators.map((c) => ({ label: c.category, text: `${c.about} ${c.tags.join(' ')}` }));
    const report = leaveOneOutAccuracy(docs);
    expect(report.accuracy).toBeGreaterThanOrEqual(0.9);
    for (const { correct, total } of Object.values(report.perLabel)) expect(correct / total).toBeGreaterThanOrEqual(0.85);
    const english = leaveOneOutAccuracy(docs.filter((_, i) => creators[i]?.language === 'en'));
    expect(english.accuracy).toBeGreaterThanOrEqual(0.95);
  });
});

describe('fans (committed file)', () => {
  const lines = parseLines(committed.fans);

  it('has the default count, the documented fields and unique ids', () => {
    expect(lines).toHaveLength(DEFAULT_OPTIONS.fans);
    for (const line of lines) expect(Object.keys(line)).toEqual(FAN_KEYS);
    const ids = lines.map((l) => l.fan_id as string);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^fan_\d{4}$/);
  });

  it('expects 1-2 known categories and covers each category with >= 10 fans', () => {
    for (const fan of fans) {
      expect(fan.expected_categories.length).toBeGreaterThanOrEqual(1);
      expect(fan.expected_categories.length).toBeLessThanOrEqual(2);
      for (const c of fan.expected_categories) expect(CATEGORY_IDS).toContain(c);
    }
    expect(fans.filter((f) => f.expected_categories.length === 2).length).toBeGreaterThan(0);
    for (const category of CATEGORY_IDS) {
      expect(fans.filter((f) => f.expected_categories.includes(category)).length).toBeGreaterThanOrEqual(10);
    }
  });

  it('follows 1-4 existing, safe-for-work creators of an expected category', () => {
    for (const fan of fans) {
      expect(fan.follows.length).toBeGreaterThanOrEqual(1);
      expect(fan.follows.length).toBeLessThanOrEqual(4);
      expect(new Set(fan.follows).size).toBe(fan.follows.length);
      for (const id of fan.follows) {
        const creator = byId.get(id);
        expect(creator).toBeDefined();
        expect(fan.expected_categories).toContain(creator?.category);
        expect(creator?.is_nsfw).toBe(false);
      }
    }
  });

  it('is mostly English with a few non-English fans', () => {
    const foreign = fans.filter((f) => f.language !== 'en');
    expect(foreign.length).toBeGreaterThan(0);
    expect(foreign.length / fans.length).toBeLessThanOrEqual(0.15);
    for (const f of fans) expect(LANGUAGES.has(f.language)).toBe(true);
  });

  it('interest texts are distinct and never copied from a creator about', () => {
    const texts = fans.map((f) => f.interest_text);
    expect(new Set(texts).size).toBe(texts.length);
    const abouts = creators.map((c) => c.about.toLowerCase());
    for (const text of texts) {
      expect(text.length).toBeGreaterThan(3);
      const lower = text.toLowerCase();
      expect(abouts.some((a) => a === lower)).toBe(false);
      if (lower.length > 40) expect(abouts.some((a) => a.includes(lower))).toBe(false);
    }
  });
});
