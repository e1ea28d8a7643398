import { InputError, NotPositiveDefiniteError } from '../errors.js';
import { addToDiagonalInPlace, choleskyInPlace, choleskySolve, diagonal, eigh } from '../linalg/dense.js';
import { keep, matmul, mul, reshape, tensor, tidy } from '../tensor/index.js';
import type { Tensor } from '../tensor/tensor.js';
import { applyToColumns, checkVector, plusShift, toDense, type LinearOperator } from '../operators/linear-operator.js';
import { residualNorm } from './residual.js';
import type { FittedSolver, SolverState, SolveResult } from './types.js';

export interface DirectOptions {
  /** Added to the diagonal before factoring (λ of H + λI). */
  damping?: number;
}

/**
 * Factors the dense matrix of `op` (+ damping·I) once: Cholesky when it is positive definite,
 * otherwise the symmetric eigendecomposition A = V·diag(w)·Vᵀ with x = V·diag(1/w)·Vᵀ·b (indefinite
 * but non-singular). `info.factorization` says which; a singular matrix is an error.
 *
 * The Cholesky factor is made in place in the matrix's own storage and the matrix is not kept:
 * solves need only L, and residuals come from the operator (‖(A + λI)·x − b‖, as every solver
 * reports them). So a fit holds one n×n array, not the matrix, its copy and the factor (for
 * mlp-small's 12,730 parameters 1.3 GB instead of 3.9, and no fresh 1.3 GB to fault in; damping is
 * added in place too). Where Cholesky fails the matrix is built again for the eigendecomposition.
 */
export function fitDirect(op: LinearOperator, options: DirectOptions = {}): FittedSolver {
  const damping = options.damping ?? 0;
  if (!Number.isFinite(damping)) throw new InputError(`direct: damping must be finite, got ${damping}`);
  if (!op.symmetric) throw new InputError('direct: the operator must be symmetric');
  const denseMatrix = (): Tensor => {
    const m = toDense(op);
    return damping === 0 ? m : addToDiagonalInPlace(m, damping);
  };
  const a = denseMatrix();
  let factor: DirectFactor;
  try {
    factor = { kind: 'cholesky', l: keep(choleskyOfNonsingular(a)) };
  } catch (err) {
    a.dispose();
    if (!(err instanceof NotPositiveDefiniteError)) throw err;
    const m = denseMatrix();
    try {
      factor = eighFactor(m, op.size, err);
    } finally {
      m.dispose();
    }
  }
  return directSolver(op, damping, factor);
}

/** The eigendecomposition path: refuses a matrix singular to working precision. */
function eighFactor(a: Tensor, n: number, cause: NotPositiveDefiniteError): DirectFactor {
  const { values, vectors } = eigh(a);
  const w = values.dataSync();
  let maxAbs = 0, minAbs = Infinity;
  for (const v of w) { maxAbs = Math.max(maxAbs, Math.abs(v)); minAbs = Math.min(minAbs, Math.abs(v)); }
  const eps = a.dtype === 'float64' ? 2.2e-16 : 1.2e-7;
  if (minAbs <= n * eps * maxAbs) {
    values.dispose();
    vectors.dispose();
    throw new NotPositiveDefiniteError(
      `direct: matrix is singular to working precision (smallest |eigenvalue| ${minAbs}, largest ${maxAbs}); add damping`, cause.index, minAbs);
  }
  const inv = tensor(Float64Array.from(w, (v) => 1 / v), [n], a.dtype);
  return { kind: 'eigh', values: keep(values), vectors: keep(vectors), inv: keep(inv), minAbs };
}

/**
 * The Cholesky factor of `a`, made in a's storage, refusing a pivot that is zero to working
 * precision (L_ii² ≤ 10·n·ε·max A_jj: the pivots of an exactly singular 4×4 come out at ±30ε·‖A‖)
 * as well as a negative one: whether round-off leaves a singular matrix's last pivot at +6e-15 or
 * −6e-15 depends on the backend's blocking, and the answer must not. The eigendecomposition path
 * then tells singular from indefinite; a positive definite matrix with κ > 1/(10·n·ε) is solved
 * there too. On any error a's contents are lost.
 */
