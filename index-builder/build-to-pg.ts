import { withIndexDirLock } from '../src/index/index-lock';
import { writeCurrent } from '../src/index/manifest';
import { buildIndex, ReleaseGateError, type BuildHooks, type BuildOptions, type BuildReport } from './build-index';
import { loadVersionIntoPg, type PgLoadOptions, type PgLoadReport } from './pg-publish';
import { pruneVersions } from './retention';

export interface BuildToPgReport extends BuildReport {
  pg: PgLoadReport;
}

/**
 * `index:build --pg URL`: builds the version directory as always, loads it into PostgreSQL and
 * validates it there, and only then publishes: the database's creator_match_current first (one
 * transaction), then DIR/CURRENT. A failure at any step publishes nothing anywhere (the version
 * directory stays, unpublished; DIR and the database keep serving what they served).
 */
export async function buildToPg(opts: BuildOptions, pg: Omit<PgLoadOptions, 'publish' | 'keep'>, hooks: BuildHooks = {}): Promise<BuildToPgReport> {
  const publish = opts.publish ?? true;
  const { keep: _keep, ...unpublished } = opts;
  const report = await buildIndex({ ...unpublished, publish: false }, hooks);
  if (report.gate && !report.gate.ok) {
    throw new ReleaseGateError(`release gate regressed on ${opts.evalFans}; version ${report.version} was written to ${report.dir} but neither loaded into PostgreSQL nor published`, report.gate);
  }
  const loaded = await loadVersionIntoPg(opts.out, report.version, { ...pg, publish, ...(opts.keep !== undefined ? { keep: opts.keep } : {}) });
  let pruned = report.pruned;
  if (publish) {
    const keep = opts.keep;
    pruned = await withIndexDirLock(opts.out, async () => {
      await writeCurrent(opts.out, report.version);
      return keep !== undefined ? pruneVersions(opts.out, keep) : pruned;
    });
  }
  return { ...report, published: publish, pruned, pg: loaded };
}
