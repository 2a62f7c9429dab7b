import { analyzeDocument, analyzeQuery, type AnalyzedQuery } from './analyzer';
import { decodeSnapshot, encodeSnapshot, type LexicalSnapshot } from './index-codec';
import { forEachPosting, PostingWriter } from './postings';
import { topHits, type LexicalHit } from './top-hits';

/**
 * LexicalIndex: Okapi BM25 over an inverted index of creator profile texts, keyed by catalog
 * label, with incremental add/remove, filtered top-k and a compact, validated file format.
 *
 * Home-made on typed arrays rather than a search library, by measurement (bench/lexical.ts; the
 * comparison rows are in docs/bench/lexical.json under `candidates`). At 100k creators, with the
 * same analyzer and queries: minisearch 7.2 answered 5–15-word queries in 63 ms p50 and held
 * ~1.1 KB of heap per creator (247 B per creator as JSON, 2.5 s to load); @orama/orama 3.1 took
 * 214 ms p50 and ~4 KB per creator (1.2 KB file, 5.7 s to load); this index 0.2 ms p50, ~125 B
 * per creator (~50 B since its main postings are delta-coded in memory too), 52 B per creator on
 * disk, ~0.2 s to load. Neither library scores exact BM25
 * (minisearch multiplies by the number of matched query terms, Orama divides tf by the field
 * length), neither can take the best of a word's stem variants, and neither filters while
 * scoring: minisearch tests every match after scoring, Orama has no predicate filter at all
 * (fetch every match, then filter: 620 ms p50 with a 1% filter). Both hold postings in JS Maps or
 * objects per term and document.
 *
 * Scoring (exact Okapi BM25, Lucene's idf):
 *   score(d, q) = Σ over query words w of max over w's variants t present in d of
 *                 idf(t) · tf·(k1 + 1) / (tf + k1·(1 − b + b·dl/avgdl))
 *   idf(t) = ln(1 + (N − df + 0.5) / (df + 0.5))       (always > 0)
 * with k1 = 1.2, b = 0.75; tf = occurrences of t in d (capped at 255); dl = d's analyzed length
 * (analyzer.ts; capped at 65,535); N, df and avgdl over live documents. Each distinct query word
 * counts once. Only documents sharing a term with the query are returned; order is score, then
 * smaller label.
 *
 * Query work is bounded: at most MAX_QUERY_WORDS distinct words are searched, the ones with the
 * highest idf (estimated from posting counts, removed documents included; exact df is then used
 * for scoring), so a 4,000-character query costs about what a 32-word one does.
 *
 * Filtering: `allows` is called at most once per candidate label per query, when the label is
 * first reached; a rejected label is skipped from then on. The top k is chosen among allowed
 * candidates only, so a filter that allows 1% still gets up to k hits. search() reuses per-label
 * scratch arrays (allocated on the first search, ~24 bytes per label), so it is not re-entrant:
 * `allows` must not call back into the same index.
 *
 * Layout: a main segment (per term: byte offsets into one Uint8Array of delta-coded postings in
 * ascending label order, postings.ts) plus a tail of postings added since the last compaction
 * (per-term linked lists in typed arrays). remove() marks the label; its postings are skipped until the
 * next compaction, which runs when the tail or the removed documents grow past a fraction of the
 * index (and before serialize). Re-adding a label that still has postings compacts first.
 * Memory is ~1.5–2 bytes per main posting (13 per tail posting) plus 3 bytes per label plus the
 * vocabulary; arrays indexed by label grow to the largest label, so labels must be small integers
 * (catalog positions).
 */

export const BM25_K1 = 1.2;
export const BM25_B = 0.75;
/** Distinct query words searched (highest idf first). */
export const MAX_QUERY_WORDS = 32;
/** Largest label accepted. */
export const MAX_LABEL = 0x7fff_fffe;
export const MAX_TF = 255;
export const MAX_DOC_LENGTH = 65_535;

const ABSENT = 0;
const LIVE = 1;
/** Removed, but postings still in the segments. */
const REMOVED = 2;

/** Compact when the tail holds more than this many postings and more than 1/8 of the main segment. */
const TAIL_COMPACT_MIN = 1 << 16;
/** Compact when this many removed documents still have postings and they are 1/8 of the live ones. */
const REMOVED_COMPACT_MIN = 1 << 10;

