import { InputError, NotPositiveDefiniteError } from '../errors.js';
import { add, concat, mul, reshape, slice, sub, tidy, zerosLike } from '../tensor/index.js';
import type { Tensor } from '../tensor/tensor.js';
import { checkVector, type LinearOperator } from '../operators/linear-operator.js';
import type { FittedSolver, SolveResult } from './types.js';
import { dotValue } from './vector-ops.js';

export interface CgOptions {
  /** Stop when ‖r‖ ≤ max(rtol·‖b‖, atol). Defaults: rtol 1e-6, atol 0. */
  rtol?: number;
  atol?: number;
  /** Default 10·n. */
  maxIter?: number;
  /** z = M⁻¹·r, an approximation of A⁻¹ (symmetric positive definite). */
  preconditioner?: (r: Tensor) => Tensor;
  /** Initial guess (default 0). */
  x0?: Tensor;
  /** Damping λ: solves (A + λI)·x = b. */
  damping?: number;
  /** Keep ‖r_k‖ per iteration in the result. Default true. */
  history?: boolean;
}

function check(options: CgOptions): { rtol: number; atol: number } {
  const rtol = options.rtol ?? 1e-6, atol = options.atol ?? 0;
  if (!(rtol >= 0) || !(atol >= 0) || (rtol === 0 && atol === 0)) {
    throw new InputError(`cg: rtol and atol must be ≥ 0 and not both 0, got rtol ${rtol}, atol ${atol}`);
  }
  if (options.maxIter !== undefined && !(Number.isInteger(options.maxIter) && options.maxIter >= 0)) {
    throw new InputError(`cg: maxIter must be a non-negative integer, got ${options.maxIter}`);
  }
  return { rtol, atol };
}

/**
 * Preconditioned conjugate gradients for a symmetric positive-definite A (Hestenes & Stiefel 1952;
 * Saad, Iterative Methods for Sparse Linear Systems, 2nd ed., Alg. 9.1). If a search direction
 * shows pᵀAp ≤ 0 the operator is not positive definite and CG's iterates are meaningless, so it
 * throws NotPositiveDefiniteError with the iteration and the Rayleigh quotient pᵀAp/pᵀp instead.
 * Non-convergence within maxIter is reported by `converged: false`, not thrown.
 */
export function cg(op: LinearOperator, b: Tensor, options: CgOptions = {}): SolveResult {
  checkVector(op, b, 'cg');
  if (b.rank === 2) return solveColumns(op, b, options);
  const { rtol, atol } = check(options);
  const maxIter = options.maxIter ?? 10 * op.size;
  const damping = options.damping ?? 0;
  const apply = (v: Tensor): Tensor => (damping === 0 ? op.matvec(v) : add(op.matvec(v), mul(v, damping)));
  const precond = options.preconditioner;
  return tidy(() => {
    const bnorm = Math.sqrt(dotValue(b, b));
    if (!Number.isFinite(bnorm)) throw new InputError('cg: the right-hand side contains NaN or Inf');
    const tol = Math.max(rtol * bnorm, atol);
    let x = options.x0 ? add(options.x0, 0) : zerosLike(b);
    let r = options.x0 ? sub(b, apply(x)) : add(b, 0);
    let z = precond ? precond(r) : r;
    let p = z;
    let rz = dotValue(r, z);
    let rnorm = Math.sqrt(dotValue(r, r));
    const history = [rnorm];
    let k = 0;
    for (; k < maxIter && rnorm > tol; k++) {
      if (!Number.isFinite(rnorm)) throw new InputError(`cg: residual became ${rnorm} at iteration ${k}; check the operator and b for NaN/Inf`);
      const next = tidy(() => {
        const ap = apply(p);
        const pap = dotValue(p, ap);
        if (!(pap > 0)) {
          const pp = dotValue(p, p);
          throw new NotPositiveDefiniteError(
            `cg: non-positive curvature pᵀAp = ${pap} (pᵀAp/pᵀp = ${pap / pp}) at iteration ${k}: the operator is not positive definite; add damping or use a solver for indefinite systems`,
            k, pap / pp);
        }
        const alpha = rz / pap;
        const x1 = add(x, mul(p, alpha));
        const r1 = sub(r, mul(ap, alpha));
        const z1 = precond ? precond(r1) : r1;
        const rz1 = dotValue(r1, z1);
        const p1 = add(z1, mul(p, rz1 / rz));
        return { x1, r1, z1, p1, rz1, rn: Math.sqrt(dotValue(r1, r1)) };
      });
      // Free the previous iterates now: the enclosing tidy would otherwise hold every iterate.
      const previous = new Set([x, r, z, p]);
      x = next.x1; r = next.r1; z = next.z1; p = next.p1; rz = next.rz1; rnorm = next.rn;
      for (const t of [x, r, z, p]) previous.delete(t);
      for (const t of previous) if (t !== b) t.dispose();
      if (options.history !== false) history.push(rnorm);
    }
    void z;
    return {
      x, method: 'cg', iterations: k, residualNorm: rnorm, converged: rnorm <= tol,
      ...(options.history !== false ? { history } : {}), info: { tolerance: tol, bNorm: bnorm },
    };
  });
}

/** Column by column for a block right-hand side [n, k]. */
function solveColumns(op: LinearOperator, b: Tensor, options: CgOptions): SolveResult {
  const k = b.shape[1]!;
  const results: SolveResult[] = [];
  const x = tidy(() => {
    const cols: Tensor[] = [];
    for (let j = 0; j < k; j++) {
      const bj = reshape(slice(b, [0, j], [op.size, 1]), [op.size]);
      const x0 = options.x0 ? reshape(slice(options.x0, [0, j], [op.size, 1]), [op.size]) : undefined;
      const r = cg(op, bj, { ...options, ...(x0 ? { x0 } : {}) });
      results.push(r);
      cols.push(reshape(r.x, [op.size, 1]));
    }
    return concat(cols, 1);
  });
  return {
    x, method: 'cg', iterations: Math.max(...results.map((r) => r.iterations)),
    residualNorm: Math.max(...results.map((r) => r.residualNorm)), converged: results.every((r) => r.converged),
    info: { perColumn: results.map((r) => ({ iterations: r.iterations, residualNorm: r.residualNorm, converged: r.converged })) },
  };
}

/** CG as a fitted solver (nothing to factor; options fixed once). */
export function fitCg(op: LinearOperator, options: CgOptions = {}): FittedSolver {
  check(options);
  return { method: 'cg', solve: (b) => cg(op, b, options), dispose: () => {} };
}

