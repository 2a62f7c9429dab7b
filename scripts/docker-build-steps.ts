/**
 * Replays the Dockerfile's build without a Docker engine (CI has none):
 *   npx tsx scripts/docker-build-steps.ts [--out DIR] [--dockerfile Dockerfile]
 * Each stage gets a directory (DIR/<stage>/ is its root filesystem); FROM a previous stage starts
 * from a hard-linked copy of it; WORKDIR, ENV, ARG and COPY (from the context, filtered by
 * .dockerignore, or --from a stage) are applied; RUN commands run with bash in the stage's WORKDIR,
 * with absolute paths under /app, /var/lib and /run/secrets mapped into the stage root (no build
 * secret is given: `RUN --mount=...` options are dropped). Three things differ from a real build, on purpose:
 * - `npm ci` links the checkout's node_modules (CI has just run npm ci from the same lockfile) and,
 *   like npm ci's install script, compiles native/ (node-gyp);
 * - `apt-get` and `chown` are skipped (system packages and users of the base image);
 * - the base images are not pulled: the host's Node.js runs everything.
 * DIR/summary.json describes the final stage (workdir, env, user, entrypoint, cmd, healthcheck),
 * which test/deploy/dockerfile.test.ts then starts and health-checks.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
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

/**
 * .dockerignore semantics, enough for ours: patterns relative to the context root (a leading / is
 * dropped), `*` and `?` within one path segment, `**` across segments, `!` re-includes; the last
 * matching pattern wins, and a pattern that matches a directory matches everything below it.
 */
export function ignoreMatcher(patterns: string[]): (rel: string) => boolean {
  const compiled = patterns.map((raw) => {
    const negate = raw.startsWith('!');
    const pattern = path.posix.normalize((negate ? raw.slice(1) : raw).trim().replace(/^\/+/, ''));
    const body = pattern
      .split(/(\*\*\/?|\*|\?)/)
      .map((part) => (part === '**' || part === '**/' ? '(?:.*/)?' + (part === '**' ? '.*' : '') : part === '*' ? '[^/]*' : part === '?' ? '[^/]' : part.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
      .join('');
    return { negate, re: new RegExp(`^${body}(?:/.*)?$`) };
  });
  return (rel) => {
    let ignored = false;
    for (const { negate, re } of compiled) if (re.test(rel)) ignored = !negate;
    return ignored;
  };
}

/** Copies a context directory without what .dockerignore excludes (paths relative to REPO). */
function copyContext(src: string, dest: string, isIgnored: (rel: string) => boolean): void {
  mkdirSync(dest, { recursive: true });
  for (const entry of readdirSync(src, { withFileTypes: true })) {
    const from = path.join(src, entry.name);
    if (isIgnored(path.relative(REPO, from).split(path.sep).join('/'))) continue;
    const to = path.join(dest, entry.name);
    if (entry.isDirectory()) copyContext(from, to, isIgnored);
    else if (entry.isSymbolicLink()) symlinkSync(readlinkSync(from), to);
    else copyFileSync(from, to);
  }
}

/** Absolute image paths the build creates (or mounts), mapped into the stage root. */
function mapPaths(command: string, root: string): string {
  return command.replace(/(^|[\s=:'"])\/(app|var\/lib|opt|srv|run\/secrets)(?=[/\s'"]|$)/g, (_all, pre: string, dir: string) => `${pre}${root}/${dir}`);
}

/** RUN's own options (--mount=..., --network=..., --security=...) come before the command. */
export function runCommand(args: string): string {
  return args.replace(/^(?:--(?:mount|network|security)=\S+\s+)+/, '');
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
  const isIgnored = ignoreMatcher(ignored);
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
              const rel = path.posix.normalize(src);
              if (rel !== '.' && isIgnored(rel)) throw new Error(`line ${ins.line}: COPY ${src} but .dockerignore excludes it`);
              srcPath = path.join(REPO, src);
            }
            if (!existsSync(srcPath)) throw new Error(`line ${ins.line}: COPY source ${src} does not exist`);
            const isDir = statSync(srcPath).isDirectory();
            const target = isDir || !destIsDir ? destAbs : path.join(destAbs, path.basename(src));
            if (!from && isDir) {
              // The context, as the engine sends it: without what .dockerignore excludes.
              copyContext(srcPath, target, isIgnored);
            } else cp(srcPath, target, from !== undefined);
          }
          break;
        }
        case 'RUN': {
          log(`RUN ${args}`);
          const started = Date.now();
          const command = mapPaths(runCommand(args), root);
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
