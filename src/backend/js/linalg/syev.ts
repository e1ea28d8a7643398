/** Symmetric eigendecomposition driver (LAPACK xSYEV semantics, row-major, lower triangle). */
import { InputError } from '../../../errors.js';
import { tridiagonalize } from './tridiagonalize.js';
import { tridiagonalQl } from './tridiagonalQl.js';
import { checkDim, checkMatrix, type FloatArray } from './types.js';

/**
 * Eigendecomposition A = V·diag(w)·Vᵀ of the symmetric n×n matrix at a[aOff + i·lda + j], of
 * which only the lower triangle (diagonal included) is read.
 *
 * - w[wOff .. wOff+n) receives the eigenvalues in ascending order (ties keep a stable order).
 * - With computeVectors, a is overwritten by V with the eigenvectors as COLUMNS:
 *   a[aOff + i·lda + j] = component i of the eigenvector for w[j]. Each is normalised to unit
 *   length and signed so that its largest-magnitude component (the first one, on exact ties) is
 *   positive, which makes the output deterministic. Without computeVectors, a is left untouched.
 *
 * Algorithm: Householder tridiagonalisation A = Q·T·Qᵀ (Golub & Van Loan, Matrix Computations,
 * 4th ed., §8.3.1; see tridiagonalize.ts), then implicit QL with Wilkinson shifts on T
 * (GVL §8.3.5; Bowdler, Martin, Reinsch & Wilkinson 1968, tql2; see tridiagonalQl.ts) with the
 * rotations accumulated into Q — the classic tred2 + tql2 pair. All work is done in a float64
 * copy, so float32 input gets double-precision eigenpairs rounded once on output. The matrix is
 * scaled by a power of two (exact) so that its largest entry is near 1, which keeps the
 * iteration clear of overflow and underflow. Backward stable: the computed pairs are exact for
 * A + E with ‖E‖ = O(n·u·‖A‖), the eigenvectors orthonormal to O(n·u).
 *
 * Cost ≈ 4n³/3 flops for the reduction (+ 4n³/3 to form Q) and ≈ 6n³ for the QL rotations when
 * vectors are wanted; O(n²) for eigenvalues alone after the reduction.
 *
 * Throws InputError when an entry of the lower triangle is NaN or ±Inf (before writing anything),
 * CurvatureError when QL needs more than `maxIterations` steps in total (default 30·n, LAPACK's
 * limit; not expected to happen on finite input), ShapeError on inconsistent dimensions.
 */
export function syev(
  n: number,
  a: FloatArray,
  aOff: number,
  lda: number,
  w: FloatArray,
  wOff: number,
  computeVectors: boolean,
  maxIterations: number = 30 * n,
): void {
  checkDim('syev', 'n', n);
  checkMatrix('syev', 'A', a, aOff, n, n, lda);
  checkMatrix('syev', 'w', w, wOff, 1, n, Math.max(1, n));
  if (n === 0) return;

  // Copy the lower triangle of A into the upper triangle of z (the layout tridiagonalize wants),
  // validating as we go.
  const z = new Float64Array(n * n);
  let amax = 0;
  for (let i = 0; i < n; i++) {
    const ri = aOff + i * lda;
    for (let j = 0; j <= i; j++) {
      const v = a[ri + j];
      if (!Number.isFinite(v)) {
        throw new InputError(`syev: entry (${i}, ${j}) of the matrix is ${v}; expected a finite number`);
      }
      z[j * n + i] = v;
      amax = Math.max(amax, Math.abs(v));
    }
  }
  // Power-of-two scaling: exact, and undone exactly on the eigenvalues.
  let scale = 1;
  if (amax > 0) {
    const ex = Math.min(1023, Math.max(-1022, Math.round(Math.log2(amax))));
    scale = 2 ** ex;
    const inv = 2 ** -ex;
    for (let i = 0; i < n * n; i++) z[i] *= inv;
  }

  const d = new Float64Array(n);
  const e = new Float64Array(n);
  const q = computeVectors ? new Float64Array(n * n) : null;
  tridiagonalize(n, z, d, e, q);
  tridiagonalQl(n, d, e, q, maxIterations);

  const order = Array.from({ length: n }, (_, i) => i);
  order.sort((x, y) => d[x] - d[y] || x - y);
  for (let j = 0; j < n; j++) w[wOff + j] = d[order[j]] * scale;
  if (q === null) return;

  // Column order[j] of q is eigenvector j: normalise, then copy in ascending order. All passes
  // run along rows.
  const invNorm = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const ri = i * n;
    for (let j = 0; j < n; j++) invNorm[j] += q[ri + j] * q[ri + j];
  }
  // Unit length up to O(n·u) by construction already; renormalising is O(n²) and makes it exact
  // up to rounding, as promised.
  for (let j = 0; j < n; j++) invNorm[j] = 1 / Math.sqrt(invNorm[j]);
  // Sign convention, decided on the stored (possibly float32-rounded) values so that it holds
  // exactly for what the caller sees: the first component of largest magnitude is positive.
  const big = new Float64Array(n).fill(-1);
  const flip = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const ri = i * n;
    const ra = aOff + i * lda;
    for (let j = 0; j < n; j++) {
      a[ra + j] = q[ri + order[j]] * invNorm[order[j]];
      const x = a[ra + j];
      if (Math.abs(x) > big[j]) {
        big[j] = Math.abs(x);
        flip[j] = x < 0 ? 1 : 0;
      }
    }
  }
  for (let i = 0; i < n; i++) {
    const ra = aOff + i * lda;
    for (let j = 0; j < n; j++) if (flip[j] === 1) a[ra + j] = -a[ra + j];
  }
}
