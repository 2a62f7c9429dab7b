/**
 * Load generator, run as its own process by the service benches: Match (closed loop with N calls
 * in flight, or open loop at a fixed rate) or BatchMatch (one stream, W items in flight) against a
 * running server, with the corpus's fan queries as vectors or as their interest texts.
 * Prints one JSON line with the figures. Args: JSON Opts (below).
 *
 * Text queries: `texts: 'distinct'` makes every call's text new to the server (the first pass
 * over the fan texts as they are, later passes with a " (n)" suffix; a caller that runs several
 * loads against one server passes `firstPass` past the passes it used already), so no call can hit the
 * embedding cache; `texts: 'hot'` cycles over the first `hotSet` fan texts (all cache hits after
 * the warm-up). recall@k is measured on the first answer to each unmodified text.
 */
import { readFileSync } from 'node:fs';
import { matchClient, type MatchReply } from './grpc-client';
import { corpusDir, corpusFiles, latencyStats, loadQueries, recallAt, row } from './common';

export interface LoadOpts {
  addr: string;
  mode: 'match' | 'rate' | 'batch';
  concurrency: number;
  rate?: number;
  seconds: number;
  k: number;
  nq: number;
  /** Corpus size (its directory). */
  creators: number;
  /** A corpus directory (meta.json, queries.f32, truth.i32) instead of the generated corpus of `creators`; vector queries only. */
  corpus?: string;
  filter?: Record<string, unknown>;
  /** Exact filtered truth (label lists, k per query) when a filter is set. */
  truthFile?: string;
  /** Query by interest_text instead of vector. */
  texts?: 'distinct' | 'hot';
  hotSet?: number;
  /** With texts 'distinct': the pass number of the first call (0: the texts as they are). */
  firstPass?: number;
  /** With `texts`: a JSON file of the texts to send instead of the corpus's fan texts (no truth for them: recall NaN). */
  textsFile?: string;
  /** The request's retrieval mode for text queries (proto enum name, e.g. 'RETRIEVAL_DENSE'); default: none sent (the version's default). */
  retrieval?: string;
  /** Warm-up calls before timing (default 50). */
  warmup?: number;
  /** Stop after this many timed calls (default: none). */
  maxCalls?: number;
}

