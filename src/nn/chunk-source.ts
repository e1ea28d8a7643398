import { InputError, ShapeError } from '../errors.js';
import { add, keep, tidy } from '../tensor/index.js';
import { popScope, pushScope } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';
import { batchOf, type Dataset, type Objective } from './objective.js';

/**
 * Training data streamed in chunks: a RE-ITERABLE source. Every call of `chunks()` starts a fresh
 * pass over the same rows in the same order (CG, Lanczos and sketches make many passes, one per
 * operator product), so a one-shot generator or an AsyncIterable cannot back it: a matvec is
 * synchronous. To fit on data larger than memory, read each chunk from disk when the iterator
 * reaches it (npyChunkSource in src/io/npy-chunks.ts does, with ranged reads of .npy files).
 *
 * Chunks may have any (non-zero) number of rows, different from chunk to chunk; a chunk's tensors
 * that the source creates while `next()` runs are disposed by the consumer once the chunk has been
 * used, tensors that already existed (an in-memory list of chunks) are left alone.
 */
export interface ChunkSource {
  /** A fresh iterator over the chunks (one full pass over the data). */
  chunks(): Iterable<Dataset>;
  /** Total rows N when known up front; checked against every pass. */
  readonly size?: number;
  /** Random access to chunk `index` (same rows as the index-th chunk of a pass); lets LiSSA skip scans. */
  chunk?(index: number): Dataset;
}

/** Training data as tensors in memory, or as a chunk source. */
export type TrainingData = Dataset | ChunkSource;

export function isChunkSource(data: unknown): data is ChunkSource {
  return typeof data === 'object' && data !== null && typeof (data as Partial<ChunkSource>).chunks === 'function';
}

/**
 * One pass over a source as a plain generator (for consumers that take an Iterable, such as
 * streamInfluence), with the source's ownership rule applied: tensors the source creates while
 * producing a chunk are disposed when the consumer moves on to the next one (or stops); tensors
 * that existed before (in-memory chunks) are left alone.
 */
export function* passChunks(source: ChunkSource): Generator<Dataset> {
  if (!isChunkSource(source)) throw new InputError(`expected a chunk source { chunks(): Iterable<Dataset> }, got ${typeof source}`);
  const it = source.chunks()[Symbol.iterator]();
  let finished = false;
  try {
    for (;;) {
      const scope = pushScope();
      let r: IteratorResult<Dataset>;
      try { r = it.next(); } catch (err) { popScope(scope, new Set()); throw err; }
      const created = [...scope.tensors];
      popScope(scope, new Set(created));
      for (const t of created) keep(t);
      if (r.done) { finished = true; return; }
      try { yield r.value; } finally { for (const t of created) t.dispose(); }
    }
  } finally {
    if (!finished) it.return?.();
  }
}

/** A list of in-memory chunks as a source (useful for tests and for data that arrives split). */
export function arrayChunkSource(chunks: readonly Dataset[]): ChunkSource {
  const list = [...chunks];
  let size = 0;
  for (const c of list) size += c?.x?.shape?.[0] ?? 0;
  return { chunks: () => list, size, chunk: (i) => list[i]! };
}

/** An in-memory dataset split into consecutive chunks of the given row counts (or of `rows` each). */
export function datasetChunks(data: Dataset, rows: number | readonly number[]): ChunkSource {
  const n = data.x.shape[0]!;
  const sizes: number[] = [];
  if (typeof rows === 'number') {
    if (!Number.isSafeInteger(rows) || rows < 1) throw new InputError(`datasetChunks: rows must be an integer ≥ 1, got ${rows}`);
    for (let s = 0; s < n; s += rows) sizes.push(Math.min(rows, n - s));
  } else {
    let total = 0;
    for (const r of rows) {
      if (!Number.isSafeInteger(r) || r < 1) throw new InputError(`datasetChunks: chunk sizes must be integers ≥ 1, got ${r}`);
      sizes.push(r);
      total += r;
    }
    if (total !== n) throw new InputError(`datasetChunks: chunk sizes add up to ${total}, the dataset has ${n} rows`);
  }
  const starts = sizes.map((_, i) => sizes.slice(0, i).reduce((a, b) => a + b, 0));
  const chunk = (i: number): Dataset => batchOf(data, starts[i]!, sizes[i]!);
  return {
    size: n,
    chunk,
    *chunks() { for (let i = 0; i < sizes.length; i++) yield chunk(i); },
  };
}

/**
 * A chunk source checked against an objective. Construction makes one validation pass
 * (Objective.validate on every chunk: feature width, targets, finite inputs) and records the row
 * count of each chunk; every later pass checks the chunk count, each chunk's rows and feature width
 * against that record, so a source whose data changes between passes is an InputError instead of
 * a silently wrong operator.
 */
export class CheckedChunks implements ChunkSource {
  readonly rows: readonly number[];
  readonly n: number;
  readonly starts: readonly number[];

