import { eigh } from '../linalg/dense.js';
import { tensor, tidy } from '../tensor/index.js';

/**
 * Dense float64 algebra on small host matrices (row-major Float64Array): the k×k and tall n×k
 * pieces inside block CG, Lanczos and the Nyström sketch. Large products stay on the backend as
 * tensor ops; only these small factorizations run here. (A QR on tensors belongs in src/linalg;
 * this file can move there when it gets one.)
 */

/** A·B for row-major A [m, k] and B [k, n]. */
export function matmulHost(a: Float64Array, b: Float64Array, m: number, k: number, n: number): Float64Array {
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let p = 0; p < k; p++) {
      const aip = a[i * k + p]!;
      if (aip === 0) continue;
      for (let j = 0; j < n; j++) c[i * n + j]! += aip * b[p * n + j]!;
    }
  }
  return c;
}

/** (A + Aᵀ)/2 of a square host matrix, in place. */
export function symmetrize(a: Float64Array, n: number): Float64Array {
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const v = 0.5 * (a[i * n + j]! + a[j * n + i]!);
      a[i * n + j] = v;
      a[j * n + i] = v;
    }
  }
  return a;
}

/**
 * Symmetric eigendecomposition of a small host matrix, eigenvalues ascending, eigenvectors as
 * the columns of a row-major [n, n] array (the backend's syev on a float64 tensor).
 */
export function symmetricEigen(a: Float64Array, n: number): { values: Float64Array; vectors: Float64Array } {
  if (n === 0) return { values: new Float64Array(0), vectors: new Float64Array(0) };
  return tidy(() => {
    const { values, vectors } = eigh(tensor(a, [n, n], 'float64'));
    return { values: Float64Array.from(values.dataSync()), vectors: Float64Array.from(vectors.dataSync()) };
  });
}

/**
 * Householder QR of a tall row-major A [m, n] (Golub & Van Loan, Alg. 5.2.1): A = Q·R with Q
 * [m, p] orthonormal to working precision even when A is rank deficient, R [p, n] upper
 * triangular, p = min(m, n).
 */
export function householderQr(a: Float64Array, m: number, n: number): { q: Float64Array; r: Float64Array } {
  const w = Float64Array.from(a);
  const p = Math.min(m, n);
  const vs: Float64Array[] = [];
  const betas: number[] = [];
  for (let j = 0; j < p; j++) {
    let norm = 0;
    for (let i = j; i < m; i++) norm += w[i * n + j]! ** 2;
    norm = Math.sqrt(norm);
    const v = new Float64Array(m - j);
    if (norm === 0) { vs.push(v); betas.push(0); continue; }
    const alpha = w[j * n + j]! >= 0 ? -norm : norm;
    v[0] = w[j * n + j]! - alpha;
    for (let i = j + 1; i < m; i++) v[i - j] = w[i * n + j]!;
    let vv = 0;
    for (let i = 0; i < v.length; i++) vv += v[i]! * v[i]!;
    const beta = vv === 0 ? 0 : 2 / vv;
    for (let c = j; c < n; c++) {
      let s = 0;
      for (let i = j; i < m; i++) s += v[i - j]! * w[i * n + c]!;
      s *= beta;
      if (s !== 0) for (let i = j; i < m; i++) w[i * n + c]! -= s * v[i - j]!;
    }
    vs.push(v);
    betas.push(beta);
  }
  const r = new Float64Array(p * n);
  for (let i = 0; i < p; i++) for (let c = i; c < n; c++) r[i * n + c] = w[i * n + c]!;
  // Q = H_0·H_1·…·H_{p-1}·[I_p; 0], applied from the last reflector back.
  const q = new Float64Array(m * p);
  for (let i = 0; i < p; i++) q[i * p + i] = 1;
  for (let j = p - 1; j >= 0; j--) {
    const v = vs[j]!, beta = betas[j]!;
    if (beta === 0) continue;
    for (let c = 0; c < p; c++) {
      let s = 0;
      for (let i = j; i < m; i++) s += v[i - j]! * q[i * p + c]!;
      s *= beta;
      if (s !== 0) for (let i = j; i < m; i++) q[i * p + c]! -= s * v[i - j]!;
    }
  }
  return { q, r };
}

/**
 * Upper Cholesky factor C with CᵀC = A for a small SPD host matrix; `null` (with the failing
 * pivot) when A is not numerically positive definite.
 */
export function choleskyUpper(a: Float64Array, n: number): { c: Float64Array } | { c: null; pivot: number; value: number } {
  const c = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    let d = a[i * n + i]!;
    for (let k = 0; k < i; k++) d -= c[k * n + i]! ** 2;
    if (!(d > 0)) return { c: null, pivot: i, value: d };
    const cii = Math.sqrt(d);
    c[i * n + i] = cii;
    for (let j = i + 1; j < n; j++) {
      let s = a[i * n + j]!;
      for (let k = 0; k < i; k++) s -= c[k * n + i]! * c[k * n + j]!;
      c[i * n + j] = s / cii;
    }
  }
  return { c };
}

/** X·C⁻¹ for a row-major X [m, n] and upper-triangular C [n, n] (solves Z·C = X row by row). */
export function solveUpperRight(x: Float64Array, c: Float64Array, m: number, n: number): Float64Array {
  const z = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = x[i * n + j]!;
      for (let k = 0; k < j; k++) s -= z[i * n + k]! * c[k * n + j]!;
      z[i * n + j] = s / c[j * n + j]!;
    }
  }
  return z;
}
