import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as c from '../../src/index.js';
import { Random } from '../../src/tensor/random.js';
import { pearson, randn, relErr, testBackends, throwsType } from '../helpers.js';
import { column, denseSolve, logSpaced, withSpectrum } from './spectra.js';

/**
 * Neumann series and LiSSA. Deterministic series against dense solves (error ≤ κ·rtol); LiSSA
 * against dense solves by correlation and relative error, with the sampling-error bound that
 * recommendLissa reports as the yardstick; divergence diagnosed with the scale it needs.
 */
const rng = new Random(37);

/** A least-squares finite sum A = (1/N)·Σ xᵢxᵢᵀ + s·I as a StochasticOperator, and its dense matrix. */
function leastSquares(n: number, d: number, shift: number): { op: c.StochasticOperator; dense: c.Tensor; data: c.Tensor } {
  const scales = c.tensor(logSpaced(d, 0.2, 2), [1, d], 'float64');
  const x = c.keep(c.mul(randn(rng, [n, d]), scales));
  const op = c.finiteSumOperator({
    size: d, dtype: 'float64', numSamples: n, shift,
    meanProduct: (idx, v) => c.tidy(() => {
      const xi = c.gather(x, c.tensor(idx, [idx.length], 'int32'));
      return c.mul(c.matmul(xi, c.matmul(xi, v), { transA: true }), 1 / idx.length);
    }),
  });
  const dense = c.keep(c.add(c.mul(c.matmul(x, x, { transA: true }), 1 / n), c.mul(c.eye(d, 'float64'), shift)));
  return { op, dense, data: x };
}

/** Softmax regression on synthetic 3-class data, trained by L-BFGS: a small objective with a PSD Hessian. */
function softmaxProblem(): { objective: c.Objective; theta: c.Tensor; data: c.Dataset } {
  const n = 300, d = 6, k = 3;
  const w = Float64Array.from({ length: d * k }, () => rng.normal());
  const xs = Float64Array.from({ length: n * d }, () => rng.normal());
  const ys = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0, bv = -Infinity;
    for (let j = 0; j < k; j++) {
      let s = rng.normal();
      for (let f = 0; f < d; f++) s += xs[i * d + f]! * w[f * k + j]!;
      if (s > bv) { bv = s; best = j; }
    }
    ys[i] = best;
  }
  const data = { x: c.keep(c.tensor(xs, [n, d], 'float64')), y: c.keep(c.tensor(ys, [n], 'int32')) };
  const model = c.Sequential.mlp([d, k]);
  const objective = new c.Objective(model, c.crossEntropyLoss, 1e-3);
  const { theta } = c.fitLbfgs(objective, model.init({ seed: 1, dtype: 'float64' }), data, { maxIter: 200 });
  return { objective, theta: c.keep(theta), data };
}