export interface LexicalDoc {
  label: number;
  text: string;
  language?: string | undefined;
}

export interface QueryStats {
  /** Distinct analyzed query words. */
  terms: number;
  /** Of the words searched (at most MAX_QUERY_WORDS), those present in at least one live document. */
  matchedTerms: number;
  /** Highest idf among matched words (a word's idf: its best variant's); 0 when none. */
  maxIdf: number;
  /** Sum of the matched words' idf. */
  sumIdf: number;
}

interface PlannedWord {
  /** Term ids of the variants that have live postings. */
  terms: number[];
  idfs: number[];
  /** Max of idfs. */
  idf: number;
}

export class LexicalIndex {
  // Vocabulary.
  private termIds = new Map<string, number>();
  private terms: string[] = [];
  /** Postings per term (main + tail, removed documents included). */
  private postingCounts: Uint32Array = new Uint32Array(1024);
  // Main segment (CSR) for term ids < mainTerms.
  private mainTerms = 0;
  /** Bumped by every change to postings, counts or states: what a query plan depends on. */
  private changes = 0;
  /** The last query's analysis and plan (hybrid retrieval asks queryStats, then search, for one text). */
  private lastPlan: { query: string; changes: number; words: number; plan: PlannedWord[] } | undefined;
  /** Byte offsets into mainPostings per main term. */
  private mainOffsets: Uint32Array = new Uint32Array(1);
  private mainPostings: Uint8Array = new Uint8Array(0);
  private mainPostingCount = 0;
  // Tail: postings since the last compaction; per-term lists newest first.
  private tailHead: Int32Array = new Int32Array(1024).fill(-1);
  private tailNext: Int32Array = new Int32Array(1024);
  private tailTerm: Uint32Array = new Uint32Array(1024);
  private tailLabel: Uint32Array = new Uint32Array(1024);
  private tailTf: Uint8Array = new Uint8Array(1024);
  private tailCount = 0;
  // Documents, by label.
  private state: Uint8Array = new Uint8Array(1024);
  private docLen: Uint16Array = new Uint16Array(1024);
  private labelEnd = 0;
  private liveCount = 0;
  private liveLengthSum = 0;
  private removedWithPostings = 0;
  private autoCompact = true;
  // Search scratch (allocated on first search, grown with labels).
  private stamp: Uint32Array = new Uint32Array(0);
  private wordStamp: Uint32Array = new Uint32Array(0);
  private score: Float64Array = new Float64Array(0);
  private wordBest: Float64Array = new Float64Array(0);
  private candidates: Int32Array = new Int32Array(0);
  private wordTouched: Int32Array = new Int32Array(0);
  private epoch = 0;
  private wordEpoch = 0;

  /** An index of `docs` (a label given twice keeps its last text). */
  static build(docs: Iterable<LexicalDoc>): LexicalIndex {
    const index = new LexicalIndex();
    index.autoCompact = false;
    for (const doc of docs) index.add(doc.label, doc.text, doc.language);
    index.autoCompact = true;
    index.compact();
    return index;
  }

  /** Reads what serialize() wrote; throws an Error for anything else (checked, never trusted). */
  static deserialize(bytes: Uint8Array): LexicalIndex {
    return LexicalIndex.fromSnapshot(decodeSnapshot(bytes));
  }

  /** Live documents. */
  get size(): number {
    return this.liveCount;
  }

  /** Distinct terms (until the next compaction, also terms whose documents were all removed). */
  get vocabularySize(): number {
    return this.terms.length;
  }

  /** Estimated bytes held: typed arrays (capacity included) and the vocabulary. */
  get bytesInMemory(): number {
    const arrays = [
      this.postingCounts, this.mainOffsets, this.mainPostings, this.tailHead, this.tailNext, this.tailTerm,
      this.tailLabel, this.tailTf, this.state, this.docLen, this.stamp, this.wordStamp, this.score, this.wordBest,
      this.candidates, this.wordTouched,
    ];
    let bytes = 0;
    for (const a of arrays) bytes += a.byteLength;
    // A term: its string (header + 1 or 2 bytes a character), a Map entry, an array slot.
    for (const t of this.terms) bytes += 16 + t.length * 2 + 40;
    return bytes;
  }

