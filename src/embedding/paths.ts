import path from 'node:path';
import { packageRoot } from '../config/package-root';

export { packageRoot };

/** Default folder for converted and local models: <package root>/models (git-ignored). */
export function defaultModelsDir(): string {
  return path.join(packageRoot(), 'models');
}

/** Resolves a models dir option: absolute as is, relative against the package root (not cwd). */
export function resolveModelsDir(modelsDir?: string): string {
  if (!modelsDir) return defaultModelsDir();
  return path.isAbsolute(modelsDir) ? modelsDir : path.resolve(packageRoot(), modelsDir);
}
