import { InputError, NotPositiveDefiniteError } from '../errors.js';
import { addToDiagonal, cholesky, choleskySolve, diagonal, eigh } from '../linalg/dense.js';
import { keep, matmul, mul, reshape, tensor, tidy } from '../tensor/index.js';
import type { Tensor } from '../tensor/tensor.js';
import { checkVector, toDense, type LinearOperator } from '../operators/linear-operator.js';
import { residualNorm } from './residual.js';
import type { FittedSolver, SolverState, SolveResult } from './types.js';

export interface DirectOptions {
  /** Added to the diagonal before factoring (λ of H + λI). */
  damping?: number;
}

/**
 * Factors the dense matrix of `op` once: Cholesky when it is positive definite, otherwise the
 * symmetric eigendecomposition A = V·diag(w)·Vᵀ with x = V·diag(1/w)·Vᵀ·b (indefinite but
 * non-singular). `info.factorization` says which; a singular matrix is an error.
 */
export function fitDirect(op: LinearOperator, options: DirectOptions = {}): FittedSolver {
  const damping = options.damping ?? 0;
  if (!Number.isFinite(damping)) throw new InputError(`direct: damping must be finite, got ${damping}`);
  if (!op.symmetric) throw new InputError('direct: the operator must be symmetric');
  const a = tidy(() => {
    const m = toDense(op);
    return damping === 0 ? m : addToDiagonal(m, damping);
  });
  let factor: DirectFactor;
  try {
    factor = { kind: 'cholesky', l: keep(choleskyOfNonsingular(a)) };
  } catch (err) {
    if (!(err instanceof NotPositiveDefiniteError)) throw err;
    const { values, vectors } = eigh(a);
    const w = values.dataSync();
    let maxAbs = 0, minAbs = Infinity;
    for (const v of w) { maxAbs = Math.max(maxAbs, Math.abs(v)); minAbs = Math.min(minAbs, Math.abs(v)); }
    const eps = a.dtype === 'float64' ? 2.2e-16 : 1.2e-7;
    if (minAbs <= op.size * eps * maxAbs) {
      throw new NotPositiveDefiniteError(
        `direct: matrix is singular to working precision (smallest |eigenvalue| ${minAbs}, largest ${maxAbs}); add damping`, err.index, minAbs);
    }
    const inv = tensor(Float64Array.from(w, (v) => 1 / v), [op.size], a.dtype);
    factor = { kind: 'eigh', values: keep(values), vectors: keep(vectors), inv: keep(inv), minAbs };
  }
  return directSolver(op, keep(a), factor);
}

/**
 * The Cholesky factor, refusing a pivot that is zero to working precision (L_ii² ≤ 10·n·ε·max A_jj:
 * the pivots of an exactly singular 4×4 come out at ±30ε·‖A‖) as well as a negative one: whether
 * round-off leaves a singular matrix's last pivot at +6e-15 or −6e-15 depends on the backend's
 * blocking, and the answer must not. The eigendecomposition path then tells singular from
 * indefinite; a positive definite matrix with κ > 1/(10·n·ε) is solved there too.
 */
function choleskyOfNonsingular(a: Tensor): Tensor {
  const l = cholesky(a);
  // The diagonals only: reading whole matrices to the host would copy n² values twice.
  const n = a.shape[0]!, ad = tidy(() => diagonal(a).dataSync()), ld = tidy(() => diagonal(l).dataSync());
  let maxDiag = 0;
  for (let i = 0; i < n; i++) maxDiag = Math.max(maxDiag, Math.abs(ad[i]!));
  const eps = a.dtype === 'float64' ? 2.2e-16 : 1.2e-7;
  for (let i = 0; i < n; i++) {
    const pivot = ld[i]! ** 2;
    if (pivot <= 10 * n * eps * maxDiag) {
      l.dispose();
      throw new NotPositiveDefiniteError(`cholesky: pivot ${i} of ${n} is ${pivot}, zero to working precision`, i, pivot);
    }
  }
  return l;
}

type DirectFactor = { kind: 'cholesky'; l: Tensor } | { kind: 'eigh'; values: Tensor; inv: Tensor; vectors: Tensor; minAbs: number };

/** The direct solver from its factor (owned: freed by dispose) and the damped matrix (for residuals). */
function directSolver(op: LinearOperator, matrix: Tensor, factor: DirectFactor): FittedSolver {
  const kind = factor.kind;
  const w = factor.kind === 'eigh' ? factor.values.dataSync() : null;
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
        residualNorm: residualNorm((v) => matmul(matrix, v), b, x),
        info: { factorization: kind, ...(w ? { minEigenvalue: w[0], maxEigenvalue: w[w.length - 1] } : {}) },
      };
    },
    state(): SolverState {
      return factor.kind === 'cholesky'
        ? { tensors: { matrix, l: factor.l }, info: { factorization: 'cholesky' } }
        : { tensors: { matrix, values: factor.values, vectors: factor.vectors, inv: factor.inv }, info: { factorization: 'eigh', minAbs: factor.minAbs } };
    },
    dispose() {
      matrix.dispose();
      if (factor.kind === 'cholesky') factor.l.dispose();
      else { factor.values.dispose(); factor.vectors.dispose(); factor.inv.dispose(); }
    },
  };
}

/** A direct solver rebuilt from its saved state (fitDirect(…).state()); takes ownership of the tensors. */
export function restoreDirect(op: LinearOperator, state: SolverState): FittedSolver {
  const t = state.tensors;
  const need = (name: string): Tensor => {
    const v = t[name];
    if (!v) throw new InputError(`direct: the saved state has no tensor '${name}'`);
    if (name === 'matrix' && (v.rank !== 2 || v.shape[0] !== op.size || v.shape[1] !== op.size)) {
      throw new InputError(`direct: the saved matrix is [${v.shape.join(', ')}], the operator has size ${op.size}`);
    }
    return v;
  };
  const matrix = need('matrix');
  if (state.info['factorization'] === 'cholesky') return directSolver(op, matrix, { kind: 'cholesky', l: need('l') });
  if (state.info['factorization'] === 'eigh') {
    return directSolver(op, matrix, { kind: 'eigh', values: need('values'), vectors: need('vectors'), inv: need('inv'), minAbs: Number(state.info['minAbs']) });
  }
  throw new InputError(`direct: unknown saved factorization ${JSON.stringify(state.info['factorization'])}`);
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

