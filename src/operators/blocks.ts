import { InputError, ShapeError } from '../errors.js';
import { concat, pad, slice, tidy } from '../tensor/index.js';
import type { Tensor } from '../tensor/tensor.js';
import type { Model } from '../nn/model.js';
import { applyToColumns, checkVector, isShiftedOperator, type LinearOperator } from './linear-operator.js';
import type { StochasticOperator } from './stochastic.js';

/**
 * Block restriction (block-diagonal mode): parameter blocks, the layers of a model, an operator's
 * diagonal blocks, and block-diagonal compositions. Curvature operators declare their model's
 * layers as `blocks` (see LayerBlocks), so a solver in block-diagonal mode needs nothing else.
 */

/** A contiguous range of θ: [offset, offset + size). */
export interface Block {
  readonly offset: number;
  readonly size: number;
  /** For reports: the layer or parameter it holds. */
  readonly name?: string;
}

/** Checks that `blocks` partition [0, n) in order (what a block-diagonal solve needs). */
export function checkBlocks(blocks: readonly Block[], n: number, what = 'blocks'): void {
  if (blocks.length === 0) throw new InputError(`${what}: needs at least one block`);
  let at = 0;
  blocks.forEach((b, i) => {
    if (!Number.isInteger(b.offset) || !Number.isInteger(b.size) || b.size < 1) {
      throw new InputError(`${what}: block ${i} must have an integer offset and size ≥ 1, got offset ${b.offset}, size ${b.size}`);
    }
    if (b.offset !== at) throw new ShapeError(`${what}: block ${i} starts at ${b.offset}, expected ${at} (blocks must cover [0, ${n}) in order without gaps or overlaps)`);
    at += b.size;
  });
  if (at !== n) throw new ShapeError(`${what}: blocks cover [0, ${at}), the operator has size ${n}`);
}

/**
 * One block per layer with parameters (weight and bias together, named like the layer: '0', or
 * 'features.0' in a graph), from the model's tracked layers, whose blocks tile θ in state_dict
 * order — pyDVL's BlockMode.LAYER_WISE. With `perParameter` every parameter tensor is its own block.
 */
export function blocksFromModel(model: Model, options: { perParameter?: boolean } = {}): Block[] {
  if (options.perParameter) return model.flatParams.map((p) => ({ offset: p.offset, size: p.size, name: p.name }));
  return model.trackedLayers().map((t) => ({ offset: t.offset, size: t.size, name: t.name }));
}

/**
 * The diagonal block A[o:o+s, o:o+s] of an operator: v ↦ (A·embed(v))[o:o+s], with v embedded
 * into zeros. Each product costs one product of A. Keeps the structure solvers look for: a
 * ShiftedOperator stays one (restricted base, same shift), a StochasticOperator keeps its
 * minibatch product, and a closed-form diagonal is sliced.
 */
export function restrictToBlock(op: LinearOperator, offset: number, size: number): LinearOperator {
  const n = op.size;
  if (!Number.isInteger(offset) || !Number.isInteger(size) || offset < 0 || size < 1 || offset + size > n) {
    throw new ShapeError(`restrictToBlock: block [${offset}, ${offset + size}) is outside [0, ${n})`);
  }
  if (offset === 0 && size === n) return op;
  const embed = (v: Tensor): Tensor => (v.rank === 1 ? pad(v, [offset], [n - offset - size]) : pad(v, [offset, 0], [n - offset - size, 0]));
  const cut = (v: Tensor): Tensor => (v.rank === 1 ? slice(v, [offset], [size]) : slice(v, [offset, 0], [size, v.shape[1]!]));
  const restricted: LinearOperator & Record<string, unknown> = {
    size, dtype: op.dtype, symmetric: op.symmetric,
    matvec: (v) => { checkVector(restricted, v); return tidy(() => cut(op.matvec(embed(v)))); },
    matmat: (v) => { checkVector(restricted, v, 'matmat'); return tidy(() => cut(applyToColumns(op, embed(v)))); },
  };
  if (op.diagonal) restricted.diagonal = () => tidy(() => cut(op.diagonal!()));
  // A principal submatrix of a positive semi-definite matrix is positive semi-definite.
  if (op.psd === true) (restricted as Record<string, unknown>)['psd'] = true;
  if (isShiftedOperator(op)) {
    restricted['shift'] = op.shift;
    restricted['base'] = restrictToBlock(op.base, offset, size);
  }
  if (isStochastic(op)) {
    const s = op;
    restricted['numSamples'] = s.numSamples;
    restricted['sampleMatvec'] = (v: Tensor, batchSize: number, rng: Parameters<StochasticOperator['sampleMatvec']>[2]) => {
      checkVector(restricted, v, 'sampleMatvec');
      return tidy(() => cut(s.sampleMatvec(embed(v), batchSize, rng)));
    };
  }
  return restricted;
}

