import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as c from '../../src/index.js';
import { Random } from '../../src/tensor/random.js';
import { norm, randn, relErr, testBackends, throwsType } from '../helpers.js';

/**
 * Optimisers. L-BFGS must reach ‖∇J‖ ≤ 1e-8 in float64 on convex problems (the tolerance the
 * influence-function code relies on: a residual gradient g biases every influence estimate by
 * H⁻¹g) and on Rosenbrock from the textbook start. SGD/Adam are checked by exact single steps
 * (relative 1e-12, float64: one or two roundings) and by a clear loss decrease on a small problem.
 */
const GRAD_TOL = 1e-8;


/** Labels from a random linear rule, 10% flipped: separable-ish, so weight decay keeps the optimum finite. */
function logisticData(rng: Random, n: number, d: number): c.Dataset {
  const w = Array.from({ length: d }, () => rng.normal());
  const x = randn(rng, [n, d]);
  const xd = x.dataSync();
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0.3;
    for (let j = 0; j < d; j++) s += w[j]! * xd[i * d + j]!;
    y[i] = (s > 0) !== (rng.uniform() < 0.1) ? 1 : 0;
  }
  return { x, y: c.tensor(y, [n, 1], 'float64') };
}

function rosenbrock(v: Float64Array): { value: number; grad: Float64Array } {
  const x = v[0]!, y = v[1]!;
  return {
    value: 100 * (y - x * x) ** 2 + (1 - x) ** 2,
    grad: Float64Array.of(-400 * x * (y - x * x) - 2 * (1 - x), 200 * (y - x * x)),
  };
}

