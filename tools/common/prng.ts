/**
 * Small, fast, seedable PRNG (mulberry32) plus helpers. Output depends only on the
 * seed and the sequence of calls, so generated data is byte-identical per seed.
 */
import { mulberry32 } from '../../src/util/mulberry32';

export { mulberry32 };

/** Derive an independent 32-bit seed for a named sub-stream (FNV-1a over the label). */
export function deriveSeed(seed: number, label: string): number {
  let h = (0x811c9dc5 ^ (seed >>> 0)) >>> 0;
  for (let i = 0; i < label.length; i++) {
    h ^= label.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

export class Rng {
  private readonly next: () => number;

  constructor(seed: number) {
    this.next = mulberry32(seed);
  }

  /** Uniform float in [0, 1). */
  float(): number {
    return this.next();
  }

  /** Uniform integer in [min, max] (inclusive). */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('pick() from empty list');
    return items[Math.floor(this.next() * items.length)] as T;
  }

  /** `count` distinct items (fewer if the list is shorter), in random order. */
  sample<T>(items: readonly T[], count: number): T[] {
    const copy = items.slice();
    const n = Math.min(count, copy.length);
    for (let i = 0; i < n; i++) {
      const j = i + Math.floor(this.next() * (copy.length - i));
      const tmp = copy[i] as T;
      copy[i] = copy[j] as T;
      copy[j] = tmp;
    }
    return copy.slice(0, n);
  }

  shuffle<T>(items: readonly T[]): T[] {
    return this.sample(items, items.length);
  }

  /** Pick by relative weights. */
  weighted<T>(entries: ReadonlyArray<readonly [T, number]>): T {
    let total = 0;
    for (const [, w] of entries) total += w;
    let r = this.next() * total;
    for (const [value, w] of entries) {
      r -= w;
      if (r < 0) return value;
    }
    return (entries[entries.length - 1] as readonly [T, number])[0];
  }
}

/**
 * Shuffled "deck" that deals every card once before reshuffling. Used to keep
 * category / language / NSFW ratios tight for any seed while staying random-looking.
 */
export class Deck<T> {
  private pile: T[] = [];

  constructor(
    private readonly rng: Rng,
    private readonly cards: readonly T[],
  ) {
    if (cards.length === 0) throw new Error('Deck needs at least one card');
  }

  draw(): T {
    if (this.pile.length === 0) this.pile = this.rng.shuffle(this.cards);
    return this.pile.pop() as T;
  }
}
