import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as c from '../../src/index.js';
import { arnoldi, lanczos } from '../../src/linalg/lanczos.js';
import { Random } from '../../src/tensor/random.js';
import { testBackends, throwsType } from '../helpers.js';
import { withSpectrum } from '../spectra.js';

/**
 * Thick-restart Lanczos against dense float64 matrices with known spectra, A = Q·diag(λ)·Qᵀ with a
 * random orthogonal Q. With tol = 1e-12 the residuals are ≤ 1e-12·|λ|; eigenvalue error is then
 * ≈ r²/gap ≈ 1e-24 (far below the 1e-10 asserted; what remains is round-off in forming A, ≈ 1e-14),
 * eigenvector error ≈ r/gap ≤ 1e-12·|λ|/gap ≤ 1e-10 for the gaps used here (≥ 1% of |λ|).
 */

/** Max over columns of min(‖x − y‖, ‖x + y‖): eigenvectors agree up to sign. */
function vectorError(x: c.Tensor, qCols: number[], q: c.Tensor): number {
  const n = x.shape[0]!, k = x.shape[1]!;
  const xd = x.dataSync(), qd = q.dataSync();
  let worst = 0;
  for (let j = 0; j < k; j++) {
    let dm = 0, dp = 0;
    for (let i = 0; i < n; i++) {
      const a = xd[i * k + j]!, b = qd[i * n + qCols[j]!]!;
      dm += (a - b) ** 2; dp += (a + b) ** 2;
    }
    worst = Math.max(worst, Math.sqrt(Math.min(dm, dp)));
  }
  return worst;
}

const relMax = (got: ArrayLike<number>, want: number[]): number =>
  Math.max(...want.map((w, i) => Math.abs(got[i]! - w) / Math.abs(w)));

