import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { buildIndex } from '../../index-builder/build-index';
import { syntheticCreators } from '../helpers/synthetic';
import { startServer, tempDir, writeJsonl, type Running } from '../helpers/server';

// Debian's python3 (not a pyenv shim) with python3-grpcio; .ci/run installs it and the stub compiler.
const PYTHON = process.env.MATCH_TEST_PYTHON ?? '/usr/bin/python3';
const PLUGIN = process.env.MATCH_TEST_GRPC_PYTHON_PLUGIN ?? '/usr/bin/grpc_python_plugin';
const ROOT = path.resolve(__dirname, '..', '..');
const run = promisify(execFile);
const creators = syntheticCreators(300, 16, 5);

let dir: string;
let running: Running;

beforeAll(async () => {
  dir = await tempDir();
  await writeJsonl(path.join(dir, 'c.jsonl'), creators);
  await buildIndex({ input: path.join(dir, 'c.jsonl'), out: path.join(dir, 'idx'), minRecall: 0.9 });
  running = await startServer(path.join(dir, 'idx'));
});
afterAll(async () => {
  await running?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

it('the Python client package (stubs from its documented command) calls Match, BatchMatch and GetIndexInfo', async () => {
  const stubs = path.join(dir, 'stubs');
  // clients/python/generate_stubs.sh: Debian's protoc (3.21, knows proto3 `optional`) with the gRPC Python plugin.
  await run(path.join(ROOT, 'clients/python/generate_stubs.sh'), [stubs], { env: { ...process.env, GRPC_PYTHON_PLUGIN: PLUGIN } }).catch((err: Error) => {
    throw new Error(`cannot generate Python stubs (apt-get install protobuf-compiler protobuf-compiler-grpc python3-grpcio python3-protobuf): ${err.message}`);
  });
  const target = creators[7]!;
  const { stdout } = await run(PYTHON, [path.join(ROOT, 'test/python/match_client.py'), stubs, `127.0.0.1:${running.port}`, JSON.stringify(target.vector)]);
  // What test/python/match_client.py prints.
  const out = JSON.parse(stdout) as {
    single: { request_id: string; ids: string[]; first_profile_category: string };
    bad: { code: string; details: string };
    batch: Array<{ request_id: string; n: number; error_code: number; reason: string }>;
    info: { dims: number; creator_count: number };
  };
  expect(out.single.request_id).toBe('py-1');
  expect(out.single.ids).toHaveLength(3);
  expect(out.single.ids[0]).toBe(target.id);
  expect(out.single.first_profile_category).toBe(target.category);
  expect(out.bad).toEqual({ code: 'INVALID_ARGUMENT', details: expect.stringContaining('the index has 16 dimensions'), reason: 'DIMENSION_MISMATCH' });
  expect(out.batch).toEqual([
    { request_id: 'b1', n: 2, error_code: 0, reason: '' },
    { request_id: 'b2', n: 0, error_code: 5, reason: 'UNKNOWN_CREATORS' },
    { request_id: 'b3', n: 1, error_code: 0, reason: '' },
  ]);
  expect(out.info).toEqual({ dims: 16, creator_count: 300 });
});
