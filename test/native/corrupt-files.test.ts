import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { built, clustered, Hnsw, prng, runChild, tempDir } from './helpers';

// A small index whose file has every feature: upper levels, deleted elements.
const DIMS = 8;
const N = 300;
const M = 4;
const tmp = tempDir('native-corrupt-');
afterAll(() => tmp.remove());
const at = (name: string): string => path.join(tmp.dir, name);

let valid: Buffer;
const SDPE = 4 + 2 * M * 4 + DIMS * 4 + 8; // level-0 links, vector, label
const LEVEL0 = 96; // start of the level-0 block
const LINKS = LEVEL0 + N * SDPE; // start of the per-element upper-level link lists
let levels: number[];
let linkListAt: number[]; // offset of each element's 4-byte link-list size

beforeAll(async () => {
  const index = await built(clustered(N, DIMS, 2), DIMS, { m: M, efConstruction: 20, seed: 5 });
  await index.markDelete(Uint32Array.of(10, 11));
  await index.save(at('valid.hnsw'));
  await index.close();
  valid = readFileSync(at('valid.hnsw'));
  levels = [];
  linkListAt = [];
  for (let pos = LINKS, i = 0; i < N; i++) {
    linkListAt.push(pos);
    const bytes = valid.readUInt32LE(pos);
    levels.push(bytes / (M * 4 + 4));
    pos += 4 + bytes;
  }
});

interface Case {
  name: string;
  bytes?: Buffer; // written to a file named after the case
  file?: string; // or an existing path
  dims?: number;
  error: RegExp | null; // null: the file is valid and must load
}

function mutated(change: (b: Buffer) => void): Buffer {
  const b = Buffer.from(valid);
  change(b);
  return b;
}

