import { once } from 'node:events';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Worker } from 'node:worker_threads';
import { buildIndex } from '../../index-builder/build-index';
import { readCreators } from '../../src/catalog/creator-file';
import { readCreatorsPipelined, type PipelinedReadOptions } from '../../index-builder/read-pipelined';
import { exactTruth, recallPlan } from '../../index-builder/recall';
import { sha256File } from '../../src/index/manifest';
import { normalise } from '../../src/index/vectors';
import { syntheticCreators } from '../helpers/synthetic';
import { tempDir } from '../helpers/server';

// The builder's reader with parsing on a worker thread: the same records, line numbers and errors
// as readCreators, provided vectors handed over for insertion while the rest is still parsed.
const DIMS = 8;
const creators = syntheticCreators(700, DIMS, 21);
const good = creators.map((c) => JSON.stringify(c));

let dir: string;
beforeEach(async () => {
  dir = await tempDir('creator-match-pipelined-');
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

async function write(lines: string[], name = 'in.jsonl', eol = '\n'): Promise<string> {
  const file = path.join(dir, name);
  await fs.writeFile(file, lines.join(eol) + eol);
  return file;
}

/** Reads with a recording insert sink; `worker` resolves to the parser's exit code. */
async function read(file: string, opts: PipelinedReadOptions = {}) {
  const inserted: Array<{ label: number; vector: number[] }> = [];
  const starts: Array<{ dims: number; capacity: number }> = [];
  let exit: Promise<number> | undefined;
  let sawEnd = false;
  const run = readCreatorsPipelined(file, {
    chunkRows: 16,
    ...opts,
    insert: {
      start: (dims, capacity) => starts.push({ dims, capacity }),
      rows: async (first, vectors) => {
        const dims = starts[0]!.dims;
        for (let i = 0; (i + 1) * dims <= vectors.length; i++) inserted.push({ label: first + i, vector: Array.from(vectors.subarray(i * dims, (i + 1) * dims)) });
      },
    },
    onWorker(worker: Worker) {
      exit = once(worker, 'exit').then(([code]) => code as number);
      worker.on('message', (m: { type: string }) => {
        if (m.type === 'end') sawEnd = true;
      });
    },
  });
  const result = await run.then(
    (r) => ({ ok: true as const, r }),
    (err: Error) => ({ ok: false as const, err }),
  );
  const truth = result.ok ? await result.r.truth : undefined;
  if (result.ok) await result.r.close();
  return { result, truth, inserted, starts, exitCode: await exit!, sawEnd: () => sawEnd };
}

/** The error of a read that must have failed. */
function failed(result: { ok: true } | { ok: false; err: Error }): Error & { code?: string; invalid?: unknown } {
  if (result.ok) throw new Error('expected the read to fail');
  return result.err;
}

const expectedVector = (v: number[]): number[] => Array.from(normalise(Float32Array.from(v))!);

describe('readCreatorsPipelined', () => {
  it('returns what readCreators does, inserts every vector in order, and hashes the input', async () => {
    // A very long first line makes the worker's capacity guess too small: the buffer must grow.
    const first = JSON.stringify({ ...creators[0], about: 'x'.repeat(40_000) });
    const file = await write(['', first, ...good.slice(1), '   ']);
    const { result, truth, inserted, starts, exitCode } = await read(file, { recall: { k: 10, sampleSize: 50, seed: 7 } });
    if (!result.ok) throw result.err;
    const r = result.r;
    const old = await readCreators(file);
    expect(r.records).toEqual(old.records.map(({ vector: _v, ...rest }) => rest));
    expect(r.lineNumbers).toEqual(old.lineNumbers);
    expect(r.lineNumbers.slice(0, 2)).toEqual([2, 3]);
    expect(r.lines).toBe(old.lines);
    expect(r.invalid).toEqual([]);
    expect(r.sha256).toBe(await sha256File(file));

    expect(starts).toHaveLength(1);
    expect(starts[0]!.dims).toBe(DIMS);
    expect(starts[0]!.capacity).toBeLessThan(creators.length); // it grew
    expect(inserted.map((i) => i.label)).toEqual(creators.map((_, i) => i));
    expect(r.matrix!.count).toBe(creators.length);
    creators.forEach((c, i) => {
      expect(inserted[i]!.vector).toEqual(expectedVector(c.vector));
      expect(Array.from(r.matrix!.row(i))).toEqual(expectedVector(c.vector));
    });

    // The worker's exact recall answers are the ones the main thread would compute.
    expect(truth).toEqual(exactTruth(r.matrix!, recallPlan(r.matrix!.count, { k: 10, sampleSize: 50, seed: 7 })));
    expect(truth!.labels).toHaveLength(50);
    expect(exitCode).toBe(1); // terminated by close()
  });

  it('numbers lines like readCreators across a BOM, CRLF and blank lines', async () => {
    const lines = ['\uFEFF' + good[0]!, '', good[1]!, '{"id": "bad", "tags": "x"}', good[2]!];
    const file = await write(lines, 'crlf.jsonl', '\r\n');
    const { result } = await read(file, { skipInvalid: true });
    if (!result.ok) throw result.err;
    const old = await readCreators(file);
    expect(result.r.lineNumbers).toEqual([1, 3, 5]);
    expect(result.r.lineNumbers).toEqual(old.lineNumbers);
    expect(result.r.invalid).toEqual([{ line: 4, reason: expect.stringContaining('tags must be an array') }]);
    expect(result.r.invalid).toEqual(old.invalid);
  });

  it('reports every invalid line with its number, stops inserting at the first one, and reads to the end', async () => {
    const lines = [...good.slice(0, 100), 'garbage', ...good.slice(100, 300), '{"id": "x", "is_nsfw": "nope"}', ...good.slice(300)];
    const { result, inserted, sawEnd, exitCode } = await read(await write(lines));
    const err = failed(result);
    expect(err.name).toBe('InputError');
    expect(err.message).toMatch(/^2 invalid line\(s\) in .*:\n {2}line 101: invalid JSON[^\n]*\n {2}line 302: is_nsfw must be true or false\n\(use --skip-invalid/);
    expect(err.invalid).toEqual([
      { line: 101, reason: expect.stringContaining('invalid JSON') },
      { line: 302, reason: 'is_nsfw must be true or false' },
    ]);
    expect(inserted.length).toBeLessThanOrEqual(100);
    expect(sawEnd()).toBe(true);
    expect(exitCode).toBe(1);
  });

  it('with skipInvalid, skips invalid lines and labels the valid ones contiguously', async () => {
    const lines = [good[0]!, 'garbage', good[1]!, '{"id": 5}', ...good.slice(2, 40)];
    const { result, inserted } = await read(await write(lines), { skipInvalid: true });
    if (!result.ok) throw result.err;
    expect(result.r.invalid.map((i) => i.line)).toEqual([2, 4]);
    expect(result.r.records.map((r) => r.id)).toEqual(creators.slice(0, 40).map((c) => c.id));
    expect(result.r.lineNumbers.slice(0, 3)).toEqual([1, 3, 5]);
    expect(inserted.map((i) => i.label)).toEqual(Array.from({ length: 40 }, (_, i) => i));
    expect(inserted[2]!.vector).toEqual(expectedVector(creators[2]!.vector));
  });

  it('fails on a duplicate id at once and terminates the worker before it reads the rest', async () => {
    // 60k short lines: far more than the worker parses in the time the main thread needs to see line 3.
    const many = Array.from({ length: 60_000 }, (_, i) => JSON.stringify({ id: `m${i}`, vector: [1, i % 7, 2, 3] }));
    const lines = [many[0]!, many[1]!, many[0]!, ...many.slice(2)];
    const { result, sawEnd, exitCode } = await read(await write(lines));
    expect(failed(result).message).toBe('duplicate creator id "m0" on lines 1 and 3');
    expect(exitCode).toBe(1);
    expect(sawEnd()).toBe(false);
  });

  it('a duplicate wins over invalid lines before it, as with a full read', async () => {
    const lines = ['garbage', good[0]!, good[1]!, good[0]!];
    const { result } = await read(await write(lines));
    expect(failed(result).message).toBe(`duplicate creator id "${creators[0]!.id}" on lines 2 and 4`);
    await expect(readCreators(path.join(dir, 'in.jsonl'))).rejects.toThrow(failed(result).message);
  });

  it('fails on mixed vector/no-vector input with the counts of the whole file', async () => {
    const plain = (i: number) => JSON.stringify({ id: `plain${i}`, name: 'No vector' });
    const lines = [...good.slice(0, 50), plain(0), ...good.slice(50, 60), plain(1)];
    const { result, inserted } = await read(await write(lines));
    expect(failed(result).message).toBe('either all creators or none must carry a vector: 60 of 62 do (see line 51)');
    expect(inserted.length).toBeLessThanOrEqual(50);
  });

  it('a vector of another length, zero norm or beyond float32 makes its line invalid (skippable), naming the line', async () => {
    const short = JSON.stringify({ id: 'short', vector: [1, 2] });
    const zero = JSON.stringify({ id: 'zero', vector: new Array(DIMS).fill(0) });
    const huge = JSON.stringify({ id: 'huge', vector: [1e39, ...new Array(DIMS - 1).fill(1)] });
    const lines = [...good.slice(0, 30), zero, short, huge, ...good.slice(30, 40)];
    const r = await read(await write(lines));
    expect(failed(r.result).invalid).toEqual([
      { line: 31, reason: 'vector has zero norm (cosine is undefined)' },
      { line: 32, reason: 'vector has 2 values, the first line has 8' },
      { line: 33, reason: 'vector[0] is 1e+39, outside the float32 range' },
    ]);
    expect(r.inserted.length).toBeLessThanOrEqual(30);
    const skipped = await read(await write(lines), { skipInvalid: true });
    if (!skipped.result.ok) throw skipped.result.err;
    expect(skipped.result.r.records.map((c) => c.id)).toEqual(creators.slice(0, 40).map((c) => c.id));
    expect(skipped.result.r.invalid.map((i) => i.line)).toEqual([31, 32, 33]);
    expect(skipped.inserted.map((i) => i.label)).toEqual(Array.from({ length: 40 }, (_, i) => i));
  });

  it('reads text-only input without inserting and CSV input with the header counted as line 1', async () => {
    const text = await read(await write(creators.slice(0, 20).map(({ vector: _v, ...c }) => JSON.stringify(c))));
    if (!text.result.ok) throw text.result.err;
    expect(text.result.r.matrix).toBeUndefined();
    expect(text.result.r.truth).toBeUndefined();
    expect(text.result.r.records).toHaveLength(20);
    expect(text.inserted).toEqual([]);

    const rows = creators.slice(0, 30).map((c) => [c.id, c.name, c.category, String(c.is_nsfw), `"${JSON.stringify(c.vector)}"`].join(','));
    const csv = await read(await write(['id,name,category,is_nsfw,vector', ...rows.slice(0, 10), 'x,broken,games,maybe,"[1]"', ...rows.slice(10)], 'in.csv'), { skipInvalid: true });
    if (!csv.result.ok) throw csv.result.err;
    expect(csv.result.r.lineNumbers.slice(9, 11)).toEqual([11, 13]);
    expect(csv.result.r.invalid).toEqual([{ line: 12, reason: 'is_nsfw must be true or false' }]);
    expect(csv.inserted).toHaveLength(30);
    expect(csv.inserted[29]!.vector).toEqual(expectedVector(creators[29]!.vector));
  });

  it('passes on a missing file as an ENOENT error', async () => {
    const { result, exitCode } = await read(path.join(dir, 'missing.jsonl'));
    expect(failed(result).code).toBe('ENOENT');
    expect(exitCode).toBe(1);
  });
});

describe('buildIndex with the pipelined reader', () => {
  const versions = async (out: string): Promise<string[]> => fs.readdir(out).catch(() => []);

  it('publishes nothing when the input fails part-way (duplicate, invalid line) and keeps the served version', async () => {
    const out = path.join(dir, 'idx');
    const many = Array.from({ length: 3_000 }, (_, i) => JSON.stringify({ id: `m${i}`, vector: [1, i % 7, 2, (i % 13) / 3] }));
    await expect(buildIndex({ input: await write([...many, many[5]!]), out })).rejects.toThrow('duplicate creator id "m5" on lines 6 and 3001');
    expect(await versions(out)).toEqual([]);

    const first = await buildIndex({ input: await write(good), out, recallSample: 50 });
    await expect(buildIndex({ input: await write([...good.slice(0, 500), 'garbage', ...good.slice(500)]), out })).rejects.toThrow(/1 invalid line\(s\)[\s\S]*line 501: invalid JSON/);
    expect((await versions(out)).sort()).toEqual([first.version, 'CURRENT'].sort());
  });

  it('builds with --skip-invalid and reports the read, insert, recall and write stages', async () => {
    const stages: string[] = [];
    const totals: Array<[string, number]> = [];
    const lines = [...good.slice(0, 10), '{"id": 1}', ...good.slice(10)];
    const report = await buildIndex(
      { input: await write(lines), out: path.join(dir, 'idx'), skipInvalid: true, recallSample: 100 },
      { onStage: (s) => stages.push(s), onTotal: (s, t) => totals.push([s, t]) },
    );
    expect(report.count).toBe(creators.length);
    expect(report.skipped).toEqual([{ line: 11, reason: 'id is required and must be a string' }]);
    expect(report.recall).toMatchObject({ sampleSize: 100 });
    expect(report.recall.value).toBeGreaterThanOrEqual(0.95);
    expect(stages).toEqual(['read', 'insert', 'recall', 'write']);
    expect(totals).toEqual([['insert', creators.length]]);
    expect(report.seconds.read).toBeGreaterThan(0);
  });
});
