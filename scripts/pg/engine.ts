/**
 * The local PostgreSQL engine: Debian stable's PostgreSQL 15 (bookworm) plus pgvector >= 0.8,
 * compiled from the next Debian release's (trixie's) `pgvector` source package.
 *
 * Why this and not a debootstrapped trixie running its postgresql-17-pgvector in a chroot (option a)?
 * Both measured from scratch on a clean Debian 12 (debootstrap minbase), 2 shared cores, the Debian
 * mirror this machine's apt uses:
 *   (a) apt-get install debootstrap ~1 s; debootstrap --variant=minbase trixie 33-42 s; apt-get
 *       install postgresql-17 postgresql-17-pgvector inside it 11 s: ~50 s before initdb, ~810 MB
 *       in the project's folder. Every server command (initdb, pg_ctl, pg_basebackup) then runs
 *       under chroot, i.e. as root only, with /proc and /dev mounted into it, and a second
 *       distribution with its own glibc lives in the work tree.
 *   (b) this: apt-get install postgresql-15 postgresql-server-dev-15 (+ make gcc libc6-dev dpkg-dev,
 *       already there wherever the project's native addon builds) then apt-get source + make +
 *       make install of pgvector: 31-40 s from scratch (two runs) including initdb and start;
 *       +1.1 GB in /usr (postgresql-server-dev-15 depends on clang-14 and llvm-14-dev: ~0.6 GB of
 *       it) and +0.4 GB in /var (apt's .deb cache 0.3 GB); 9 s on the project's usual image, which
 *       already has PostgreSQL 15 and gcc.
 * (b) is as fast or faster, the server is the system's own security-updated PostgreSQL package with
 * the host's glibc, there is no chroot, and once installed, tests and pg:start/pg:stop work as an
 * ordinary user too. (a) needs half the disk, which matters less than those. Bookworm's archive has
 * no pgvector package at all; pgvector supports PostgreSQL 13+, and Debian's source package only
 * adds a patch that drops -march=native, so the build is portable.
 *
 * The trixie source list is scoped: a private apt configuration (own sources file, lists and cache
 * in a temp folder deleted after the build) used only for `apt-get source`; the system's sources,
 * preferences and package cache are never changed, so nothing can upgrade the machine to trixie.
 *
 * Environment:
 *   MATCH_PG_BINDIR          PostgreSQL bin dir to use (default /usr/lib/postgresql/15/bin); a custom
 *                            one is never installed into, only checked
 *   MATCH_PG_DEBIAN_MIRROR   Debian mirror for the pgvector source (default: the one of the system's
 *                            apt sources that serves the system's suite)
 *   MATCH_PGVECTOR_SUITE     Debian suite to take the pgvector source from (default trixie)
 */
import { existsSync, promises as fs, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PgSetupError, isRoot, run } from './proc';

export const PG_MAJOR = 15;
export const MIN_PGVECTOR = '0.8.0';
const FIX = 'fix: run `npm run pg:start` (as root; it installs PostgreSQL 15 and pgvector from the Debian registry)';

export interface Engine {
  bindir: string;
  pgVersion: string;
  pgvectorVersion: string;
  sharedir: string;
  pkglibdir: string;
}

export type EngineCheck = { ok: true; engine: Engine } | { ok: false; missing: string[]; bindir: string };

const defaultBindir = (): string => process.env.MATCH_PG_BINDIR || `/usr/lib/postgresql/${PG_MAJOR}/bin`;

/** '0.8.0' >= '0.8' style comparison of dotted numeric versions. */
export function versionAtLeast(version: string, min: string): boolean {
  const a = version.split(/[.-]/).map((x) => parseInt(x, 10) || 0);
  const b = min.split(/[.-]/).map((x) => parseInt(x, 10) || 0);
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) > (b[i] ?? 0);
  }
  return true;
}

async function pgConfig(bindir: string, flag: string): Promise<string | undefined> {
  const exe = path.join(bindir, 'pg_config');
  if (!existsSync(exe)) return undefined;
  const r = await run(exe, [flag]).catch(() => undefined);
  return r && r.code === 0 ? r.stdout.trim() : undefined;
}