function cases(): Case[] {
  const size = valid.length;
  const maxLevel = valid.readInt32LE(48);
  const count = N;
  const lowLevel = levels.findIndex((l) => l === 0);
  const upper = levels.findIndex((l) => l >= 1);
  const out: Case[] = [];
  // Truncated at many offsets, including every structural boundary.
  const cuts = new Set([0, 1, 8, 50, 95, 96, 97, 100, LEVEL0 + SDPE, LINKS - 1, LINKS, LINKS + 1, LINKS + 3, LINKS + 4, size - 1, size - 4]);
  for (let c = 0; c < size; c += Math.ceil(size / 60)) cuts.add(c);
  for (const cut of cuts) {
    out.push({ name: `truncated-${cut}`, bytes: valid.subarray(0, cut), error: /shorter than|truncated|ends (before|inside)|unexpected end|implausible|than its header says/ });
  }
  // Grown.
  for (const extra of [1, 4, 20, 1000]) {
    out.push({ name: `grown-${extra}`, bytes: Buffer.concat([valid, Buffer.alloc(extra, 0)]), error: /bytes follow the last link list/ });
  }
  // Header fields.
  const u64 = (offset: number, value: bigint) => mutated((b) => b.writeBigUInt64LE(value, offset));
  const flip = (offset: number, bit: number) => mutated((b) => (b[offset + (bit >> 3)]! ^= 1 << (bit & 7)));
  out.push(
    { name: 'offsetLevel0', bytes: flip(0, 0), error: /offsetLevel0 is 1, hnswlib writes 0/ },
    { name: 'offsetLevel0-high', bytes: flip(0, 63), error: /offsetLevel0 is/ },
    { name: 'capacity-below-count', bytes: u64(8, BigInt(count - 1)), error: /holds 300 elements, more than its capacity 299/ },
    { name: 'capacity-huge', bytes: flip(8, 40), error: /asks for capacity \d+ for 300 elements \(implausible; refusing to allocate\)/ },
    { name: 'capacity-spare', bytes: u64(8, BigInt(count + 65537)), error: /asks for capacity 65837 for 300 elements/ },
    { name: 'capacity-double', bytes: u64(8, BigInt(2 * count)), error: null }, // room an old builder left: fine
    { name: 'count-plus-one', bytes: u64(16, BigInt(count + 1)), error: /more than its capacity|ends|truncated|implausible/ },
    { name: 'count-huge', bytes: flip(16, 40), error: /more than its capacity/ },
    { name: 'count-minus-one', bytes: u64(16, BigInt(count - 1)), error: /cannot load/ },
    { name: 'size-per-element', bytes: flip(24, 3), error: /size_data_per_element is \d+, expected 76/ },
    { name: 'label-offset', bytes: flip(32, 2), error: /the file holds 7-dimensional vectors, this index has 8 dims/ },
    { name: 'label-offset-odd', bytes: flip(32, 0), error: /label_offset 69 is inconsistent with offsetData 36/ },
    { name: 'offset-data', bytes: flip(40, 2), error: /offsetData is 32, expected 36/ },
    { name: 'max-level-up', bytes: mutated((b) => b.writeInt32LE(maxLevel + 1, 48)), error: /is the entry point at level \d+, but the max level is/ },
    { name: 'max-level-negative', bytes: mutated((b) => b.writeInt32LE(-1, 48)), error: /the max level -1 is not in 0\.\.64/ },
    { name: 'max-level-huge', bytes: mutated((b) => b.writeInt32LE(1000, 48)), error: /the max level 1000 is not in 0\.\.64/ },
    { name: 'entry-point-beyond', bytes: mutated((b) => b.writeUInt32LE(count, 52)), error: /the entry point 300 is beyond the 300 elements/ },
    { name: 'entry-point-low', bytes: mutated((b) => b.writeUInt32LE(lowLevel, 52)), error: /is the entry point at level 0/ },
    { name: 'maxM', bytes: flip(56, 0), error: /maxM 5 and maxM0 8 do not match M 4/ },
    { name: 'maxM0', bytes: flip(64, 1), error: /maxM 4 and maxM0 10 do not match M 4/ },
    { name: 'M', bytes: flip(72, 3), error: /maxM 4 and maxM0 8 do not match M 12/ },
    { name: 'M-huge', bytes: u64(72, 1n << 40n), error: /M is \d+, expected 2\.\.10000/ },
    { name: 'mult-exponent', bytes: flip(80, 62), error: /the level multiplier .* is not 1\/ln\(M\)/ },
    { name: 'mult-nan', bytes: mutated((b) => b.writeDoubleLE(Number.NaN, 80)), error: /the level multiplier/ },
    { name: 'ef-construction-low', bytes: u64(88, 1n), error: /ef_construction is 1, expected at least M 4/ },
    { name: 'ef-construction-huge', bytes: flip(88, 40), error: /ef_construction is \d+/ },
  );
  // The body: level-0 lists, labels, vectors, link-list sizes, upper-level links.
  const element = (id: number): number => LEVEL0 + id * SDPE;
  out.push(
    { name: 'level0-count', bytes: mutated((b) => b.writeUInt16LE(2 * M + 1, element(5))), error: /element 5 has 9 level-0 links, more than maxM0 8/ },
    { name: 'level0-target', bytes: mutated((b) => b.writeUInt32LE(count + 3, element(5) + 4)), error: /element 5 links to element 303 at level 0, beyond the 300 elements/ },
    { name: 'level0-flags', bytes: mutated((b) => (b[element(6) + 2] = 2)), error: /element 6 has unknown flags 2/ },
    { name: 'label-64-bit', bytes: mutated((b) => b.writeBigUInt64LE(1n << 33n, element(7) + SDPE - 8)), error: /element 7 has label 8589934592, beyond the largest label 4294967294/ },
    { name: 'label-twice', bytes: mutated((b) => b.writeBigUInt64LE(8n, element(7) + SDPE - 8)), error: /element 8 has label 8, already used by element 7/ },
    { name: 'vector-nan', bytes: mutated((b) => b.writeFloatLE(Number.NaN, element(9) + 4 + 2 * M * 4 + 12)), error: /element 9 \(label 9\) has a non-finite value at dimension 3/ },
    { name: 'link-size-odd', bytes: mutated((b) => b.writeUInt32LE(7, linkListAt[lowLevel])), error: new RegExp(`element ${lowLevel} has 7 bytes of upper-level links, not a multiple of 20`) },
    { name: 'link-size-level', bytes: mutated((b) => b.writeUInt32LE(20 * (maxLevel + 1), linkListAt[lowLevel])), error: /above the max level|truncated/ },
    {
      name: 'upper-link-to-level-0',
      bytes: mutated((b) => {
        b.writeUInt16LE(1, linkListAt[upper]! + 4);
        b.writeUInt32LE(lowLevel, linkListAt[upper]! + 8);
      }),
      error: new RegExp(`element ${upper} links to element ${lowLevel} at level 1, which has no such level`),
    },
    { name: 'upper-count', bytes: mutated((b) => b.writeUInt16LE(M + 1, linkListAt[upper]! + 4)), error: new RegExp(`element ${upper} has 5 links at level 1, more than maxM 4`) },
  );
  // Wrong dims, random bytes, a random body behind a valid header.
  out.push(
    { name: 'dims-4', file: at('valid.hnsw'), dims: 4, error: /the file holds 8-dimensional vectors, this index has 4 dims/ },
    { name: 'dims-16', file: at('valid.hnsw'), dims: 16, error: /the file holds 8-dimensional vectors, this index has 16 dims/ },
  );
  const rand = prng(99);
  const random = (n: number): Buffer => Buffer.from(Uint8Array.from({ length: n }, () => Math.floor(rand() * 256)));
  for (const n of [0, 1, 95, 96, 97, 1000, 50_000]) out.push({ name: `random-${n}`, bytes: random(n), error: /cannot load/ });
  out.push({ name: 'random-body', bytes: Buffer.concat([valid.subarray(0, 96), random(size - 96)]), error: /cannot load/ });
  // Not regular files: none may block or be read.
  const fifo = at('fifo');
  execFileSync('mkfifo', [fifo]);
  const dir = at('a-directory');
  mkdirSync(dir);
  symlinkSync('/dev/zero', at('link-to-zero'));
  out.push(
    { name: 'fifo', file: fifo, error: /cannot load .*fifo: a FIFO, not a regular file/ },
    { name: 'dev-zero', file: '/dev/zero', error: /cannot load \/dev\/zero: a character device, not a regular file/ },
    { name: 'dev-null', file: '/dev/null', error: /a character device, not a regular file/ },
    { name: 'symlink-to-dev-zero', file: at('link-to-zero'), error: /a character device, not a regular file/ },
    { name: 'directory', file: dir, error: /a-directory: a directory, not a regular file/ },
    { name: 'missing', file: at('missing'), error: /cannot open: No such file or directory/ },
  );
  return out;
}