for (const backend of testBackends()) {
  const test = suite(`neumann and lissa [${backend}]`);
  test.before(() => { c.setBackend(backend); });

  test('neumann: converges with the estimated scale; error ≤ κ·rtol; vector and block right-hand sides', () => {
    const { a, op } = withSpectrum(rng, logSpaced(30, 1, 10));
    const b = randn(rng, [30, 3]);
    const r = c.neumann(op, b, { rtol: 1e-10, maxIter: 2000 });
    assert.ok(r.converged);
    assert.ok(r.info!['scaleEstimated']);
    // σ = 1.1·λ_max from Lanczos: λ_max = 10 to many digits on n = 30.
    assert.ok(Math.abs((r.info!['scale'] as number) - 11) < 1e-6);
    assert.ok(relErr(r.x.dataSync(), denseSolve(a, b)) < 1e-8);
    assert.is(r.history!.length, r.iterations + 1);
    const v = c.neumann(op, c.reshape(c.slice(b, [0, 0], [30, 1]), [30]), { rtol: 1e-10, maxIter: 2000, damping: 0.5, scale: 12 });
    assert.equal(v.x.shape, [30]);
    assert.ok(relErr(v.x.dataSync(), denseSolve(a, c.reshape(c.slice(b, [0, 0], [30, 1]), [30]), 0.5)) < 1e-8);
    const short = c.neumann(op, b, { rtol: 1e-12, maxIter: 5, scale: 11 });
    assert.is(short.converged, false);
    assert.is(short.iterations, 5);
  });

  test('neumann: a scale below λ_max/2 diverges with a DivergenceError that suggests ≥ λ_max; the suggestion works', () => {
    const { a, op } = withSpectrum(rng, logSpaced(30, 1, 10));
    const b = randn(rng, [30]);
    let err: unknown = null;
    try { c.neumann(op, b, { scale: 3, maxIter: 500 }); } catch (e) { err = e; }
    assert.instance(err, c.DivergenceError);
    const suggested = (err as c.DivergenceError).suggestedScale!;
    assert.ok(suggested >= 10 && suggested <= 12, String(suggested));
    assert.match((err as Error).message, /scale 3/);
    const ok = c.neumann(op, b, { scale: suggested, rtol: 1e-10, maxIter: 2000 });
    assert.ok(ok.converged);
    assert.ok(relErr(ok.x.dataSync(), denseSolve(a, b)) < 1e-8);
  });

  test('neumann: an indefinite operator diverges for every scale (no suggestedScale); bad scales are InputErrors', () => {
    const { op } = withSpectrum(rng, [-2, 1, 2, 3, 4, 5]);
    let err: unknown = null;
    try { c.neumann(op, randn(rng, [6]), { maxIter: 1000 }); } catch (e) { err = e; }
    assert.instance(err, c.DivergenceError);
    assert.is((err as c.DivergenceError).suggestedScale, undefined);
    assert.match((err as Error).message, /negative eigenvalue/);
    const { op: spd } = withSpectrum(rng, [1, 2, 3]);
    throwsType(() => c.neumann(spd, randn(rng, [3]), { scale: 0 }), c.InputError);
    throwsType(() => c.neumann(spd, randn(rng, [3]), { scale: -1 }), c.InputError);
    throwsType(() => c.neumann(spd, randn(rng, [4]), { scale: 5 }), c.ShapeError);
  });

  test('recommendLissa: Theorem 1 of 003 from λ_max (Lanczos) and Tr (Hutchinson) of the data part', () => {
    const { op, dense } = leastSquares(400, 8, 0.05);
    const h = c.sub(dense, c.mul(c.eye(8, 'float64'), 0.05));
    const ev = c.eigvalsh(h).dataSync();
    const lambdaMax = ev[7]!;
    let trace = 0;
    for (let i = 0; i < 8; i++) trace += h.dataSync()[i * 8 + i]!;
    const rec = c.recommendLissa(op, 0.01, { seed: 3, targetError: 0.3 });
    const e = rec.estimates;
    assert.ok(Math.abs(e.lambdaMax - lambdaMax) <= 1e-8 * lambdaMax, `${e.lambdaMax} vs ${lambdaMax}`);
    assert.ok(Math.abs(e.trace - trace) <= 4 * e.traceStandardError + 1e-12, `${e.trace} ± ${e.traceStandardError} vs ${trace}`);
    assert.ok(Math.abs(e.lambda - 0.06) < 1e-15);
    assert.ok(Math.abs(rec.scale - (lambdaMax + 0.06)) < 1e-8);
    assert.is(rec.depth, Math.ceil(2 * rec.scale / 0.06));
    assert.is(e.theoremBatchSize, Math.ceil(2 * e.trace / e.lambdaMax));
    assert.ok(rec.batchSize >= e.theoremBatchSize && rec.batchSize <= 400);
    assert.ok(e.samplingError <= 0.3 + 1e-12);
    // λ = shift + damping = 0: T would be infinite.
    throwsType(() => c.recommendLissa(c.denseOperator(h), 0), c.InputError);
  });

  test('lissa: auto hyperparameters on a least-squares finite sum — correlation ≥ 0.99 with the exact solve', () => {
    const { op, dense } = leastSquares(400, 8, 0.05);
    const b = randn(rng, [8, 3]);
    const ref = denseSolve(dense, b, 0.01);
    const r = c.lissa(op, b, { damping: 0.01, seed: 1 });
    assert.ok(r.converged);
    const rec = r.info!['recommendation'] as c.LissaRecommendation;
    assert.is(r.iterations, rec.depth);
    for (let j = 0; j < 3; j++) {
      const corr = pearson(Array.from(column(r.x, j)), Array.from({ length: 8 }, (_, i) => ref[i * 3 + j]!));
      assert.ok(corr >= 0.99, `column ${j}: correlation ${corr}`);
    }
    // The sampling-error bound (≤ 0.1) plus the convergence term (1 − λη)^T ≈ e⁻² of the slowest direction.
    assert.ok(relErr(r.x.dataSync(), ref) < 0.2, `rel ${relErr(r.x.dataSync(), ref)}`);
  });

  test('lissa: with full batches it is the Neumann series of (A + λ + σ·dampen)⁻¹; repeats average', () => {
    const { op, dense } = leastSquares(200, 6, 0.1);
    const b = randn(rng, [6]);
    const r = c.lissa(op, b, { scale: 4, depth: 3000, batchSize: 200, dampen: 0.01, damping: 0.02, computeResidual: true });
    assert.equal(r.x.shape, [6]);
    assert.ok(relErr(r.x.dataSync(), denseSolve(dense, b, 0.02 + 4 * 0.01)) < 1e-10);
    assert.ok(r.residualNorm < 1e-9);
    assert.is(r.info!['effectiveDamping'], 0.06);
    const rep = c.lissa(op, b, { scale: 4, depth: 3000, batchSize: 200, repeats: 3, damping: 0.02 });
    assert.ok(relErr(rep.x.dataSync(), denseSolve(dense, b, 0.02)) < 1e-10);
    // Early stopping on the relative update.
    const early = c.lissa(op, b, { scale: 4, depth: 3000, batchSize: 200, damping: 0.02, rtol: 1e-6 });
    assert.ok(early.converged && early.iterations < 3000);
  });

  test('lissa: a scale that is too small throws DivergenceError with suggestedScale ≥ λ_max', () => {
    const { op, dense } = leastSquares(200, 6, 0.1);
    const lambdaMax = c.eigvalsh(dense).dataSync()[5]!;
    let err: unknown = null;
    try { c.lissa(op, randn(rng, [6]), { scale: lambdaMax / 4, depth: 2000, batchSize: 200 }); } catch (e) { err = e; }
    assert.instance(err, c.DivergenceError);
    const s = (err as c.DivergenceError).suggestedScale!;
    assert.ok(s >= lambdaMax && s <= 1.2 * lambdaMax, `${s} vs λ_max ${lambdaMax}`);
    throwsType(() => c.lissa(op, randn(rng, [6]), { scale: 0 }), c.InputError);
    throwsType(() => c.lissa(op, randn(rng, [6]), { scale: 1, dampen: 1 }), c.InputError);
    // A plain operator has no minibatch products: a clear InputError pointing at neumann.
    throwsType(() => c.lissa(c.denseOperator(dense), randn(rng, [6])), c.InputError, /StochasticOperator/);
  });

  test('lissa on a softmax-regression objective: minibatch HVPs, auto hyperparameters, correlation ≥ 0.99', () => {
    const { objective, theta, data } = softmaxProblem();
    const damping = 0.01;
    const exactOp = c.hessianOperator(objective, theta, data, { damping });
    const g = c.transpose(objective.perSampleGradients(theta, c.batchOf(data, 0, 3)));
    const ref = c.direct(exactOp, g).x;
    for (const hessian of ['exact', 'gauss-newton'] as const) {
      const sop = c.minibatchHessianOperator(objective, theta, data, { damping, hessian });
      assert.ok(Math.abs(sop.shift - (1e-3 + damping)) < 1e-15);
      // The full product is the curvature operator's; a full "minibatch" is too.
      const v = randn(rng, [theta.size]);
      assert.ok(relErr(sop.matvec(v).dataSync(), exactOp.matvec(v).dataSync()) < 1e-12);
      assert.ok(relErr(sop.sampleMatvec(v, 300, new Random(0)).dataSync(), exactOp.matvec(v).dataSync()) < 1e-12);
      const fitted = c.fitLissa(sop, { seed: 2 });
      const r = fitted.solve(g);
      for (let j = 0; j < 3; j++) {
        const corr = pearson(Array.from(column(r.x, j)), Array.from(column(ref, j)));
        assert.ok(corr >= 0.99, `${hessian}, column ${j}: correlation ${corr}`);
      }
    }
  });

  test.run();
}
