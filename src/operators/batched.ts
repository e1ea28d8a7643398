import { BatchingUnsupported, gnvp, gnvpBatched, hvp, hvpBatched, type HvpMode } from '../autodiff/api.js';
import { InputError } from '../errors.js';
import { add, concat, mean, mul, reshape, slice, tidy } from '../tensor/index.js';
import type { Tensor } from '../tensor/tensor.js';
import { batchOf, type Dataset, type Objective } from '../nn/objective.js';
import { CheckedChunks, isChunkSource, type TrainingData } from '../nn/chunk-source.js';
import { checkVector, plusShift, type LinearOperator } from './linear-operator.js';

export interface CurvatureOptions {
  /** Examples per HVP batch (memory vs. overhead). Default 4096. */
  batchSize?: number;
  /** λ of the damped operator H + λI. Default 0. */
  damping?: number;
  /** How the exact Hessian's products are formed. */
  mode?: HvpMode;
  /** Called after every product (progress reporting for long fits such as direct's dense build). */
  onProduct?: () => void;
}

/**
 * The batched product machinery behind the curvature operators of a training objective (the
 * public constructors are in curvature.ts, stochastic.ts, empirical-fisher.ts).
 */

export function checkDamping(damping: number): void {
  if (!Number.isFinite(damping) || damping < 0) throw new InputError(`damping must be a finite number ≥ 0, got ${damping}`);
}

/** Which curvature of the data loss a batch product forms. */
export type CurvatureKind = 'exact' | 'gauss-newton';

/**
 * A batch's curvature product, times `weight` (|b|/N in a sum over batches, default 1). The weight
 * scales the batch's loss — a scalar — so that the [P] or [P, k] result needs no pass of its own.
 */
export type BatchProduct = (batch: Dataset, v: Tensor, weight?: number) => Tensor;

const scaled = (loss: Tensor, weight: number): Tensor => (weight === 1 ? loss : mul(loss, weight));

/** The product of one batch's mean-loss Hessian (or Gauss–Newton Hessian) with v. */
export function batchProduct(objective: Objective, theta: Tensor, kind: CurvatureKind, mode: HvpMode = 'forward-over-reverse'): BatchProduct {
  return kind === 'exact'
    ? (b, v, w = 1) => hvp((t) => scaled(objective.dataLoss(t, b), w), theta, v, mode)
    : (b, v, w = 1) => gnvp((t) => objective.model.apply(t, b.x), (z) => scaled(mean(objective.loss.perSample(z, b.y)), w), theta, v);
}

/**
 * The product of one batch's curvature with k vectors at once (the columns of V [P, k] → [P, k])
 * by batched tangents (autodiff/batching.ts): the model's GEMMs carry all k directions, and the
 * block stays in matmat's column layout (no transpose on either side). Null where there is none
 * (reverse-over-reverse): matmat then applies the per-vector product column by column.
 */
export function batchBlockProduct(objective: Objective, theta: Tensor, kind: CurvatureKind, mode: HvpMode = 'forward-over-reverse'): BatchProduct | null {
  const columns = { columns: true };
  if (kind === 'exact') return mode === 'forward-over-reverse' ? (b, v, w = 1) => hvpBatched((t) => scaled(objective.dataLoss(t, b), w), theta, v, columns) : null;
  return (b, v, w = 1) => gnvpBatched((t) => objective.model.apply(t, b.x), (z) => scaled(mean(objective.loss.perSample(z, b.y)), w), theta, v, columns);
}

/**
 * The operator v ↦ Σ_b (|b|/N)·P_b(v) + shift·v over a dataset split into batches, where
 * P_b is a per-batch curvature product of the mean data loss. `data` may be a ChunkSource: then
 * the batches are those of each chunk (at most batchSize rows, never straddling two chunks), N is
 * the total over all chunks, and each product is one pass over the source — the same operator as
 * in memory, up to the order of floating-point sums.
 */
