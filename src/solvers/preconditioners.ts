import type { FloatDType } from '../backend/types.js';
import { InputError, NotPositiveDefiniteError, ShapeError } from '../errors.js';
import { add, div, keep, matmul, mul, reshape, tensor, tidy } from '../tensor/index.js';
import { Random } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';
import type { SolverState } from './types.js';
import { applyToColumns, type LinearOperator } from '../operators/linear-operator.js';
import { blockPreconditioner, checkNonNegative, epsilonOf, requireSymmetric, splitShift } from './common.js';
import { choleskyUpper, householderQr, matmulHost, solveUpperRight, symmetricEigen, symmetrize } from './small-dense.js';
import { diagonalEstimate } from '../estimators/spectral.js';

/**
 * Preconditioners for CG and block CG: functions r ↦ M⁻¹·r on [n] vectors and [n, k] blocks
 * (marked `acceptsBlocks`), holding their tensors until `dispose()`.
 */
export type Preconditioner = ((r: Tensor) => Tensor) & {
  readonly acceptsBlocks: true;
  readonly kind: 'jacobi' | 'nystrom' | 'kfac' | 'ekfac';
  /** Facts about the fit (rank, eigenvalue range, whether the diagonal was estimated, …). */
  readonly info: Record<string, unknown>;
  /** The fitted preconditioner as tensors (owned by it) + info, for restorePreconditioner. */
  state(): SolverState;
  dispose(): void;
};

/**
 * The Jacobi (diagonal) preconditioner M = diag(A) + λI, so M⁻¹·r = r / (d + λ) (Saad, Iterative
 * Methods for Sparse Linear Systems, §10.2). Every d_i + λ must be > 0: an entry ≤ 0 is a
 * NotPositiveDefiniteError naming it (a non-positive diagonal entry means A + λI is not positive
 * definite; for an estimated diagonal, more probes or more damping).
 */
export function jacobiPreconditioner(diagonal: Tensor, damping = 0): Preconditioner {
  if (diagonal.rank !== 1) throw new ShapeError(`jacobi preconditioner: expected a diagonal vector, got [${diagonal.shape.join(', ')}]`);
  if (diagonal.dtype === 'int32') throw new InputError('jacobi preconditioner: the diagonal must be float32 or float64');
  checkNonNegative('jacobi preconditioner', 'damping', damping);
  const d = diagonal.dataSync();
  for (let i = 0; i < d.length; i++) {
    const v = d[i]! + damping;
    if (!Number.isFinite(v)) throw new InputError(`jacobi preconditioner: diagonal entry ${i} is ${d[i]}`);
    if (!(v > 0)) {
      throw new NotPositiveDefiniteError(
        `jacobi preconditioner: diagonal + damping is ${v} at index ${i} (expected > 0); the operator is not positive definite there — add damping`, i, v);
    }
  }
  const n = diagonal.shape[0]!;
  const dl = keep(tidy(() => add(diagonal, damping)));
  const col = keep(reshape(dl, [n, 1]));
  const fn = blockPreconditioner((r: Tensor) => (r.rank === 1 ? div(r, dl) : div(r, col)));
  const info: Record<string, unknown> = { damping };
  return Object.assign(fn, {
    kind: 'jacobi' as const, info,
    state: (): SolverState => ({ tensors: { diagonal: dl }, info: { kind: 'jacobi', info } }),
    dispose: () => { dl.dispose(); col.dispose(); },
  });
}

/**
 * The Jacobi preconditioner of an operator: its exact diagonal when it has one, else Hutchinson's
 * estimate (Bekas et al. 2007). An estimate is noisy: entries whose true value is tiny (a pixel that
 * is always 0 has only the weight decay there) can come out negative. So for an estimate the
 * declared shift s of a base + s·I operator is added exactly, only the base's diagonal is estimated,
 * and estimated base entries are floored at 0 — any positive M is a valid preconditioner; how many
 * entries were raised is reported in `info.clamped`. An exact diagonal is never altered.
 */
export function jacobiPreconditionerFor(op: LinearOperator, options: { damping?: number; probes?: number; seed?: number } = {}): Preconditioner {
  const { base, shift } = op.diagonal ? { base: op, shift: 0 } : splitShift(op);
  const est = diagonalEstimate(base, options);
  let clamped = 0;
  const diagonal = est.exact ? est.diagonal : tidy(() => {
    const d = est.diagonal.dataSync();
    const floored = Float64Array.from(d, (v) => (v > 0 ? v : (clamped++, 0)));
    return add(tensor(floored, [floored.length], est.diagonal.dtype), shift);
  });
  try {
    const p = jacobiPreconditioner(diagonal, options.damping ?? 0);
    Object.assign(p.info, est.exact ? { diagonal: 'exact' } : { diagonal: `hutchinson (${est.probes} probes)`, shift, clamped });
    return p;
  } finally {
    if (!est.exact) { est.diagonal.dispose(); diagonal.dispose(); }
  }
}