for (const backend of testBackends()) {
  const s = suite(`nn optim [${backend}]`);
  s.before.each(() => { c.setBackend(backend); });

  s('fitLbfgs: logistic regression with weight decay 1e-2 reaches ‖∇J‖ ≤ 1e-8 (float64)', () => {
    const rng = new Random(99);
    const data = logisticData(rng, 200, 5);
    const model = c.Sequential.mlp([5, 1]);
    const obj = new c.Objective(model, c.bceWithLogitsLoss, 1e-2);
    obj.validate(data);
    const theta0 = model.init({ seed: 1, dtype: 'float64' });
    const iterations: number[] = [];
    const { theta, result } = c.fitLbfgs(obj, theta0, data, { gradTol: GRAD_TOL, batchSize: 64, onIteration: (i) => iterations.push(i.value) });
    assert.ok(result.converged, result.message);
    assert.ok(result.gradNorm <= GRAD_TOL, `reported ‖∇J‖ = ${result.gradNorm}`);
    assert.is(theta.dtype, 'float64');
    assert.not.ok(theta0.isDisposed, 'θ₀ untouched');
    // independent check of stationarity, with another batching and with valueAndGrad
    const again = obj.fullValueAndGrad(theta, data, 200);
    assert.ok(norm(again.grad) <= GRAD_TOL, `recomputed ‖∇J‖ = ${norm(again.grad)}`);
    const vg = c.valueAndGrad((t: c.Tensor) => obj.value(t, data), theta);
    assert.ok(norm(vg.grad.dataSync()) <= GRAD_TOL);
    assert.ok(Math.abs(vg.value.item() - result.value) <= 1e-12 * result.value);
    // the objective went down monotonically (Armijo) and the iteration count is sane
    for (let i = 1; i < iterations.length; i++) assert.ok(iterations[i]! <= iterations[i - 1]!, `monotone at ${i}`);
    assert.ok(result.value < obj.fullValueAndGrad(theta0, data).value);
    assert.ok(result.iterations < 100, `${result.iterations} iterations`);
    assert.ok(result.evaluations >= result.iterations);
  });

  s('fitLbfgs: multinomial logistic regression (cross-entropy, 3 classes) to ‖∇J‖ ≤ 1e-8', () => {
    const rng = new Random(5);
    const n = 150, d = 4;
    const x = randn(rng, [n, d]);
    const xd = x.dataSync();
    const y = Int32Array.from({ length: n }, (_, i) => {
      const a = xd[i * d]! + 0.5 * xd[i * d + 1]!, b = xd[i * d + 2]! - xd[i * d + 3]!;
      return rng.uniform() < 0.1 ? rng.int(3) : a > 0.3 ? 0 : b > 0 ? 1 : 2;
    });
    const data = { x, y: c.tensor(y, [n], 'int32') };
    const model = c.Sequential.mlp([d, 3]);
    const obj = new c.Objective(model, c.crossEntropyLoss, 1e-2);
    const { theta, result } = c.fitLbfgs(obj, model.init({ dtype: 'float64' }), data);
    assert.ok(result.converged, result.message);
    assert.ok(norm(obj.fullValueAndGrad(theta, data).grad) <= GRAD_TOL);
  });

  s('lbfgs: Rosenbrock from (−1.2, 1) to ‖∇f‖ ≤ 1e-8', () => {
    const r = c.lbfgs(rosenbrock, Float64Array.of(-1.2, 1), { gradTol: GRAD_TOL });
    assert.ok(r.converged, r.message);
    assert.ok(r.gradNorm <= GRAD_TOL, `‖∇f‖ = ${r.gradNorm}`);
    assert.ok(norm(rosenbrock(r.x).grad) <= GRAD_TOL);
    // near (1, 1): ‖x − x*‖ ≲ ‖H⁻¹‖·‖∇f‖ ≈ 2.5e3·1e-8 at most
    assert.ok(Math.abs(r.x[0]! - 1) < 1e-5 && Math.abs(r.x[1]! - 1) < 1e-5, `x = ${[...r.x]}`);
    assert.ok(r.value < 1e-15, `f = ${r.value}`);
    assert.ok(r.iterations < 200, `${r.iterations} iterations`);
  });

  s('lbfgs: quadratic, maxIter, non-finite objective, x0 not mutated', () => {
    // f = ½ xᵀAx − bᵀx with A = diag(1, 10, 100): minimiser A⁻¹b
    const A = [1, 10, 100], b = [1, -2, 3];
    const quad = (x: Float64Array) => ({
      value: x.reduce((acc, v, i) => acc + 0.5 * A[i]! * v * v - b[i]! * v, 0),
      grad: x.map((v, i) => A[i]! * v - b[i]!),
    });
    const x0 = Float64Array.of(5, 5, 5);
    const r = c.lbfgs(quad, x0, { gradTol: 1e-12 });
    assert.ok(r.converged, r.message);
    assert.ok(relErr(r.x, b.map((v, i) => v / A[i]!)) <= 1e-12);
    assert.equal([...x0], [5, 5, 5], 'x0 is not mutated');
    const capped = c.lbfgs(rosenbrock, Float64Array.of(-1.2, 1), { maxIter: 3 });
    assert.not.ok(capped.converged);
    assert.is(capped.iterations, 3);
    assert.match(capped.message, /maximum iterations/);
    const bad = c.lbfgs(() => ({ value: NaN, grad: Float64Array.of(1) }), Float64Array.of(0));
    assert.not.ok(bad.converged);
    assert.match(bad.message, /non-finite/);
    // already optimal: zero iterations
    const done = c.lbfgs(quad, Float64Array.from(b.map((v, i) => v / A[i]!)), { gradTol: 1e-12 });
    assert.ok(done.converged);
    assert.is(done.iterations, 0);
  });

  s('SGD and Adam single steps follow their update rules exactly', () => {
    const t64 = (v: number[]) => c.tensor(v, [v.length], 'float64');
    const theta = t64([1, -2, 0.5]), g1 = t64([0.2, -0.4, 1]), g2 = t64([-0.1, 0.3, 0.5]);
    const plain = new c.SGD(0.1);
    assert.ok(relErr(plain.step(theta, g1).dataSync(), [0.98, -1.96, 0.4]) <= 1e-12, 'θ − ηg');
    const mom = new c.SGD(0.1, 0.9);
    const th1 = mom.step(theta, g1);
    assert.ok(relErr(th1.dataSync(), [0.98, -1.96, 0.4]) <= 1e-12, 'first momentum step: v = g');
    const th2 = mom.step(th1, g2);
    const v2 = [0.9 * 0.2 - 0.1, 0.9 * -0.4 + 0.3, 0.9 * 1 + 0.5];
    assert.ok(relErr(th2.dataSync(), [0.98, -1.96, 0.4].map((t, i) => t - 0.1 * v2[i]!)) <= 1e-12, 'v ← μv + g');
    mom.dispose();
    assert.not.ok(theta.isDisposed, 'step is functional: θ is not consumed');
    assert.not.ok(g1.isDisposed || g2.isDisposed, 'the optimiser never disposes the caller\'s gradients');
    // a caller that frees its gradient after each step must not break the next step
    const mom2 = new c.SGD(0.1, 0.9);
    const gTmp = t64([0.2, -0.4, 1]);
    const s1 = mom2.step(theta, gTmp);
    gTmp.dispose();
    assert.ok(relErr(mom2.step(s1, g2).dataSync(), th2.dataSync()) <= 1e-12, 'momentum state survives the caller disposing its grad');
    mom2.dispose();

    const adam = new c.Adam(0.01);
    const a1 = adam.step(theta, g1).dataSync();
    // step 1: m̂ = g, v̂ = g² ⇒ θ − η·g/(|g| + ε)
    const gs1 = [0.2, -0.4, 1], gs2 = [-0.1, 0.3, 0.5];
    assert.ok(relErr(a1, [1, -2, 0.5].map((t, i) => t - 0.01 * gs1[i]! / (Math.abs(gs1[i]!) + 1e-8))) <= 1e-12, 'Adam step 1');
    const a2 = adam.step(c.tensor(a1, [3], 'float64'), g2).dataSync();
    const want2 = a1.map((t, i) => {
      const m = 0.9 * 0.1 * gs1[i]! + 0.1 * gs2[i]!, v = 0.999 * 0.001 * gs1[i]! ** 2 + 0.001 * gs2[i]! ** 2;
      const mh = m / (1 - 0.9 ** 2), vh = v / (1 - 0.999 ** 2);
      return t - 0.01 * mh / (Math.sqrt(vh) + 1e-8);
    });
    assert.ok(relErr(a2, want2) <= 1e-12, `Adam step 2: ${relErr(a2, want2)}`);
    adam.dispose();
  });

  for (const [name, make] of [
    ['SGD with momentum', () => new c.SGD(0.05, 0.9)],
    ['plain SGD', () => new c.SGD(0.2)],
    ['Adam', () => new c.Adam(0.02)],
  ] as const) {
    s(`fitMinibatch with ${name} decreases the loss`, () => {
      const rng = new Random(13);
      const n = 96, d = 4;
      const x = randn(rng, [n, d]);
      const xd = x.dataSync();
      const y = Int32Array.from({ length: n }, (_, i) => (xd[i * d]! + xd[i * d + 1]! > 0 ? (xd[i * d + 2]! > 0 ? 0 : 1) : 2));
      const data = { x, y: c.tensor(y, [n], 'int32') };
      const model = c.Sequential.mlp([d, 8, 3], 'tanh');
      const obj = new c.Objective(model, c.crossEntropyLoss, 1e-4);
      obj.validate(data);
      const theta0 = model.init({ seed: 3, dtype: 'float64' });
      const before = obj.fullValueAndGrad(theta0, data).value;
      const epochLosses: number[] = [];
      const opt = make();
      const theta = c.fitMinibatch(obj, theta0, data, opt, { epochs: 30, batchSize: 16, seed: 7, onEpoch: (_e, l) => epochLosses.push(l) });
      opt.dispose();
      const after = obj.fullValueAndGrad(theta, data).value;
      assert.is(epochLosses.length, 30);
      assert.ok(epochLosses.every(Number.isFinite));
      assert.ok(after < 0.6 * before, `${name}: loss ${before} → ${after}`);
      assert.ok(epochLosses[29]! < epochLosses[0]!, `epoch losses ${epochLosses[0]} → ${epochLosses[29]}`);
      assert.not.ok(theta0.isDisposed, 'θ₀ untouched');
      assert.equal([...theta.shape], [model.numParams]);
      // deterministic from the seed
      const opt2 = make();
      const again = c.fitMinibatch(obj, theta0, data, opt2, { epochs: 30, batchSize: 16, seed: 7 });
      opt2.dispose();
      assert.equal([...again.dataSync()], [...theta.dataSync()]);
    });
  }

  s('bad learning rates and momenta → InputError', () => {
    for (const lr of [0, -0.1, NaN, -Infinity]) {
      throwsType(() => new c.SGD(lr), c.InputError, /learning rate/);
      throwsType(() => new c.Adam(lr), c.InputError, /learning rate/);
    }
    throwsType(() => new c.SGD(0.1, 1), c.InputError, /momentum/);
    throwsType(() => new c.SGD(0.1, -0.5), c.InputError, /momentum/);
    throwsType(() => new c.SGD(0.1, NaN), c.InputError, /momentum/);
    new c.SGD(1e-6, 0).dispose();
    new c.Adam().dispose();
  });

  s.run();
}