  /** Indexes `text` under `label`, replacing what the label had. */
  add(label: number, text: string, language?: string): void {
    checkLabel(label);
    if (typeof text !== 'string') throw new TypeError('lexical index: text must be a string');
    this.changes++;
    if (label < this.labelEnd && this.state[label] === LIVE) this.remove(label);
    if (label < this.labelEnd && this.state[label] === REMOVED) this.compact();
    const doc = analyzeDocument(text, language);
    const tf = new Map<string, number>();
    for (const t of doc.terms) tf.set(t, (tf.get(t) ?? 0) + 1);
    this.ensureLabels(label + 1);
    for (const [term, count] of tf) this.pushTail(this.termId(term), label, Math.min(count, MAX_TF));
    const len = Math.min(doc.length, MAX_DOC_LENGTH);
    this.state[label] = LIVE;
    this.docLen[label] = len;
    this.liveCount++;
    this.liveLengthSum += len;
    if (label >= this.labelEnd) this.labelEnd = label + 1;
    if (this.autoCompact && this.tailCount > TAIL_COMPACT_MIN && this.tailCount * 8 > this.mainPostingCount) this.compact();
  }

  /** Removes the label's document; a label without one is ignored. */
  remove(label: number): void {
    if (!Number.isInteger(label) || label < 0 || label >= this.labelEnd || this.state[label] !== LIVE) return;
    this.changes++;
    this.state[label] = REMOVED;
    this.liveCount--;
    this.liveLengthSum -= this.docLen[label]!;
    this.removedWithPostings++;
    if (this.autoCompact && this.removedWithPostings > REMOVED_COMPACT_MIN && this.removedWithPostings * 8 > this.liveCount) {
      this.compact();
    }
  }

  /** The k best live documents that `allows` keeps and that share a term with the query. */
  search(query: string, k: number, allows?: (label: number) => boolean): LexicalHit[] {
    if (!(k >= 1) || this.liveCount === 0) return [];
    const { plan } = this.planned(query);
    if (plan.length === 0) return [];
    this.ensureScratch();
    const ep = this.nextEpoch();
    const { stamp, score, docLen, state, mainOffsets, mainPostings, tailHead, tailNext, tailLabel, tailTf } = this;
    const checkLive = this.removedWithPostings > 0;
    const avgdl = this.liveLengthSum / this.liveCount || 1;
    const normA = BM25_K1 * (1 - BM25_B);
    const normB = (BM25_K1 * BM25_B) / avgdl;
    let candidates = this.candidates;
    let count = 0;
    for (const word of plan) {
      const single = word.terms.length === 1;
      const wep = single ? 0 : this.nextWordEpoch();
      let touched = 0;
      for (let v = 0; v < word.terms.length; v++) {
        const t = word.terms[v]!;
        const weight = word.idfs[v]! * (BM25_K1 + 1);
        const from = t < this.mainTerms ? mainOffsets[t]! : 0;
        const to = t < this.mainTerms ? mainOffsets[t + 1]! : 0;
        let e = tailHead[t]!;
        let mainLabel = -1;
        for (let p = from; p < to || e >= 0; ) {
          let label: number;
          let tf: number;
          if (p < to) {
            // One posting of postings.ts's format, decoded inline (the hot loop).
            let b = mainPostings[p++]!;
            let flag: number;
            if (b < 0x80) {
              flag = b & 1;
              label = mainLabel += b >>> 1;
            } else {
              let v = b & 0x7f;
              let scale = 0x80;
              do {
                b = mainPostings[p++]!;
                v += (b & 0x7f) * scale;
                scale *= 0x80;
              } while (b >= 0x80);
              flag = v % 2;
              label = mainLabel += (v - flag) / 2;
            }
            tf = flag === 1 ? mainPostings[p++]! : 1;
          } else {
            label = tailLabel[e]!;
            tf = tailTf[e]!;
            e = tailNext[e]!;
          }
          if (checkLive && state[label] !== LIVE) continue;
          if (stamp[label] !== ep) {
            stamp[label] = ep;
            if (allows !== undefined && !allows(label)) {
              score[label] = -1;
              continue;
            }
            score[label] = 0;
            if (count === candidates.length) candidates = this.candidates = grow(candidates, count + 1);
            candidates[count++] = label;
          } else if (score[label]! < 0) {
            continue;
          }
          const s = (weight * tf) / (tf + normA + normB * docLen[label]!);
          if (single) {
            score[label] = score[label]! + s;
          } else if (this.wordStamp[label] !== wep) {
            this.wordStamp[label] = wep;
            this.wordBest[label] = s;
            if (touched === this.wordTouched.length) this.wordTouched = grow(this.wordTouched, touched + 1);
            this.wordTouched[touched++] = label;
          } else if (s > this.wordBest[label]!) {
            this.wordBest[label] = s;
          }
        }
      }
      for (let i = 0; i < touched; i++) {
        const label = this.wordTouched[i]!;
        score[label] = score[label]! + this.wordBest[label]!;
      }
    }
    return topHits(candidates, count, score, Math.floor(Math.min(k, count)));
  }

