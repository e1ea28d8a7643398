/** Householder reduction of a symmetric matrix to tridiagonal form (first half of syev). */

/**
 * Reduces a symmetric n×n matrix to tridiagonal form by Householder similarity transformations,
 * A = Q·T·Qᵀ (Golub & Van Loan, Matrix Computations, 4th ed., §8.3.1).
 *
 * Step k (k = 0..n−3) picks a reflector P_k = I − β·v·vᵀ acting on indices k+1..n−1 that maps
 * x = A[k+1:, k] to a multiple of e₁, and updates the trailing block B ← P_k·B·P_k by the
 * symmetric rank-2 update B ← B − v·wᵀ − w·vᵀ with p = β·B·v, w = p − (β·pᵀv/2)·v (GVL §8.3.1).
 * Q = P₀·P₁·…·P_{n−3}.
 *
 * Storage (chosen so that every inner loop runs along a contiguous row of row-major storage):
 *  - z (n×n, row-major, contiguous, destroyed): on entry the upper triangle, diagonal included,
 *    holds A (the strict lower triangle is never read). Column k below the diagonal is row k right
 *    of the diagonal, and the symmetric product B·v is formed from the upper triangle alone.
 *    Row k is reused to keep v_k once step k is done.
 *  - d (≥ n): diagonal of T; e (≥ n−1): sub-diagonal, T[k+1][k] = T[k][k+1] = e[k].
 *  - q (n×n or null): receives Q, built by backward accumulation (GVL §5.1.6), Q ← P_k·Q for
 *    k = n−3..0: p = vᵀ·Q as a sum of rows, then Q ← Q − β·v·pᵀ, both along rows.
 *
 * Each x is scaled by its largest magnitude before its norm is formed, so no intermediate overflows
 * or underflows; the reflector itself is invariant under that scaling.
 */
export function tridiagonalize(
  n: number,
  z: Float64Array,
  d: Float64Array,
  e: Float64Array,
  q: Float64Array | null,
): void {
  if (n === 0) return;
  const beta = new Float64Array(Math.max(n - 2, 0)); // β_k = 0: no reflection at step k
  const p = new Float64Array(n); // p, then w, indexed by global row

  for (let k = 0; k < n - 2; k++) {
    const rk = k * n;
    d[k] = z[rk + k];
    let scale = 0;
    for (let j = k + 1; j < n; j++) scale = Math.max(scale, Math.abs(z[rk + j]));
    if (scale === 0) {
      // Column already reduced: P_k = I and the trailing block is unchanged.
      e[k] = 0;
      continue;
    }
    let ss = 0;
    for (let j = k + 1; j < n; j++) {
      const x = z[rk + j] / scale;
      z[rk + j] = x;
      ss += x * x;
    }
    const alpha = Math.sqrt(ss); // ‖x‖ / scale
    const x0 = z[rk + k + 1];
    // v = x + sign(x₀)·‖x‖·e₁: adding, never subtracting, avoids cancellation in v₀.
    const sgn = x0 >= 0 ? 1 : -1;
    z[rk + k + 1] = x0 + sgn * alpha;
    // β = 2 / vᵀv, with vᵀv = 2‖x‖(‖x‖ + |x₀|); then P_k·x = −sign(x₀)·‖x‖·e₁.
    const b = 1 / (alpha * (alpha + Math.abs(x0)));
    beta[k] = b;
    e[k] = -sgn * alpha * scale;

    // p = β·B·v from the upper triangle of B: row i contributes B[i][j]·v[j] to p[i] and, by
    // symmetry, B[i][j]·v[i] to p[j].
    p.fill(0, k + 1, n);
    for (let i = k + 1; i < n; i++) {
      const ri = i * n;
      const vi = z[rk + i];
      let t = z[ri + i] * vi;
      for (let j = i + 1; j < n; j++) {
        const bij = z[ri + j];
        t += bij * z[rk + j];
        p[j] += bij * vi;
      }
      p[i] += t;
    }
    let pv = 0;
    for (let i = k + 1; i < n; i++) {
      p[i] *= b;
      pv += p[i] * z[rk + i];
    }
    const half = 0.5 * b * pv;
    for (let i = k + 1; i < n; i++) p[i] -= half * z[rk + i]; // p is now w
    // B ← B − v·wᵀ − w·vᵀ, upper triangle only.
    for (let i = k + 1; i < n; i++) {
      const ri = i * n;
      const vi = z[rk + i];
      const wi = p[i];
      for (let j = i; j < n; j++) z[ri + j] -= vi * p[j] + wi * z[rk + j];
    }
  }
  // The trailing 2×2 (or 1×1) block is already tridiagonal.
  if (n >= 2) {
    d[n - 2] = z[(n - 2) * n + n - 2];
    e[n - 2] = z[(n - 2) * n + n - 1];
  }
  d[n - 1] = z[n * n - 1];

  if (q === null) return;
  q.fill(0);
  for (let i = 0; i < n; i++) q[i * n + i] = 1;
  // Backward accumulation: after step k, q = P_k·…·P_{n−3}, whose first k+1 rows and columns are
  // those of the identity, so P_k only touches rows and columns k+1..n−1.
  for (let k = n - 3; k >= 0; k--) {
    const b = beta[k];
    if (b === 0) continue;
    const rk = k * n;
    p.fill(0, k + 1, n); // p = vᵀ·Q (restricted to the trailing block)
    for (let i = k + 1; i < n; i++) {
      const ri = i * n;
      const vi = z[rk + i];
      for (let j = k + 1; j < n; j++) p[j] += vi * q[ri + j];
    }
    for (let i = k + 1; i < n; i++) {
      const ri = i * n;
      const f = b * z[rk + i];
      for (let j = k + 1; j < n; j++) q[ri + j] -= f * p[j];
    }
  }
}
