import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as c from '../../../src/index.js';
import { fixturePath, relErr } from '../../helpers.js';
import { get, loadFixture } from '../../fixtures.js';

/**
 * InfluenceService with a model that is not an MLP: the CNN imported from ONNX is described as JSON
 * (modelSpec), rebuilt in the worker thread, and scores there as on this thread (≤ 1e-12).
 */
test('InfluenceService rebuilds an ONNX-imported CNN in its worker and scores it like this thread', async () => {
  const fx = loadFixture('models/cnn');
  const { model, theta: weights } = c.loadOnnx(fixturePath('models/cnn.onnx'));
  const objective = new c.Objective(model, c.crossEntropyLoss, 1e-3);
  const theta = c.tensor(weights, [model.numParams], 'float64');
  const train = { x: c.tensor(get(fx, 'x_train').data.slice(0, 16 * 784), [16, 1, 28, 28], 'float64'), y: c.tensor(Int32Array.from(get(fx, 'y_train').data.slice(0, 16)), [16], 'int32') };
  const testSet = { x: c.tensor(get(fx, 'x_test').data.slice(0, 2 * 784), [2, 1, 28, 28], 'float64'), y: c.tensor(Int32Array.from(get(fx, 'y_test').data.slice(0, 2)), [2], 'int32') };
  const service = await c.InfluenceService.start(objective, theta, train);
  try {
    await service.fit({ solver: 'ekfac', hessian: 'gauss-newton', damping: 0.01 });
    const r = await service.scores(testSet);
    const local = c.InfluenceModel.fit(objective, theta, train, { solver: 'ekfac', hessian: 'gauss-newton', damping: 0.01 });
    const want = local.influence(testSet).scores.dataSync();
    local.dispose();
    assert.equal([r.nTest, r.nTrain], [2, 16]);
    assert.ok(relErr(r.scores!, want) <= 1e-12, `worker vs this thread: ${relErr(r.scores!, want)}`);
  } finally {
    await service.close();
  }
});

test.run();
