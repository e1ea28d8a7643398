import { DTypeError, InputError, NotPositiveDefiniteError, ShapeError } from '../errors.js';
import { add, allFinite, empty, tidy } from '../tensor/index.js';
import type { Tensor } from '../tensor/tensor.js';
import { kernels } from '../tensor/kernels.js';

/**
 * Dense linear algebra on concrete tensors, through the backend's potrf/trsm/syev kernels (optional
 * ones: the tensor layer's dispatcher, src/tensor/kernels.ts, runs the js reference without them).
 * These are not differentiable (they run on values, never on tracers).
 */

function squareMatrix(op: string, a: Tensor): number {
  if (a._level !== 0) throw new DTypeError(`${op}: not differentiable; call it on concrete tensors, not inside grad/jvp`);
  if (a.dtype === 'int32') throw new DTypeError(`${op}: expected float32 or float64, got int32`);
  if (a.rank !== 2 || a.shape[0] !== a.shape[1]) throw new ShapeError(`${op}: expected a square matrix, got [${a.shape.join(', ')}]`);
  if (!allFinite(a)) throw new InputError(`${op}: the matrix contains NaN or Inf`);
  return a.shape[0]!;
}

function copyOf(a: Tensor): Tensor {
  const out = empty(a.shape, a.dtype, a.backend);
  kernels(a.backend).copy([a.size], a.buffer, 0, [1], out.buffer, 0, [1]);
  return out;
}

/**
 * The diagonal of a square matrix as [n]: one strided copy (stride n + 1), so that a check of the
 * pivots of a large factor reads n values, not n² (a 12,730² float64 matrix is 1.3 GB).
 */
export function diagonal(a: Tensor): Tensor {
  const n = squareShape('diagonal', a);
  const out = empty([n], a.dtype, a.backend);
  kernels(a.backend).copy([n], a.buffer, 0, [n + 1], out.buffer, 0, [1]);
  return out;
}

/** A + value·I for a square matrix: a copy with the diagonal shifted (one strided pass over n values). */
export function addToDiagonal(a: Tensor, value: number): Tensor {
  squareShape('addToDiagonal', a);
  return shiftDiagonal(a, copyOf(a), value);
}

/**
 * addToDiagonal in a's own storage (a concrete matrix the caller owns, sharing it with no other
 * tensor), which is returned: for matrices too large to hold twice.
 */
export function addToDiagonalInPlace(a: Tensor, value: number): Tensor {
  squareShape('addToDiagonalInPlace', a);
  checkOwnStorage('addToDiagonalInPlace', a);
  return shiftDiagonal(a, a, value);
}

/** An in-place op may write a's storage only when no other tensor (a reshape of a) shares it. */
function checkOwnStorage(op: string, a: Tensor): void {
  if (a.storage.refs !== 1) throw new InputError(`${op}: the matrix shares its storage with another tensor (a reshape of it): pass a copy`);
}

/** out's diagonal ← a's diagonal + value (out is a or a copy of it). */
function shiftDiagonal(a: Tensor, out: Tensor, value: number): Tensor {
  const n = a.shape[0]!;
  tidy(() => {
    const shifted = add(diagonal(a), value);
    kernels(a.backend).copy([n], shifted.buffer, 0, [1], out.buffer, 0, [n + 1]);
  });
  return out;
}

function squareShape(op: string, a: Tensor): number {
  if (a._level !== 0) throw new DTypeError(`${op}: not differentiable; call it on concrete tensors, not inside grad/jvp`);
  if (a.rank !== 2 || a.shape[0] !== a.shape[1]) throw new ShapeError(`${op}: expected a square matrix, got [${a.shape.join(', ')}]`);
  return a.shape[0]!;
}

/**
 * Lower Cholesky factor L with A = L·Lᵀ (Golub & Van Loan, Alg. 4.2.1). Throws
 * NotPositiveDefiniteError naming the first failing pivot and its value.
 */
export function cholesky(a: Tensor): Tensor {
  squareMatrix('cholesky', a);
  const l = copyOf(a);
  try {
    return factorInPlace(l);
  } catch (err) {
    l.dispose();
    throw err;
  }
}

/**
 * cholesky without the copy: `a` (a concrete matrix the caller owns, sharing its storage with no
 * other tensor) becomes L and is returned. On NotPositiveDefiniteError its contents are destroyed
 * (the caller still owns and disposes it). For factors of matrices too large to hold twice — the
 * dense Hessian of `direct`.
 */
export function choleskyInPlace(a: Tensor): Tensor {
  squareMatrix('choleskyInPlace', a);
  checkOwnStorage('choleskyInPlace', a);
  return factorInPlace(a);
}

function factorInPlace(l: Tensor): Tensor {
  const n = l.shape[0]!;
  const r = kernels(l.backend).potrf(n, l.buffer, 0, n);
  if (!r.ok) {
    throw new NotPositiveDefiniteError(
      `cholesky: matrix is not positive definite: pivot ${r.pivot} of ${n} is ${r.value} (expected > 0)`, r.pivot, r.value);
  }
  return l;
}

/** Solves op(T)·X = B for triangular T (lower or upper); B is [n] or [n, k]. */
export function solveTriangular(t: Tensor, b: Tensor, options: { lower?: boolean; transpose?: boolean; unitDiagonal?: boolean } = {}): Tensor {
  const n = squareMatrix('solveTriangular', t);
  if (b.dtype !== t.dtype) throw new DTypeError(`solveTriangular: matrix is ${t.dtype}, right-hand side ${b.dtype}`);
  if (b.shape[0] !== n || b.rank > 2) throw new ShapeError(`solveTriangular: right-hand side [${b.shape.join(', ')}] does not match a ${n}×${n} matrix`);
  const x = copyOf(b);
  const k = b.rank === 2 ? b.shape[1]! : 1;
  kernels(x.backend).trsm(options.lower ?? true ? 'lower' : 'upper', options.transpose ?? false, options.unitDiagonal ?? false, n, k, 1,
    t.buffer, 0, n, x.buffer, 0, k);
  return x;
}

/** Solves A·X = B given A's Cholesky factor L: L·Y = B, then Lᵀ·X = Y. */
export function choleskySolve(l: Tensor, b: Tensor): Tensor {
  return tidy(() => solveTriangular(l, solveTriangular(l, b, { lower: true }), { lower: true, transpose: true }));
}

/**
 * Symmetric eigendecomposition A = V·diag(w)·Vᵀ, eigenvalues ascending, eigenvectors as columns
 * (Householder tridiagonalisation + implicit QL; Golub & Van Loan §8.3).
 */
export function eigh(a: Tensor): { values: Tensor; vectors: Tensor } {
  const n = squareMatrix('eigh', a);
  const vectors = copyOf(a);
  const values = empty([n], a.dtype, a.backend);
  kernels(vectors.backend).syev(n, vectors.buffer, 0, n, values.buffer, 0, true);
  return { values, vectors };
}

/** Eigenvalues only, ascending. */
export function eigvalsh(a: Tensor): Tensor {
  const n = squareMatrix('eigvalsh', a);
  const work = copyOf(a);
  const values = empty([n], a.dtype, a.backend);
  kernels(work.backend).syev(n, work.buffer, 0, n, values.buffer, 0, false);
  work.dispose();
  return values;
}