async function main(): Promise<void> {
  const o = JSON.parse(process.argv[2]!) as LoadOpts;
  const c = loadQueries(o.corpus ?? corpusDir(o.creators));
  const dims = c.meta.dims;
  const ownTexts = o.texts && o.textsFile ? (JSON.parse(readFileSync(o.textsFile, 'utf8')) as string[]) : undefined;
  const nq = Math.min(o.nq, ownTexts?.length ?? c.meta.queries);
  const fanTexts = ownTexts ?? (o.texts ? readFileSync(corpusFiles(c.dir).fans, 'utf8').split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { interest_text: string }).interest_text) : []);
  const vectors = o.texts ? [] : Array.from({ length: nq }, (_, i) => Array.from(row(c.queries, dims, i)));
  const hot = Math.max(1, Math.min(o.hotSet ?? 8, nq));
  const request = (i: number, warm = false): Record<string, unknown> => {
    const q = o.texts === 'hot' ? i % hot : i % nq;
    const base = { request_id: `q${q}`, k: o.k, filter: o.filter ?? {} };
    if (!o.texts) return { ...base, vector: { values: vectors[q]! } };
    const pass = (o.firstPass ?? 0) + Math.floor(i / nq);
    const text = warm ? `${fanTexts[q]!} (warm-up)` : o.texts === 'distinct' && pass > 0 ? `${fanTexts[q]!} (${pass})` : fanTexts[q]!;
    return { ...base, interest_text: text, ...(o.retrieval ? { retrieval: o.retrieval } : {}) };
  };
  const client = matchClient(o.addr);
  await client.ready(30_000);
  const labelOf = (id: string): number => Number(id.slice(3)) - 1; // cr_000001 is label 0 (generator order)
  const results: number[][] = new Array<number[]>(nq);
  const lat: number[] = [];
  let done = 0;
  let errors = 0;
  let firstError: string | undefined;
  const record = (i: number, err: Error | null, res: MatchReply | undefined): void => {
    done++;
    if (err) {
      errors++;
      firstError ??= err.message;
      return;
    }
    const q = o.texts === 'hot' ? i % hot : i % nq;
    // The first answer per query: for distinct texts its text carries a pass suffix unless the pass is 0.
    const pristine = o.texts !== 'distinct' || i < nq;
    if (pristine && results[q] === undefined) results[q] = res!.matches.map((m) => labelOf(m.creator_id));
  };
  /** `warm`: a warm-up call (not timed); `warmText`: with a text no timed call uses. */
  const call = (i: number, warm = false, warmText = false): Promise<void> =>
    new Promise((resolve) => {
      const s = performance.now();
      client.match(request(i, warmText), 30_000, (err, res) => {
        if (!warm) {
          lat.push(performance.now() - s);
          record(i, err, res);
        }
        resolve();
      });
    });
  const warmup = o.warmup ?? 50;
  for (let i = 0; i < warmup; i++) await call(i, true, o.texts === 'distinct');
  const t0 = performance.now();
  const end = t0 + o.seconds * 1000;
  const more = (n: number): boolean => performance.now() < end && (o.maxCalls === undefined || n < o.maxCalls);
  if (o.mode === 'match') {
    let next = 0;
    await Promise.all(
      Array.from({ length: o.concurrency }, async () => {
        while (more(next)) await call(next++);
      }),
    );
  } else if (o.mode === 'rate') {
    const interval = 1000 / o.rate!;
    const pending: Promise<void>[] = [];
    let i = 0;
    while (more(i)) {
      const due = t0 + i * interval;
      const wait = due - performance.now();
      if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      pending.push(call(i++));
      if (pending.length > 10_000) await Promise.all(pending.splice(0));
    }
    await Promise.all(pending);
  } else {
    await new Promise<void>((resolve, reject) => {
      const stream = client.batchMatch((o.seconds + 60) * 1000);
      const sentAt: number[] = [];
      let sent = 0;
      let received = 0;
      const pump = (): void => {
        while (sent - received < o.concurrency && more(sent)) {
          sentAt.push(performance.now());
          stream.write(request(sent));
          sent++;
        }
        if (!more(sent) && received === sent) stream.end();
      };
      stream.on('data', (res: MatchReply & { error?: unknown }) => {
        lat.push(performance.now() - sentAt[received]!);
        if (res.error) {
          done++;
          errors++;
        } else record(received, null, res);
        received++;
        pump();
      });
      stream.on('error', reject);
      stream.on('end', resolve);
      pump();
    });
  }
  const secs = (performance.now() - t0) / 1000;
  // recall@k over the queries that got an answer (a short run may not reach every query).
  const idx = results.flatMap((r, i) => (r === undefined ? [] : [i]));
  const answered = idx.map((i) => results[i]!);
  const pick = (truth: Int32Array, stride: number): Int32Array => {
    const out = new Int32Array(idx.length * stride);
    idx.forEach((q, j) => out.set(truth.subarray(q * stride, (q + 1) * stride), j * stride));
    return out;
  };
  let recall: number;
  if (ownTexts) recall = Number.NaN;
  else if (o.truthFile) {
    const t = readFileSync(o.truthFile);
    const truth = new Int32Array(t.byteLength / 4);
    new Uint8Array(truth.buffer).set(t);
    recall = recallAt(answered, pick(truth, o.k), o.k, o.k);
  } else recall = recallAt(answered, pick(c.truth, c.meta.truthK), c.meta.truthK, o.k);
  const shortResults = answered.filter((r) => r.length < o.k).length;
  console.log(JSON.stringify({ qps: done / secs, calls: done, errors, firstError, recall, recallQueries: idx.length, shortResults, ...latencyStats(lat) }));
  client.close();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