  constructor(readonly source: ChunkSource, readonly objective: Objective, readonly what = 'training chunks') {
    if (!isChunkSource(source)) throw new InputError(`${what}: expected a chunk source { chunks(): Iterable<Dataset> }, got ${typeof source}`);
    const rows: number[] = [];
    this.pass((chunk, index) => {
      objective.validate(chunk, `${what}: chunk ${index}`);
      rows.push(chunk.x.shape[0]!);
      return null;
    }, false);
    if (rows.length === 0) throw new InputError(`${what}: the chunk source yielded no chunks (empty training set)`);
    this.rows = rows;
    this.n = rows.reduce((a, b) => a + b, 0);
    this.starts = rows.map((_, i) => rows.slice(0, i).reduce((a, b) => a + b, 0));
    if (source.size !== undefined && source.size !== this.n) {
      throw new InputError(`${what}: the source declares size ${source.size}, its chunks hold ${this.n} rows`);
    }
  }

  /**
   * `source` checked for `objective` — the source itself when it is already a CheckedChunks for the
   * same model and loss (so that operators built on one fitted source share its validation pass).
   */
  static of(source: ChunkSource, objective: Objective, what = 'training chunks'): CheckedChunks {
    if (source instanceof CheckedChunks && source.objective.model === objective.model && source.objective.loss === objective.loss) return source;
    return new CheckedChunks(source, objective, what);
  }

  get size(): number { return this.n; }

  chunks(): Iterable<Dataset> { return this.source.chunks(); }

  chunk(index: number): Dataset { return this.chunkAt(index); }

  /**
   * One pass: Σ over chunks of f(chunk, index) (null contributions skipped). Each chunk is
   * processed in its own tidy scope, so tensors the source allocates for it are freed before the
   * next one is read: memory holds one chunk at a time.
   */
  reduce(f: (chunk: Dataset, index: number, start: number) => Tensor | null): Tensor {
    const acc = this.pass(f, true);
    if (!acc) throw new InputError(`${this.what}: the chunk source yielded no chunks on this pass`);
    return acc;
  }

  /** Σ over chunks, batches of at most `batchSize` rows within each, of f(batch). */
  reduceBatches(batchSize: number, f: (batch: Dataset) => Tensor): Tensor {
    return this.reduce((chunk) => {
      const r = chunk.x.shape[0]!;
      let acc: Tensor | null = null;
      for (let s = 0; s < r; s += batchSize) {
        const part = f(batchOf(chunk, s, batchSize));
        acc = acc ? add(acc, part) : part;
      }
      return acc;
    });
  }

  /** Calls f on every chunk in order (a pass), freeing the source's tensors after each. */
  forEach(f: (chunk: Dataset, index: number, start: number) => void): void {
    this.pass((c, i, s) => { f(c, i, s); return null; }, true);
  }

  /** Chunk `index` (random access when the source offers it, otherwise a scan). Caller frees it (tidy). */
  chunkAt(index: number): Dataset {
    if (!Number.isSafeInteger(index) || index < 0 || index >= this.rows.length) {
      throw new InputError(`${this.what}: chunk index ${index} out of range [0, ${this.rows.length})`);
    }
    let chunk: Dataset | undefined;
    if (this.source.chunk) chunk = this.source.chunk(index);
    else {
      const it = this.source.chunks()[Symbol.iterator]();
      try {
        for (let i = 0; i <= index; i++) {
          const r = it.next();
          if (r.done) break;
          if (i === index) chunk = r.value;
        }
      } finally { it.return?.(); }
    }
    if (!chunk) throw new InputError(`${this.what}: chunk ${index} is missing (the source changed between passes)`);
    this.check(chunk, index);
    return chunk;
  }

  private check(chunk: Dataset, index: number): void {
    if (!chunk || !chunk.x || !chunk.y) throw new InputError(`${this.what}: chunk ${index} is not a dataset {x, y}`);
    const expected = this.rows[index];
    if (expected === undefined) {
      throw new InputError(`${this.what}: the source yielded more than the ${this.rows.length} chunks of its first pass (it changed between passes)`);
    }
    if (chunk.x.shape[0] !== expected) {
      throw new InputError(`${this.what}: chunk ${index} has ${chunk.x.shape[0]} rows, ${expected} on the first pass (the source changed between passes)`);
    }
    this.objective.model.checkInput(chunk.x, `${this.what}: chunk ${index}`);
    if (chunk.y.shape[0] !== expected) throw new ShapeError(`${this.what}: chunk ${index} has ${expected} inputs but ${chunk.y.shape[0]} targets`);
  }

  private pass(f: (chunk: Dataset, index: number, start: number) => Tensor | null, checked: boolean): Tensor | null {
    const it = this.source.chunks()[Symbol.iterator]();
    let acc: Tensor | null = null;
    let index = 0, start = 0, finished = false;
    try {
      for (;;) {
        const step = tidy(() => {
          const r = it.next();
          if (r.done) return { done: true as const, acc };
          if (checked) this.check(r.value, index);
          const rows = r.value?.x?.shape?.[0] ?? 0;
          const part = f(r.value, index, start);
          start += rows;
          return { done: false as const, acc: part === null ? acc : acc ? add(acc, part) : part };
        });
        if (step.done) break;
        if (acc && step.acc !== acc) acc.dispose();
        acc = step.acc;
        index++;
      }
      finished = true;
    } finally {
      if (!finished) { it.return?.(); acc?.dispose(); }
    }
    if (checked && index !== this.rows.length) {
      acc?.dispose();
      throw new InputError(`${this.what}: this pass yielded ${index} chunks, the first pass ${this.rows.length} (the source changed between passes)`);
    }
    return acc;
  }
}