/** The block-diagonal part diag(A_11, …, A_LL) of an operator, as an operator (L products of A per product). */
export function blockDiagonalOperator(op: LinearOperator, blocks: readonly Block[]): LinearOperator {
  checkBlocks(blocks, op.size, 'blockDiagonalOperator');
  const parts = blocks.map((b) => restrictToBlock(op, b.offset, b.size));
  const apply = (v: Tensor): Tensor => tidy(() => concat(blocks.map((b, i) => {
    const vb = v.rank === 1 ? slice(v, [b.offset], [b.size]) : slice(v, [b.offset, 0], [b.size, v.shape[1]!]);
    return v.rank === 1 ? parts[i]!.matvec(vb) : applyToColumns(parts[i]!, vb);
  }), 0));
  const out: LinearOperator = {
    size: op.size, dtype: op.dtype, symmetric: op.symmetric, ...(op.psd === true ? { psd: true } : {}),
    matvec: (v) => { checkVector(out, v); return apply(v); },
    matmat: (v) => { checkVector(out, v, 'matmat'); return apply(v); },
  };
  if (op.diagonal) out.diagonal = () => op.diagonal!();
  return out;
}

/** The optional structure of an operator that knows its model's layers (the curvature operators). */
export interface LayerBlocks {
  /** One block per layer with parameters (blocksFromModel), in θ's order. */
  readonly blocks: readonly Block[];
}

/** The layer blocks an operator declares, or undefined. */
export function layerBlocksOf(op: LinearOperator): readonly Block[] | undefined {
  const b = (op as Partial<LayerBlocks>).blocks;
  return Array.isArray(b) ? b : undefined;
}

// Duck-typed here (not imported) to keep blocks.ts free of a cycle with stochastic.ts.
function isStochastic(op: LinearOperator): op is StochasticOperator {
  const s = op as Partial<StochasticOperator>;
  return typeof s.sampleMatvec === 'function' && typeof s.numSamples === 'number' && typeof s.shift === 'number';
}

/**
 * diag(A₁, …, A_L) of distinct operators (same dtype): v's rows split by block, each block applied
 * by its own operator, the results stacked. Symmetric (psd) when every part is.
 */
export function blockDiagonalOf(parts: readonly LinearOperator[]): LinearOperator {
  if (parts.length === 0) throw new ShapeError('blockDiagonalOf: needs at least one operator');
  const dtype = parts[0]!.dtype;
  for (const p of parts) if (p.dtype !== dtype) throw new ShapeError(`blockDiagonalOf: operators of dtype ${p.dtype} and ${dtype}`);
  const offsets: number[] = [];
  let n = 0;
  for (const p of parts) { offsets.push(n); n += p.size; }
  const apply = (v: Tensor): Tensor => tidy(() => concat(parts.map((p, i) => {
    const vb = v.rank === 1 ? slice(v, [offsets[i]!], [p.size]) : slice(v, [offsets[i]!, 0], [p.size, v.shape[1]!]);
    return v.rank === 1 ? p.matvec(vb) : applyToColumns(p, vb);
  }), 0));
  const psd = parts.every((p) => p.psd === true) ? true : parts.some((p) => p.psd === false) ? false : 'unknown';
  const out: LinearOperator = {
    size: n, dtype, symmetric: parts.every((p) => p.symmetric), psd,
    matvec: (v) => { checkVector(out, v); return apply(v); },
    matmat: (v) => { checkVector(out, v, 'matmat'); return apply(v); },
  };
  if (parts.every((p) => p.trace)) out.trace = () => parts.reduce((t, p) => t + p.trace!(), 0);
  return out;
}
