/** Implicit QL iteration for a symmetric tridiagonal matrix (second half of syev). */
import { CurvatureError } from '../../../errors.js';

/** Unit roundoff of float64, 2⁻⁵³. */
const U = 2 ** -53;
/** Smallest normal float64: an absolute floor for the deflation test so that zero blocks deflate. */
const SAFMIN = 2 ** -1022;

/**
 * Eigenvalues and optionally eigenvectors of the symmetric tridiagonal T (diagonal d[0..n), off-
 * diagonal e[0..n−1)) by the implicit QL algorithm with Wilkinson shifts — the QL mirror image of
 * the implicit symmetric QR step of Golub & Van Loan, Matrix Computations, 4th ed., §8.3.5
 * (Alg. 8.3.2/8.3.3); the QL formulation is that of Bowdler, Martin, Reinsch & Wilkinson,
 * "The QR and QL algorithms for symmetric matrices", Numer. Math. 11 (1968) (tql2).
 *
 * For l = 0, 1, …: find the unreduced block T[l..m] (e[m] negligible or m = n−1); while m > l,
 * take μ = the eigenvalue of the leading 2×2 block [[d_l, e_l], [e_l, d_{l+1}]] closer to d_l
 * (Wilkinson shift) and perform one implicit QL step T ← GᵀTG: the first Givens rotation, in plane
 * (m−1, m), is the one whose last column is parallel to (T − μI)·e_m = (…, e_{m−1}, d_m − μ); it
 * creates a bulge at (m−2, m) which rotations in planes (i, i+1), i = m−2..l, chase up and out of
 * the matrix. e[l] then converges to 0 (cubically, generically) and d[l] is an eigenvalue.
 * Negligible: |e_i| ≤ u·(|d_i| + |d_{i+1}|) (GVL §8.3.5), plus a tiny absolute floor; the
 * entry is then set to exactly 0, so the iteration is an exact computation on a perturbation of
 * T of relative size u.
 *
 * d is overwritten by the eigenvalues (unsorted) and e is destroyed. If `v` (n×n row-major) is
 * given, every rotation is also applied to it as v ← v·G. With v = Q on entry, where A = Q·T·Qᵀ,
 * column j of v on exit is the unit eigenvector of A for d[j]. The rotations of one QL step are
 * recorded and applied afterwards row by row of v (as LAPACK's xLASR does): each row's segment
 * l..m is swept once, contiguously, carrying the entry shared by consecutive rotations in a
 * register — one load and one store per rotation and row, instead of strided column pairs.
 *
 * Throws CurvatureError when more than `maxIter` QL steps are needed in total (LAPACK's limit is
 * 30·n; in practice about 2 steps per eigenvalue suffice).
 */
