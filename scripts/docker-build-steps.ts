/**
 * Replays the Dockerfile's build without a Docker engine (CI has none):
 *   npx tsx scripts/docker-build-steps.ts [--out DIR] [--dockerfile Dockerfile]
 * Each stage gets a directory (DIR/<stage>/ is its root filesystem); FROM a previous stage starts
 * from a hard-linked copy of it; WORKDIR, ENV, ARG and COPY (from the context or --from a stage)
 * are applied; RUN commands run with bash in the stage's WORKDIR, with absolute paths under /app
 * and /var/lib mapped into the stage root. Three things differ from a real build, on purpose:
 * - `npm ci` links the checkout's node_modules (CI has just run npm ci from the same lockfile) and,
 *   like npm ci's install script, compiles native/ (node-gyp);
 * - `apt-get` and `chown` are skipped (system packages and users of the base image);
 * - the base images are not pulled: the host's Node.js runs everything.
 * DIR/summary.json describes the final stage (workdir, env, user, entrypoint, cmd, healthcheck),
 * which test/deploy/dockerfile.test.ts then starts and health-checks.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execForm, parseCopy, parseDockerfile, parseEnv, substitute } from './dockerfile';

const REPO = path.resolve(__dirname, '..');

export interface BuildSummary {
  out: string;
  stages: string[];
  final: {
    name: string;
    root: string;
    workdir: string;
    env: Record<string, string>;
    user: string | undefined;
    entrypoint: string[] | undefined;
    cmd: string[] | undefined;
    healthcheck: string[] | undefined;
    volumes: string[];
    expose: string[];
  };
}

const log = (msg: string): void => void process.stderr.write(`[docker-build-steps] ${msg}\n`);

function cp(src: string, dest: string, hardlink: boolean): void {
  mkdirSync(path.dirname(dest), { recursive: true });
  const isDir = statSync(src).isDirectory();
  const from = isDir ? `${src}/.` : src;
  if (isDir) mkdirSync(dest, { recursive: true });
  try {
    execFileSync('cp', [hardlink ? '-al' : '-a', from, dest]);
  } catch {
    execFileSync('cp', ['-a', from, dest]); // another filesystem: no hard links
  }
}

function dockerignored(): string[] {
  const file = path.join(REPO, '.dockerignore');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
}

/** Absolute image paths the build creates, mapped into the stage root. */
function mapPaths(command: string, root: string): string {
  return command.replace(/(^|[\s=:'"])\/(app|var\/lib|opt|srv)(?=[/\s'"]|$)/g, (_all, pre: string, dir: string) => `${pre}${root}/${dir}`);
}

/** Absolute paths left in a RUN command that are neither in the stage root nor harmless system paths. */
function unsafePaths(command: string, root: string): string[] {
  const allowed = [root, '/usr/bin/', '/bin/', '/dev/null', '/dev/stdout', '/dev/stderr'];
  return [...command.matchAll(/(?:^|[\s=:'"])(\/[^\s'";&|]*)/g)].map((m) => m[1]!).filter((p) => !allowed.some((a) => p.startsWith(a)));
}

const PREAMBLE = `set -euo pipefail
npm() {
  if [ "\${1:-}" = ci ]; then
    echo "[docker-build-steps] npm ci -> the checkout's node_modules (hard-linked)" >&2
    rm -rf node_modules
    cp -al "$CM_REPO/node_modules" node_modules 2>/dev/null || cp -a "$CM_REPO/node_modules" node_modules
    if [ -f native/binding.gyp ]; then
      # npm ci's install script: compile the native addon here (not the checkout's build, which .dockerignore excludes)
      rm -rf native/build
      command npm run -s build:native >/dev/null
    fi
  else
    command npm "$@"
  fi
}
apt-get() { echo "[docker-build-steps] skipped: apt-get $*" >&2; }
chown() { echo "[docker-build-steps] skipped: chown $*" >&2; }
`;

export function replay(opts: { out: string; dockerfile: string }): BuildSummary {
  const parsed = parseDockerfile(readFileSync(opts.dockerfile, 'utf8'));
  const ignored = dockerignored();
  rmSync(opts.out, { recursive: true, force: true });
  mkdirSync(opts.out, { recursive: true });
  const roots = new Map<string, { root: string; workdir: string; env: Record<string, string> }>();
  let final: BuildSummary['final'] | undefined;

  for (const stage of parsed.stages) {
    const root = path.join(opts.out, stage.name);
    const parent = roots.get(stage.base);
    if (parent) cp(parent.root, root, true);
    else mkdirSync(root, { recursive: true });
    let workdir = parent?.workdir ?? '/';
    const env: Record<string, string> = { ...(parent?.env ?? {}) };
    const vars: Record<string, string> = { ...parsed.globalArgs };
    const meta = { user: undefined as string | undefined, entrypoint: undefined as string[] | undefined, cmd: undefined as string[] | undefined, healthcheck: undefined as string[] | undefined, volumes: [] as string[], expose: [] as string[] };
    log(`stage ${stage.name} (FROM ${stage.base})`);

    for (const ins of stage.instructions) {
      const args = substitute(ins.args, { ...vars, ...env });
      switch (ins.cmd) {
        case 'WORKDIR':
          workdir = path.posix.resolve(workdir, args);
          mkdirSync(path.join(root, workdir), { recursive: true });
          break;
        case 'ARG': {
          const [k, v] = args.split('=', 2);
          vars[k!] = v ?? parsed.globalArgs[k!] ?? '';
          break;
        }
        case 'ENV':
          Object.assign(env, parseEnv(args));
          break;
        case 'COPY': {
          const { from, sources, dest } = parseCopy(args);
          const destAbs = path.join(root, path.posix.resolve(workdir, dest));
          const destIsDir = dest.endsWith('/') || dest === '.' || sources.length > 1;
          for (const src of sources) {
            let srcPath: string;
            if (from) {
              const s = roots.get(from);
              if (!s) throw new Error(`line ${ins.line}: COPY --from=${from}: no such stage`);
              srcPath = path.join(s.root, path.posix.resolve(s.workdir, src));
            } else {
              if (ignored.includes(src.split('/')[0]!)) throw new Error(`line ${ins.line}: COPY ${src} but .dockerignore excludes it`);
              srcPath = path.join(REPO, src);
            }
            if (!existsSync(srcPath)) throw new Error(`line ${ins.line}: COPY source ${src} does not exist`);
            const isDir = statSync(srcPath).isDirectory();
            cp(srcPath, isDir || !destIsDir ? destAbs : path.join(destAbs, path.basename(src)), from !== undefined);
          }
          break;
        }
        case 'RUN': {
          log(`RUN ${args}`);
          const started = Date.now();
          const command = mapPaths(args, root);
          const outside = unsafePaths(command, root);
          if (outside.length > 0) throw new Error(`line ${ins.line}: RUN touches ${outside.join(', ')} outside the stage root; map it in mapPaths() first`);
          execFileSync('bash', ['-c', PREAMBLE + command], {
            cwd: path.join(root, workdir),
            env: { ...process.env, ...env, CM_REPO: REPO },
            stdio: ['ignore', 'inherit', 'inherit'],
          });
          log(`  done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
          break;
        }
        case 'USER':
          meta.user = args;
          break;
        case 'ENTRYPOINT':
          meta.entrypoint = execForm(args);
          break;
        case 'CMD':
          meta.cmd = execForm(args);
          break;
        case 'HEALTHCHECK': {
          const m = /\bCMD\s+(.*)$/.exec(args);
          meta.healthcheck = m ? execForm(m[1]!) : undefined;
          break;
        }
        case 'VOLUME':
          meta.volumes.push(...(execForm(args) ?? args.split(' ')));
          break;
        case 'EXPOSE':
          meta.expose.push(...args.split(' '));
          break;
        case 'LABEL':
        case 'SHELL':
        case 'STOPSIGNAL':
          break;
        default:
          throw new Error(`line ${ins.line}: ${ins.cmd} is not supported by the replay`);
      }
    }
    roots.set(stage.name, { root, workdir, env });
    final = { name: stage.name, root, workdir, env, ...meta };
  }
  if (!final) throw new Error('the Dockerfile has no stage');
  const summary: BuildSummary = { out: opts.out, stages: parsed.stages.map((s) => s.name), final };
  writeFileSync(path.join(opts.out, 'summary.json'), JSON.stringify(summary, null, 2) + '\n');
  return summary;
}

if (require.main === module) {
  const argv = process.argv.slice(2);
  const arg = (name: string, dflt: string): string => {
    const i = argv.indexOf(name);
    return i >= 0 && argv[i + 1] ? argv[i + 1]! : dflt;
  };
  const started = Date.now();
  const summary = replay({ out: path.resolve(arg('--out', path.join(REPO, 'var', 'docker-build-steps'))), dockerfile: path.resolve(arg('--dockerfile', path.join(REPO, 'Dockerfile'))) });
  log(`built stages ${summary.stages.join(', ')} in ${((Date.now() - started) / 1000).toFixed(1)} s; final root ${summary.final.root}`);
}