  /** Diagnostics for fusion, over the same words search() would use. */
  queryStats(query: string): QueryStats {
    const { plan, words } = this.planned(query);
    let maxIdf = 0;
    let sumIdf = 0;
    for (const w of plan) {
      maxIdf = Math.max(maxIdf, w.idf);
      sumIdf += w.idf;
    }
    return { terms: words, matchedTerms: plan.length, maxIdf, sumIdf };
  }

  /** The index as bytes (compacts first). See index-codec.ts for the format. */
  serialize(): Uint8Array {
    this.compact();
    return encodeSnapshot({
      labelEnd: this.labelEnd,
      state: this.state.subarray(0, this.labelEnd),
      docLen: this.docLen.subarray(0, this.labelEnd),
      terms: this.terms,
      offsets: this.mainOffsets,
      postings: this.mainPostings,
      counts: this.postingCounts.subarray(0, this.terms.length),
      postingCount: this.mainPostingCount,
    });
  }

  // ---- internals ----

  private static fromSnapshot(s: LexicalSnapshot): LexicalIndex {
    const index = new LexicalIndex();
    const termCount = s.terms.length;
    index.terms = s.terms;
    index.termIds = new Map(s.terms.map((t, i) => [t, i]));
    index.mainTerms = termCount;
    index.mainOffsets = s.offsets;
    index.mainPostings = s.postings;
    index.mainPostingCount = s.postingCount;
    index.postingCounts = new Uint32Array(Math.max(termCount, 1));
    index.postingCounts.set(s.counts);
    index.tailHead = new Int32Array(Math.max(termCount, 1)).fill(-1);
    index.ensureLabels(s.labelEnd);
    index.state.set(s.state);
    index.docLen.set(s.docLen);
    index.labelEnd = s.labelEnd;
    for (let l = 0; l < s.labelEnd; l++) {
      if (s.state[l] !== LIVE) continue;
      index.liveCount++;
      index.liveLengthSum += s.docLen[l]!;
    }
    return index;
  }

  /** The query's plan and analysed word count, remembered for the next call with the same text while nothing changed. */
  private planned(query: string): { plan: PlannedWord[]; words: number } {
    const last = this.lastPlan;
    if (last !== undefined && last.query === query && last.changes === this.changes) return last;
    const analysis = analyzeQuery(typeof query === 'string' ? query : '');
    this.lastPlan = { query, changes: this.changes, words: analysis.words.length, plan: this.plan(analysis) };
    return this.lastPlan;
  }

  /** Query words with live postings, highest idf first, at most MAX_QUERY_WORDS. */
  private plan(analysis: AnalyzedQuery): PlannedWord[] {
    if (this.liveCount === 0) return [];
    const estimated: { terms: number[]; idf: number }[] = [];
    for (const variants of analysis.words) {
      const terms: number[] = [];
      let best = 0;
      for (const v of variants) {
        const t = this.termIds.get(v);
        if (t === undefined || this.postingCounts[t] === 0 || terms.includes(t)) continue;
        terms.push(t);
        best = Math.max(best, this.idf(this.postingCounts[t]!));
      }
      if (terms.length > 0) estimated.push({ terms, idf: best });
    }
    // Stable: equal idf keeps query order.
    estimated.sort((a, b) => b.idf - a.idf);
    const out: PlannedWord[] = [];
    for (const w of estimated.slice(0, MAX_QUERY_WORDS)) {
      const terms: number[] = [];
      const idfs: number[] = [];
      for (const t of w.terms) {
        const df = this.removedWithPostings > 0 ? this.liveDf(t) : this.postingCounts[t]!;
        if (df === 0) continue;
        terms.push(t);
        idfs.push(this.idf(df));
      }
      if (terms.length > 0) out.push({ terms, idfs, idf: Math.max(...idfs) });
    }
    return out;
  }

