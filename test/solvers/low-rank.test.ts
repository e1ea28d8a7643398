import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as c from '../../src/index.js';
import { Random } from '../../src/tensor/random.js';
import { randn, relErr, testBackends, throwsType } from '../helpers.js';
import { declaredShift, denseSolve, logSpaced, withSpectrum } from './spectra.js';

/**
 * Arnoldi (Lanczos) low-rank inverse and Nyström sketch-and-solve against dense float64 algebra.
 * Where the rank covers the operator's rank both are exact up to the eigen-solver's accuracy
 * (Lanczos residual ≤ √u·|θ|, so eigenvalues to ~u·κ: we ask 1e-8); where they truncate, the
 * reference is the same formula evaluated with the dense eigendecomposition.
 */
const rng = new Random(23);

/** V·diag(1/(d + λ))·Vᵀ·b + (1/λ)(I − VVᵀ)b from a dense eigendecomposition, top-k by |d|. */
function truncatedInverse(q: c.Tensor, lambdas: number[], k: number, lambda: number, b: c.Tensor): Float64Array {
  const order = lambdas.map((_, i) => i).sort((x, y) => Math.abs(lambdas[y]!) - Math.abs(lambdas[x]!)).slice(0, k);
  const n = lambdas.length;
  const sel = new Float64Array(n * k);
  order.forEach((col, j) => { sel[col * k + j] = 1; });
  const v = c.matmul(q, c.tensor(sel, [n, k], 'float64'));
  const coeff = c.tensor(order.map((i) => 1 / (lambdas[i]! + lambda) - (lambda === 0 ? 0 : 1 / lambda)), [k, 1], 'float64');
  const proj = c.matmul(v, c.mul(c.matmul(v, b, { transA: true }), coeff));
  return Float64Array.from((lambda === 0 ? proj : c.add(proj, c.mul(b, 1 / lambda))).dataSync());
}

