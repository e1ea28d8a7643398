import { CancelledError, InputError, ShapeError } from '../errors.js';
import { keep, mul, neg, slice, sum, tidy } from '../tensor/index.js';
import type { Tensor } from '../tensor/tensor.js';
import type { Dataset } from '../nn/objective.js';
import { NpyWriter, type NpyWriterDType } from '../io/npy-writer.js';
import type { InfluenceModel, SolveStats } from './exact.js';
import { describeOutput, outputGradients, type OutputSpec } from './outputs.js';
import type { QueryScorer } from './query-rank.js';
import { TopKAccumulator, type TopKResult } from './top-k.js';

/** Training data as chunks: an array, a generator, or an async generator (e.g. reading a file). */
export type DataChunks = Iterable<Dataset> | AsyncIterable<Dataset>;

export interface Progress {
  /** Training points scored so far. */
  done: number;
  /** Training points in all, when the caller said (`total`). */
  total?: number;
  phase: 's_test' | 'scoring' | 'self-influence';
}

export interface StreamOptions {
  /** Which test-point quantity to measure (default 'loss'). */
  output?: OutputSpec;
  onProgress?: (p: Progress) => void;
  /** Cancels between chunks with a CancelledError; a partially written .npy is deleted. */
  signal?: AbortSignal;
  /** Number of training points, if known: progress reports it and the .npy header is final up front. */
  total?: number;
  /**
   * Write the scores here incrementally, train-major: shape [nTrain, nTest] (row j = training point
   * j). The rows go to a temporary file next to it (`.<name>.<pid>.<n>.partial`), renamed over
   * npyPath at the end and deleted on failure or cancellation; temporary files of `npyPath` left by
   * processes that were killed are deleted when the output is opened.
   */
  npyPath?: string;
  npyDtype?: NpyWriterDType;
  /**
   * Called with the temporary file's path before it is created (for a supervisor that may terminate
   * this thread and must then delete it, as InfluenceService does with its worker).
   */
  onTempFile?: (temp: string) => void;
  /** Keep the k most helpful / harmful training points per test point (bounded heaps). */
  topK?: number;
  /** Return the whole [nTest, nTrain] matrix (default true; false keeps memory independent of nTrain). */
  keepScores?: boolean;
}

export interface StreamResult {
  nTest: number;
  nTrain: number;
  output: string;
  /** [nTest, nTrain] row-major: scores[i·nTrain + j] = I(z_j, z_test,i); absent with keepScores: false. */
  scores?: Float64Array;
  topK?: TopKResult[];
  stats: SolveStats;
}

function checkAborted(signal: AbortSignal | undefined, what: string): void {
  if (signal?.aborted) {
    const reason = signal.reason instanceof Error ? `: ${signal.reason.message}` : '';
    throw new CancelledError(`${what} was cancelled${reason}`);
  }
}

/** Yields to the event loop so that timers and abort() calls can run between chunks. */
const yieldToLoop = (): Promise<void> => new Promise((r) => setImmediate(r));

async function* chunksOf(data: DataChunks): AsyncGenerator<Dataset> {
  if (data === null || typeof data !== 'object' || !(Symbol.iterator in data || Symbol.asyncIterator in data)) {
    throw new InputError(`training chunks must be an Iterable or AsyncIterable of {x, y} datasets, got ${data === null ? 'null' : typeof data}`);
  }
  yield* data as AsyncIterable<Dataset>;
}

function checkChunk(model: InfluenceModel, chunk: Dataset, index: number): void {
  if (!chunk || typeof chunk !== 'object' || !chunk.x || !chunk.y) throw new InputError(`training chunk ${index}: expected {x, y} tensors`);
  model.objective.validate(chunk, `training chunk ${index}`);
}

