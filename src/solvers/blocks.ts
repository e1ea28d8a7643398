import { InputError, ShapeError } from '../errors.js';
import { concat, slice, tidy } from '../tensor/index.js';
import type { Tensor } from '../tensor/tensor.js';
import type { LinearOperator } from '../operators/linear-operator.js';
import { checkBlocks, restrictToBlock, type Block } from '../operators/blocks.js';
import { restoreShape, rhsBlock } from './common.js';
import type { FittedSolver, SolverState, SolveResult } from './types.js';

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
    // Each block's state under `block.<i>.`; info.blockDiagonal lists the blocks and their infos.
    ...(solvers.every((s) => s.state) ? {
      state(): SolverState {
        const tensors: Record<string, Tensor> = {};
        const perBlock = solvers.map((s, i) => {
          const st = s.state!();
          for (const [k, t] of Object.entries(st.tensors)) tensors[`block.${i}.${k}`] = t;
          return st.info;
        });
        return { tensors, info: { blockDiagonal: { blocks: blocks.map((b) => ({ ...b })), perBlock } } };
      },
    } : {}),
    dispose() { solvers.forEach((s) => s.dispose()); },
  };
}

/** Block i's part of a block-diagonal solver's saved state (see fitBlockDiagonalWith's state()). */
export function blockState(state: SolverState, i: number): SolverState {
  const per = (state.info['blockDiagonal'] as { perBlock?: unknown } | undefined)?.perBlock;
  const info = Array.isArray(per) ? per[i] as Record<string, unknown> | undefined : undefined;
  if (!info || typeof info !== 'object') throw new InputError(`block-diagonal: the saved state has no block ${i}`);
  const prefix = `block.${i}.`;
  const tensors: Record<string, Tensor> = {};
  for (const [k, t] of Object.entries(state.tensors)) if (k.startsWith(prefix)) tensors[k.slice(prefix.length)] = t;
  return { tensors, info };
}
