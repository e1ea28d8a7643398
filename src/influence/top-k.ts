import { InputError } from '../errors.js';

/** The k training points with the most negative and the most positive score for one test point. */
export interface TopKResult {
  /** Most negative I_up,loss first: upweighting them lowers the test loss the most (they help it). */
  helpful: { index: number; score: number }[];
  /** Most positive I_up,loss first: upweighting them raises the test loss the most (they hurt it). */
  harmful: { index: number; score: number }[];
}

/**
 * A bounded binary heap keeping the k largest values of `sign·score` seen so far: O(k) memory and
 * O(log k) per offer however many scores stream past (Knuth, TAOCP vol. 3, §5.2.3 heapsort's heap).
 * The root is the weakest kept entry, so a new score only enters if it beats the root.
 */
class BoundedHeap {
  private readonly idx: number[] = [];
  private readonly key: number[] = [];
  constructor(private readonly k: number, private readonly sign: 1 | -1) {}

  offer(index: number, score: number): void {
    if (Number.isNaN(score)) return;
    const v = this.sign * score;
    if (this.key.length < this.k) {
      this.idx.push(index); this.key.push(v);
      this.up(this.key.length - 1);
    } else if (this.k > 0 && v > this.key[0]!) {
      this.idx[0] = index; this.key[0] = v;
      this.down(0);
    }
  }

  /** The kept entries, strongest first (ties by smaller index). */
  sorted(): { index: number; score: number }[] {
    return this.idx.map((index, i) => ({ index, v: this.key[i]! }))
      .sort((a, b) => b.v - a.v || a.index - b.index)
      .map(({ index, v }) => ({ index, score: this.sign * v }));
  }

  private less(i: number, j: number): boolean {
    return this.key[i]! < this.key[j]! || (this.key[i] === this.key[j] && this.idx[i]! > this.idx[j]!);
  }
  private swap(i: number, j: number): void {
    [this.idx[i], this.idx[j]] = [this.idx[j]!, this.idx[i]!];
    [this.key[i], this.key[j]] = [this.key[j]!, this.key[i]!];
  }
  private up(i: number): void {
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(i, p)) break;
      this.swap(i, p); i = p;
    }
  }
  private down(i: number): void {
    const n = this.key.length;
    for (;;) {
      const l = 2 * i + 1, r = l + 1;
      let m = i;
      if (l < n && this.less(l, m)) m = l;
      if (r < n && this.less(r, m)) m = r;
      if (m === i) return;
      this.swap(i, m); i = m;
    }
  }
}

/**
 * Streaming top-k over a [nTest, nTrain] score matrix that arrives as column blocks: per test
 * point, the k most helpful (most negative) and k most harmful (most positive) training points.
 * Memory is O(nTest·k), independent of the number of training points.
 */
export class TopKAccumulator {
  private readonly helpful: BoundedHeap[];
  private readonly harmful: BoundedHeap[];

  constructor(readonly nTest: number, readonly k: number) {
    if (!Number.isInteger(k) || k < 1) throw new InputError(`top-k: k must be a positive integer, got ${k}`);
    this.helpful = Array.from({ length: nTest }, () => new BoundedHeap(k, -1));
    this.harmful = Array.from({ length: nTest }, () => new BoundedHeap(k, 1));
  }

  /** Adds the block of scores for training points offset … offset + cols − 1 (row-major [nTest, cols]). */
  add(block: ArrayLike<number>, cols: number, offset: number): void {
    if (block.length !== this.nTest * cols) throw new InputError(`top-k: a block of ${cols} columns for ${this.nTest} test points needs ${this.nTest * cols} scores, got ${block.length}`);
    for (let i = 0; i < this.nTest; i++) {
      const h = this.helpful[i]!, a = this.harmful[i]!;
      for (let j = 0; j < cols; j++) {
        const s = block[i * cols + j]!;
        h.offer(offset + j, s); a.offer(offset + j, s);
      }
    }
  }

  result(): TopKResult[] {
    return this.helpful.map((h, i) => ({ helpful: h.sorted(), harmful: this.harmful[i]!.sorted() }));
  }
}
