/**
 * Property tests (fast-check, short) over everything read from disk or from an input file:
 * manifests, CURRENT, update-log records (and whole update-log files), JSONL and CSV creator
 * input, and the native load path with corrupted files (run in a child process: a crash is a
 * test failure with the case that caused it, not a dead jest). Seeds are fixed (reproducible);
 * raise FUZZ_RUNS for a longer run.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { buildIndex } from '../../index-builder/build-index';
import { parseCreator, parseCreatorLine } from '../../src/catalog/creator';
import { InputError, readCreators } from '../../src/catalog/creator-file';
import { Readable } from 'node:stream';
import { csvRecords, csvRow, CsvSyntaxError } from '../../src/catalog/csv';
import { IndexLoadError } from '../../src/index/load-error';
import { ARTIFACT_FILES, CURRENT_FILE, MANIFEST_FILE, MAX_DIMS, readCurrent, readManifest, type Manifest } from '../../src/index/manifest';
import { isSafeName } from '../../src/index/safe-files';
import { validUpdateVector } from '../../src/lifecycle/apply-updates';
import { checkEntry, readUpdates, UPDATE_LOG_FILE } from '../../src/lifecycle/update-log';
import { lastJson, runTs } from '../helpers/child';
import { tempDir, writeJsonl } from '../helpers/server';
import { syntheticCreators } from '../helpers/synthetic';

const RUNS = Number(process.env.FUZZ_RUNS ?? 150);
const DIMS = 8;
let dir: string;
let idx: string;
let version: string;
/** The built version's manifest.json, as JSON (the fuzz below puts anything in its fields). */
let manifest: Record<string, unknown>;

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

beforeAll(async () => {
  dir = await tempDir('creator-match-fuzzf-');
  idx = path.join(dir, 'idx');
  await writeJsonl(path.join(dir, 'c.jsonl'), syntheticCreators(120, DIMS, 1));
  version = (await buildIndex({ input: path.join(dir, 'c.jsonl'), out: idx, recallSample: 20, minRecall: 0 })).version;
  manifest = JSON.parse(await fs.readFile(path.join(idx, version, MANIFEST_FILE), 'utf8')) as Record<string, unknown>;
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

let n = 0;
const scratch = async (): Promise<string> => {
  const d = path.join(dir, `s${n++}`);
  await fs.mkdir(d);
  return d;
};

/** A JSON value that is the valid manifest with a few fields replaced by arbitrary values. */
const mutatedManifest = () =>
  fc
    .array(
      fc.tuple(
        fc.constantFrom('version', 'dims', 'count', 'files', 'ann', 'model', 'metric', 'formatVersion', 'recall', 'input', 'files.index.hnsw', 'files.extra', 'files.../x', 'files./etc/passwd'),
        fc.oneof(fc.jsonValue(), fc.constantFrom(-1, 0, 1e9, 2 ** 31, 1.5, '', '..', '../x', 'a/b', '.hidden', null, { sha256: '0'.repeat(64), bytes: 1 })),
      ),
      { minLength: 1, maxLength: 4 },
    )
    .map((edits) => {
      const m = structuredClone(manifest);
      for (const [key, value] of edits) {
        if (key.startsWith('files.')) {
          const files = isRecord(m.files) ? m.files : {};
          files[key.slice(6)] = value;
          m.files = files;
        }
        else m[key] = value;
      }
      return m;
    });

describe('manifest.json', () => {
  it('whatever the bytes or the JSON, readManifest returns a manifest that passes our bounds or throws IndexLoadError', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(mutatedManifest().map((m) => JSON.stringify(m)), fc.jsonValue().map((v) => JSON.stringify(v)), fc.string({ maxLength: 200 })), async (text) => {
        const d = await scratch();
        await fs.writeFile(path.join(d, MANIFEST_FILE), text);
        try {
          const m = await readManifest(d);
          expect(Object.keys(m.files).every(isSafeName)).toBe(true);
          expect(m.dims).toBeLessThanOrEqual(MAX_DIMS);
          expect(isSafeName(m.version)).toBe(true);
        } catch (err) {
          expect(err).toBeInstanceOf(IndexLoadError);
        }
      }),
      { numRuns: RUNS, seed: 4242 },
    );
  });
});

