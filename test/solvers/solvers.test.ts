import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as c from '../../src/index.js';
import { Random } from '../../src/tensor/random.js';
import { randn, relErr, testBackends } from '../helpers.js';
import { logSpaced, withSpectrum } from '../spectra.js';

/**
 * direct and cg against dense float64 algebra on operators with known spectra: A = Q·diag(λ)·Qᵀ
 * with a random orthogonal Q (from eigh of a random symmetric matrix). Direct solves: rel ≤ 1e-10
 * (κ ≤ 1e4, κ·u ≈ 1e-12); CG: error ≤ κ·rtol bound.
 */

for (const backend of testBackends()) {
  const s = suite(`solvers [${backend}]`);
  s.before(() => { c.setBackend(backend); });
  const rng = new Random(7);

  s('direct: SPD by Cholesky, vector and block right-hand sides', () => {
    const { a, op } = withSpectrum(rng, logSpaced(40, 1e-2, 1e2));
    const xTrue = randn(rng, [40, 3]);
    const b = c.matmul(a, xTrue);
    const r = c.direct(op, b);
    assert.is(r.info?.['factorization'], 'cholesky');
    assert.ok(relErr(r.x.dataSync(), xTrue.dataSync()) < 1e-10);
    const rv = c.direct(op, c.reshape(c.slice(b, [0, 0], [40, 1]), [40]));
    assert.equal(rv.x.shape, [40]);
    assert.ok(rv.residualNorm < 1e-10);
  });

  s('direct: indefinite but non-singular falls back to eigh and says so', () => {
    const { a, op } = withSpectrum(rng, [-3, -1, 0.5, 2, 5, 7]);
    const xTrue = randn(rng, [6]);
    const r = c.direct(op, c.matmul(a, xTrue));
    assert.is(r.info?.['factorization'], 'eigh');
    assert.ok(Math.abs((r.info?.['minEigenvalue'] as number) + 3) < 1e-12);
    assert.ok(relErr(r.x.dataSync(), xTrue.dataSync()) < 1e-12);
  });

  s('direct: damping is added to the diagonal; singular matrix → NotPositiveDefiniteError', () => {
    const { a, op } = withSpectrum(rng, [0, 1, 2, 3]);
    assert.throws(() => c.direct(op, randn(rng, [4])), (e: unknown) => e instanceof c.NotPositiveDefiniteError);
    const xTrue = randn(rng, [4]);
    const b = c.add(c.matmul(a, xTrue), c.mul(xTrue, 0.5));
    assert.ok(relErr(c.direct(op, b, { damping: 0.5 }).x.dataSync(), xTrue.dataSync()) < 1e-12);
  });

  s('direct: the factor is made in the matrix\'s own storage (one n×n array held), residuals through the operator; states saved with the matrix still load', () => {
    const n = 70;  // toDense's column blocks (64 wide) are then never n×n themselves
    const { a, op } = withSpectrum(rng, logSpaced(n, 1e-1, 1e1));
    const backend = c.getBackend() as unknown as { alloc: (dtype: string, size: number) => unknown };
    const own = Object.prototype.hasOwnProperty.call(backend, 'alloc');
    const original = backend.alloc;
    let squares = 0;
    backend.alloc = function (this: unknown, dtype: string, size: number) {
      if (size === n * n) squares++;
      return original.call(this, dtype, size);
    };
    let fit: c.FittedSolver;
    try {
      fit = c.fitDirect(op, { damping: 0.25 });
    } finally {
      if (own) backend.alloc = original;
      else delete (backend as { alloc?: unknown }).alloc;
    }
    // toDense's result becomes L: no copy for the factor, no matrix kept beside it.
    assert.is(squares, 1, `n×n arrays allocated by the fit: ${squares}`);
    const state = fit!.state!();
    assert.equal(Object.keys(state.tensors), ['l']);
    assert.is(state.info['damping'], 0.25);
    const xTrue = randn(rng, [n, 2]);
    const shifted = c.add(a, c.mul(c.eye(n, 'float64'), 0.25));
    const b = c.matmul(shifted, xTrue);
    const r = fit!.solve(b);
    assert.ok(relErr(r.x.dataSync(), xTrue.dataSync()) < 1e-10);
    // The residual is ‖(A + λI)·x − b‖ of the operator, column by column (the largest).
    const res = c.sub(b, c.matmul(shifted, r.x)).dataSync();
    let worst = 0;
    for (let j = 0; j < 2; j++) {
      let ss = 0;
      for (let i = 0; i < n; i++) ss += res[i * 2 + j]! ** 2;
      worst = Math.max(worst, Math.sqrt(ss));
    }
    assert.ok(Math.abs(r.residualNorm - worst) <= 1e-12 + 1e-6 * worst, `residual ${r.residualNorm} vs ${worst}`);
    // A state saved before the matrix was dropped (it also holds 'matrix'): restored, the matrix freed.
    const matrix = c.keep(c.add(shifted, 0));
    const restored = c.restoreSolver('direct', op, { tensors: { l: c.keep(c.add(state.tensors['l']!, 0)), matrix }, info: { factorization: 'cholesky', damping: 0.25 } });
    assert.ok(matrix.isDisposed);
    assert.equal(Array.from(restored.solve(b).x.dataSync()), Array.from(r.x.dataSync()));
    assert.throws(() => c.restoreSolver('direct', op, { tensors: { l: c.keep(c.zeros([3, 3], 'float64')) }, info: { factorization: 'cholesky' } }),
      (e: unknown) => e instanceof c.InputError && /needs \[70, 70\]/.test((e as Error).message));
    fit!.dispose();
    restored.dispose();
  });

  s('cg: converges on SPD to the requested tolerance, with history', () => {
    const { a, op } = withSpectrum(rng, logSpaced(60, 1, 1e3));
    const xTrue = randn(rng, [60]);
    const b = c.matmul(a, xTrue);
    const r = c.cg(op, b, { rtol: 1e-10 });
    assert.ok(r.converged);
    assert.ok(r.iterations <= 60 * 2, `iterations ${r.iterations}`);
    assert.is(r.history!.length, r.iterations + 1);
    assert.ok(relErr(r.x.dataSync(), xTrue.dataSync()) < 1e3 * 1e-10 * 10);
    assert.ok(r.residualNorm <= 1e-10 * Math.sqrt(c.sum(c.mul(b, b)).item()));
  });

  s('cg: a Jacobi preconditioner cuts iterations on a badly scaled diagonal-dominant system', () => {
    const n = 80;
    const d = logSpaced(n, 1, 1e4);
    const m = randn(rng, [n, n]);
    const a = c.add(c.mul(c.matmul(m, m, { transB: true }), 1e-3), c.mul(c.eye(n, 'float64'), c.tensor(d, [n], 'float64')));
    const op = c.denseOperator(a);
    const b = randn(rng, [n]);
    const diag = c.tensor(Array.from({ length: n }, (_, i) => a.dataSync()[i * n + i]!), [n], 'float64');
    const plain = c.cg(op, b, { rtol: 1e-10 });
    const pre = c.cg(op, b, { rtol: 1e-10, preconditioner: (r) => c.div(r, diag) });
    assert.ok(plain.converged && pre.converged);
    assert.ok(pre.iterations < plain.iterations, `${pre.iterations} vs ${plain.iterations}`);
    assert.ok(relErr(pre.x.dataSync(), plain.x.dataSync()) < 1e-6);
  });

  s('cg: block right-hand side solves each column; damping; x0', () => {
    const { a, op } = withSpectrum(rng, logSpaced(30, 0.1, 10));
    const xTrue = randn(rng, [30, 4]);
    const b = c.add(c.matmul(a, xTrue), c.mul(xTrue, 0.3));
    const r = c.cg(op, b, { rtol: 1e-12, damping: 0.3 });
    assert.ok(r.converged);
    assert.ok(relErr(r.x.dataSync(), xTrue.dataSync()) < 1e-9);
    const warm = c.cg(op, c.reshape(c.slice(b, [0, 0], [30, 1]), [30]), { rtol: 1e-12, damping: 0.3, x0: c.reshape(c.slice(xTrue, [0, 0], [30, 1]), [30]) });
    assert.ok(warm.iterations <= 1);
  });

  s('cg: non-positive curvature is reported as NotPositiveDefiniteError, not garbage', () => {
    const { op } = withSpectrum(rng, [-2, 1, 2, 3, 4]);
    const err = (() => { try { c.cg(op, c.tensor([1, 1, 1, 1, 1], [5], 'float64'), { rtol: 1e-12 }); } catch (e) { return e; } return null; })();
    assert.ok(err instanceof c.NotPositiveDefiniteError, String(err));
    assert.ok((err as c.NotPositiveDefiniteError).value <= 0);
    assert.match((err as Error).message, /pᵀAp/);
  });

  s('cg: reports non-convergence within maxIter; bad options and mismatched sizes are typed errors', () => {
    const { op } = withSpectrum(rng, logSpaced(50, 1e-3, 1e3));
    const r = c.cg(op, randn(rng, [50]), { rtol: 1e-12, maxIter: 3 });
    assert.is(r.converged, false);
    assert.is(r.iterations, 3);
    assert.throws(() => c.cg(op, randn(rng, [49])), (e: unknown) => e instanceof c.ShapeError);
    assert.throws(() => c.cg(op, randn(rng, [50], 'float32')), (e: unknown) => e instanceof c.DTypeError);
    assert.throws(() => c.cg(op, randn(rng, [50]), { rtol: 0, atol: 0 }), (e: unknown) => e instanceof c.InputError);
    assert.throws(() => c.cg(op, randn(rng, [50]), { maxIter: -1 }), (e: unknown) => e instanceof c.InputError);
    assert.throws(() => c.fitSolver('magic', op), (e: unknown) => e instanceof c.InputError);
  });

  s('cg: NaN in the right-hand side is an InputError', () => {
    const { op } = withSpectrum(rng, [1, 2, 3]);
    assert.throws(() => c.cg(op, c.tensor([1, NaN, 0], [3], 'float64')), (e: unknown) => e instanceof c.InputError);
  });

  s.run();
}