for (const backend of testBackends()) {
  const test = suite(`low-rank solvers [${backend}]`);
  test.before(() => { c.setBackend(backend); });

  test('arnoldi: exact for a low-rank PSD operator plus damping when rank ≥ rank(A)', () => {
    const lambdas = [50, 20, 8, 3, 1, ...new Array(35).fill(0)];
    const { a, op } = withSpectrum(rng, lambdas);
    const b = randn(rng, [40, 3]);
    const r = c.arnoldiSolve(op, b, { rank: 5, damping: 0.1, computeResidual: true });
    assert.ok(relErr(r.x.dataSync(), denseSolve(a, b, 0.1)) < 1e-8, `rel ${relErr(r.x.dataSync(), denseSolve(a, b, 0.1))}`);
    assert.ok(r.residualNorm < 1e-7);
    assert.ok(relErr(r.info!['eigenvalues'] as number[], [50, 20, 8, 3, 1]) < 1e-10);
    assert.is(r.info!['complement'], '(1/λ)(I − VVᵀ)b');
  });

  test('arnoldi: full rank on an indefinite operator is the exact inverse (complement dropped at λ = 0)', () => {
    const lambdas = [-4, -1.5, -0.5, 0.7, 1, 2, 3, 6, 9, 12];
    const { a, op } = withSpectrum(rng, lambdas);
    const b = randn(rng, [10]);
    const r = c.arnoldiSolve(op, b, { rank: 10 });
    assert.equal(r.x.shape, [10]);
    assert.ok(relErr(r.x.dataSync(), denseSolve(a, b)) < 1e-8);
    assert.is(r.info!['complement'], 'dropped (λ = 0)');
  });

  test('arnoldi: truncated rank matches V(D + λ)⁻¹Vᵀb + (1/λ)(I − VVᵀ)b, and pyDVL’s VD⁻¹Vᵀb at λ = 0', () => {
    const lambdas = [-30, 25, 12, -6, 4, 2, 1, 0.5, 0.3, 0.2, 0.1, 0.05, 0.02, 0.01, 0.005, 0.002, 0.001, 0.0005, 0.0002, 0.0001];
    const { op, q } = withSpectrum(rng, lambdas);
    const b = randn(rng, [20, 2]);
    for (const lambda of [0.3, 0]) {
      const r = c.arnoldiSolve(op, b, { rank: 6, damping: lambda });
      const ref = truncatedInverse(q, lambdas, 6, lambda, b);
      assert.ok(relErr(r.x.dataSync(), ref) < 1e-8, `λ=${lambda}: rel ${relErr(r.x.dataSync(), ref)}`);
    }
    // A zero eigenvalue at λ = 0 is skipped (pseudo-inverse), not divided by.
    const { op: lowRank } = withSpectrum(rng, [3, 2, 1, 0, 0, 0]);
    const pinv = c.arnoldiSolve(lowRank, randn(rng, [6]), { rank: 4 });
    assert.ok(pinv.x.dataSync().every(Number.isFinite));
    assert.is(pinv.info!['droppedZeroEigenvalues'], 1);
  });

  test('arnoldi and nystrom use a declared shift (base + s·I) as damping, exact in the complement', () => {
    const lambdas = [40, 10, 5, 1, ...new Array(26).fill(0)];
    const { a, op: base } = withSpectrum(rng, lambdas);
    const op = declaredShift(base, 0.2);
    const b = randn(rng, [30, 2]);
    const ref = denseSolve(a, b, 0.2 + 0.05);
    const ar = c.arnoldiSolve(op, b, { rank: 4, damping: 0.05 });
    assert.ok(relErr(ar.x.dataSync(), ref) < 1e-8);
    assert.is(ar.info!['lambda'], 0.25);
    const ny = c.nystrom(op, b, { rank: 6, damping: 0.05, computeResidual: true });
    assert.ok(relErr(ny.x.dataSync(), ref) < 1e-8);
    assert.ok(ny.residualNorm < 1e-7);
  });

  test('nystrom: exact when the sketch covers rank(A); converges with the rank otherwise', () => {
    const lambdas = [9, 7, 5, 3, 1, ...new Array(35).fill(0)];
    const { a, op } = withSpectrum(rng, lambdas);
    const b = randn(rng, [40, 3]);
    const r = c.nystrom(op, b, { rank: 8, damping: 0.01 });
    assert.ok(relErr(r.x.dataSync(), denseSolve(a, b, 0.01)) < 1e-8, `rel ${relErr(r.x.dataSync(), denseSolve(a, b, 0.01))}`);
    // λ = 0 and b in the range of A: the pseudo-inverse solve is exact.
    const inRange = c.matmul(a, randn(rng, [40]));
    const pinv = c.nystrom(op, inRange, { rank: 8 });
    assert.ok(relErr(c.matmul(a, pinv.x).dataSync(), inRange.dataSync()) < 1e-8);
    // A full-rank operator with a decaying spectrum: the error falls as the rank grows.
    const decay = logSpaced(60, 1e-4, 1e2).reverse();
    const { a: a2, op: op2 } = withSpectrum(rng, decay);
    const b2 = randn(rng, [60]);
    const ref = denseSolve(a2, b2, 0.1);
    const errs = [4, 12, 30, 60].map((k) => relErr(c.nystrom(op2, b2, { rank: k, damping: 0.1, seed: 2 }).x.dataSync(), ref));
    for (let i = 1; i < errs.length; i++) assert.ok(errs[i]! < errs[i - 1]!, errs.join(', '));
    assert.ok(errs[3]! < 1e-8, errs.join(', '));
  });

  test('nystrom: power iterations bring a slowly decaying spectrum close to the best rank-r approximation', () => {
    // λᵢ = 1/i: a single-pass sketch captures the top eigenspace poorly. Measure ‖A − Â‖_F against
    // the optimum √(Σ_{i>r} λᵢ²) of the eigen truncation (Eckart–Young).
    const n = 80, r = 10;
    const lambdas = Array.from({ length: n }, (_, i) => 1 / (i + 1));
    const { a, op } = withSpectrum(rng, lambdas);
    const optimum = Math.sqrt(lambdas.slice(r).reduce((s, l) => s + l * l, 0));
    const errs = [0, 1, 3].map((q) => {
      const ap = c.nystromApproximation(op, r, 4, q);
      const approx = c.matmul(c.mul(ap.U, c.tensor(Array.from(ap.lambdas), [1, r], 'float64')), ap.U, { transB: true });
      const d = c.sub(a, approx).dataSync();
      ap.U.dispose();
      return Math.sqrt(Array.from(d).reduce((s, v) => s + v * v, 0)) / optimum;
    });
    assert.ok(errs[1]! < errs[0]! && errs[2]! < errs[1]!, errs.join(', '));
    assert.ok(errs[2]! < 1.1, `q = 3: ${errs[2]}× the optimum`);
    throwsType(() => c.fitNystrom(op, { rank: r, powerIterations: -1 }), c.InputError);
    throwsType(() => c.fitNystrom(op, { rank: r, powerIterations: 0.5 }), c.InputError);
  });

  test('low-rank: rank > n, bad ranks, mismatched sizes and indefinite sketches are typed errors', () => {
    const { op } = withSpectrum(rng, [4, 3, 2, 1]);
    throwsType(() => c.fitArnoldi(op, { rank: 5 }), c.ShapeError);
    throwsType(() => c.fitNystrom(op, { rank: 5 }), c.ShapeError);
    throwsType(() => c.fitArnoldi(op, { rank: 0 }), c.InputError);
    throwsType(() => c.fitNystrom(op, { rank: 1.5 }), c.InputError);
    const s = c.fitNystrom(op, { rank: 4, damping: 0.1 });
    throwsType(() => s.solve(randn(rng, [5])), c.ShapeError);
    throwsType(() => s.solve(randn(rng, [4], 'float32')), c.DTypeError);
    s.dispose();
    throwsType(() => c.fitNystrom(withSpectrum(rng, [-1, 1, 2]).op, { rank: 3 }), c.NotPositiveDefiniteError);
    // dᵢ + λ = 0: the approximation is singular.
    throwsType(() => c.fitArnoldi(withSpectrum(rng, [-1, 2, 3]).op, { rank: 3, damping: 1 }), c.NotPositiveDefiniteError);
  });

  test.run();
}
