import { NotPositiveDefiniteError } from '../errors.js';
import { add, keep, matmul, mul, tensor, tidy } from '../tensor/index.js';
import type { Tensor } from '../tensor/tensor.js';
import type { LinearOperator } from '../operators/linear-operator.js';
import { checkInteger, checkNonNegative, epsilonOf, restoreShape, rhsBlock, splitShift, trueResidual } from './common.js';
import { lanczos, type LanczosWhich } from '../linalg/lanczos.js';
import type { FittedSolver, SolverState, SolveResult } from './types.js';
import { InputError } from '../errors.js';

/**
 * The solve x = V·diag(c)·Vᵀ·b + b/λ shared by the low-rank methods, with c = 1/(d + λ) − 1/λ:
 * the exact inverse of V·diag(d)·Vᵀ + λI for orthonormal V (Woodbury). λ = 0 drops the complement
 * term and keeps only the pairs with d ≠ 0 (the pseudo-inverse of V·diag(d)·Vᵀ).
 */
export interface LowRankFactors {
  method: string;
  /** [n, r], orthonormal columns. */
  V: Tensor;
  /** The eigenvalues d of the approximated (undamped) operator. */
  d: Float64Array;
  /** λ: damping plus the operator's declared shift. */
  lambda: number;
}

export function lowRankSolver(op: LinearOperator, factors: LowRankFactors, damping: number, computeResidual: boolean, info: Record<string, unknown>): FittedSolver {
  const { V, d, lambda, method } = factors;
  const r = d.length;
  let maxAbs = 0;
  for (const v of d) maxAbs = Math.max(maxAbs, Math.abs(v));
  const eps = epsilonOf(op.dtype) * op.size;
  const coeff = new Float64Array(r);
  const dropped: number[] = [];
  for (let i = 0; i < r; i++) {
    const s = d[i]! + lambda;
    if (lambda === 0) {
      if (Math.abs(s) <= eps * maxAbs) { coeff[i] = 0; dropped.push(i); } else coeff[i] = 1 / s;
    } else {
      if (Math.abs(s) <= eps * Math.max(maxAbs, lambda)) {
        throw new NotPositiveDefiniteError(
          `${method}: eigenvalue ${d[i]} + λ = ${s} makes the approximation singular; change the damping`, i, s);
      }
      coeff[i] = 1 / s - 1 / lambda;
    }
  }
  const c = keep(tensor(coeff, [r, 1], op.dtype));
  const vk = keep(V);
  let dT: Tensor | undefined;
  return {
    method,
    solve(b: Tensor): SolveResult {
      const bb = rhsBlock(op, b, method);
      const x = tidy(() => {
        const proj = matmul(vk, mul(matmul(vk, bb, { transA: true }), c));
        return lambda === 0 ? proj : add(proj, mul(bb, 1 / lambda));
      });
      return {
        x: restoreShape(x, b), method, iterations: 0, converged: true,
        residualNorm: computeResidual ? trueResidual(op, damping, bb, x) : NaN,
        info: {
          ...info, rank: r, lambda, capturedEigenvalueSum: d.reduce((a, b) => a + b, 0), complement: lambda === 0 ? 'dropped (λ = 0)' : '(1/λ)(I − VVᵀ)b',
          ...(dropped.length ? { droppedZeroEigenvalues: dropped.length } : {}),
          ...(computeResidual ? {} : { residual: 'not computed (computeResidual: true costs one product per column)' }),
        },
      };
    },
    state(): SolverState {
      return { tensors: { V: vk, d: dT ??= keep(tensor(Float64Array.from(d), [r], 'float64')) }, info: { method, lambda, damping, computeResidual, info } };
    },
    dispose() { c.dispose(); vk.dispose(); dT?.dispose(); },
  };
}

/** arnoldi's or nystrom's solver rebuilt from its saved state (lowRankSolver(…).state()); takes ownership of the tensors. */
export function restoreLowRank(op: LinearOperator, state: SolverState): FittedSolver {
  const { V, d } = state.tensors;
  const i = state.info;
  if (!V || !d || V.rank !== 2 || V.shape[0] !== op.size || d.rank !== 1 || d.shape[0] !== V.shape[1]) {
    throw new InputError(`low-rank solver: the saved state needs V [${op.size}, r] and d [r], got ${V ? `[${V.shape.join(', ')}]` : 'no V'} and ${d ? `[${d.shape.join(', ')}]` : 'no d'}`);
  }
  const dv = Float64Array.from(d.dataSync());
  d.dispose();
  return lowRankSolver(op, { method: String(i['method']), V, d: dv, lambda: Number(i['lambda']) }, Number(i['damping']), i['computeResidual'] === true,
    (i['info'] ?? {}) as Record<string, unknown>);
}

