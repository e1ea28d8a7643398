import { InputError, ShapeError } from '../errors.js';
import { concat, pad, slice, tidy } from '../tensor/index.js';
import type { Tensor } from '../tensor/tensor.js';
import { applyToColumns, checkVector, type LinearOperator } from '../operators/linear-operator.js';
import type { Sequential } from '../nn/sequential.js';
import { isShiftedOperator, restoreShape, rhsBlock } from './common.js';
import { isStochasticOperator, type StochasticOperator } from './lissa.js';
import type { FittedSolver, SolveResult } from './types.js';

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
 * One block per layer with parameters (weight and bias together), from the model's flat θ layout
 * (Sequential.flatParams, PyTorch state_dict order) — pyDVL's BlockMode.LAYER_WISE. With
 * `perParameter` every parameter tensor is its own block.
 */
export function blocksFromModel(model: Sequential, options: { perParameter?: boolean } = {}): Block[] {
  if (options.perParameter) return model.flatParams.map((p) => ({ offset: p.offset, size: p.size, name: p.name }));
  const out: { offset: number; size: number; name: string }[] = [];
  for (const p of model.flatParams) {
    const last = out[out.length - 1];
    if (last && last.name === String(p.layer)) last.size += p.size;
    else out.push({ offset: p.offset, size: p.size, name: String(p.layer) });
  }
  return out;
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
  if (isShiftedOperator(op)) {
    restricted['shift'] = op.shift;
    restricted['base'] = restrictToBlock(op.base, offset, size);
  }
  if (isStochasticOperator(op)) {
    const s = op as StochasticOperator;
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
    size: op.size, dtype: op.dtype, symmetric: op.symmetric,
    matvec: (v) => { checkVector(out, v); return apply(v); },
    matmat: (v) => { checkVector(out, v, 'matmat'); return apply(v); },
  };
  if (op.diagonal) out.diagonal = () => op.diagonal!();
  return out;
}

/**
 * A block-diagonal solver: each block of (A + λ_l·I) solved independently by its own fitted
 * solver — `fit(blockOperator, index)` gets restrictToBlock(op, …) (or, when `op` is a function,
 * whatever it builds for the block, e.g. a per-layer curvature operator). b's rows are split by
 * block and the solutions stacked. residualNorm is √(Σ_blocks residual²) of the block systems.
 */
export function fitBlockDiagonalWith(
  op: LinearOperator | ((block: Block, index: number) => LinearOperator), blocks: readonly Block[],
  fit: (blockOp: LinearOperator, index: number) => FittedSolver,
): FittedSolver {
  const last = blocks[blocks.length - 1];
  const n = typeof op === 'function' ? (last ? last.offset + last.size : 0) : op.size;
  checkBlocks(blocks, n, 'block-diagonal');
  const solvers: FittedSolver[] = [];
  const ops: LinearOperator[] = [];
  try {
    blocks.forEach((b, i) => {
      const bop = typeof op === 'function' ? op(b, i) : restrictToBlock(op, b.offset, b.size);
      if (bop.size !== b.size) throw new ShapeError(`block-diagonal: the operator for block ${i} has size ${bop.size}, the block ${b.size}`);
      ops.push(bop);
      solvers.push(fit(bop, i));
    });
  } catch (err) {
    solvers.forEach((s) => s.dispose());
    throw err;
  }
  const method = `block-diagonal(${solvers[0]!.method})`;
  const dtype = ops[0]!.dtype;
  const shapeOp = { size: n, dtype, symmetric: true, matvec: (v: Tensor) => v } as LinearOperator;
  return {
    method,
    solve(b: Tensor): SolveResult {
      const bb = rhsBlock(shapeOp, b, 'block-diagonal');
      const k = bb.shape[1]!;
      const results: SolveResult[] = [];
      const x = tidy(() => concat(blocks.map((blk, i) => {
        const r = solvers[i]!.solve(slice(bb, [blk.offset, 0], [blk.size, k]));
        results.push(r);
        return r.x;
      }), 0));
      return {
        x: restoreShape(x, b), method, iterations: Math.max(...results.map((r) => r.iterations)),
        residualNorm: Math.sqrt(results.reduce((a, r) => a + r.residualNorm ** 2, 0)),
        converged: results.every((r) => r.converged),
        info: {
          perBlock: results.map((r, i) => ({
            name: blocks[i]!.name ?? String(i), offset: blocks[i]!.offset, size: blocks[i]!.size,
            method: r.method, iterations: r.iterations, residualNorm: r.residualNorm, converged: r.converged, info: r.info,
          })),
        },
      };
    },
    dispose() { solvers.forEach((s) => s.dispose()); },
  };
}