describe('CURRENT', () => {
  it('whatever its bytes, readCurrent returns nothing, a plain version name, or throws IndexLoadError', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.uint8Array({ maxLength: 300 }), fc.string({ maxLength: 300 }).map((s) => Buffer.from(s)), fc.constantFrom('..', '.', '/', '../../etc', 'v1\n', ' v1 ', 'a'.repeat(200)).map((s) => Buffer.from(s))), async (bytes) => {
        const d = await scratch();
        await fs.writeFile(path.join(d, CURRENT_FILE), bytes);
        try {
          const v = await readCurrent(d);
          if (v !== undefined) expect(isSafeName(v)).toBe(true);
        } catch (err) {
          expect(err).toBeInstanceOf(IndexLoadError);
        }
      }),
      { numRuns: RUNS, seed: 777 },
    );
  });
});

describe('update-log records', () => {
  const at = '2026-01-01T00:00:00.000Z';
  const value = fc.oneof(fc.double(), fc.constantFrom(0, 1e39, -1e39, 1e-50, 3.4e38, Number.MAX_VALUE));
  // Mostly of the right length (so that the values are what decides), sometimes not.
  const vectorish = fc.oneof({ weight: 3, arbitrary: fc.array(value, { minLength: DIMS, maxLength: DIMS }) }, { weight: 1, arbitrary: fc.array(value, { maxLength: DIMS + 2 }) });
  const creatorish = fc.record({ id: fc.string({ maxLength: 300 }), name: fc.string(), category: fc.string(), language: fc.string(), is_nsfw: fc.boolean(), tags: fc.array(fc.string()) });
  const entryish = fc.oneof(
    fc.jsonValue(),
    fc.record({ op: fc.constantFrom('upsert', 'delete', 'x'), at: fc.string(), ids: fc.oneof(fc.array(fc.string()), fc.jsonValue()), creator: fc.oneof(fc.jsonValue(), creatorish), vector: vectorish }),
    fc.record({ op: fc.constant('upsert'), at: fc.string(), creator: creatorish, vector: vectorish }),
  );

  it('checkEntry accepts only entries that apply: every accepted upsert vector passes validUpdateVector', () => {
    fc.assert(
      fc.property(entryish, (value) => {
        const checked = checkEntry(value, DIMS);
        if (typeof checked === 'string') return;
        if (checked.op === 'upsert') {
          expect(typeof validUpdateVector(checked.vector, DIMS)).not.toBe('string');
          expect(checked.creator.id.length).toBeLessThanOrEqual(256);
        } else expect(checked.ids.every((id) => typeof id === 'string')).toBe(true);
      }),
      { numRuns: RUNS * 4, seed: 99 },
    );
  });

  it('readUpdates over arbitrary file contents never throws: entries are valid, the rest is rejected or a torn tail', async () => {
    const line = fc.oneof(
      entryish.map((v) => JSON.stringify(v) ?? 'null'),
      fc.constant(JSON.stringify({ op: 'upsert', at, creator: { id: 'ok', name: '', category: '', language: '', is_nsfw: false, tags: [] }, vector: [1, 0, 0, 0, 0, 0, 0, 0] })),
      fc.string({ maxLength: 100 }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(line, { maxLength: 20 }), fc.boolean(), async (lines, trailingNewline) => {
        const d = await scratch();
        await fs.writeFile(path.join(d, UPDATE_LOG_FILE), lines.join('\n') + (trailingNewline ? '\n' : ''));
        const r = await readUpdates(d, DIMS);
        for (const e of r.entries) expect(typeof checkEntry(e, DIMS)).not.toBe('string');
        expect(r.entries.length + r.rejected.length).toBeLessThanOrEqual(lines.length);
      }),
      { numRuns: RUNS, seed: 5150 },
    );
  });
});