describe('loading corrupted and hostile files (in a child process)', () => {
  it('rejects every one with a precise error; the process survives and serves the valid file', async () => {
    const all = cases();
    const byDims = new Map<number, Case[]>();
    for (const c of all) {
      if (c.bytes) writeFileSync(at(c.name), c.bytes);
      const dims = c.dims ?? DIMS;
      byDims.set(dims, [...(byDims.get(dims) ?? []), c]);
    }
    byDims.get(DIMS)!.push({ name: 'valid', file: at('valid.hnsw'), error: null });
    for (const [dims, group] of byDims) {
      const list = at(`list-${dims}`);
      writeFileSync(list, group.map((c) => c.file ?? at(c.name)).join('\n') + '\n');
      const child = await runChild(['load', String(dims), list]);
      expect({ code: child.code, signal: child.signal, stderr: child.stderr }).toEqual({ code: 0, signal: null, stderr: '' });
      const results = child.stdout.trim().split('\n').map((l) => JSON.parse(l) as { file: string; ok: boolean; name?: string; message?: string });
      expect(results).toHaveLength(group.length);
      group.forEach((c, i) => {
        const r = results[i]!;
        if (c.error === null) {
          expect(r).toMatchObject({ file: c.file ?? at(c.name), ok: true, count: N });
        } else {
          expect({ case: c.name, ok: r.ok, name: r.name }).toEqual({ case: c.name, ok: false, name: 'Error' });
          expect(r.message).toMatch(c.error);
        }
      });
    }
  });
});