  private idf(df: number): number {
    return Math.log(1 + (this.liveCount - df + 0.5) / (df + 0.5));
  }

  /** Postings of term t in live documents. */
  private liveDf(t: number): number {
    let df = 0;
    if (t < this.mainTerms) {
      forEachPosting(this.mainPostings, this.mainOffsets[t]!, this.mainOffsets[t + 1]!, (label) => {
        if (this.state[label] === LIVE) df++;
      });
    }
    for (let e = this.tailHead[t]!; e >= 0; e = this.tailNext[e]!) if (this.state[this.tailLabel[e]!] === LIVE) df++;
    return df;
  }

  private termId(term: string): number {
    const known = this.termIds.get(term);
    if (known !== undefined) return known;
    const id = this.terms.length;
    this.terms.push(term);
    this.termIds.set(term, id);
    if (id >= this.tailHead.length) {
      const cap = Math.max(1024, this.tailHead.length * 2);
      const head = new Int32Array(cap).fill(-1);
      head.set(this.tailHead);
      this.tailHead = head;
      this.postingCounts = resize(this.postingCounts, cap);
    }
    return id;
  }

  private pushTail(term: number, label: number, tf: number): void {
    const i = this.tailCount;
    if (i === this.tailNext.length) {
      const cap = this.tailNext.length * 2;
      this.tailNext = resize(this.tailNext, cap);
      this.tailTerm = resize(this.tailTerm, cap);
      this.tailLabel = resize(this.tailLabel, cap);
      this.tailTf = resize(this.tailTf, cap);
    }
    this.tailNext[i] = this.tailHead[term]!;
    this.tailTerm[i] = term;
    this.tailLabel[i] = label;
    this.tailTf[i] = tf;
    this.tailHead[term] = i;
    this.tailCount = i + 1;
    this.postingCounts[term]!++;
  }

  private ensureLabels(end: number): void {
    if (end <= this.state.length) return;
    const cap = Math.max(end, Math.min(this.state.length * 2, MAX_LABEL + 1));
    this.state = resize(this.state, cap);
    this.docLen = resize(this.docLen, cap);
  }

  private ensureScratch(): void {
    const cap = this.state.length;
    if (this.stamp.length >= cap) return;
    this.stamp = new Uint32Array(cap);
    this.wordStamp = new Uint32Array(cap);
    this.score = new Float64Array(cap);
    this.wordBest = new Float64Array(cap);
    this.epoch = 0;
    this.wordEpoch = 0;
    if (this.candidates.length === 0) this.candidates = new Int32Array(1024);
    if (this.wordTouched.length === 0) this.wordTouched = new Int32Array(1024);
  }

  private nextEpoch(): number {
    if (this.epoch === 0xffff_ffff) {
      this.stamp.fill(0);
      this.epoch = 0;
    }
    return ++this.epoch;
  }

  private nextWordEpoch(): number {
    if (this.wordEpoch === 0xffff_ffff) {
      this.wordStamp.fill(0);
      this.wordEpoch = 0;
    }
    return ++this.wordEpoch;
  }

