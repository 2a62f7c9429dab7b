/**
 * Tiny TF-IDF nearest-centroid classifier used to check that generated creator texts
 * are lexically specific to their category. Leave-one-out: a document's own vector is
 * removed from its category centroid before scoring, so it cannot "find itself".
 */

type SparseVector = Map<string, number>;

const CJK_RUN = /[\u3040-\u30ff\u3400-\u9fff]+/gu;

/** Lowercased word tokens; CJK runs (no spaces) become character bigrams. */
export function tokenize(text: string): string[] {
  const lower = text.toLowerCase();
  const tokens: string[] = [];
  for (const run of lower.match(CJK_RUN) ?? []) {
    if (run.length === 1) tokens.push(run);
    for (let i = 0; i + 1 < run.length; i++) tokens.push(run.slice(i, i + 2));
  }
  for (const word of lower.replace(CJK_RUN, ' ').split(/[^\p{L}\p{N}&+#]+/u)) {
    if (word.length > 1) tokens.push(word);
  }
  return tokens;
}

function normalize(vector: SparseVector): SparseVector {
  let norm = 0;
  for (const v of vector.values()) norm += v * v;
  norm = Math.sqrt(norm);
  if (norm > 0) for (const [k, v] of vector) vector.set(k, v / norm);
  return vector;
}

function dot(a: SparseVector, b: SparseVector): number {
  const [small, large] = a.size <= b.size ? [a, b] : [b, a];
  let sum = 0;
  for (const [k, v] of small) sum += v * (large.get(k) ?? 0);
  return sum;
}

export interface LabeledDoc {
  label: string;
  text: string;
}

export interface ClassifierReport {
  accuracy: number;
  perLabel: Record<string, { correct: number; total: number }>;
  confusions: Array<{ text: string; expected: string; predicted: string }>;
}

export function leaveOneOutAccuracy(docs: readonly LabeledDoc[]): ClassifierReport {
  const tokenLists = docs.map((d) => tokenize(d.text));
  const df = new Map<string, number>();
  for (const tokens of tokenLists) for (const t of new Set(tokens)) df.set(t, (df.get(t) ?? 0) + 1);

  const vectors = tokenLists.map((tokens) => {
    const tf: SparseVector = new Map();
    for (const t of tokens) tf.set(t, (tf.get(t) ?? 0) + 1);
    for (const [t, count] of tf) tf.set(t, (1 + Math.log(count)) * Math.log(docs.length / (df.get(t) ?? 1)));
    return normalize(tf);
  });

  const centroids = new Map<string, SparseVector>();
  docs.forEach((d, i) => {
    const centroid = centroids.get(d.label) ?? new Map<string, number>();
    for (const [k, v] of vectors[i] as SparseVector) centroid.set(k, (centroid.get(k) ?? 0) + v);
    centroids.set(d.label, centroid);
  });
  const centroidNorms = new Map<string, number>();
  for (const [label, c] of centroids) centroidNorms.set(label, Math.sqrt(dot(c, c)));

  const perLabel: ClassifierReport['perLabel'] = {};
  const confusions: ClassifierReport['confusions'] = [];
  let correct = 0;
  docs.forEach((d, i) => {
    const v = vectors[i] as SparseVector;
    let best = '';
    let bestScore = -Infinity;
    for (const [label, c] of centroids) {
      let score: number;
      if (label === d.label) {
        // Remove the document itself: |c - v|^2 = |c|^2 - 2 c·v + |v|^2 (|v| = 1).
        const cv = dot(c, v);
        const norm2 = (centroidNorms.get(label) ?? 0) ** 2 - 2 * cv + 1;
        score = norm2 > 1e-12 ? (cv - 1) / Math.sqrt(norm2) : 0;
      } else {
        score = dot(c, v) / (centroidNorms.get(label) || 1);
      }
      if (score > bestScore) {
        bestScore = score;
        best = label;
      }
    }
    const entry = (perLabel[d.label] ??= { correct: 0, total: 0 });
    entry.total++;
    if (best === d.label) {
      entry.correct++;
      correct++;
    } else {
      confusions.push({ text: d.text, expected: d.label, predicted: best });
    }
  });
  return { accuracy: docs.length === 0 ? 0 : correct / docs.length, perLabel, confusions };
}
