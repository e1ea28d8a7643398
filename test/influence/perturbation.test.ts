import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as c from '../../src/index.js';
import { dotArr, randn, relErr, testBackends, throwsType } from '../helpers.js';
import { smallProblem } from './problem.js';

/** x with row m moved by t·δ. */
function perturbRow(x: c.Tensor, m: number, delta: Float64Array, t: number): c.Tensor {
  const d = Float64Array.from(x.dataSync());
  const f = x.shape[1]!;
  for (let k = 0; k < f; k++) d[m * f + k]! += t * delta[k]!;
  return c.tensor(d, x.shape, 'float64');
}

for (const backend of testBackends()) {
  const s = suite(`perturbation influence [${backend}]`);
  s.before(() => { c.setBackend(backend); });
  const { objective, theta, train, test, rng } = smallProblem(7);
  const N = 30, T = 4, D = 4;
  const infl = c.InfluenceModel.fit(objective, theta, train, { solver: 'direct' });

  s('∇x∇θℓ by double backward equals a central difference of per-sample gradients', () => {
    const picked = c.subset(train, [0, 3, 17]);
    const I = c.perturbationInfluence(infl, test, picked);
    assert.equal(I.shape, [T, 3, D]);
    const sT = infl.sTest(test).s.dataSync(); // [T, P]
    const P = theta.size, h = 1e-5;
    const want = new Float64Array(T * 3 * D);
    for (let j = 0; j < 3; j++) {
      for (let k = 0; k < D; k++) {
        const e = new Float64Array(D); e[k] = 1;
        const gp = objective.perSampleGradients(theta, { x: perturbRow(picked.x, j, e, h), y: picked.y }).dataSync();
        const gm = objective.perSampleGradients(theta, { x: perturbRow(picked.x, j, e, -h), y: picked.y }).dataSync();
        for (let i = 0; i < T; i++) {
          let v = 0;
          for (let p = 0; p < P; p++) v += sT[i * P + p]! * (gp[j * P + p]! - gm[j * P + p]!) / (2 * h);
          want[(i * 3 + j) * D + k] = -v;
        }
      }
    }
    const err = relErr(I.dataSync(), want);
    assert.ok(err < 1e-7, `rel err ${err}`);
  });

  s('moving x_m by t·δ and retraining: Δℓ_test/t ≈ (1/N)·I_pertᵀδ', () => {
    const m = 5, t = 1e-4;
    const delta = Float64Array.from(randn(rng, [D]).dataSync());
    const I = c.perturbationInfluence(infl, test, c.subset(train, [m])).dataSync(); // [T, 1, D]
    const moved = { x: perturbRow(train.x, m, delta, t), y: train.y };
    const { theta: t2 } = c.fitLbfgs(objective, theta, moved, { gradTol: 1e-13, maxIter: 2000 });
    const before = objective.perSampleLosses(theta, test).dataSync(), after = objective.perSampleLosses(t2, test).dataSync();
    const actual = Array.from(after, (v, i) => (v - before[i]!) / t);
    const predicted = Array.from({ length: T }, (_, i) => dotArr(I.subarray(i * D, (i + 1) * D), delta) / N);
    const err = relErr(actual, predicted);
    assert.ok(err < 1e-2, `retrained ${actual} vs predicted ${predicted} (rel err ${err})`);
  });

  s('bad input: wrong feature count, NaN inputs → typed errors', () => {
    throwsType(() => c.perturbationInfluence(infl, test, { x: randn(rng, [2, 3]), y: c.tensor([0, 1], [2], 'int32') }), c.ShapeError);
    const nan = c.tensor([NaN, 0, 0, 0], [1, 4], 'float64');
    throwsType(() => c.perturbationInfluence(infl, test, { x: nan, y: c.tensor([0], [1], 'int32') }), c.InputError, /NaN/);
  });

  s.run();
}