/**
 * Influence of streamed training points on test points, the s_test trick of Koh & Liang (2017)
 * (reference 004_7cb5e77c3e7b1392.txt and the tutorial 002_…, §2): s = H⁻¹·∇θf(z_test) is solved
 * once, then each chunk of training points is scored from one capture per batch (InfluenceModel.queryScorer:
 * layer by layer, never the chunk's [n, P] per-sample gradients):
 *   I(z_j, z_test,i) = −sᵢᵀ·∇θℓ(z_j)
 * (= I_up,loss for output 'loss'; for another output f, −∇θfᵀH⁻¹∇θℓ(z_j), the change of f per unit
 * upweighting of z_j). Removing z_j from N points changes f by ≈ −I/N.
 * Chunks may come from any (async) iterable; only one chunk's captures are alive at a time.
 */
export async function streamInfluence(model: InfluenceModel, test: Dataset, chunks: DataChunks, options: StreamOptions = {}): Promise<StreamResult> {
  const output = options.output ?? 'loss';
  const keepScores = options.keepScores ?? true;
  if (options.total !== undefined && (!Number.isInteger(options.total) || options.total < 1)) {
    throw new InputError(`total must be a positive integer number of training points, got ${options.total}`);
  }
  checkAborted(options.signal, 'influence scoring');
  const g = outputGradients(model.objective, model.theta, test, output, model.batchSize);
  let solved: ReturnType<InfluenceModel['inverseHvp']>;
  try {
    solved = model.inverseHvp(g);
  } finally {
    g.dispose();
  }
  const { x: s, stats } = solved;
  keep(s);
  const nTest = s.shape[0]!;
  let scorer: QueryScorer | null = null;
  let top: TopKAccumulator | null = null;
  let writer: NpyWriter | null = null;
  const blocks: Float64Array[] = [];
  let done = 0;
  try {
    // Inside the try: a bad topK or a throwing callback must still free s.
    scorer = model.queryScorer(s);
    if (scorer.stats) stats.queryRank = scorer.stats;
    const score = scorer.score;
    options.onProgress?.({ done: 0, total: options.total, phase: 's_test' });
    top = options.topK !== undefined ? new TopKAccumulator(nTest, options.topK) : null;
    writer = options.npyPath !== undefined
      ? NpyWriter.open(options.npyPath, { rowShape: [nTest], rows: options.total, dtype: options.npyDtype ?? 'float64', onTempPath: options.onTempFile })
      : null;
    let index = 0;
    for await (const chunk of chunksOf(chunks)) {
      checkAborted(options.signal, 'influence scoring');
      checkChunk(model, chunk, index);
      const cols = chunk.x.shape[0]!;
      if (options.total !== undefined && done + cols > options.total) {
        throw new ShapeError(`training chunks: total was given as ${options.total} points, chunk ${index} brings the count to ${done + cols}`);
      }
      // Train-major block [cols, nTest] = −G·sᵀ, scored from captures (G is never formed).
      const block = tidy(() => neg(score(chunk)).dataSync());
      const asF64 = Float64Array.from(block);
      writer?.append(asF64, cols);
      if (top || keepScores) {
        const rowMajor = new Float64Array(nTest * cols);
        for (let j = 0; j < cols; j++) for (let i = 0; i < nTest; i++) rowMajor[i * cols + j] = asF64[j * nTest + i]!;
        top?.add(rowMajor, cols, done);
        if (keepScores) blocks.push(rowMajor);
      }
      done += cols;
      index++;
      options.onProgress?.({ done, total: options.total, phase: 'scoring' });
      await yieldToLoop();
    }
    checkAborted(options.signal, 'influence scoring');
    if (done === 0) throw new InputError('training chunks: the stream held no training points');
    if (options.total !== undefined && done !== options.total) {
      throw new ShapeError(`training chunks: total was given as ${options.total} points, the stream held ${done}`);
    }
    writer?.close();
    writer = null;
  } catch (err) {
    writer?.abort();
    throw err;
  } finally {
    scorer?.dispose();
    s.dispose();
  }
  const result: StreamResult = { nTest, nTrain: done, output: describeOutput(output), stats };
  if (keepScores) result.scores = assembleColumns(blocks, nTest, done);
  if (top) result.topK = top.result();
  return result;
}