describe('saving where the bytes cannot land (in a child process)', () => {
  it('rejects a write beyond RLIMIT_FSIZE and removes the partial file', async () => {
    const file = at('limited.hnsw');
    const child = await runChild(['save', file, '2000', '16'], { shell: 'ulimit -f 64' });
    expect(child.code).toBe(0);
    expect(JSON.parse(child.stdout)).toEqual({
      ok: false,
      name: 'Error',
      message: expect.stringMatching(new RegExp(`^cannot save ${file}: write failed after \\d+ bytes: File too large$`)),
    });
    expect(existsSync(file)).toBe(false);
  });

  it('refuses FIFOs (without blocking), devices and directories', async () => {
    const fifo = at('save-fifo');
    execFileSync('mkfifo', [fifo]);
    for (const [target, error] of [
      [fifo, /cannot save .*save-fifo: cannot open: No such device or address/],
      ['/dev/full', /cannot save \/dev\/full: a character device, not a regular file/],
      [tmp.dir, /cannot open: Is a directory/],
      [at('no-such-dir/x.hnsw'), /cannot open: No such file or directory/],
    ] as const) {
      const child = await runChild(['save', target, '50', '8']);
      expect(child.code).toBe(0);
      const r = JSON.parse(child.stdout) as { ok: boolean; message: string };
      expect(r.ok).toBe(false);
      expect(r.message).toMatch(error);
    }
  });
});

describe('property: any corruption of a valid file is rejected or loads into a working index', () => {
  it('holds for random bit flips, truncations, overwrites and appends', async () => {
    const size = valid.length;
    const mutation = fc.oneof(
      fc.record({ kind: fc.constant('flip' as const), offset: fc.nat(size - 1), bit: fc.nat(7) }),
      fc.record({ kind: fc.constant('truncate' as const), offset: fc.nat(size - 1) }),
      fc.record({ kind: fc.constant('overwrite' as const), offset: fc.nat(size - 1), bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }) }),
      fc.record({ kind: fc.constant('append' as const), bytes: fc.uint8Array({ minLength: 1, maxLength: 64 }) }),
      // Header fields get more attention than their share of the bytes.
      fc.record({ kind: fc.constant('flip' as const), offset: fc.nat(95), bit: fc.nat(7) }),
    );
    const file = at('property.hnsw');
    const query = new Float32Array(DIMS).fill(1 / Math.sqrt(DIMS));
    let loaded = 0;
    let rejected = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(mutation, { minLength: 1, maxLength: 3 }), async (mutations) => {
        let bytes = Buffer.from(valid);
        for (const m of mutations) {
          if (m.kind === 'flip') bytes[m.offset]! ^= 1 << m.bit;
          else if (m.kind === 'truncate') bytes = bytes.subarray(0, Math.min(m.offset, bytes.length));
          else if (m.kind === 'overwrite') Buffer.from(m.bytes).copy(bytes, Math.min(m.offset, bytes.length));
          else bytes = Buffer.concat([bytes, Buffer.from(m.bytes)]);
        }
        writeFileSync(file, bytes);
        const index = new Hnsw(DIMS);
        try {
          await index.load(file);
        } catch (err) {
          rejected++;
          const e = err as Error;
          return e.name === 'Error' && e.message.startsWith(`cannot load ${file}: `);
        }
        loaded++;
        const ann = await index.search(query, 10, 40);
        const exact = await index.search(query, 10, 0, { exact: true });
        await index.close();
        return ann.labels.length <= 10 && exact.labels.length <= 10 && exact.distances.every((d, i) => i === 0 || d >= exact.distances[i - 1]!);
      }),
      { numRuns: 400, seed: 42 },
    );
    expect(rejected).toBeGreaterThan(0);
    expect(loaded + rejected).toBe(400);
  });
});