export function batchedOperator(batches: Batches, theta: Tensor, batchSize: number, shift: number, options: CurvatureOptions,
  product: BatchProduct, blockProduct: BatchProduct | null = null): LinearOperator {
  const { n } = batches;
  const valueBytes = theta.dtype === 'float64' ? 8 : 4;
  // Set when the model uses a primitive without a batched rule: the per-column path from then on.
  let batchedOk = blockProduct !== null;
  const perColumn = (b: Dataset, cols: Tensor[], w: number): Tensor =>
    concat(cols.map((c) => reshape(product(b, c, w), [theta.size, 1])), 1);
  const op: LinearOperator = {
    size: theta.size,
    dtype: theta.dtype as 'float32' | 'float64',
    symmetric: true,
    matvec(v) {
      checkVector(op, v);
      if (v.rank !== 1) throw new InputError('matvec: expected a vector');
      const out = tidy(() => {
        const acc = batches.reduce(rowsPerPass(batchSize, 1, batches.valuesPerExample, valueBytes, n), (b) => product(b, v, b.x.shape[0]! / n));
        return plusShift(acc, v, shift);
      });
      options.onProduct?.();
      return out;
    },
    matmat(v) {
      checkVector(op, v, 'matmat');
      if (v.rank !== 2) throw new InputError('matmat: expected a block [n, k]');
      const k = v.shape[1]!, p = op.size;
      const out = tidy(() => {
        // One pass over the data for all k columns (one chunk read per chunk, not k); within a
        // batch, one product with batched tangents (or, without one, the per-vector product of
        // each column), as a [P, k] block.
        let cols: Tensor[] | null = null;
        const columns = () => (cols ??= Array.from({ length: k }, (_, j) => reshape(slice(v, [0, j], [p, 1]), [p])));
        const acc = batches.reduce(rowsPerPass(batchSize, k, batches.valuesPerExample, valueBytes, n), (b) => {
          const w = b.x.shape[0]! / n;
          if (batchedOk) {
            try {
              return blockProduct!(b, v, w);
            } catch (err) {
              if (!(err instanceof BatchingUnsupported)) throw err;
              batchedOk = false;
            }
          }
          return perColumn(b, columns(), w);
        });
        return plusShift(acc, v, shift);
      });
      for (let j = 0; j < k; j++) options.onProduct?.();
      return out;
    },
  };
  return op;
}

/** The training rows, checked, as batches (in memory or a chunk source). */
export function batchesOf(objective: Objective, theta: Tensor, data: TrainingData): Batches {
  objective.model.checkTheta(theta);
  return isChunkSource(data) ? chunkBatches(CheckedChunks.of(data, objective), valuesOf(objective)) : memoryBatches(objective, data);
}

const valuesOf = (objective: Objective, exampleShape?: readonly number[]): number | null => objective.model.valuesPerExample?.(exampleShape) ?? null;

/** The training rows as batches: Σ_batches f(batch), and N. */
export interface Batches {
  n: number;
  reduce(batchSize: number, f: (batch: Dataset) => Tensor): Tensor;
  /** The values one example's forward pass produces (Model.valuesPerExample), null when unknown. */
  valuesPerExample: number | null;
}

/**
 * Bytes of activations a product over k directions may keep per pass (k·rows·values per example ×
 * the dtype's size): 80 MB, which with the tangents, patches and cotangents a pass also holds stays
 * far below wasm's 4 GB. Larger passes run larger GEMMs and sum fewer partial [k, P] results;
 * smaller ones keep the tangents nearer the cache. Measured on native, one thread: the W-HVP MLP at
 * k = 32, B = 1,024 (float32, 65 MB: one pass) takes 232 ms in three passes, 225 in two, 216 in
 * one; mlp-small's dense build (float64, k = 64, 5,000 rows: 103 MB, two passes) 475 ms per block in
 * four passes, 457 in two, 517 in one — both best near 16–20 MB per layer tangent.
 */
const TANGENT_BUDGET_BYTES = 80 << 20;

/**
 * Rows per pass for a product over k directions: batchSize, lowered to stay within TANGENT_BUDGET_BYTES —
 * then evened out over the n rows (1,024 rows at a limit of 502: three passes of 342, not
 * 502 + 502 + 20, whose last pass would run GEMMs of 20 rows).
 */
export function rowsPerPass(batchSize: number, k: number, valuesPerExample: number | null, bytesPerValue: number, n = Infinity): number {
  if (!valuesPerExample) return batchSize;
  const limit = Math.max(1, Math.min(batchSize, Math.floor(TANGENT_BUDGET_BYTES / (bytesPerValue * k * valuesPerExample))));
  if (limit === batchSize || !Number.isFinite(n)) return limit;
  return Math.ceil(n / Math.ceil(n / limit));
}

function memoryBatches(objective: Objective, data: Dataset): Batches {
  objective.validate(data);
  const n = data.x.shape[0]!;
  return {
    n,
    valuesPerExample: valuesOf(objective, data.x.shape.slice(1)),
    reduce(batchSize, f) {
      let acc: Tensor | null = null;
      for (let start = 0; start < n; start += batchSize) {
        const part = f(batchOf(data, start, batchSize));
        acc = acc ? add(acc, part) : part;
      }
      return acc!;
    },
  };
}

/** One pass over a checked chunk source per reduction, one chunk in memory at a time. */
function chunkBatches(chunks: CheckedChunks, valuesPerExample: number | null): Batches {
  return { n: chunks.n, valuesPerExample, reduce: (batchSize, f) => chunks.reduceBatches(batchSize, f) };
}

export function checkBatchSize(batchSize: number): void {
  if (!Number.isSafeInteger(batchSize) || batchSize < 1) throw new InputError(`batchSize must be an integer ≥ 1, got ${batchSize}`);
}


/**
 * Whether the loss is convex in the model outputs (the built-in cross-entropy, MSE and BCE with
 * logits are), which makes the Gauss–Newton Hessian positive semi-definite.
 */
export function convexLoss(objective: Objective): boolean {
  return ['cross-entropy', 'mse', 'bce-with-logits'].includes(objective.loss.name);
}