/** Row-major [nTest, cols_b] blocks side by side → [nTest, Σcols]. */
function assembleColumns(blocks: Float64Array[], nTest: number, nTrain: number): Float64Array {
  const out = new Float64Array(nTest * nTrain);
  let offset = 0;
  for (const b of blocks) {
    const cols = b.length / nTest;
    for (let i = 0; i < nTest; i++) out.set(b.subarray(i * cols, (i + 1) * cols), i * nTrain + offset);
    offset += cols;
  }
  return out;
}

/**
 * Self-influence ∇θℓ(z)ᵀ·H⁻¹·∇θℓ(z) of streamed training points (one solve per point; the
 * mislabelled-example score of 004_…, §D): returns the scores in stream order.
 */
export async function streamSelfInfluence(model: InfluenceModel, chunks: DataChunks,
  options: Pick<StreamOptions, 'onProgress' | 'signal' | 'total' | 'npyPath' | 'npyDtype' | 'onTempFile'> = {}): Promise<{ scores: Float64Array; stats: SolveStats }> {
  checkAborted(options.signal, 'self-influence');
  const parts: Float64Array[] = [];
  const all: SolveStats = { solves: 0, iterations: [], residualNorms: [], converged: true, info: [] };
  let writer: NpyWriter | null = null;
  let done = 0, index = 0;
  try {
    writer = options.npyPath !== undefined ? NpyWriter.open(options.npyPath, { rowShape: [], rows: options.total, dtype: options.npyDtype ?? 'float64', onTempPath: options.onTempFile }) : null;
    for await (const chunk of chunksOf(chunks)) {
      checkAborted(options.signal, 'self-influence');
      checkChunk(model, chunk, index++);
      const v = tidy(() => {
        const g = model.gradients(chunk);
        const { x, stats } = model.inverseHvp(g);
        all.solves += stats.solves; all.iterations.push(...stats.iterations); all.residualNorms.push(...stats.residualNorms);
        all.converged &&= stats.converged; all.info.push(...stats.info);
        return Float64Array.from(sum(mul(g, x), 1).dataSync());
      });
      writer?.append(v, v.length);
      parts.push(v);
      done += v.length;
      options.onProgress?.({ done, total: options.total, phase: 'self-influence' });
      await yieldToLoop();
    }
    checkAborted(options.signal, 'self-influence');
    if (done === 0) throw new InputError('training chunks: the stream held no training points');
    writer?.close();
    writer = null;
  } catch (err) {
    writer?.abort();
    throw err;
  }
  const scores = new Float64Array(done);
  let at = 0;
  for (const p of parts) { scores.set(p, at); at += p.length; }
  return { scores, stats: all };
}

/**
 * Splits an in-memory dataset into chunks of `size` rows (a convenience source for streaming).
 * Each chunk's tensors are freed when the next chunk is requested: use a chunk before asking on.
 */
export function* chunked(data: Dataset, size: number): Generator<Dataset> {
  if (!Number.isInteger(size) || size < 1) throw new InputError(`chunk size must be a positive integer, got ${size}`);
  const n = data.x.shape[0]!;
  if (size >= n) { yield data; return; } // one chunk: the caller's own tensors, not ours to free
  for (let start = 0; start < n; start += size) {
    const c = Math.min(size, n - start);
    const chunk = { x: sliceRows(data.x, start, c), y: sliceRows(data.y, start, c) };
    try {
      yield chunk;
    } finally {
      chunk.x.dispose();
      chunk.y.dispose();
    }
  }
}

function sliceRows(t: Tensor, start: number, count: number): Tensor {
  return keep(slice(t, [start, ...t.shape.slice(1).map(() => 0)], [count, ...t.shape.slice(1)]));
}