describe('creator input (JSONL and CSV)', () => {
  const valid = syntheticCreators(5, DIMS, 3).map((c) => JSON.stringify(c));
  const mutate = fc.tuple(fc.constantFrom(...valid), fc.nat(), fc.string({ maxLength: 5 })).map(([line, at, insert]) => line.slice(0, at % (line.length + 1)) + insert + line.slice(at % (line.length + 1)));

  it('parseCreatorLine never throws; what it accepts has a bounded id and finite vector values', () => {
    fc.assert(
      fc.property(fc.oneof(mutate, fc.string({ maxLength: 200 }), fc.jsonValue().map((v) => JSON.stringify(v) ?? '')), (line) => {
        const r = parseCreatorLine(line);
        if (r.ok) {
          expect(r.record.id.length).toBeGreaterThan(0);
          expect(r.record.id.length).toBeLessThanOrEqual(256);
          if (r.record.vector) expect(r.record.vector.every(Number.isFinite)).toBe(true);
        } else expect(typeof r.reason).toBe('string');
      }),
      { numRuns: RUNS * 4, seed: 31337 },
    );
  });

  it('CSV rows (quotes, commas, pipes, vector cells) never throw but a CsvSyntaxError', async () => {
    const cell = fc.oneof(fc.string({ maxLength: 20 }), fc.constantFrom('"', '""', '"a,b"', 'a|b|c', '[1,2,3]', '1 2 3', 'true', 'maybe', '1e39'));
    const header = ['id', 'name', 'about', 'tags', 'category', 'language', 'is_nsfw', 'vector'];
    await fc.assert(
      fc.asyncProperty(fc.array(cell, { maxLength: 10 }), async (cells) => {
        const text = `${header.join(',')}\n${cells.join(',')}\n`;
        try {
          let first = true;
          for await (const record of csvRecords(Readable.from([Buffer.from(text)]))) {
            if (first) {
              first = false;
              continue;
            }
            const row = csvRow(header, record.cells);
            if ('value' in row) expect(typeof parseCreator(row.value).ok).toBe('boolean');
            else expect(typeof row.reason).toBe('string');
          }
        } catch (err) {
          expect(err).toBeInstanceOf(CsvSyntaxError);
        }
      }),
      { numRuns: RUNS * 4, seed: 2718 },
    );
  });

  it('readCreators over arbitrary files returns records and invalid lines, or an InputError (duplicates)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.oneof(mutate, fc.constantFrom(...valid), fc.string({ maxLength: 50 })), { maxLength: 15 }), fc.constantFrom('jsonl', 'csv'), async (lines, format) => {
        const d = await scratch();
        const file = path.join(d, `in.${format}`);
        await fs.writeFile(file, lines.join('\n'));
        try {
          const r = await readCreators(file);
          expect(r.records.length + r.invalid.length).toBeLessThanOrEqual(lines.length);
        } catch (err) {
          expect(err).toBeInstanceOf(InputError);
        }
      }),
      { numRuns: RUNS, seed: 1618 },
    );
  });
});

