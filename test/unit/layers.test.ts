import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

/**
 * Layering, from the imports of every .ts file in the code folders (tests excluded):
 * - the service (src/) imports nothing outside src/ (not index-builder/, tools/, scripts/, bench/);
 * - there is no import cycle between folder groups. A group is src/<sub> or tools/<sub>, or a
 *   top-level folder (index-builder, scripts, bench); files directly in src/ (app.ts, main.ts)
 *   are the group `src`.
 * Imports are read with the TypeScript scanner (ts.preProcessFile: import/export from, import(),
 * require(), type-only imports too) and resolved like the compiler resolves relative specifiers.
 */
const ROOT = path.resolve(__dirname, '..', '..');

/**
 * Imports left out of the cycle check, each a known cycle to remove (the test fails once an entry
 * matches nothing, so the list cannot go stale).
 */
const KNOWN_CYCLE_IMPORTS: Array<{ from: string; to: string }> = [];
const CODE_FOLDERS = ['src', 'index-builder', 'tools', 'clients', 'scripts', 'bench'];
const SUBGROUPED = new Set(['src', 'tools']);

function tsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...tsFiles(p));
    else if (entry.name.endsWith('.ts')) out.push(p);
  }
  return out;
}

/** Repo-relative, / separated. */
const rel = (file: string): string => path.relative(ROOT, file).split(path.sep).join('/');

/** The file a relative specifier names: as written, with .ts / .d.ts / .json, or a directory's index. */
export function resolveRelative(fromFile: string, specifier: string): string | undefined {
  const base = path.resolve(path.dirname(fromFile), specifier);
  const candidates = [`${base}.ts`, `${base}.d.ts`, base, path.join(base, 'index.ts'), path.join(base, 'index.d.ts')];
  return candidates.find((c) => existsSync(c) && statSync(c).isFile());
}

/** The folder group of a repo-relative path. */
export function groupOf(relPath: string): string {
  const parts = relPath.split('/');
  return SUBGROUPED.has(parts[0]!) && parts.length > 2 ? `${parts[0]}/${parts[1]}` : parts[0]!;
}

interface Import {
  from: string;
  to: string;
  specifier: string;
}

function readImports(): { imports: Import[]; unresolved: string[] } {
  const imports: Import[] = [];
  const unresolved: string[] = [];
  for (const folder of CODE_FOLDERS) {
    for (const file of tsFiles(path.join(ROOT, folder))) {
      const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
      for (const { fileName: specifier } of info.importedFiles) {
        if (!specifier.startsWith('./') && !specifier.startsWith('../') && specifier !== '.' && specifier !== '..') continue;
        const target = resolveRelative(file, specifier);
        if (target === undefined) unresolved.push(`${rel(file)}: '${specifier}'`);
        else imports.push({ from: rel(file), to: rel(target), specifier });
      }
    }
  }
  return { imports, unresolved };
}

/** One cycle in the group graph, as a path of groups (first = last), or undefined. */
export function findCycle(edges: Map<string, Set<string>>): string[] | undefined {
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (g: string): string[] | undefined => {
    state.set(g, 'open');
    stack.push(g);
    for (const next of [...(edges.get(g) ?? [])].sort()) {
      if (state.get(next) === 'open') return [...stack.slice(stack.indexOf(next)), next];
      if (state.get(next) === undefined) {
        const found = visit(next);
        if (found) return found;
      }
    }
    stack.pop();
    state.set(g, 'done');
    return undefined;
  };
  for (const g of [...edges.keys()].sort()) {
    if (state.get(g) !== undefined) continue;
    const found = visit(g);
    if (found) return found;
  }
  return undefined;
}

const { imports, unresolved } = readImports();

describe('layers', () => {
  it('reads the imports of every code folder, and resolves each relative one to a file', () => {
    expect(imports.length).toBeGreaterThan(200);
    // Directory imports resolve to the folder's index.ts (src/embedding is imported that way).
    expect(imports.some((i) => i.specifier.endsWith('/embedding') && i.to === 'src/embedding/index.ts')).toBe(true);
    expect(unresolved).toEqual([]);
  });

  it('the service (src/) imports nothing outside src/', () => {
    const outside = imports.filter((i) => i.from.startsWith('src/') && !i.to.startsWith('src/')).map((i) => `${i.from} imports ${i.to}`);
    expect(outside).toEqual([]);
  });

  it('has no import cycle between folder groups', () => {
    const known = (i: Import) => KNOWN_CYCLE_IMPORTS.some((k) => i.from.startsWith(k.from) && i.to.startsWith(k.to));
    for (const k of KNOWN_CYCLE_IMPORTS) {
      expect({ knownCycleImport: k, stillThere: imports.some((i) => i.from.startsWith(k.from) && i.to.startsWith(k.to)) }).toEqual({ knownCycleImport: k, stillThere: true });
    }
    const edges = new Map<string, Set<string>>();
    const why = new Map<string, string>();
    for (const i of imports) {
      if (known(i)) continue;
      const [a, b] = [groupOf(i.from), groupOf(i.to)];
      if (a === b) continue;
      if (!edges.has(a)) edges.set(a, new Set());
      edges.get(a)!.add(b);
      if (!why.has(`${a} ${b}`)) why.set(`${a} ${b}`, `${i.from} imports '${i.specifier}'`);
    }
    const cycle = findCycle(edges);
    if (cycle) {
      const hops = cycle.slice(1).map((g, k) => `  ${cycle[k]} -> ${g}: ${why.get(`${cycle[k]} ${g}`)}`);
      throw new Error(`import cycle between folders: ${cycle.join(' -> ')}\n${hops.join('\n')}`);
    }
  });
});

describe('layer check helpers', () => {
  it('groups src/<sub> and tools/<sub>, files directly in src/ as src, other folders whole', () => {
    expect(['src/app.ts', 'src/grpc/proto.ts', 'src/contract/creatormatch/v1/Vector.ts', 'tools/eval/cli.ts', 'bench/load/client.ts', 'index-builder/cli.ts', 'scripts/healthcheck.ts'].map(groupOf)).toEqual([
      'src',
      'src/grpc',
      'src/contract',
      'tools/eval',
      'bench',
      'index-builder',
      'scripts',
    ]);
  });

  it('resolves a directory import to its index.ts', () => {
    expect(resolveRelative(path.join(ROOT, 'src', 'app.ts'), './embedding')).toBe(path.join(ROOT, 'src', 'embedding', 'index.ts'));
    expect(resolveRelative(path.join(ROOT, 'src', 'app.ts'), './grpc/proto')).toBe(path.join(ROOT, 'src', 'grpc', 'proto.ts'));
    expect(resolveRelative(path.join(ROOT, 'src', 'app.ts'), './nope')).toBeUndefined();
  });

  it('finds a cycle and reports its path', () => {
    const edges = new Map([
      ['a', new Set(['b'])],
      ['b', new Set(['c'])],
      ['c', new Set(['a', 'd'])],
    ]);
    expect(findCycle(edges)).toEqual(['a', 'b', 'c', 'a']);
    expect(findCycle(new Map([['a', new Set(['b'])], ['b', new Set(['c'])]]))).toBeUndefined();
  });
});
