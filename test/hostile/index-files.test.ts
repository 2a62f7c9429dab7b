/**
 * Hostile files in an index directory, loaded the way the service loads a version
 * (loadIndexVersion), each in its own child process (test/helpers/load-probe.ts): a native crash
 * is a signal and a hang is a timeout, both test failures, never a dead jest.
 *
 * The 20 s bound per load is a "does not hang" bound: a good load of this 200-creator index takes
 * well under a second, and before the fixes several of these cases never returned (a FIFO or
 * /dev/zero read forever) or took minutes (hashing a 64 GiB sparse file).
 */
import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { buildIndex } from '../../index-builder/build-index';
import { ARTIFACT_FILES, CURRENT_FILE, MANIFEST_FILE, type Manifest } from '../../src/index/manifest';
import { lastJson, runTs } from '../helpers/child';
import { tempDir, writeJsonl } from '../helpers/server';
import { syntheticCreators } from '../helpers/synthetic';

const DIMS = 16;
const LOAD_BOUND_MS = 20_000;
let dir: string;
let base: string;
let version: string;

beforeAll(async () => {
  dir = await tempDir('creator-match-hostile-');
  base = path.join(dir, 'base');
  const input = path.join(dir, 'c.jsonl');
  await writeJsonl(input, syntheticCreators(200, DIMS, 3));
  version = (await buildIndex({ input, out: base, recallSample: 50, minRecall: 0.5 })).version;
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

let n = 0;
/** A fresh copy of the built index dir; returns it and the version dir inside it. */
async function copyIndex(): Promise<{ idx: string; vdir: string }> {
  const idx = path.join(dir, `case-${n++}`);
  await fs.cp(base, idx, { recursive: true });
  return { idx, vdir: path.join(idx, version) };
}

async function editManifest(vdir: string, edit: (m: Manifest) => void): Promise<void> {
  const file = path.join(vdir, MANIFEST_FILE);
  const m = JSON.parse(await fs.readFile(file, 'utf8')) as Manifest;
  edit(m);
  await fs.writeFile(file, JSON.stringify(m));
}

async function probe(idx: string, v: string | undefined = version) {
  const r = await runTs('test/helpers/load-probe.ts', [idx, ...(v === undefined ? [] : [v])], { timeoutMs: LOAD_BOUND_MS });
  return { ...r, result: lastJson(r.stdout) };
}

/** Refused (not served), within the bound, with a clean exit (no crash). */
async function expectRefused(idx: string, message: RegExp, v?: string): Promise<void> {
  const r = await probe(idx, v);
  expect({ timedOut: r.timedOut, code: r.code, signal: r.signal }).toEqual({ timedOut: false, code: 0, signal: null });
  expect(r.result).toMatchObject({ ok: false });
  expect(String(r.result!.message)).toMatch(message);
}

const mkfifo = (file: string): void => void execFileSync('mkfifo', [file]);

describe('the intact copy loads', () => {
  it('a copy of the built version loads (the cases below differ only by what they break)', async () => {
    const { idx } = await copyIndex();
    const r = await probe(idx);
    expect(r.result).toMatchObject({ ok: true, count: 200, size: 200 });
  });
});

describe('manifest dims and counts against the files', () => {
  it('manifest dims larger than index.hnsw and vectors.f32 hold: refused, no crash', async () => {
    const { idx, vdir } = await copyIndex();
    await editManifest(vdir, (m) => (m.dims = DIMS * 4));
    await expectRefused(idx, /vectors\.f32 has \d+ bytes, but 200 creators x 64 dims need/);
  });

  it('manifest dims doubled and count halved (vectors.f32 bytes still match): refused by the creators count or the index header, no crash', async () => {
    const { idx, vdir } = await copyIndex();
    await editManifest(vdir, (m) => {
      m.dims = DIMS * 2;
      m.count = 100;
    });
    await expectRefused(idx, /creators file has 200 rows, manifest says 100|dimensional vectors/);
  });

  it('manifest dims doubled, count halved and creators.jsonl cut to match: the addon refuses the index header, no crash', async () => {
    const { idx, vdir } = await copyIndex();
    const creators = (await fs.readFile(path.join(vdir, ARTIFACT_FILES.creators), 'utf8')).split('\n').slice(0, 100).join('\n') + '\n';
    await fs.writeFile(path.join(vdir, ARTIFACT_FILES.creators), creators);
    const { createHash } = await import('node:crypto');
    await editManifest(vdir, (m) => {
      m.dims = DIMS * 2;
      m.count = 100;
      m.files[ARTIFACT_FILES.creators] = { sha256: createHash('sha256').update(creators).digest('hex'), bytes: Buffer.byteLength(creators) };
    });
    await expectRefused(idx, /the file holds 16-dimensional vectors, this index has 32 dims/);
  });

  it('manifest dims smaller than the files: refused, no crash', async () => {
    const { idx, vdir } = await copyIndex();
    await editManifest(vdir, (m) => (m.dims = 4));
    await expectRefused(idx, /vectors\.f32 has \d+ bytes, but 200 creators x 4 dims need/);
  });
});

describe('names in the manifest and the version directory', () => {
  it.each([
    ['a ../ path', '../outside.bin'],
    ['an absolute path', '/etc/hostname'],
    ['a nested path', 'sub/file.bin'],
    ['a dot name', '..'],
  ])('manifest.files naming %s is refused before anything is read', async (_what, name) => {
    const { idx, vdir } = await copyIndex();
    await fs.writeFile(path.join(idx, 'outside.bin'), 'x');
    await editManifest(vdir, (m) => (m.files[name] = { sha256: '0'.repeat(64), bytes: 1 }));
    await expectRefused(idx, /manifest.*(files|not a valid manifest)/);
  });

  it('an index.hnsw that is a symlink (to an intact copy elsewhere) is refused', async () => {
    const { idx, vdir } = await copyIndex();
    const real = path.join(idx, 'elsewhere.hnsw');
    await fs.rename(path.join(vdir, ARTIFACT_FILES.index), real);
    await fs.symlink(real, path.join(vdir, ARTIFACT_FILES.index));
    await expectRefused(idx, /index\.hnsw is a symlink/);
  });

  it('a version directory that is a symlink to another directory is refused', async () => {
    const { idx, vdir } = await copyIndex();
    await fs.rename(vdir, path.join(idx, 'real-dir'));
    await fs.symlink(path.join(idx, 'real-dir'), vdir);
    await expectRefused(idx, /is a symlink, not a directory/);
  });
});

describe('special files: FIFOs and endless devices', () => {
  it.each([ARTIFACT_FILES.index, ARTIFACT_FILES.vectors, ARTIFACT_FILES.creators, MANIFEST_FILE])('%s replaced by a FIFO with no writer: refused at once (no blocked open)', async (name) => {
    const { idx, vdir } = await copyIndex();
    await fs.rm(path.join(vdir, name));
    mkfifo(path.join(vdir, name));
    await expectRefused(idx, new RegExp(`${name.replace('.', '\\.')} is a FIFO, not a regular file`));
  });

  it.each([ARTIFACT_FILES.index, ARTIFACT_FILES.vectors, MANIFEST_FILE])('%s linked to /dev/zero (endless): refused at once, nothing read', async (name) => {
    const { idx, vdir } = await copyIndex();
    await fs.rm(path.join(vdir, name));
    await fs.symlink('/dev/zero', path.join(vdir, name));
    await expectRefused(idx, new RegExp(`${name.replace('.', '\\.')} is a symlink`));
  });

  it('a manifest.json of 8 MiB is refused by its size, without parsing it', async () => {
    const { idx, vdir } = await copyIndex();
    await fs.writeFile(path.join(vdir, MANIFEST_FILE), ' '.repeat(8 << 20) + '{}');
    await expectRefused(idx, /manifest\.json has 8388610 bytes, more than the \d+ allowed/);
  });
});

describe('sizes before hashes', () => {
  it('a 64 GiB (sparse) vectors.f32 whose manifest says otherwise: the size mismatch is reported without hashing it', async () => {
    const { idx, vdir } = await copyIndex();
    const file = path.join(vdir, ARTIFACT_FILES.vectors);
    await fs.truncate(file, 64 * 2 ** 30); // sparse: no disk used; hashing it would take minutes
    await expectRefused(idx, /vectors\.f32 has 68719476736 bytes, manifest says \d+/);
  });
});

describe('CURRENT', () => {
  async function withCurrent(write: (file: string, idx: string) => Promise<void>) {
    const { idx } = await copyIndex();
    const file = path.join(idx, CURRENT_FILE);
    await fs.rm(file);
    await write(file, idx);
    return idx;
  }

  it.each([
    ['.', '.\n'],
    ['..', '..\n'],
    ['an absolute path', `/tmp\n`],
    ['a relative path with a slash', `x/../y\n`],
    ['a name with a leading dot', '.tmp-x\n'],
    ['two lines', 'v1\nv2\n'],
  ])('CURRENT naming %s is refused as not a version name', async (_what, content) => {
    const idx = await withCurrent((file) => fs.writeFile(file, content));
    await expectRefused(idx, /CURRENT names .*, not a version name/, '');
  });

  it('a CURRENT of 1 MiB is refused by its size', async () => {
    const idx = await withCurrent((file) => fs.writeFile(file, 'a'.repeat(1 << 20)));
    await expectRefused(idx, /CURRENT has 1048576 bytes, more than the \d+ allowed/, '');
  });

  it('a CURRENT linked to /dev/zero is refused without reading it (RSS stays flat)', async () => {
    const idx = await withCurrent((file) => fs.symlink('/dev/zero', file));
    const r = await probe(idx, '--current');
    expect({ timedOut: r.timedOut, code: r.code }).toEqual({ timedOut: false, code: 0 });
    expect(r.result).toMatchObject({ ok: false });
    expect(String(r.result!.message)).toMatch(/CURRENT is a symlink/);
    expect(Number(r.result!.rss)).toBeLessThan(1024 * 2 ** 20);
  });

  it('a CURRENT that is a FIFO with no writer is refused at once', async () => {
    const idx = await withCurrent(async (file) => mkfifo(file));
    await expectRefused(idx, /CURRENT is a FIFO, not a regular file/, '');
  });
});
