/**
 * Cost per query of each retrieval mode through the served path (Matcher.match on a loaded
 * version, query embeddings computed beforehand, so the numbers are retrieval only):
 *
 *   nice npx tsx tools/eval/mode-cost.ts --index DIR --fans FILE [--rounds 3]
 *
 * Rows: dense, lexical, hybrid as the version serves it, and hybrid without centroid smoothing
 * and without feedback; plus the one-off cost of computing the category centroids. Latencies are
 * one query at a time; "cpu @8" is the process's CPU time (every thread: the serving thread and
 * the search pool) per query with 8 queries in flight, rows interleaved over the rounds.
 */
import { createEmbedder } from '../../src/embedding';
import { loadIndexVersion } from '../../src/index/loaded-index';
import type { FusionParams } from '../../src/index/manifest';
import { DEFAULT_FUSION } from '../../src/match/fusion-defaults';
import type { MatchInput } from '../../src/match/match-input';
import { Matcher } from '../../src/match/matcher';
import { prepareIfBundled } from '../model/prepare-default-model';
import { CachedEmbedder } from './evaluate';
import { readFans } from './fans';

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const opt = (name: string, dflt?: string): string => {
    const i = args.indexOf(name);
    const v = i >= 0 ? args[i + 1] : dflt;
    if (v === undefined) throw new Error(`${name} is required`);
    return v;
  };
  const index = await loadIndexVersion(opt('--index'));
  const rounds = Number(opt('--rounds', '3'));
  const fans = (await readFans(opt('--fans'))).filter((f) => f.text);
  const model = index.manifest.model!;
  await prepareIfBundled(model.id);
  const embedder = new CachedEmbedder(createEmbedder({ model: model.id, dtype: model.dtype }));
  await embedder.embed(fans.map((f) => f.text!));
  const served = index.manifest.retrieval?.fusion ?? DEFAULT_FUSION;
  const matcherWith = (fusion: FusionParams): Matcher => new Matcher({ ...index, manifest: { ...index.manifest, retrieval: { default: 'hybrid', fusion, chosenBy: 'mode-cost' } } }, { embedder }, { exactMaxCandidates: 'auto', maxRerankWork: 1e9 });
  const t0 = performance.now();
  const smoothed = matcherWith({ ...served, centroidGamma: served.centroidGamma || 0.75 });
  await smoothed.centroids();
  const centroidMs = performance.now() - t0;
  const plain = matcherWith({ ...served, centroidGamma: 0 });
  const noFeedback = matcherWith({ ...served, centroidGamma: 0, feedbackM: 0, feedbackBeta: 0 });
  const filter = { excludeIds: [], categories: [], languages: [], includeNsfw: false, minScore: undefined };
  const input = (text: string, retrieval: MatchInput['retrieval']): MatchInput => ({ requestId: 'c', fanId: 'c', query: { kind: 'text', text }, k: 10, filter, includeProfile: false, retrieval, explain: false });
  const rows: Array<[string, Matcher, MatchInput['retrieval']]> = [
    ['dense', plain, 'dense'],
    ['lexical', plain, 'lexical'],
    ['hybrid, no feedback, no smoothing', noFeedback, 'hybrid'],
    ['hybrid, feedback, no smoothing', plain, 'hybrid'],
    [`hybrid, feedback, centroid smoothing ${smoothed.fusion.centroidGamma}`, smoothed, 'hybrid'],
  ];
  // Embedding (cached) is included in every row alike: a map lookup.
  for (const [, m, mode] of rows) for (const f of fans.slice(0, 20)) await m.match(input(f.text!, mode));
  console.log(`${index.version}: ${index.manifest.count} creators, ${fans.length} text fans x ${rounds} rounds; centroids computed in ${centroidMs.toFixed(1)} ms`);
  const times = rows.map(() => [] as number[]);
  const cpu = rows.map(() => [] as number[]);
  for (let r = 0; r < rounds; r++) {
    for (const [j, [, m, mode]] of rows.entries()) {
      for (const f of fans) {
        const t = performance.now();
        await m.match(input(f.text!, mode));
        times[j]!.push(performance.now() - t);
      }
      let next = 0;
      const c0 = process.cpuUsage();
      await Promise.all(Array.from({ length: 8 }, async () => {
        while (next < fans.length) await m.match(input(fans[next++]!.text!, mode));
      }));
      const c = process.cpuUsage(c0);
      cpu[j]!.push((c.user + c.system) / fans.length);
    }
  }
  for (const [j, [name]] of rows.entries()) {
    const t = times[j]!.sort((a, b) => a - b);
    const mean = t.reduce((a, b) => a + b, 0) / t.length;
    const c = cpu[j]!.sort((a, b) => a - b)[Math.floor(rounds / 2)]!;
    console.log(`${name.padEnd(48)} mean ${mean.toFixed(2)} ms   p50 ${t[Math.floor(t.length / 2)]!.toFixed(2)} ms   p99 ${t[Math.floor(t.length * 0.99)]!.toFixed(2)} ms   cpu @8 ${c.toFixed(0)} us`);
  }
  await embedder.dispose();
  await index.hnsw.close();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