/** What is installed: the PostgreSQL server tools in bindir and a pgvector >= 0.8 for them. */
export async function checkEngine(bindir = defaultBindir()): Promise<EngineCheck> {
  const missing: string[] = [];
  for (const tool of ['postgres', 'initdb', 'pg_ctl', 'pg_basebackup']) {
    if (!existsSync(path.join(bindir, tool))) missing.push(`${tool} (not in ${bindir})`);
  }
  if (missing.length) return { ok: false, missing, bindir };
  const versionOut = await run(path.join(bindir, 'postgres'), ['--version']).catch(() => undefined);
  const pgVersion = /(\d+(?:\.\d+)*)/.exec(versionOut?.stdout ?? '')?.[1] ?? 'unknown';
  // Debian's layout when pg_config is absent (it ships with the client package).
  const sharedir = (await pgConfig(bindir, '--sharedir')) ?? `/usr/share/postgresql/${PG_MAJOR}`;
  const pkglibdir = (await pgConfig(bindir, '--pkglibdir')) ?? `/usr/lib/postgresql/${PG_MAJOR}/lib`;
  const control = path.join(sharedir, 'extension', 'vector.control');
  let pgvectorVersion = '';
  if (existsSync(control)) pgvectorVersion = /default_version\s*=\s*'([^']+)'/.exec(readFileSync(control, 'utf8'))?.[1] ?? '';
  if (!pgvectorVersion) missing.push(`pgvector (no ${control})`);
  else if (!versionAtLeast(pgvectorVersion, MIN_PGVECTOR)) missing.push(`pgvector >= ${MIN_PGVECTOR} (${pgvectorVersion} installed)`);
  else if (!existsSync(path.join(pkglibdir, 'vector.so'))) missing.push(`pgvector library (no ${path.join(pkglibdir, 'vector.so')})`);
  if (missing.length) return { ok: false, missing, bindir };
  return { ok: true, engine: { bindir, pgVersion, pgvectorVersion, sharedir, pkglibdir } };
}

/** The installed engine, or a PgSetupError that says what is missing and how to install it. */
export async function requireEngine(): Promise<Engine> {
  const c = await checkEngine();
  if (c.ok) return c.engine;
  throw new PgSetupError(`PostgreSQL ${PG_MAJOR} with pgvector >= ${MIN_PGVECTOR} is not installed (missing: ${c.missing.join(', ')}); ${FIX}`);
}

// ---------------------------------------------------------------------------------------------
// Installing

function osRelease(): Record<string, string> {
  const out: Record<string, string> = {};
  try {
    for (const line of readFileSync('/etc/os-release', 'utf8').split('\n')) {
      const m = /^([A-Z_]+)=("?)(.*)\2$/.exec(line.trim());
      if (m) out[m[1]!] = m[3]!;
    }
  } catch {
    /* not Linux, or no os-release */
  }
  return out;
}

/**
 * The Debian mirror the system's apt uses for its own suite: the first `deb` entry (one-line or
 * deb822 format) under /etc/apt/sources.list* whose suite is the system's codename.
 */
export function systemDebianMirror(etcApt = '/etc/apt', codename = osRelease().VERSION_CODENAME ?? 'bookworm'): string | undefined {
  const files: string[] = [];
  if (existsSync(path.join(etcApt, 'sources.list'))) files.push(path.join(etcApt, 'sources.list'));
  const dir = path.join(etcApt, 'sources.list.d');
  if (existsSync(dir)) for (const f of readdirSync(dir).sort()) if (/\.(list|sources)$/.test(f)) files.push(path.join(dir, f));
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    if (file.endsWith('.sources')) {
      for (const stanza of text.split(/\n\s*\n/)) {
        const field = (name: string): string[] => {
          const m = new RegExp(`^${name}:\\s*(.*)$`, 'im').exec(stanza);
          return m ? m[1]!.trim().split(/\s+/) : [];
        };
        if (field('Enabled')[0]?.toLowerCase() === 'no') continue;
        if (field('Types').includes('deb') && field('Suites').includes(codename) && field('Components').includes('main')) {
          const uri = field('URIs')[0];
          if (uri) return uri;
        }
      }
    } else {
      for (const line of text.split('\n')) {
        const m = /^\s*deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)\s+(.*)$/.exec(line);
        if (m && m[2] === codename && m[3]!.split(/\s+/).includes('main')) return m[1];
      }
    }
  }
  return undefined;
}