for (const backend of testBackends()) {
  c.setBackend(backend); // tensors made below, at module load, live on this backend
  const s = suite(`lanczos [${backend}]`);
  s.before(() => { c.setBackend(backend); });
  const rng = new Random(11);
  const n = 120;
  // SPD: log-spaced from 1e-3 to 1e2, with a clearly separated top 5.
  const spd = Array.from({ length: n }, (_, i) => 1e-3 * (1e5) ** (i / (n - 1)));
  // Indefinite: uniform in [−30, 20] (the most negative eigenvalue dominates in magnitude).
  const indef = Array.from({ length: n }, (_, i) => -30 + (50 * i) / (n - 1));

  s('SPD, top 5: values rel ≤ 1e-10, vectors up to sign ≤ 1e-10, residuals ≤ tol·|λ|, with restarts', () => {
    const { op, q } = withSpectrum(rng, spd);
    const r = lanczos(op, 5, { tol: 1e-12, seed: 1 });
    assert.ok(r.converged, `not converged: residuals ${r.residuals}`);
    assert.ok(r.restarts > 0, 'the default basis (20) should need restarts here');
    const want = spd.slice(-5).reverse();
    assert.ok(relMax(r.values, want) <= 1e-10, `values ${Array.from(r.values)} vs ${want}`);
    assert.ok(vectorError(r.vectors, [n - 1, n - 2, n - 3, n - 4, n - 5], q) <= 1e-10, `vectors: ${vectorError(r.vectors, [n - 1, n - 2, n - 3, n - 4, n - 5], q)}`);
    r.residuals.forEach((res, i) => assert.ok(res <= 1e-11 * Math.abs(r.values[i]!), `residual ${i}: ${res}`));
    assert.equal(r.vectors.shape, [n, 5]);
    assert.is(r.matvecs, r.iterations + 5);
  });

  s('indefinite: largest 5, smallest 5, both ends and largest magnitude', () => {
    const { op, q } = withSpectrum(rng, indef);
    const top = lanczos(op, 5, { tol: 1e-12, seed: 2 });
    assert.ok(top.converged);
    assert.ok(relMax(top.values, indef.slice(-5).reverse()) <= 1e-10, `largest ${Array.from(top.values)}`);
    assert.ok(vectorError(top.vectors, [n - 1, n - 2, n - 3, n - 4, n - 5], q) <= 1e-9);

    const bottom = lanczos(op, 5, { which: 'smallest', tol: 1e-12, seed: 2 });
    assert.ok(bottom.converged);
    assert.ok(relMax(bottom.values, indef.slice(0, 5).reverse()) <= 1e-10, `smallest ${Array.from(bottom.values)}`);
    assert.ok(vectorError(bottom.vectors, [4, 3, 2, 1, 0], q) <= 1e-9);

    const both = lanczos(op, 4, { which: 'both-ends', tol: 1e-12, seed: 3 });
    assert.ok(both.converged);
    assert.ok(relMax(both.values, [indef[n - 1]!, indef[n - 2]!, indef[1]!, indef[0]!]) <= 1e-10, `both ${Array.from(both.values)}`);

    const mag = arnoldi(op, 3, { tol: 1e-12, seed: 4 });
    assert.ok(mag.converged);
    // |λ| largest: −30, −29.58, −29.16 (all below the top positive 20).
    assert.ok(relMax(mag.values, [indef[2]!, indef[1]!, indef[0]!]) <= 1e-10, `magnitude ${Array.from(mag.values)}`);
  });

  s('default tolerance (√u) still gives eigenvalues to round-off; seeds and v0 give the same values', () => {
    const { op } = withSpectrum(rng, spd);
    const want = spd.slice(-3).reverse();
    for (const seed of [0, 5, 9]) {
      const r = lanczos(op, 3, { seed });
      assert.ok(r.converged);
      assert.ok(relMax(r.values, want) <= 1e-12, `seed ${seed}: ${relMax(r.values, want)}`);
    }
    const r = lanczos(op, 3, { v0: c.onesLike(c.zeros([n], 'float64')) });
    assert.ok(relMax(r.values, want) <= 1e-12);
  });

  s('repeated eigenvalues and small n: k = n, identity, exact invariant subspaces', () => {
    const { op } = withSpectrum(rng, [3, 1, 2, 5, 4]);
    const r = lanczos(op, 5, { tol: 1e-12 });
    assert.ok(r.converged);
    assert.ok(relMax(r.values, [5, 4, 3, 2, 1]) <= 1e-12);
    // Identity: the Krylov space is one-dimensional; breakdowns restart with fresh vectors.
    const id = c.denseOperator(c.eye(30, 'float64'));
    const ri = lanczos(id, 4);
    assert.ok(ri.converged);
    assert.ok(relMax(ri.values, [1, 1, 1, 1]) <= 1e-14);
    // A double top eigenvalue is found twice.
    const { op: dbl } = withSpectrum(rng, [...Array.from({ length: 40 }, (_, i) => i / 40), 7, 7, 6]);
    const rd = lanczos(dbl, 3, { tol: 1e-12 });
    assert.ok(rd.converged);
    assert.ok(relMax(rd.values, [7, 7, 6]) <= 1e-10, `double: ${Array.from(rd.values)}`);
  });

  s("reorthogonalize: 'none' still finds a well-separated top eigenvalue; float32 operator", () => {
    const { op } = withSpectrum(rng, spd);
    const r = lanczos(op, 1, { reorthogonalize: 'none', seed: 3 });
    assert.ok(Math.abs(r.values[0]! - 100) / 100 <= 1e-8, `none: ${r.values[0]}`);
    const { a } = withSpectrum(rng, spd);
    const op32 = c.denseOperator(c.cast(a, 'float32'));
    const r32 = lanczos(op32, 3, { seed: 1 });
    assert.is(r32.vectors.dtype, 'float32');
    // Float32: default tol √u ≈ 3.5e-4; eigenvalues to ≈ u·‖A‖/|λ| ≈ 1e-6.
    assert.ok(relMax(r32.values, spd.slice(-3).reverse()) <= 1e-5, `float32: ${Array.from(r32.values)}`);
  });

  s('maxIter too small: converged false, but values returned', () => {
    const { op } = withSpectrum(rng, spd);
    const r = lanczos(op, 5, { maxIter: 6, tol: 1e-14 });
    assert.is(r.converged, false);
    assert.is(r.iterations, 6);
    assert.is(r.values.length, 5);
  });

  s('bad input: k out of range → ShapeError; non-symmetric → InputError; bad options → InputError', () => {
    const { op } = withSpectrum(rng, [1, 2, 3, 4]);
    throwsType(() => lanczos(op, 0), c.ShapeError);
    throwsType(() => lanczos(op, 5), c.ShapeError, /\[1, n = 4\]/);
    throwsType(() => lanczos(op, 1.5), c.ShapeError);
    throwsType(() => lanczos({ ...op, symmetric: false }, 2), c.InputError, /symmetric/);
    throwsType(() => arnoldi({ ...op, symmetric: false }, 2), c.InputError, /symmetric/);
    throwsType(() => lanczos(op, 2, { maxBasis: 2 }), c.InputError, /maxBasis/);
    throwsType(() => lanczos(op, 2, { tol: -1 }), c.InputError);
    throwsType(() => lanczos(op, 2, { which: 'middle' as never }), c.InputError);
    throwsType(() => lanczos(op, 2, { reorthogonalize: 'partial' as never }), c.InputError);
    throwsType(() => lanczos(op, 2, { v0: c.zeros([4], 'float64') }), c.InputError, /norm/);
    throwsType(() => lanczos(op, 2, { v0: c.zeros([3], 'float64') }), c.ShapeError);
    const nan = c.denseOperator(c.tensor([[NaN, 0], [0, 1]], undefined, 'float64'));
    throwsType(() => lanczos(nan, 1), c.InputError, /NaN/);
  });

  s.run();
}
