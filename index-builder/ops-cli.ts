#!/usr/bin/env node
import { Command, InvalidArgumentError } from 'commander';
import { promises as fs } from 'node:fs';
import { cliOutput, logFormatOf, withCommonOptions } from '../tools/cli/cli-kit';
import { progressHooks } from './build-progress';
import { readCurrent, readManifest } from '../src/index/manifest';
import { listVersions, pruneVersions } from './retention';
import { rollback } from './rollback';
import { updateIndex } from './update-index';
import { listPg, prunePg, rollbackPg } from './pg-publish';
import path from 'node:path';

const positiveInt = (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('must be a positive integer');
  return n;
};

/** The index directory must exist: a typo must not look like an empty index. */
async function existingIndexDir(dir: string): Promise<string> {
  const stat = await fs.stat(dir).catch(() => undefined);
  if (!stat?.isDirectory()) throw Object.assign(new Error(`no index directory ${dir} (build one with npm run index:build -- --input FILE --out ${dir})`), { code: 'ENOENT' });
  return dir;
}

/** index:list, index:rollback, index:update and index:prune. */
export async function main(argv: string[]): Promise<number> {
  let code = 0;
  const guard =
    <T extends { out: string; logFormat?: string; pg?: string }>(command: string, fn: (o: T) => Promise<void>) =>
    async (o: T): Promise<void> => {
      try {
        if (!o.out && !o.pg) throw new Error(`${command} needs --out DIR and/or --pg URL`);
        if (o.out) await existingIndexDir(o.out);
        await fn(o);
      } catch (err) {
        code = cliOutput('index-ops', logFormatOf(o.logFormat ?? program.opts<{ logFormat?: string }>().logFormat)).fail(command, err);
      }
    };
  const program = withCommonOptions(new Command()).name('index').description('Operate published index versions in DIR.').exitOverride();

  program
    .command('list')
    .description('list versions, marking the published one')
    .option('--out <dir>', 'index directory')
    .option('--pg <url>', 'list the versions in PostgreSQL (postgres://…)')
    .action(
      guard('index:list', async (o: { out: string; pg?: string }) => {
        if (o.pg) {
          for (const v of await listPg(o.pg)) {
            const size = v.bytes === null ? '' : `, ${(v.bytes / 2 ** 20).toFixed(1)} MiB`;
            const published = v.published.length ? `, published as ${v.published.join(', ')}` : '';
            process.stdout.write(`${v.published.length ? '*' : ' '} ${v.version}  ${v.state}, ${v.count} creators (${v.labels} labels, ${v.changes} changes), recall@10 ${v.recall?.toFixed(3) ?? '-'}${size}${published}\n`);
          }
          if (!o.out) return;
        }
        const current = await readCurrent(o.out);
        for (const v of await listVersions(o.out)) {
          const m = await readManifest(path.join(o.out, v)).catch(() => undefined);
          const log = await fs.stat(path.join(o.out, v, 'updates.jsonl')).catch(() => undefined);
          const info = m ? `${m.count} creators, ${m.model?.id ?? 'provided vectors'}, recall@10 ${m.recall.value.toFixed(3)}` : 'unreadable manifest';
          process.stdout.write(`${v === current ? '*' : ' '} ${v}  ${info}${log ? `, update log ${log.size} bytes` : ''}\n`);
        }
      }),
    );

  program
    .command('rollback')
    .description('point CURRENT at an older version (default: the one before the current), after verifying it')
    .option('--out <dir>', 'index directory')
    .option('--pg <url>', 'roll back the version PostgreSQL serves (one transaction + NOTIFY)')
    .option('--pg-index <name>', 'with --pg: the published index name', 'default')
    .option('--to <version>', 'the version to serve')
    .action(
      guard('index:rollback', async (o: { out: string; to?: string; pg?: string; pgIndex: string }) => {
        if (o.pg) {
          const r = await rollbackPg(o.pg, o.to, o.pgIndex);
          process.stdout.write(`PostgreSQL ${o.pgIndex}: ${r.from ?? '(none)'} -> ${r.to}\n`);
        }
        if (o.out) {
          const r = await rollback(o.out, o.to);
          process.stdout.write(`CURRENT: ${r.from ?? '(none)'} -> ${r.to}\n`);
        }
      }),
    );

  program
    .command('update')
    .description('apply upserts/deletes to the published version and publish the result as a new, compacted version')
    .requiredOption('--out <dir>', 'index directory')
    .option('--upsert <file>', 'creators JSONL/CSV to add or replace')
    .option('--delete <ids>', 'comma-separated creator ids to delete', (v: string) => v.split(',').map((s) => s.trim()).filter(Boolean))
    .option('--delete-file <file>', 'file with one creator id per line to delete')
    .option('--min-recall <r>', 'refuse to publish below this recall@10', Number, 0.95)
    .option('--keep <n>', 'keep the n newest versions', positiveInt)
    .option('--models-dir <dir>', 'where local models live')
    .action(
      guard('index:update', async (o: { out: string; upsert?: string; delete?: string[]; deleteFile?: string; minRecall: number; keep?: number; modelsDir?: string }) => {
        const fromFile = o.deleteFile ? (await fs.readFile(o.deleteFile, 'utf8')).split('\n').map((s) => s.trim()).filter(Boolean) : [];
        const deleteIds = [...(o.delete ?? []), ...fromFile];
        if (!o.upsert && deleteIds.length === 0) throw new Error('nothing to do: give --upsert and/or --delete/--delete-file');
        const out = cliOutput('index-ops', logFormatOf(program.opts<{ logFormat?: string }>().logFormat));
        const hooks = progressHooks(out, true);
        const r = await updateIndex({
          out: o.out,
          ...(o.upsert ? { upsertFile: o.upsert } : {}),
          deleteIds,
          minRecall: o.minRecall,
          ...(o.keep ? { keep: o.keep } : {}),
          ...(o.modelsDir ? { modelsDir: o.modelsDir } : {}),
        }, hooks).finally(() => hooks.stop());
        process.stdout.write(
          `version ${r.version} (from ${r.base}): ${r.count} creators, ${r.upserted} upserted, ${r.deleted} deleted` +
            `${r.notFound.length ? `, not found: ${r.notFound.join(', ')}` : ''}, recall@10 ${r.recall.value.toFixed(4)}\n`,
        );
      }),
    );

  program
    .command('prune')
    .description('delete all but the n newest versions (never the published one)')
    .option('--out <dir>', 'index directory')
    .option('--pg <url>', 'prune the versions in PostgreSQL (their tables are dropped; published ones are kept)')
    .requiredOption('--keep <n>', 'versions to keep', positiveInt)
    .action(
      guard('index:prune', async (o: { out: string; keep: number; pg?: string }) => {
        if (o.pg) {
          const removed = await prunePg(o.pg, o.keep);
          process.stdout.write(removed.length ? `PostgreSQL: removed ${removed.join(', ')}\n` : 'PostgreSQL: nothing to remove\n');
        }
        if (o.out) {
          const removed = await pruneVersions(o.out, o.keep);
          process.stdout.write(removed.length ? `removed ${removed.join(', ')}\n` : 'nothing to remove\n');
        }
      }),
    );

  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (err) {
    return (err as { exitCode?: number }).exitCode ?? 2;
  }
  return code;
}

if (require.main === module) {
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