async function dpkgInstalled(pkg: string): Promise<boolean> {
  const r = await run('dpkg-query', ['-W', '-f=${Status}', pkg]).catch(() => undefined);
  return !!r && r.code === 0 && r.stdout.includes('install ok installed');
}

const hasCommand = async (cmd: string): Promise<boolean> => (await run('sh', ['-c', `command -v ${cmd}`])).code === 0;

export interface EnsureOptions {
  log?: (line: string) => void;
}

/** Makes sure the engine is installed, installing what is missing (root, Debian); returns it. */
export async function ensureEngine(opts: EnsureOptions = {}): Promise<Engine> {
  const log = opts.log ?? (() => {});
  const first = await checkEngine();
  if (first.ok) return first.engine;
  const hint = `missing: ${first.missing.join(', ')}`;
  if (process.env.MATCH_PG_BINDIR) {
    throw new PgSetupError(`the PostgreSQL in MATCH_PG_BINDIR=${process.env.MATCH_PG_BINDIR} is not usable (${hint}); fix: install pgvector >= ${MIN_PGVECTOR} for it, or unset MATCH_PG_BINDIR to use Debian's PostgreSQL ${PG_MAJOR}`);
  }
  if (!existsSync('/usr/bin/apt-get') || !existsSync('/usr/bin/dpkg-query')) {
    throw new PgSetupError(`PostgreSQL ${PG_MAJOR} with pgvector >= ${MIN_PGVECTOR} is not installed (${hint}) and this is not a Debian system; fix: install PostgreSQL 13+ with pgvector >= ${MIN_PGVECTOR} and set MATCH_PG_BINDIR to its bin folder`);
  }
  if (!isRoot()) {
    throw new PgSetupError(`PostgreSQL ${PG_MAJOR} with pgvector >= ${MIN_PGVECTOR} is not installed (${hint}); fix: run \`sudo npm run pg:start\` once to install it`);
  }

  // Without the server tools pgvector was not checked: it is missing too (nothing else puts it there).
  const needVector = first.missing.some((m) => m.startsWith('pgvector') || m.includes(' (not in '));
  const wanted = [`postgresql-${PG_MAJOR}`];
  if (needVector) {
    wanted.push(`postgresql-server-dev-${PG_MAJOR}`);
    if (!(await hasCommand('make'))) wanted.push('make');
    if (!(await hasCommand('cc'))) wanted.push('gcc', 'libc6-dev');
    if (!(await hasCommand('dpkg-source'))) wanted.push('dpkg-dev');
  }
  const toInstall: string[] = [];
  for (const p of wanted) if (!(await dpkgInstalled(p))) toInstall.push(p);
  if (toInstall.length) {
    log(`installing Debian packages: ${toInstall.join(' ')}`);
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    const lock = ['-o', 'DPkg::Lock::Timeout=300']; // wait for another apt/dpkg run instead of failing
    await run('apt-get', [...lock, 'update', '-qq'], { env, failure: 'apt-get update failed; fix: check that the Debian registry is reachable' });
    await run('apt-get', [...lock, 'install', '-y', '-qq', '--no-install-recommends', ...toInstall], {
      env,
      nice: true,
      failure: `apt-get install ${toInstall.join(' ')} failed; fix: run it by hand to see why`,
    });
  }
  if (needVector) await buildPgvector(log);
  const after = await checkEngine();
  if (!after.ok) throw new PgSetupError(`the install finished but the engine is still incomplete (missing: ${after.missing.join(', ')}); fix: see the output above, or report it`);
  log(`engine: PostgreSQL ${after.engine.pgVersion}, pgvector ${after.engine.pgvectorVersion}`);
  return after.engine;
}