export function tridiagonalQl(
  n: number,
  d: Float64Array,
  e: Float64Array,
  v: Float64Array | null,
  maxIter: number = 30 * n,
): void {
  let iter = 0;
  // Cosines and sines of the rotations of the current step, indexed by plane (i, i+1).
  const cs = v === null ? null : new Float64Array(n);
  const sn = v === null ? null : new Float64Array(n);
  for (let l = 0; l < n; l++) {
    for (;;) {
      let m = l;
      while (m < n - 1) {
        if (Math.abs(e[m]) <= U * (Math.abs(d[m]) + Math.abs(d[m + 1])) + SAFMIN) {
          e[m] = 0;
          break;
        }
        m++;
      }
      if (m === l) break; // d[l] has converged
      if (++iter > maxIter) {
        throw new CurvatureError(
          `syev: the tridiagonal QL iteration did not converge in ${maxIter} steps (eigenvalue ${l} of ${n})`,
        );
      }

      // Wilkinson shift, written as d_l − e_l²/(δ + sign(δ)·√(δ² + e_l²)) to avoid cancellation.
      const el = e[l];
      const delta = (d[l + 1] - d[l]) / 2;
      const h = Math.hypot(delta, el);
      const mu = d[l] - el * (el / (delta + (delta >= 0 ? h : -h)));

      let bulge = 0;
      for (let i = m - 1; i >= l; i--) {
        // Rotation in plane (i, i+1): rows i, i+1 are replaced by c·row_i − s·row_{i+1} and
        // s·row_i + c·row_{i+1}, which zeroes x against y when c = y/r, s = x/r.
        let x: number;
        let y: number;
        if (i === m - 1) {
          x = e[i];
          y = d[m] - mu; // implicit shift: no entry is annihilated by the first rotation
        } else {
          x = bulge; // T[i][i+2]
          y = e[i + 1];
        }
        const r = Math.hypot(x, y);
        let c = 1;
        let s = 0;
        if (r !== 0) {
          c = y / r;
          s = x / r;
        }
        if (i < m - 1) e[i + 1] = r; // the bulge is gone

        // The 2×2 diagonal block [[a, b], [b, g]] ← R·block·Rᵀ with R = [[c, −s], [s, c]].
        const a = d[i];
        const b = e[i];
        const g = d[i + 1];
        const cc = c * c;
        const ss = s * s;
        const cs2 = 2 * c * s * b;
        d[i] = cc * a - cs2 + ss * g;
        d[i + 1] = ss * a + cs2 + cc * g;
        e[i] = c * s * (a - g) + (cc - ss) * b;
        // Row i−1 (still inside the block) couples to i by e[i−1]; the rotation splits it into
        // c·e[i−1] at (i−1, i) and a new bulge s·e[i−1] at (i−1, i+1).
        if (i > l) {
          const f = e[i - 1];
          e[i - 1] = c * f;
          bulge = s * f;
        }

        if (cs !== null && sn !== null) {
          cs[i] = c;
          sn[i] = s;
        }
      }

      if (v !== null && cs !== null && sn !== null) applyRotations(n, v, l, m, cs, sn);
    }
  }
}

/**
 * v ← v·G_{m−1}·G_{m−2}·…·G_l for the n×n row-major v, where G_i maps columns (i, i+1) to
 * (c_i·col_i − s_i·col_{i+1}, s_i·col_i + c_i·col_{i+1}). In each row, column i+1 is final after
 * G_i and column i is carried into G_{i−1}. That carry is a serial dependency chain, so four rows
 * are swept together to give the CPU four independent chains (≈2× faster than one row at a time).
 */
function applyRotations(n: number, v: Float64Array, l: number, m: number, cs: Float64Array, sn: Float64Array): void {
  let k = 0;
  for (; k + 4 <= n; k += 4) {
    const r0 = k * n;
    const r1 = r0 + n;
    const r2 = r1 + n;
    const r3 = r2 + n;
    let c0 = v[r0 + m];
    let c1 = v[r1 + m];
    let c2 = v[r2 + m];
    let c3 = v[r3 + m];
    for (let i = m - 1; i >= l; i--) {
      const c = cs[i];
      const s = sn[i];
      const x0 = v[r0 + i];
      const x1 = v[r1 + i];
      const x2 = v[r2 + i];
      const x3 = v[r3 + i];
      v[r0 + i + 1] = s * x0 + c * c0;
      v[r1 + i + 1] = s * x1 + c * c1;
      v[r2 + i + 1] = s * x2 + c * c2;
      v[r3 + i + 1] = s * x3 + c * c3;
      c0 = c * x0 - s * c0;
      c1 = c * x1 - s * c1;
      c2 = c * x2 - s * c2;
      c3 = c * x3 - s * c3;
    }
    v[r0 + l] = c0;
    v[r1 + l] = c1;
    v[r2 + l] = c2;
    v[r3 + l] = c3;
  }
  for (; k < n; k++) {
    const rk = k * n;
    let carry = v[rk + m];
    for (let i = m - 1; i >= l; i--) {
      const x = v[rk + i];
      v[rk + i + 1] = sn[i] * x + cs[i] * carry;
      carry = cs[i] * x - sn[i] * carry;
    }
    v[rk + l] = carry;
  }
}
