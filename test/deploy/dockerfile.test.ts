import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, promises as fs, readFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { execForm, parseCopy, parseDockerfile, parseEnv, type Stage } from '../../scripts/dockerfile';
import { replay, type BuildSummary } from '../../scripts/docker-build-steps';
import { syntheticCreators } from '../helpers/synthetic';
import { httpGet } from '../observability/helpers';

// hadolint is not packaged in Debian, so the Dockerfile is checked by parsing it here, and its build
// is replayed as a script (scripts/docker-build-steps.ts) whose output is then started.
const ROOT = path.resolve(__dirname, '..', '..');
const dockerfile = parseDockerfile(readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8'));
const final = dockerfile.stages[dockerfile.stages.length - 1]!;
const all = (stage: Stage, cmd: string): string[] => stage.instructions.filter((i) => i.cmd === cmd).map((i) => i.args);
const last = (stage: Stage, cmd: string): string | undefined => all(stage, cmd).pop();
/** A line of the service's JSON log (the fields read here). */
type LogLine = { msg: string; metrics_port?: number };

describe('Dockerfile (static checks)', () => {
  it('is multi-stage, with a slim runtime stage built from the earlier ones', () => {
    expect(dockerfile.stages.map((s) => s.name)).toEqual(['deps', 'build', 'runtime']);
    expect(final.base).toMatch(/^node:20-.*slim$/);
    const fromStages = all(final, 'COPY').map(parseCopy).filter((c) => c.from);
    expect(fromStages.length).toBeGreaterThan(0);
    for (const c of fromStages) expect(['deps', 'build']).toContain(c.from);
  });

  it('converts the default model in a build stage and bakes it into the image', () => {
    const build = dockerfile.stages.find((s) => s.name === 'build')!;
    expect(all(build, 'RUN').some((r) => r.includes('tools/model/cli.js'))).toBe(true);
    expect(all(final, 'COPY').map(parseCopy).some((c) => c.from === 'build' && c.sources.includes('/app/models'))).toBe(true);
    expect(parseEnv(all(final, 'ENV').join(' ')).MATCH_ALLOW_REMOTE_MODELS ?? 'false').toBe('false');
  });

  it('runs as a non-root user with tini as PID 1 and CMD ["node", ...], not npm', () => {
    expect(last(final, 'USER')).toBeDefined();
    expect(last(final, 'USER')).not.toMatch(/^(root|0)(:|$)/);
    expect(execForm(last(final, 'ENTRYPOINT')!)).toEqual(['/usr/bin/tini', '--']);
    expect(all(final, 'RUN').some((r) => /apt-get install .*\btini\b/.test(r))).toBe(true);
    const cmd = execForm(last(final, 'CMD')!)!;
    expect(cmd[0]).toBe('node');
    expect(cmd).toEqual(['node', 'dist/src/main.js']);
    for (const stage of dockerfile.stages) for (const r of all(stage, 'RUN')) expect(r).not.toMatch(/\bnpm (start|run start)\b/);
  });

  it('health-checks through grpc.health.v1, declares the index volume and the ports', () => {
    const hc = last(final, 'HEALTHCHECK')!;
    expect(hc).toMatch(/--interval=\S+ .*--timeout=\S+/);
    expect(execForm(hc.replace(/^.*?\bCMD\s+/, ''))).toEqual(['node', 'dist/scripts/healthcheck.js']);
    const env = parseEnv(all(final, 'ENV').join(' '));
    expect(execForm(last(final, 'VOLUME')!)).toEqual([env.MATCH_INDEX_DIR]);
    expect(all(final, 'EXPOSE').join(' ').split(' ').sort()).toEqual(['50051', '9464']);
    expect(env.MATCH_GRPC_ADDR).toBe('0.0.0.0:50051');
    expect(env.MATCH_METRICS_ADDR).toBe('0.0.0.0:9464');
  });

  it('COPYs only what exists and what .dockerignore lets through, and ignores local state', () => {
    const ignore = readFileSync(path.join(ROOT, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim());
    for (const entry of ['node_modules', 'dist', 'var', 'models', '.git']) expect(ignore).toContain(entry);
    for (const stage of dockerfile.stages)
      for (const c of all(stage, 'COPY').map(parseCopy).filter((c) => !c.from))
        for (const src of c.sources) {
          expect(existsSync(path.join(ROOT, src))).toBe(true);
          expect(ignore).not.toContain(src);
        }
  });
});

async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

describe('Dockerfile build steps, replayed (scripts/docker-build-steps.ts)', () => {
  let tmp: string;
  let summary: BuildSummary;
  let child: ChildProcess | undefined;

  beforeAll(async () => {
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'creator-match-docker-'));
    // Under var/ (same filesystem as node_modules: hard links, not a 700 MB copy).
    summary = replay({ out: path.join(ROOT, 'var', `docker-build-steps-test-${process.pid}`), dockerfile: path.join(ROOT, 'Dockerfile') });
  }, 300_000);

  afterAll(async () => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    await fs.rm(tmp, { recursive: true, force: true });
    if (summary) await fs.rm(summary.out, { recursive: true, force: true });
  });

  it('produces the runtime layout: compiled JS, the converted model, production dependencies only', () => {
    const app = path.join(summary.final.root, summary.final.workdir);
    expect(summary.final.workdir).toBe('/app');
    for (const f of ['dist/src/main.js', 'dist/index-builder/cli.js', 'dist/scripts/healthcheck.js', 'proto/creatormatch/v1/creator_match.proto', 'data/sample-creators.jsonl', 'package.json'])
      expect(existsSync(path.join(app, f))).toBe(true);
    expect(existsSync(path.join(app, 'models/creator-match/use-lite/config.json'))).toBe(true);
    expect(existsSync(path.join(app, 'node_modules/@grpc/grpc-js'))).toBe(true);
    expect(existsSync(path.join(app, 'node_modules/jest'))).toBe(false);
    expect(existsSync(path.join(app, 'src'))).toBe(false);
  });

  it('serves from the built output: index builder, node dist/src/main.js, healthcheck SERVING, /metrics, clean SIGTERM', async () => {
    const app = path.join(summary.final.root, summary.final.workdir);
    const input = path.join(tmp, 'creators.jsonl');
    await fs.writeFile(input, syntheticCreators(300, 16, 3).map((c) => JSON.stringify(c)).join('\n') + '\n');
    const indexDir = path.join(tmp, 'indexes');
    const built = spawnSync('node', ['dist/index-builder/cli.js', '--input', input, '--out', indexDir, '--recall-sample', '50', '--json'], { cwd: app, encoding: 'utf8' });
    expect(built.status).toBe(0);

    const grpcPort = await freePort();
    const env = { PATH: process.env.PATH!, HOME: tmp, ...summary.final.env, MATCH_INDEX_DIR: indexDir, MATCH_GRPC_ADDR: `127.0.0.1:${grpcPort}`, MATCH_METRICS_ADDR: '127.0.0.1:0' };
    // The image's ENTRYPOINT is tini; here the CMD runs directly.
    const [cmd, ...args] = summary.final.cmd!;
    child = spawn(cmd!, args, { cwd: app, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
    const [hcCmd, ...hcArgs] = summary.final.healthcheck!;
    let health = spawnSync(hcCmd!, hcArgs, { cwd: app, env, encoding: 'utf8' });
    for (let i = 0; i < 100 && health.status !== 0; i++) {
      await new Promise((r) => setTimeout(r, 200));
      health = spawnSync(hcCmd!, hcArgs, { cwd: app, env, encoding: 'utf8' });
    }
    expect(health.stdout).toContain('SERVING');
    expect(health.status).toBe(0);

    // The health check can pass before this process has read the server's stdout pipe: let it drain.
    for (let i = 0; i < 50 && !stdout.includes('"telemetry started"'); i++) await new Promise((r) => setTimeout(r, 100));
    // Complete lines only: the last one may still be on its way.
    const lines = stdout.slice(0, stdout.lastIndexOf('\n')).split('\n').filter(Boolean).map((l) => JSON.parse(l) as LogLine);
    const started = lines.find((l) => l.msg === 'telemetry started')!;
    const scrape = await httpGet(started.metrics_port!, '/metrics');
    expect(scrape.body).toContain('creator_match_index_info{');

    const exited = new Promise<number | null>((r) => child!.once('exit', (code) => r(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    const all = stdout.trim().split('\n').map((l) => JSON.parse(l) as LogLine);
    expect(all.map((l) => l.msg)).toEqual(expect.arrayContaining(['index version now serving', 'shutting down', 'bye']));
    // After shutdown the health check fails.
    expect(spawnSync(hcCmd!, hcArgs, { cwd: app, env, encoding: 'utf8' }).status).toBe(1);
  });
});
