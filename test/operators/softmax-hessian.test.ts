import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fashionData } from '../../src/cli/data-args.js';
import { InputError } from '../../src/errors.js';
import { crossEntropyLoss } from '../../src/nn/losses.js';
import { Objective } from '../../src/nn/objective.js';
import { Sequential } from '../../src/nn/sequential.js';
import { hessianOperator } from '../../src/operators/curvature.js';
import { toDense } from '../../src/operators/linear-operator.js';
import { softmaxRegressionHessian } from '../../src/operators/softmax-hessian.js';
import { relErr, testBackends, throwsType } from '../helpers.js';

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
}

test.run();