export interface NystromApproximation {
  /** Orthonormal eigenvector estimates, [n, r]. */
  U: Tensor;
  /** Eigenvalue estimates Λ̂, descending, ≥ 0. */
  lambdas: Float64Array;
  /** The stabilizing shift ν of Alg. 2.1. */
  shift: number;
  rank: number;
}

function spacing(x: number, dtype: FloatDType): number {
  if (!(x > 0)) return 0;
  return 2 ** (Math.floor(Math.log2(x)) - (dtype === 'float64' ? 52 : 23));
}

/**
 * Randomized Nyström approximation A ≈ Â = U·Λ̂·Uᵀ of a symmetric positive semi-definite operator
 * from r products (Frangella, Tropp & Udell 2023, "Randomized Nyström preconditioning", SIAM J.
 * Matrix Anal. Appl. 44(2), Alg. 2.1; Tropp et al. 2017 for the stabilizing shift):
 *
 *   Ω = qr(randn(n, r)),  Y = A·Ω,  ν = √n·eps(‖Y‖),  Y_ν = Y + ν·Ω,
 *   C = chol(Ωᵀ·Y_ν),  B = Y_ν·C⁻¹ = U·Σ·Vᵀ,  Λ̂ = max(0, Σ² − ν·I)
 *
 * (entries at round-off level, ≤ max(ν, r·ε·σ²_max), set to exactly 0).
 *
 * The SVD of B is taken as B = Q·F (Householder QR of Y_ν, F = R·C⁻¹) and the eigendecomposition
 * of F·Fᵀ, so U = Q·W is orthonormal to working precision even when A has rank < r. When A is not
 * positive semi-definite ΩᵀY_ν may fail Cholesky: NotPositiveDefiniteError. rank > n: ShapeError.
 */
export function nystromApproximation(op: LinearOperator, rank: number, seed = 0, powerIterations = 0): NystromApproximation {
  const n = op.size, dtype = op.dtype;
  if (!Number.isInteger(rank) || rank < 1) throw new InputError(`nystrom: rank must be an integer ≥ 1, got ${rank}`);
  if (rank > n) throw new ShapeError(`nystrom: rank ${rank} exceeds the operator size ${n}`);
  if (!Number.isInteger(powerIterations) || powerIterations < 0) throw new InputError(`nystrom: powerIterations must be an integer ≥ 0, got ${powerIterations}`);
  requireSymmetric(op, 'nystrom');
  const rng = new Random(seed);
  let omegaHost = householderQr(Float64Array.from({ length: n * rank }, () => rng.normal()), n, rank).q;
  // Power iterations Ω ← orth(A·Ω) (Halko, Martinsson & Tropp 2011, Alg. 4.4; for Nyström, Gittens &
  // Mahoney 2016, "Revisiting the Nyström method", §3): any test matrix gives a valid Nyström
  // approximation, and one aligned with the top eigenspace gives a far better one when the
  // spectrum decays slowly — at the price of r more products per iteration.
  for (let it = 0; it < powerIterations; it++) {
    const y = tidy(() => Float64Array.from(applyToColumns(op, tensor(omegaHost, [n, rank], dtype)).dataSync()));
    if (!y.every(Number.isFinite)) throw new InputError('nystrom: the operator produced NaN or Inf');
    omegaHost = householderQr(y, n, rank).q;
  }
  return tidy(() => {
    const omega = tensor(omegaHost, [n, rank], dtype);
    const yHost = Float64Array.from(applyToColumns(op, omega).dataSync());
    let fro = 0;
    for (const v of yHost) fro += v * v;
    fro = Math.sqrt(fro);
    if (!Number.isFinite(fro)) throw new InputError('nystrom: the operator produced NaN or Inf');
    const nu = Math.sqrt(n) * spacing(fro, dtype);
    for (let i = 0; i < yHost.length; i++) yHost[i]! += nu * omegaHost[i]!;
    // ΩᵀY_ν (r×r), symmetrized.
    const oty = new Float64Array(rank * rank);
    for (let p = 0; p < n; p++) {
      for (let i = 0; i < rank; i++) {
        const o = omegaHost[p * rank + i]!;
        if (o === 0) continue;
        for (let j = 0; j < rank; j++) oty[i * rank + j]! += o * yHost[p * rank + j]!;
      }
    }
    symmetrize(oty, rank);
    const chol = choleskyUpper(oty, rank);
    if (chol.c === null) {
      throw new NotPositiveDefiniteError(
        `nystrom: ΩᵀAΩ is not positive definite (pivot ${chol.pivot} is ${chol.value}): the Nyström approximation needs a positive semi-definite operator`,
        chol.pivot, chol.value);
    }
    const { q, r } = householderQr(yHost, n, rank);
    const f = solveUpperRight(r, chol.c, rank, rank);
    const ffT = new Float64Array(rank * rank);
    for (let i = 0; i < rank; i++) {
      for (let j = 0; j <= i; j++) {
        let s = 0;
        for (let l = 0; l < rank; l++) s += f[i * rank + l]! * f[j * rank + l]!;
        ffT[i * rank + j] = s;
        ffT[j * rank + i] = s;
      }
    }
    const { values, vectors } = symmetricEigen(ffT, rank);
    // Descending order. Σ² carries round-off of about r·ε·σ²_max: values below that (or below ν) are
    // numerically zero and set to 0, so a rank-deficient A gives exact zeros.
    const w = new Float64Array(rank * rank);
    const lambdas = new Float64Array(rank);
    const zero = Math.max(nu, rank * epsilonOf(dtype) * Math.max(values[rank - 1]!, 0));
    for (let j = 0; j < rank; j++) {
      const src = rank - 1 - j;
      const l = values[src]! - nu;
      lambdas[j] = l > zero ? l : 0;
      for (let i = 0; i < rank; i++) w[i * rank + j] = vectors[i * rank + src]!;
    }
    const U = tensor(matmulHost(q, w, n, rank, rank), [n, rank], dtype);
    return { U, lambdas, shift: nu, rank };
  });
}

