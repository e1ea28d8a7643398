import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fashionData } from '../../src/cli/data-args.js';
import { InputError } from '../../src/errors.js';
import { leaveOneOut } from '../../src/influence/leave-one-out.js';
import { fitCholesky, newtonLeaveOneOut } from '../../src/influence/newton-retrain.js';
import { pbrf } from '../../src/influence/pbrf.js';
import { crossEntropyLoss } from '../../src/nn/losses.js';
import { Linear } from '../../src/nn/layers/linear.js';
import { Objective, subset } from '../../src/nn/objective.js';
import { Sequential } from '../../src/nn/sequential.js';
import { fitLbfgs } from '../../src/nn/train.js';
import { softmaxRegressionHessian } from '../../src/operators/softmax-hessian.js';
import { relErr, testBackends, throwsType } from '../helpers.js';

for (const backend of testBackends()) {
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

test.run();