function choleskyOfNonsingular(a: Tensor): Tensor {
  // The diagonals only: reading whole matrices to the host would copy n² values twice.
  const n = a.shape[0]!, ad = tidy(() => diagonal(a).dataSync());
  const l = choleskyInPlace(a);
  const ld = tidy(() => diagonal(l).dataSync());
  let maxDiag = 0;
  for (let i = 0; i < n; i++) maxDiag = Math.max(maxDiag, Math.abs(ad[i]!));
  const eps = a.dtype === 'float64' ? 2.2e-16 : 1.2e-7;
  for (let i = 0; i < n; i++) {
    const pivot = ld[i]! ** 2;
    if (pivot <= 10 * n * eps * maxDiag) {
      throw new NotPositiveDefiniteError(`cholesky: pivot ${i} of ${n} is ${pivot}, zero to working precision`, i, pivot);
    }
  }
  return l;
}

type DirectFactor = { kind: 'cholesky'; l: Tensor } | { kind: 'eigh'; values: Tensor; inv: Tensor; vectors: Tensor; minAbs: number };

/** The direct solver from its factor (owned: freed by dispose); residuals through the operator, shifted by damping. */
function directSolver(op: LinearOperator, damping: number, factor: DirectFactor): FittedSolver {
  const kind = factor.kind;
  const w = factor.kind === 'eigh' ? factor.values.dataSync() : null;
  const apply = (v: Tensor): Tensor => plusShift(v.rank === 1 ? op.matvec(v) : applyToColumns(op, v), v, damping);
  return {
    method: 'direct',
    solve(b: Tensor): SolveResult {
      checkVector(op, b, 'direct');
      const x = tidy(() => {
        if (factor.kind === 'cholesky') return choleskySolve(factor.l, b);
        const { vectors, inv } = factor;
        const coeff = matmul(vectors, b, { transA: true });
        const scaled = b.rank === 1 ? mul(coeff, inv) : mul(coeff, reshape(inv, [-1, 1]));
        return matmul(vectors, scaled);
      });
      return {
        x, method: 'direct', iterations: 0, converged: true,
        residualNorm: residualNorm(apply, b, x),
        info: { factorization: kind, ...(w ? { minEigenvalue: w[0], maxEigenvalue: w[w.length - 1] } : {}) },
      };
    },
    state(): SolverState {
      return factor.kind === 'cholesky'
        ? { tensors: { l: factor.l }, info: { factorization: 'cholesky', damping } }
        : { tensors: { values: factor.values, vectors: factor.vectors, inv: factor.inv }, info: { factorization: 'eigh', minAbs: factor.minAbs, damping } };
    },
    dispose() {
      if (factor.kind === 'cholesky') factor.l.dispose();
      else { factor.values.dispose(); factor.vectors.dispose(); factor.inv.dispose(); }
    },
  };
}

/**
 * A direct solver rebuilt from its saved state (fitDirect(…).state()); takes ownership of the
 * tensors. States saved before the matrix was dropped also hold it: it is freed, not needed.
 */
export function restoreDirect(op: LinearOperator, state: SolverState): FittedSolver {
  const t = state.tensors;
  const need = (name: string, shape: readonly number[]): Tensor => {
    const v = t[name];
    if (!v) throw new InputError(`direct: the saved state has no tensor '${name}'`);
    if (v.rank !== shape.length || v.shape.some((d, i) => d !== shape[i])) {
      throw new InputError(`direct: the saved '${name}' is [${v.shape.join(', ')}], the operator of size ${op.size} needs [${shape.join(', ')}]`);
    }
    return v;
  };
  const n = op.size;
  const damping = Number(state.info['damping'] ?? 0);
  if (!Number.isFinite(damping)) throw new InputError(`direct: the saved damping ${JSON.stringify(state.info['damping'])} is not a number`);
  let factor: DirectFactor;
  if (state.info['factorization'] === 'cholesky') factor = { kind: 'cholesky', l: need('l', [n, n]) };
  else if (state.info['factorization'] === 'eigh') {
    factor = { kind: 'eigh', values: need('values', [n]), vectors: need('vectors', [n, n]), inv: need('inv', [n]), minAbs: Number(state.info['minAbs']) };
  } else throw new InputError(`direct: unknown saved factorization ${JSON.stringify(state.info['factorization'])}`);
  t['matrix']?.dispose();
  return directSolver(op, damping, factor);
}

/** One-shot direct solve of (A + damping·I)·x = b. */
export function direct(op: LinearOperator, b: Tensor, options: DirectOptions = {}): SolveResult {
  const s = fitDirect(op, options);
  try {
    return s.solve(b);
  } finally {
    s.dispose();
  }
}

