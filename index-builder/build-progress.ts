import type { CliOutput } from '../tools/cli/cli-kit';
import type { BuildHooks, BuildStage } from './publish-version';

/** JSON log lines per stage (json mode), or a progress bar per stage (human mode on a terminal). */
export function progressHooks(out: CliOutput, bars: boolean): BuildHooks & { stop(): void } {
  const labels: Record<BuildStage, string> = { read: 'reading', embed: 'embedding', insert: 'inserting', recall: 'measuring recall', write: 'writing' };
  let bar: ReturnType<CliOutput['progress']> | undefined;
  const stop = (): void => {
    bar?.stop();
    bar = undefined;
  };
  return {
    onStage(stage, total) {
      stop();
      out.log.info({ stage, total }, labels[stage]);
      if (bars) bar = out.progress(labels[stage], total);
    },
    onProgress(_stage, done) {
      bar?.update(done);
    },
    onTotal(_stage, total) {
      bar?.total(total);
    },
    stop,
  };
}