/**
 * The Nyström preconditioner for (A + μI)·x = b (Frangella, Tropp & Udell 2023, eq. 1.3):
 *
 *   P⁻¹ = (λ̂_r + μ)·U·(Λ̂ + μI)⁻¹·Uᵀ + (I − U·Uᵀ),
 *
 * from a rank-r Nyström approximation U·Λ̂·Uᵀ of A (λ̂_r its smallest eigenvalue). It maps the r
 * top eigen-directions to the level λ̂_r + μ, so the preconditioned system's condition number is
 * about (λ̂_r + μ + λ_{r+1})/μ. Needs λ̂_r + μ > 0.
 */
export function nystromPreconditioner(op: LinearOperator, rank: number, options: { seed?: number; damping?: number } = {}): Preconditioner {
  const mu = options.damping ?? 0;
  checkNonNegative('nystrom preconditioner', 'damping', mu);
  const approx = nystromApproximation(op, rank, options.seed ?? 0);
  const lr = approx.lambdas[approx.rank - 1]!;
  if (!(lr + mu > 0)) {
    approx.U.dispose();
    throw new InputError(`nystrom preconditioner: λ̂_r + μ = ${lr + mu}: the operator has rank < ${rank} and damping is 0; use damping > 0 or a smaller rank`);
  }
  const r = approx.rank;
  const U = keep(approx.U);
  const coeff = keep(tensor(Float64Array.from(approx.lambdas, (l) => (lr + mu) / (l + mu) - 1), [r, 1], op.dtype));
  return nystromPreconditionerFrom(U, coeff, { rank: r, damping: mu, lambdaMax: approx.lambdas[0], lambdaRank: lr, shift: approx.shift });
}

/** The Nyström preconditioner from U [n, r] and its coefficients [r, 1] (owned: freed by dispose). */
function nystromPreconditionerFrom(U: Tensor, coeff: Tensor, info: Record<string, unknown>): Preconditioner {
  const r = coeff.shape[0]!;
  const coeffVec = keep(reshape(coeff, [r]));
  const fn = blockPreconditioner((v: Tensor) => tidy(() => {
    if (v.rank === 1) return add(v, matmul(U, mul(matmul(U, v, { transA: true }), coeffVec)));
    return add(v, matmul(U, mul(matmul(U, v, { transA: true }), coeff)));
  }));
  return Object.assign(fn, {
    kind: 'nystrom' as const,
    info,
    state: (): SolverState => ({ tensors: { U, coeff }, info: { kind: 'nystrom', info } }),
    dispose: () => { U.dispose(); coeff.dispose(); coeffVec.dispose(); },
  });
}

/** A preconditioner rebuilt from its saved state (Preconditioner.state()) for an operator of size n; takes ownership of the tensors. */
export function restorePreconditioner(state: SolverState, n: number): Preconditioner {
  const info = (state.info['info'] ?? {}) as Record<string, unknown>;
  const t = state.tensors;
  if (state.info['kind'] === 'jacobi' && t['diagonal']?.rank === 1 && t['diagonal'].shape[0] === n) {
    const d = t['diagonal'];
    try {
      const p = jacobiPreconditioner(d, 0);
      Object.assign(p.info, info);
      return p;
    } finally {
      d.dispose();
    }
  }
  const U = t['U'], coeff = t['coeff'];
  if (state.info['kind'] === 'nystrom' && U && coeff && U.rank === 2 && U.shape[0] === n && coeff.rank === 2 && coeff.shape[0] === U.shape[1] && coeff.shape[1] === 1) {
    return nystromPreconditionerFrom(U, coeff, info);
  }
  throw new InputError(`preconditioner: the saved state (kind ${JSON.stringify(state.info['kind'])}, tensors ${Object.keys(t).join(', ') || 'none'}) does not fit an operator of size ${n}`);
}
