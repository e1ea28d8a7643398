import type { FloatDType } from '../backend/types.js';
import { InputError, ShapeError } from '../errors.js';
import { add, concat, keep, matmul, mul, slice, sum, tensor, tidy } from '../tensor/index.js';
import type { Tensor } from '../tensor/tensor.js';
import type { LinearOperator } from '../operators/linear-operator.js';
import { checkBlocks, type Block } from '../operators/blocks.js';
import { checkNonNegative, restoreShape, rhsBlock, trueResidual } from './common.js';
import { jacobiPreconditionerFor, restorePreconditioner, type Preconditioner } from './preconditioners.js';
import type { FittedSolver, SolverState, SolveResult } from './types.js';

// ---------------------------------------------------------------------------------------------
// Diagonal approximation

export interface DiagonalSolverOptions {
  /** λ: x = b / (diag(A) + λ). Default 0. */
  damping?: number;
  /** Hutchinson probes when the operator has no closed-form diagonal. Default 100. */
  probes?: number;
  seed?: number;
  /** Report ‖b − (A + λI)·x‖ with the full operator (one product per column). Default false (NaN). */
  computeResidual?: boolean;
}

/**
 * The diagonal approximation (A + λI)⁻¹ ≈ diag(A + λI)⁻¹ (002_7d5b2182e0d2bf0b.txt's diagonal
 * estimator): x = b / (diag(A) + λ), with diag(A) exact from `op.diagonal()` when the operator has
 * one, else Hutchinson's estimate (Bekas, Kokiopoulou & Saad 2007) from `probes` Rademacher
 * products. An entry of diag(A) + λ ≤ 0 is a NotPositiveDefiniteError naming it.
 */
export function fitDiagonal(op: LinearOperator, options: DiagonalSolverOptions = {}): FittedSolver {
  const damping = options.damping ?? 0;
  checkNonNegative('diagonal', 'damping', damping);
  return diagonalSolver(op, options, jacobiPreconditionerFor(op, { damping, ...(options.probes ? { probes: options.probes } : {}), seed: options.seed ?? 0 }));
}

/** The diagonal solver rebuilt from its saved state (fitDiagonal(…).state()); takes ownership of the tensors. */
export function restoreDiagonal(op: LinearOperator, options: DiagonalSolverOptions, state: SolverState): FittedSolver {
  return diagonalSolver(op, options, restorePreconditioner(state, op.size));
}

function diagonalSolver(op: LinearOperator, options: DiagonalSolverOptions, m: Preconditioner): FittedSolver {
  const damping = options.damping ?? 0;
  return {
    method: 'diagonal',
    solve(b: Tensor): SolveResult {
      const bb = rhsBlock(op, b, 'diagonal');
      const x = m(bb);
      return {
        x: restoreShape(x, b), method: 'diagonal', iterations: 0, converged: true,
        residualNorm: options.computeResidual ? trueResidual(op, damping, bb, x) : NaN,
        info: { ...m.info, ...(options.computeResidual ? {} : { residual: 'not computed' }) },
      };
    },
    state: () => m.state(),
    dispose: () => m.dispose(),
  };
}

/** One-shot diagonal solve. */
export function diagonalSolve(op: LinearOperator, b: Tensor, options: DiagonalSolverOptions = {}): SolveResult {
  const s = fitDiagonal(op, options);
  try { return s.solve(b); } finally { s.dispose(); }
}

// ---------------------------------------------------------------------------------------------
// Inverse harmonic mean (DataInf)

export interface DataInfOptions {
  /** λ (> 0) for every block, unless `perBlockDamping` or `dampingHeuristic` say otherwise. */
  damping?: number;
  /** Parameter blocks (default: one block, all of θ). DataInf is layer-wise in Kwon et al. */
  blocks?: readonly Block[];
  /** λ_l per block (overrides `damping`). */
  perBlockDamping?: readonly number[];
  /** Kwon et al.'s choice λ_l = 0.1·(1/(N·d_l))·Σᵢ ‖∇θ_l ℓᵢ‖² (used where no λ is given). */
  dampingHeuristic?: boolean;
  /** An operator to report the true residual against (e.g. the empirical Fisher). */
  residualOperator?: LinearOperator;
  /** λ of the residual operator's solve. Default 0. */
  residualDamping?: number;
}

/**
 * The inverse harmonic mean (DataInf: Kwon, Wu, Wu & Zou 2023, "DataInf: Efficiently estimating
 * data influence in LoRA-tuned LLMs and diffusion models", ICLR 2024; 000_c68d44e0a80b1161.txt):
 * per block l, the inverse of G_l = (1/N)·Σᵢ gᵢgᵢᵀ + λ_l·I is replaced by the mean of the rank-one
 * inverses, each in closed form by Sherman–Morrison:
 *
 *   R_l = (1/N)·Σᵢ (gᵢgᵢᵀ + λ_l·I)⁻¹ = (1/(N·λ_l))·Σᵢ (I − gᵢgᵢᵀ/(λ_l + ‖gᵢ‖²)),
 *
 * (checked against 000_…: n⁻¹Σ λ_l⁻¹(I − ggᵀ/(λ_l + ‖g‖²))), applied as two matrix products:
 * R_l·v = (v − G_lᵀ·w/N)/λ_l with wᵢ = (G_l·v)ᵢ/(λ_l + ‖gᵢ‖²). It is exact for N = 1 and in
 * general an approximation whose error grows with ‖gᵢ‖²/λ_l (Kwon et al., Theorem 1).
 * `gradients` is the [N, P] per-sample gradient matrix (perSampleGradientMatrix); every λ_l must
 * be > 0.
 */