/** apt-get source pgvector from MATCH_PGVECTOR_SUITE through a private apt configuration, then make install. */
async function buildPgvector(log: (line: string) => void): Promise<void> {
  const suite = process.env.MATCH_PGVECTOR_SUITE || 'trixie';
  const mirror = process.env.MATCH_PG_DEBIAN_MIRROR || systemDebianMirror();
  if (!mirror) {
    throw new PgSetupError('cannot find the Debian mirror in /etc/apt/sources.list*; fix: set MATCH_PG_DEBIAN_MIRROR to the Debian archive URL (the one apt uses for main)');
  }
  const keyring = '/usr/share/keyrings/debian-archive-keyring.gpg';
  // A temp folder (deleted afterwards) that apt's download user _apt can enter.
  const scratch = await fs.mkdtemp(path.join(os.tmpdir(), 'creator-match-pgvector-'));
  await fs.chmod(scratch, 0o755);
  try {
    for (const d of ['lists/partial', 'cache/archives/partial', 'sources.d', 'src']) await fs.mkdir(path.join(scratch, d), { recursive: true });
    const sourcesFile = path.join(scratch, 'sources.d', `${suite}-src.sources`);
    await fs.writeFile(sourcesFile, `Types: deb-src\nURIs: ${mirror}\nSuites: ${suite}\nComponents: main\nSigned-By: ${keyring}\n`);
    // apt downloads as user _apt; let it write into the scratch folders.
    const apt = await run('id', ['-u', '_apt']);
    if (apt.code === 0) await run('chown', ['-R', '_apt', scratch]);
    const aptConf = [
      `Dir::Etc::SourceList=${sourcesFile}`,
      `Dir::Etc::SourceParts=${path.join(scratch, 'sources.d')}`,
      `Dir::State::Lists=${path.join(scratch, 'lists')}`,
      `Dir::Cache=${path.join(scratch, 'cache')}`,
      'Dir::Etc::Preferences=/dev/null',
      `Dir::Etc::PreferencesParts=${path.join(scratch, 'sources.d')}`,
    ].flatMap((o) => ['-o', o]);
    log(`fetching the pgvector source package from Debian ${suite} (scoped apt configuration, the system's sources are untouched)`);
    await run('apt-get', [...aptConf, 'update', '-qq'], { failure: `apt-get update for the ${suite} source list failed; fix: check that ${mirror} serves ${suite}, or set MATCH_PG_DEBIAN_MIRROR` });
    const src = path.join(scratch, 'src');
    await run('apt-get', [...aptConf, 'source', '-qq', '--only-source', 'pgvector'], {
      cwd: src,
      failure: `apt-get source pgvector (${suite}) failed; fix: check that the Debian registry is reachable`,
    });
    const dir = (await fs.readdir(src)).find((f) => /^pgvector-\d/.test(f) && existsSync(path.join(src, f, 'Makefile')));
    const version = dir?.replace(/^pgvector-/, '') ?? '';
    if (!dir || !versionAtLeast(version, MIN_PGVECTOR)) {
      throw new PgSetupError(`Debian ${suite}'s pgvector source is ${version || 'missing'}, older than ${MIN_PGVECTOR}; fix: set MATCH_PGVECTOR_SUITE to a newer suite (e.g. testing)`);
    }
    const pgConfigExe = path.join(defaultBindir(), 'pg_config');
    // with_llvm=no: no JIT bitcode (it would need clang); the extension itself is the same.
    const makeArgs = ['-C', path.join(src, dir), `PG_CONFIG=${pgConfigExe}`, 'with_llvm=no'];
    log(`building pgvector ${version} for PostgreSQL ${PG_MAJOR}`);
    await run('make', [...makeArgs, `-j${Math.max(1, Math.min(4, os.cpus().length))}`], { nice: true, failure: `building pgvector ${version} failed` });
    await run('make', [...makeArgs, 'install'], { failure: `installing pgvector ${version} failed` });
    log(`installed pgvector ${version} into ${pgConfigExe.replace(/\/bin\/pg_config$/, '')}`);
  } finally {
    await fs.rm(scratch, { recursive: true, force: true });
  }
}
