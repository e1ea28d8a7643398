import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { InputError } from '../../src/errors.js';
import { fashionData } from '../../src/jobs/fashion-data.js';
import { runFashionLrLoo } from '../../src/jobs/fashion-lr-loo.js';
import { detectionCurve, runMislabel } from '../../src/jobs/mislabel.js';
import { newtonLeaveOneOut } from '../../src/jobs/newton-retrain.js';
import { pbrf } from '../../src/influence/pbrf.js';
import { runSimilarity } from '../../src/jobs/similarity.js';
import { fitCholesky, softmaxRegressionHessian } from '../../src/jobs/softmax-hessian.js';
import { leaveOneOut } from '../../src/influence/leave-one-out.js';
import { crossEntropyLoss } from '../../src/nn/losses.js';
import { Objective, subset } from '../../src/nn/objective.js';
import { Sequential } from '../../src/nn/sequential.js';
import { fitLbfgs } from '../../src/nn/train.js';
import { hessianOperator } from '../../src/operators/curvature.js';
import { toDense } from '../../src/operators/linear-operator.js';
import { Linear } from '../../src/nn/linear.js';
import { relErr, testBackends, throwsType } from '../helpers.js';

/** CI-sized versions of the validation scripts and demos (scripts/validate/fashion-lr-loo.ts, scripts/demos/*). */
for (const backend of testBackends()) {
  test(`[${backend}] closed-form softmax-regression Hessian equals the dense autodiff Hessian (rel ≤ 1e-12)`, () => {
    const fd = fashionData({ split: 'train', limit: 120, pool: 7 });
    const model = Sequential.mlp([16, 10]);
    const objective = new Objective(model, crossEntropyLoss, 0.01);
    const theta = model.init({ seed: 3, dtype: 'float64' });
    const h = softmaxRegressionHessian(model, theta, fd.data, 0.01, 50);
    const ref = toDense(hessianOperator(objective, theta, fd.data)).dataSync();
    assert.ok(relErr(h, ref) <= 1e-12, `rel ${relErr(h, ref)}`);
    throwsType(() => softmaxRegressionHessian(Sequential.mlp([16, 4, 10]), Sequential.mlp([16, 4, 10]).init({ dtype: 'float64' }), fd.data, 0), InputError);
  });

  test(`[${backend}] chord-Newton and PBRF retraining agree with L-BFGS retraining; undamped PBRF is close to LOO`, () => {
    const fd = fashionData({ split: 'train', limit: 150, pool: 7 });
    const model = new Sequential([new Linear(16, 10)]);
    const objective = new Objective(model, crossEntropyLoss, 0.05);
    const { theta } = fitLbfgs(objective, model.init({ seed: 0, dtype: 'float64' }), fd.data, { gradTol: 1e-12, maxIter: 2000 });
    const test3 = subset(fashionData({ split: 'test', limit: 3, pool: 7 }).data, [0, 1, 2]);
    const solver = fitCholesky(softmaxRegressionHessian(model, theta, fd.data, 0.05), model.numParams);
    const fast = newtonLeaveOneOut(objective, theta, fd.data, test3, [4, 77], solver);
    solver.dispose();
    const slow = leaveOneOut(objective, theta, fd.data, test3, [4, 77], { gradTol: 1e-12, maxIter: 3000 });
    assert.ok(Math.max(...fast.gradNorms) <= 1e-12);
    for (let k = 0; k < 2; k++) assert.ok(relErr(fast.deltas[k]!, slow.deltas[k]!) <= 1e-4, `rel ${relErr(fast.deltas[k]!, slow.deltas[k]!)}`);
    // PBRF with no extra damping differs from LOO only by the Bregman (second-order) terms: same sign and size.
    const response = pbrf(objective, theta, fd.data, test3, [4, 77], { damping: 0, gradTol: 1e-11 });
    for (let k = 0; k < 2; k++) assert.ok(relErr(response.deltas[k]!, slow.deltas[k]!) <= 0.1, `pbrf rel ${relErr(response.deltas[k]!, slow.deltas[k]!)}`);
    throwsType(() => newtonLeaveOneOut(objective, theta, fd.data, test3, [150], fitCholesky(new Float64Array([1]), 1)), InputError);
  });
}

test('fashion-lr-loo (CI size: 49 pooled features, 500 parameters, 600 points): Pearson ≥ 0.95 for direct and CG', () => {
  const r = runFashionLrLoo({ pool: 4, trainLimit: 600, numTest: 3, topK: 15, solvers: ['direct', 'cg'], lbfgsCheck: 1 });
  assert.is(r.parameters, 500);
  assert.ok(r.trainGradNorm <= 1e-12, `‖∇J‖ ${r.trainGradNorm}`);
  assert.ok(r.retrain.maxGradNorm <= 1e-12);
  assert.ok(r.retrain.lbfgsMaxAbsDiff! <= 1e-8, `L-BFGS vs chord Newton ${r.retrain.lbfgsMaxAbsDiff}`);
  assert.is(r.pairs.length, 45);
  for (const s of ['direct', 'cg']) assert.ok(r.pearson[s]! >= 0.95, `${s}: Pearson ${r.pearson[s]}`);
  // Direct and CG predict the same numbers (CG at rtol 1e-10, κ ≈ 1e2–1e3).
  for (const p of r.pairs) assert.ok(Math.abs(p.predicted['direct']! - p.predicted['cg']!) <= 1e-7 * Math.abs(p.predicted['direct']!) + 1e-14);
});

test('mislabel detection (CI size): self-influence finds flipped labels far above chance', () => {
  const r = runMislabel({ pool: 4, trainLimit: 800, seed: 1 });
  assert.is(r.flipped, 80);
  assert.is(r.curves.selfInfluence.length, 801);
  assert.is(r.curves.selfInfluence[800], 1);
  assert.ok(r.at20.selfInfluence >= 0.6, `found ${r.at20.selfInfluence}`);
  assert.ok(r.at20.selfInfluence > 2 * r.at20.random);
  assert.equal(Array.from(detectionCurve([3, 1, 2, 0], new Set([1, 0]))), [0, 0, 0.5, 0.5, 1]);
});

test('similarity (CI size): matrices are symmetric with unit diagonal; matched pairs more similar than unrelated ones', () => {
  const r = runSimilarity({ pool: 4, trainLimit: 500 });
  for (const m of [r.influence, r.gradient]) {
    for (let i = 0; i < 20; i++) {
      assert.ok(Math.abs(m[i * 21]! - 1) <= 1e-12);
      for (let j = 0; j < 20; j++) assert.ok(Math.abs(m[i * 20 + j]! - m[j * 20 + i]!) <= 1e-9);
    }
  }
  assert.ok(r.matched.influence > r.unrelated.influence && r.matched.gradient > r.unrelated.gradient);
});

test.run();