export function fitDataInf(gradients: Tensor, options: DataInfOptions = {}): FittedSolver {
  if (gradients.rank !== 2) throw new ShapeError(`datainf: gradients must be [N, P], got [${gradients.shape.join(', ')}]`);
  if (gradients.dtype === 'int32') throw new InputError('datainf: gradients must be float32 or float64');
  const [n, p] = gradients.shape as [number, number];
  if (n === 0) throw new InputError('datainf: no per-sample gradients');
  const blocks = options.blocks ?? [{ offset: 0, size: p }];
  checkBlocks(blocks, p, 'datainf');
  const dtype = gradients.dtype as FloatDType;
  const state = tidy(() => blocks.map((blk, l) => {
    const g = slice(gradients, [0, blk.offset], [n, blk.size]);
    const sq = Float64Array.from(sum(mul(g, g), 1).dataSync());
    let lambda = options.perBlockDamping?.[l] ?? options.damping;
    if (lambda === undefined && options.dampingHeuristic) lambda = 0.1 * sq.reduce((a, b) => a + b, 0) / (n * blk.size);
    if (lambda === undefined || !(lambda > 0) || !Number.isFinite(lambda)) {
      throw new InputError(`datainf: block ${l} needs damping λ > 0 (Sherman–Morrison divides by λ), got ${lambda}; pass damping, perBlockDamping or dampingHeuristic`);
    }
    const lam = lambda;
    const inv = tensor(Float64Array.from(sq, (s) => 1 / (lam + s)), [n, 1], dtype);
    return { g: keep(g === gradients ? add(g, 0) : g), inv: keep(inv), lambda: lam, offset: blk.offset, size: blk.size };
  }));
  if (options.perBlockDamping && options.perBlockDamping.length !== blocks.length) {
    state.forEach((s) => { s.g.dispose(); s.inv.dispose(); });
    throw new InputError(`datainf: perBlockDamping has ${options.perBlockDamping.length} entries for ${blocks.length} blocks`);
  }
  return dataInfSolver(state, n, p, dtype, options);
}

interface DataInfBlock { g: Tensor; inv: Tensor; lambda: number; offset: number; size: number }

/** DataInf rebuilt from its saved state (fitDataInf(…).state()); takes ownership of the tensors. */
export function restoreDataInf(state: SolverState, options: Pick<DataInfOptions, 'residualOperator' | 'residualDamping'> = {}): FittedSolver {
  const info = state.info as { samples?: unknown; size?: unknown; dtype?: unknown; blocks?: unknown };
  const blocks = Array.isArray(info.blocks) ? info.blocks as { lambda: number; offset: number; size: number }[] : null;
  if (!blocks || typeof info.samples !== 'number' || typeof info.size !== 'number' || (info.dtype !== 'float32' && info.dtype !== 'float64')) {
    throw new InputError('datainf: the saved state lacks its blocks, sample count, size or dtype');
  }
  const n = info.samples;
  const state2 = blocks.map((b, l) => {
    const g = state.tensors[`g.${l}`], inv = state.tensors[`inv.${l}`];
    if (!g || !inv || g.rank !== 2 || g.shape[0] !== n || g.shape[1] !== b.size || inv.shape[0] !== n) {
      throw new InputError(`datainf: the saved state's block ${l} tensors are missing or misshapen`);
    }
    return { g, inv, lambda: b.lambda, offset: b.offset, size: b.size };
  });
  return dataInfSolver(state2, n, info.size, info.dtype, options);
}

function dataInfSolver(state: DataInfBlock[], n: number, p: number, dtype: FloatDType, options: Pick<DataInfOptions, 'residualOperator' | 'residualDamping'>): FittedSolver {
  const sizeOp = { size: p, dtype, symmetric: true, matvec: (v: Tensor) => v } as LinearOperator;
  return {
    method: 'datainf',
    solve(b: Tensor): SolveResult {
      const bb = rhsBlock(sizeOp, b, 'datainf');
      const x = tidy(() => concat(state.map((s) => {
        const bl = slice(bb, [s.offset, 0], [s.size, bb.shape[1]!]);
        const w = mul(matmul(s.g, bl), s.inv);
        return mul(add(bl, mul(matmul(s.g, w, { transA: true }), -1 / n)), 1 / s.lambda);
      }), 0));
      const r = options.residualOperator;
      return {
        x: restoreShape(x, b), method: 'datainf', iterations: 0, converged: true,
        residualNorm: r ? trueResidual(r, options.residualDamping ?? 0, bb, x) : NaN,
        info: { blocks: state.length, damping: state.map((s) => s.lambda), samples: n },
      };
    },
    state(): SolverState {
      const tensors: Record<string, Tensor> = {};
      state.forEach((s, l) => { tensors[`g.${l}`] = s.g; tensors[`inv.${l}`] = s.inv; });
      return { tensors, info: { samples: n, size: p, dtype, blocks: state.map((s) => ({ lambda: s.lambda, offset: s.offset, size: s.size })) } };
    },
    dispose() { state.forEach((s) => { s.g.dispose(); s.inv.dispose(); }); },
  };
}

/** One-shot DataInf solve. */
export function dataInf(gradients: Tensor, b: Tensor, options: DataInfOptions = {}): SolveResult {
  const s = fitDataInf(gradients, options);
  try { return s.solve(b); } finally { s.dispose(); }
}