export interface ArnoldiOptions {
  /** k, the number of eigenpairs. Default min(10, n). */
  rank?: number;
  /** λ: approximates (A + λI)⁻¹. Default 0. */
  damping?: number;
  /** Which eigenpairs: largest |λ| (default, as pyDVL's eigsh(which='LM')), or 'largest' algebraically. */
  which?: LanczosWhich;
  /** Lanczos tolerance on the Ritz residuals (src/linalg/lanczos.ts; default √u of the dtype). */
  tol?: number;
  /** Most operator products of the Lanczos iteration (thick restarts included). */
  maxIter?: number;
  /** Largest Krylov basis before a thick restart (default min(n, max(2k + 1, 20))). */
  maxBasis?: number;
  seed?: number;
  /** Report ‖b − (A + λI)·x‖ (one product per column). Default false (NaN). */
  computeResidual?: boolean;
}

/**
 * The Arnoldi/Lanczos low-rank inverse (pyDVL's "Arnoldi", 000_c68d44e0a80b1161.txt; Schioppa et
 * al. 2022, "Scaling up influence functions", AAAI): the top-k eigenpairs (V, D) of A — by
 * magnitude — from thick-restart Lanczos (src/linalg/lanczos.ts; the symmetric case of Arnoldi), then
 *
 *   x ≈ V·(D + λI)⁻¹·Vᵀ·b + (1/λ)·(I − V·Vᵀ)·b,
 *
 * the exact inverse of the rank-k approximation V·D·Vᵀ plus λI, so the damped complement keeps
 * the directions the sketch misses (as the exact inverse treats eigenvalues ≪ λ). With λ = 0 the
 * complement term is dropped — x = V·D⁻¹·Vᵀ·b, pyDVL's formula — which is only right when b lies in
 * the span of V. When the operator declares a shift (base + s·I: curvature operators with weight
 * decay/damping, see ShiftedOperator) the eigenpairs are those of `base` and λ = s + damping, so
 * the shift is exact in the complement too. Indefinite A is fine (D + λ may be negative) unless
 * some dᵢ + λ ≈ 0 (NotPositiveDefiniteError: the approximation is singular). rank > n: ShapeError.
 */
export function fitArnoldi(op: LinearOperator, options: ArnoldiOptions = {}): FittedSolver {
  const damping = options.damping ?? 0;
  checkNonNegative('arnoldi', 'damping', damping);
  const rank = options.rank ?? Math.min(10, op.size);
  checkInteger('arnoldi', 'rank', rank);
  const { base, shift } = splitShift(op);
  const eig = lanczos(base, rank, {
    which: options.which ?? 'magnitude', seed: options.seed ?? 0,
    ...(options.tol !== undefined ? { tol: options.tol } : {}),
    ...(options.maxIter !== undefined ? { maxIter: options.maxIter } : {}),
    ...(options.maxBasis !== undefined ? { maxBasis: options.maxBasis } : {}),
  });
  try {
    return lowRankSolver(op, { method: 'arnoldi', V: eig.vectors, d: eig.values, lambda: shift + damping }, damping, options.computeResidual ?? false, {
      eigenvalues: Array.from(eig.values), lanczosIterations: eig.iterations, lanczosRestarts: eig.restarts,
      lanczosConverged: eig.converged, maxRitzResidual: Math.max(...eig.residuals), shift,
    });
  } catch (err) {
    eig.vectors.dispose();
    throw err;
  }
}

/** One-shot Arnoldi low-rank solve (named so as not to clash with the eigensolver `arnoldi` of src/linalg/lanczos.ts). */
export function arnoldiSolve(op: LinearOperator, b: Tensor, options: ArnoldiOptions = {}): SolveResult {
  const s = fitArnoldi(op, options);
  try { return s.solve(b); } finally { s.dispose(); }
}