  /**
   * Merges the tail into the main segment and drops removed documents' postings and terms left
   * without postings (term ids are renumbered). Postings of each term end up in ascending label
   * order.
   */
  private compact(): void {
    this.changes++;
    if (this.tailCount === 0 && this.removedWithPostings === 0) return;
    const { state, mainOffsets, mainPostings } = this;
    const termCount = this.terms.length;
    const live = new Uint32Array(termCount);
    for (let t = 0; t < this.mainTerms; t++) {
      forEachPosting(mainPostings, mainOffsets[t]!, mainOffsets[t + 1]!, (label) => {
        if (state[label] === LIVE) live[t]!++;
      });
    }
    for (let e = 0; e < this.tailCount; e++) if (state[this.tailLabel[e]!] === LIVE) live[this.tailTerm[e]!]!++;
    const newId = new Int32Array(termCount).fill(-1);
    const terms: string[] = [];
    for (let t = 0; t < termCount; t++) {
      if (live[t] === 0) continue;
      newId[t] = terms.length;
      terms.push(this.terms[t]!);
    }
    const n = terms.length;
    const offsets = new Uint32Array(n + 1);
    for (let t = 0; t < termCount; t++) if (newId[t]! >= 0) offsets[newId[t]! + 1] = live[t]!;
    for (let t = 0; t < n; t++) offsets[t + 1] = offsets[t + 1]! + offsets[t]!;
    const total = offsets[n]!;
    const labels = new Uint32Array(total);
    const tfs = new Uint8Array(total);
    const cursor = offsets.slice(0, Math.max(n, 1));
    const unsorted = new Uint8Array(n);
    const put = (t: number, label: number, tf: number): void => {
      const id = newId[t]!;
      const at = cursor[id]!;
      if (at > offsets[id]! && labels[at - 1]! > label) unsorted[id] = 1;
      labels[at] = label;
      tfs[at] = tf;
      cursor[id] = at + 1;
    };
    for (let t = 0; t < this.mainTerms; t++) {
      forEachPosting(mainPostings, mainOffsets[t]!, mainOffsets[t + 1]!, (label, tf) => {
        if (state[label] === LIVE) put(t, label, tf);
      });
    }
    for (let e = 0; e < this.tailCount; e++) if (state[this.tailLabel[e]!] === LIVE) put(this.tailTerm[e]!, this.tailLabel[e]!, this.tailTf[e]!);
    for (let id = 0; id < n; id++) if (unsorted[id] === 1) sortRange(labels, tfs, offsets[id]!, offsets[id + 1]!);
    // Delta-code the merged lists; offsets become byte offsets.
    const writer = new PostingWriter(total * 2);
    for (let id = 0; id < n; id++) {
      const from = offsets[id]!;
      const to = offsets[id + 1]!;
      offsets[id] = writer.position;
      writer.startTerm();
      for (let p = from; p < to; p++) writer.add(labels[p]!, tfs[p]!);
    }
    offsets[n] = writer.position;
    for (let l = 0; l < this.labelEnd; l++) {
      if (state[l] !== REMOVED) continue;
      state[l] = ABSENT;
      this.docLen[l] = 0;
    }
    this.terms = terms;
    this.termIds = new Map(terms.map((t, i) => [t, i]));
    this.mainTerms = n;
    this.mainOffsets = offsets;
    this.mainPostings = writer.finish();
    this.mainPostingCount = total;
    const cap = Math.max(1024, n);
    this.postingCounts = resize(live.filter((c) => c > 0), cap);
    this.tailHead = new Int32Array(cap).fill(-1);
    this.tailNext = new Int32Array(1024);
    this.tailTerm = new Uint32Array(1024);
    this.tailLabel = new Uint32Array(1024);
    this.tailTf = new Uint8Array(1024);
    this.tailCount = 0;
    this.removedWithPostings = 0;
  }
}

function checkLabel(label: number): void {
  if (!Number.isInteger(label) || label < 0 || label > MAX_LABEL) {
    throw new RangeError(`lexical index: label must be an integer in [0, ${MAX_LABEL}], got ${String(label)}`);
  }
}

type Typed = Uint8Array | Uint16Array | Uint32Array | Int32Array;

function resize<T extends Typed>(a: T, length: number): T {
  const out = new (a.constructor as new (n: number) => T)(length);
  out.set(a.subarray(0, Math.min(a.length, length)));
  return out;
}

function grow(a: Int32Array, needed: number): Int32Array {
  return resize(a, Math.max(needed, a.length * 2));
}

/** Sorts labels[from..to) ascending, moving tfs along. */
function sortRange(labels: Uint32Array, tfs: Uint8Array, from: number, to: number): void {
  const order = Array.from({ length: to - from }, (_, i) => from + i).sort((a, b) => labels[a]! - labels[b]!);
  const l = order.map((i) => labels[i]!);
  const f = order.map((i) => tfs[i]!);
  labels.set(l, from);
  tfs.set(f, from);
}