describe('the native load path with corrupted files (child process)', () => {
  /** A corruption: byte flips (biased to index.hnsw's header), a truncation or appended bytes; the manifest is fixed up so that the checksums pass and the bytes reach the loader. */
  const corruption = fc.record({
    file: fc.constantFrom(ARTIFACT_FILES.index, ARTIFACT_FILES.index, ARTIFACT_FILES.index, ARTIFACT_FILES.creators, ARTIFACT_FILES.vectors),
    flips: fc.array(fc.record({ at: fc.oneof(fc.nat({ max: 120 }), fc.nat()), value: fc.integer({ min: 0, max: 255 }) }), { maxLength: 6 }),
    cut: fc.option(fc.nat(), { nil: undefined }),
    append: fc.option(fc.uint8Array({ minLength: 1, maxLength: 64 }), { nil: undefined }),
  });

  /**
   * In-range edits of index.hnsw's level 0 that its validator cannot tell from a real graph: link
   * targets, link counts, vector values (finite, but any size), delete flags. These load, and the
   * searches then walk a strange graph (self-loops, duplicates, unreachable points).
   */
  const graphEdit = fc.array(
    fc.oneof(
      fc.record({ kind: fc.constant('link' as const), element: fc.nat(), slot: fc.nat(), target: fc.nat() }),
      fc.record({ kind: fc.constant('count' as const), element: fc.nat(), n: fc.nat() }),
      fc.record({ kind: fc.constant('value' as const), element: fc.nat(), dim: fc.nat(), value: fc.oneof(fc.float({ noNaN: true, noDefaultInfinity: true }), fc.constantFrom(0, 3.4e38, -3.4e38, 1e-45)) }),
      fc.record({ kind: fc.constant('deleted' as const), element: fc.nat() }),
    ),
    { minLength: 1, maxLength: 12 },
  );

  type GraphEdit = typeof graphEdit extends fc.Arbitrary<Array<infer E>> ? E : never;

  /** A corruption, or graph edits of index.hnsw (with no flips). */
  interface Plan {
    file: string;
    flips: ReadonlyArray<{ at: number; value: number }>;
    cut?: number | undefined;
    append?: Uint8Array | undefined;
    graph?: readonly GraphEdit[];
  }

  function applyGraphEdits(bytes: Buffer, edits: readonly GraphEdit[]): void {
    const count = Number(bytes.readBigUInt64LE(16));
    const perElement = Number(bytes.readBigUInt64LE(24));
    const offsetData = Number(bytes.readBigUInt64LE(40));
    const maxM0 = Number(bytes.readBigUInt64LE(64));
    for (const e of edits) {
      const base = 96 + (e.element % count) * perElement;
      if (e.kind === 'link') bytes.writeUInt32LE(e.target % count, base + 4 + 4 * (e.slot % maxM0));
      else if (e.kind === 'count') bytes.writeUInt16LE(e.n % (maxM0 + 1), base);
      else if (e.kind === 'value') bytes.writeFloatLE(e.value, base + offsetData + 4 * (e.dim % DIMS));
      else bytes[base + 2] = 1; // hnswlib's DELETE_MARK
    }
  }

  it('every corrupted variant is refused or loads and answers searches; none crashes or hangs the process', async () => {
    const plans: Plan[] = [
      ...fc.sample(corruption, { numRuns: Math.max(40, Math.round(RUNS / 2)), seed: 8086 }),
      ...fc.sample(graphEdit, { numRuns: Math.max(40, Math.round(RUNS / 2)), seed: 6502 }).map((edits) => ({ file: ARTIFACT_FILES.index, graph: edits, flips: [] })),
    ];
    const cases: Array<{ indexDir: string; version: string }> = [];
    for (const [i, plan] of plans.entries()) {
      const caseDir = path.join(dir, `corrupt-${i}`);
      await fs.cp(idx, caseDir, { recursive: true });
      const vdir = path.join(caseDir, version);
      const file = path.join(vdir, plan.file);
      let bytes: Buffer = await fs.readFile(file);
      if (plan.graph) applyGraphEdits(bytes, plan.graph);
      for (const f of plan.flips) if (bytes.length > 0) bytes[f.at % bytes.length] = f.value;
      if (plan.cut !== undefined) bytes = bytes.subarray(0, plan.cut % (bytes.length + 1));
      if (plan.append) bytes = Buffer.concat([bytes, plan.append]);
      await fs.writeFile(file, bytes);
      const m = JSON.parse(await fs.readFile(path.join(vdir, MANIFEST_FILE), 'utf8')) as Manifest;
      m.files[plan.file] = { sha256: createHash('sha256').update(bytes).digest('hex'), bytes: bytes.length };
      await fs.writeFile(path.join(vdir, MANIFEST_FILE), JSON.stringify(m));
      cases.push({ indexDir: caseDir, version });
    }
    const list = path.join(dir, 'cases.json');
    await fs.writeFile(list, JSON.stringify(cases));
    const r = await runTs('test/helpers/fuzz-load-child.ts', [list], { timeoutMs: 120_000 });
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { i?: number; ok?: boolean; start?: boolean; done?: number });
    const lastStarted = [...lines].reverse().find((l) => l.start)?.i;
    // On a crash or a hang, name the plan that did it.
    expect({ signal: r.signal, timedOut: r.timedOut, code: r.code, lastStarted, plan: r.code === 0 ? undefined : plans[lastStarted ?? 0] }).toEqual({ signal: null, timedOut: false, code: 0, lastStarted: cases.length - 1, plan: undefined });
    expect(lastJson(r.stdout)).toEqual({ done: cases.length });
    const results = lines.filter((l) => l.ok !== undefined);
    expect(results).toHaveLength(cases.length);
    if (process.env.FUZZ_VERBOSE) console.log(results.map((x) => `${x.ok ? 'OK' : 'REFUSED'} ${(x as { message?: string }).message ?? ''}`.slice(0, 200)).join('\n'));
  });
});
