export interface SearchHit {
  label: number;
  /** Cosine similarity; higher is better. */
  score: number;
}

/** Keeps the k best hits seen so far (a binary min-heap on score). */
export class TopK {
  private readonly labels: Int32Array;
  private readonly scores: Float32Array;
  private n = 0;

  constructor(readonly k: number) {
    this.labels = new Int32Array(Math.max(k, 0));
    this.scores = new Float32Array(Math.max(k, 0));
  }

  /** Lowest score kept, or -Infinity while not full. */
  get threshold(): number {
    return this.n < this.k ? -Infinity : this.scores[0]!;
  }

  push(label: number, score: number): void {
    if (this.k === 0) return;
    if (this.n < this.k) {
      let i = this.n++;
      while (i > 0) {
        const parent = (i - 1) >> 1;
        if (this.scores[parent]! <= score) break;
        this.labels[i] = this.labels[parent]!;
        this.scores[i] = this.scores[parent]!;
        i = parent;
      }
      this.labels[i] = label;
      this.scores[i] = score;
      return;
    }
    if (score <= this.scores[0]!) return;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= this.n) break;
      const r = l + 1;
      const c = r < this.n && this.scores[r]! < this.scores[l]! ? r : l;
      if (this.scores[c]! >= score) break;
      this.labels[i] = this.labels[c]!;
      this.scores[i] = this.scores[c]!;
      i = c;
    }
    this.labels[i] = label;
    this.scores[i] = score;
  }

  /** Best first; ties broken by label for determinism. */
  sorted(): SearchHit[] {
    const out: SearchHit[] = [];
    for (let i = 0; i < this.n; i++) out.push({ label: this.labels[i]!, score: this.scores[i]! });
    return out.sort((a, b) => b.score - a.score || a.label - b.label);
  }
}
