import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as c from '../../src/index.js';
import { Random } from '../../src/tensor/random.js';
import { randn, relErr, testBackends, throwsType } from '../helpers.js';
import { column, denseSolve, logSpaced, withSpectrum } from './spectra.js';

/**
 * Block CG and the preconditioners against dense float64 solves on operators with known spectra.
 * Tolerances: a CG-type solve stopped at ‖r‖ ≤ rtol·‖b‖ has relative error ≤ κ·rtol, so with
 * κ = 1e4 and rtol = 1e-11 we ask for 1e-6 (a factor 10 of slack for the recursive residual).
 */
const rng = new Random(11);

for (const backend of testBackends()) {
  const test = suite(`block-cg and preconditioners [${backend}]`);
  test.before(() => { c.setBackend(backend); });

  test('block-cg: matches the dense solve and column-wise CG on an SPD block', () => {
    const { a, op } = withSpectrum(rng, logSpaced(60, 1e-2, 1e2));
    const b = randn(rng, [60, 4]);
    const ref = denseSolve(a, b);
    const r = c.blockCg(op, b, { rtol: 1e-11 });
    assert.ok(r.converged);
    assert.equal(r.x.shape, [60, 4]);
    assert.ok(relErr(r.x.dataSync(), ref) < 1e-6, `rel ${relErr(r.x.dataSync(), ref)}`);
    const cw = c.cg(op, b, { rtol: 1e-11 });
    for (let j = 0; j < 4; j++) assert.ok(relErr(column(r.x, j), column(cw.x, j)) < 1e-6);
    // A block of 4 shares its Krylov space: fewer iterations than single-vector CG needs.
    assert.ok(r.iterations < cw.iterations, `${r.iterations} vs ${cw.iterations}`);
    assert.is(r.history!.length, r.iterations + 1);
    const per = r.info!['perColumn'] as { converged: boolean; residualNorm: number }[];
    assert.is(per.length, 4);
    assert.ok(per.every((p) => p.converged));
    assert.ok(r.residualNorm <= 1e-11 * Math.max(...Array.from({ length: 4 }, (_, j) => Math.hypot(...column(b, j)))));
  });

  test('block-cg: a rank-deficient right-hand side block (duplicate, dependent and zero columns) does not break down', () => {
    const { a, op } = withSpectrum(rng, logSpaced(40, 0.1, 100));
    const b1 = randn(rng, [40, 1]), b2 = randn(rng, [40, 1]);
    const b = c.concat([b1, b2, b1, c.add(b1, c.mul(b2, 2)), c.zeros([40, 1], 'float64'), b1], 1);
    const r = c.blockCg(op, b, { rtol: 1e-12 });
    assert.ok(r.converged);
    const ref = denseSolve(a, b);
    assert.ok(relErr(r.x.dataSync(), ref) < 1e-8, `rel ${relErr(r.x.dataSync(), ref)}`);
    assert.equal(Array.from(column(r.x, 4)), new Array(40).fill(0));
    // Two independent directions: the search block keeps ≈ 2 columns, so the work is that of solving [b1, b2]
    // (up to a column that round-off separates at the very end, when the residuals are ~1e-12‖b‖).
    const pair = c.blockCg(op, c.concat([b1, b2], 1), { rtol: 1e-12 });
    assert.ok(Math.abs(r.iterations - pair.iterations) <= 1, `${r.iterations} vs ${pair.iterations}`);
    assert.ok((r.info!['operatorProducts'] as number) <= (pair.info!['operatorProducts'] as number) + 4);
  });

  test('block-cg: vector right-hand side, damping, x0 and a Jacobi preconditioner', () => {
    const { a, op } = withSpectrum(rng, logSpaced(30, 0.1, 10));
    const b = randn(rng, [30]);
    const r = c.blockCg(op, b, { rtol: 1e-12, damping: 0.5 });
    assert.equal(r.x.shape, [30]);
    assert.ok(relErr(r.x.dataSync(), denseSolve(a, b, 0.5)) < 1e-10);
    const warm = c.blockCg(op, b, { rtol: 1e-12, damping: 0.5, x0: r.x });
    assert.ok(warm.iterations <= 1);
    // Badly scaled diagonal: Jacobi cuts the iterations.
    const n = 50;
    const d = logSpaced(n, 1, 1e4);
    const m = randn(rng, [n, n]);
    const big = c.add(c.mul(c.matmul(m, m, { transB: true }), 1e-3), c.mul(c.eye(n, 'float64'), c.tensor(d, [n], 'float64')));
    const bop = c.denseOperator(big);
    const diag = c.tensor(Array.from({ length: n }, (_, i) => big.dataSync()[i * n + i]!), [n], 'float64');
    const rhs = randn(rng, [n, 3]);
    const plain = c.blockCg(bop, rhs, { rtol: 1e-10 });
    const pre = c.blockCg(bop, rhs, { rtol: 1e-10, preconditioner: c.jacobiPreconditioner(diag) });
    assert.ok(plain.converged && pre.converged);
    assert.ok(pre.iterations < plain.iterations, `${pre.iterations} vs ${plain.iterations}`);
    assert.ok(relErr(pre.x.dataSync(), denseSolve(big, rhs)) < 1e-6);
    // A plain function (not marked acceptsBlocks) is applied column by column.
    const fn = c.blockCg(bop, rhs, { rtol: 1e-10, preconditioner: (v) => c.div(v, diag) });
    assert.ok(relErr(fn.x.dataSync(), pre.x.dataSync()) < 1e-8);
  });

  test('block-cg: non-positive curvature is a NotPositiveDefiniteError with the Rayleigh quotient', () => {
    const { op } = withSpectrum(rng, [-2, 1, 2, 3, 4, 5]);
    let err: unknown = null;
    try { c.blockCg(op, randn(rng, [6, 2]), { rtol: 1e-12 }); } catch (e) { err = e; }
    assert.instance(err, c.NotPositiveDefiniteError);
    assert.ok((err as c.NotPositiveDefiniteError).value <= 0);
    assert.match((err as Error).message, /PᵀAP/);
  });

  test('block-cg: maxIter, bad options and mismatched shapes are reported', () => {
    const { op } = withSpectrum(rng, logSpaced(40, 1e-3, 1e3));
    const r = c.blockCg(op, randn(rng, [40, 2]), { rtol: 1e-12, maxIter: 2 });
    assert.is(r.converged, false);
    assert.is(r.iterations, 2);
    throwsType(() => c.blockCg(op, randn(rng, [39, 2])), c.ShapeError);
    throwsType(() => c.blockCg(op, randn(rng, [40, 2], 'float32')), c.DTypeError);
    throwsType(() => c.blockCg(op, randn(rng, [40]), { rtol: 0, atol: 0 }), c.InputError);
    throwsType(() => c.blockCg(op, c.tensor(new Float64Array(40).fill(NaN), [40], 'float64')), c.InputError);
    throwsType(() => c.fitBlockCg(op, { maxIter: -1 }), c.InputError);
  });

  test('block-cg: float32 operator converges to a float32 tolerance', () => {
    const { a, op } = withSpectrum(rng, logSpaced(30, 0.5, 50), 'float32');
    const b = randn(rng, [30, 3], 'float32');
    const r = c.blockCg(op, b, { rtol: 1e-5 });
    assert.ok(r.converged);
    assert.is(r.x.dtype, 'float32');
    // κ = 100, rtol 1e-5, float32 arithmetic: 1e-3 relative.
    assert.ok(relErr(r.x.dataSync(), denseSolve(c.cast(a, 'float64'), c.cast(b, 'float64'))) < 1e-3);
  });

  test('jacobi preconditioner: exact diagonal, estimated diagonal, and a non-positive entry', () => {
    const n = 60;
    const d = logSpaced(n, 1, 1e4);
    const m = randn(rng, [n, n]);
    const a = c.add(c.mul(c.matmul(m, m, { transB: true }), 1e-3), c.mul(c.eye(n, 'float64'), c.tensor(d, [n], 'float64')));
    const op = c.denseOperator(a);
    const b = randn(rng, [n]);
    const plain = c.cg(op, b, { rtol: 1e-10 });
    const exact = c.jacobiPreconditioner(c.tensor(Array.from({ length: n }, (_, i) => a.dataSync()[i * n + i]!), [n], 'float64'));
    const pre = c.cg(op, b, { rtol: 1e-10, preconditioner: exact });
    // denseOperator has no diagonal(): Hutchinson with 100 Rademacher probes.
    const est = c.jacobiPreconditionerFor(op, { probes: 100, seed: 3 });
    assert.match(String(est.info['diagonal']), /hutchinson/);
    const preEst = c.cg(op, b, { rtol: 1e-10, preconditioner: est });
    assert.ok(pre.converged && preEst.converged && plain.converged);
    assert.ok(pre.iterations < plain.iterations / 2, `${pre.iterations} vs ${plain.iterations}`);
    assert.ok(preEst.iterations < plain.iterations, `${preEst.iterations} vs ${plain.iterations}`);
    assert.ok(relErr(pre.x.dataSync(), denseSolve(a, b)) < 1e-6);
    exact.dispose(); est.dispose();
    // With a closed-form diagonal the preconditioner is exact and says so.
    const dop = c.diagonalOperator(c.tensor([1, 2, 3], [3], 'float64'));
    assert.is(c.jacobiPreconditionerFor(dop).info['diagonal'], 'exact');
    throwsType(() => c.jacobiPreconditioner(c.tensor([1, -2, 3], [3], 'float64')), c.NotPositiveDefiniteError, /index 1/);
    assert.ok(c.jacobiPreconditioner(c.tensor([1, -2, 3], [3], 'float64'), 2.5));
    throwsType(() => c.jacobiPreconditioner(c.tensor([[1, 2]], [1, 2], 'float64')), c.ShapeError);
  });

  test('jacobi preconditioner from an estimate: the declared shift is added exactly, negative estimates floored', () => {
    // Base = a dense PSD matrix whose first 10 diagonal entries are 0 (rows/columns of zeros, like
    // pixels that are always 0); with 8 probes their Hutchinson estimates are noise of both signs.
    const n = 40;
    const m = randn(rng, [n, n]);
    const mask = c.tensor(Array.from({ length: n }, (_, i) => (i < 10 ? 0 : 1)), [n, 1], 'float64');
    const base = c.denseOperator(c.tidy(() => { const mm = c.mul(m, mask); return c.matmul(mm, mm, { transB: true }); }));
    const shift = 1e-3;
    const op = { ...c.shifted(base, shift), shift, base };
    const p = c.jacobiPreconditionerFor(op, { probes: 8, seed: 1 });
    assert.ok((p.info['clamped'] as number) > 0, `clamped ${String(p.info['clamped'])}`);
    assert.is(p.info['shift'], shift);
    // Exactly-zero base entries: M = shift there, so M⁻¹·e₀ = e₀/shift.
    const e0 = c.tensor(Array.from({ length: n }, (_, i) => (i === 0 ? 1 : 0)), [n], 'float64');
    const y = p(e0).dataSync();
    assert.ok(y[0]! <= 1 / shift + 1e-9 && y[0]! > 0, `${y[0]}`);
    p.dispose();
    // Without a declared shift the same noise is floored at 0, and M is singular there: a typed error.
    throwsType(() => c.jacobiPreconditionerFor(base, { probes: 8, seed: 1 }), c.NotPositiveDefiniteError);
  });

  test('nystrom preconditioner: a few large eigenvalues over a flat bulk — far fewer CG iterations', () => {
    // 8 eigenvalues in [1e2, 1e4] over 112 in [1e-2, 1]: κ(A + μI) ≈ 1e6 at μ = 1e-2.
    const lambdas = [...logSpaced(8, 1e2, 1e4), ...logSpaced(112, 1e-2, 1)];
    const { a, op } = withSpectrum(rng, lambdas);
    const b = randn(rng, [120]);
    const mu = 1e-2;
    const plain = c.cg(op, b, { rtol: 1e-10, damping: mu });
    const p = c.nystromPreconditioner(op, 12, { seed: 5, damping: mu });
    const pre = c.cg(op, b, { rtol: 1e-10, damping: mu, preconditioner: p });
    assert.ok(plain.converged && pre.converged);
    assert.ok(pre.iterations < plain.iterations / 2, `${pre.iterations} vs ${plain.iterations}`);
    assert.ok(relErr(pre.x.dataSync(), denseSolve(a, b, mu)) < 1e-6);
    // The sketch recovers the top eigenvalues (rank 12 ≥ 8 big ones: relative error small).
    assert.ok(Math.abs((p.info['lambdaMax'] as number) - 1e4) / 1e4 < 1e-3, String(p.info['lambdaMax']));
    // Block CG accepts it as a block preconditioner.
    const bb = c.blockCg(op, c.reshape(b, [120, 1]), { rtol: 1e-10, damping: mu, preconditioner: p });
    assert.ok(bb.converged && bb.iterations < plain.iterations / 2);
    p.dispose();
  });

  test('nystromApproximation: exact for rank(A) ≤ r; typed errors for rank > n and an indefinite operator', () => {
    const lambdas = [5, 4, 3, 2, 1, ...new Array(25).fill(0)];
    const { a, op } = withSpectrum(rng, lambdas);
    const { U, lambdas: l, rank } = c.nystromApproximation(op, 8, 1);
    assert.is(rank, 8);
    assert.equal(U.shape, [30, 8]);
    assert.ok(relErr(Array.from(l).slice(0, 5), [5, 4, 3, 2, 1]) < 1e-10);
    assert.ok(Array.from(l).slice(5).every((v) => Math.abs(v) < 1e-10));
    const approx = c.matmul(c.mul(U, c.tensor(l, [1, 8], 'float64')), U, { transB: true });
    assert.ok(relErr(approx.dataSync(), a.dataSync()) < 1e-10);
    const utu = c.matmul(U, U, { transA: true });
    assert.ok(relErr(utu.dataSync(), c.eye(8, 'float64').dataSync()) < 1e-12);
    throwsType(() => c.nystromApproximation(op, 31), c.ShapeError);
    throwsType(() => c.nystromApproximation(op, 0), c.InputError);
    const { op: indefinite } = withSpectrum(rng, [-3, -2, -1, 1, 2, 3]);
    throwsType(() => c.nystromApproximation(indefinite, 6), c.NotPositiveDefiniteError);
    // rank < n with no damping and a rank-deficient operator: λ̂_r + μ = 0 is refused.
    throwsType(() => c.nystromPreconditioner(op, 8), c.InputError);
  });

  test.run();
}
