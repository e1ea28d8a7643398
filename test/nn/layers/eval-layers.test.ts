import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as c from '../../../src/index.js';
import { Random } from '../../../src/tensor/random.js';
import { randn, relErr, testBackends, throwsType } from '../../helpers.js';
import { assertBatchedHvp, assertPerExampleGradients, labels } from '../../layers.js';

/**
 * BatchNorm at evaluation, Embedding and Reshape against direct formulas (float64, ≤ 1e-13); their
 * closed-form per-example gradients (and LayerNorm's) against one autodiff gradient per example
 * (≤ 1e-12); every layer's JSON spec rebuilds an equal layer. Finite differences of each layer in
 * both HVP modes: test/autodiff/finite-differences.test.ts.
 */
for (const backend of testBackends()) {
  const s = suite(`BatchNorm, Embedding, Reshape [${backend}]`);
  s.before(() => { c.setBackend(backend); });

  s('BatchNorm (eval) normalises each channel with the running statistics', () => {
    const rng = new Random(1);
    const x = randn(rng, [2, 3, 2, 2]);
    const mean = [0.5, -1, 2], variance = [2, 0.5, 1.5];
    const bn = new c.BatchNorm(3, { runningMean: mean, runningVar: variance, eps: 1e-3 });
    const gamma = [1.5, -0.5, 2], beta = [0.1, 0.2, -0.3];
    const y = bn.apply([c.tensor(gamma, [3], 'float64'), c.tensor(beta, [3], 'float64')], x).dataSync();
    const xd = x.dataSync();
    const want = Float64Array.from(xd, (v, i) => {
      const ch = Math.floor(i / 4) % 3;
      return ((v - mean[ch]!) / Math.sqrt(variance[ch]! + 1e-3)) * gamma[ch]! + beta[ch]!;
    });
    assert.ok(relErr(y, want) <= 1e-13);
    const x1 = randn(rng, [4, 3]);
    assert.equal([...bn.apply([c.ones([3], 'float64'), c.zeros([3], 'float64')], x1).shape], [4, 3]);
    throwsType(() => bn.outputShape([2, 4, 2]), c.ShapeError, /\[N, 3, …\]/);
    throwsType(() => new c.BatchNorm(3, { runningMean: [1, 2] }), c.ShapeError, /running_mean has 2 values/);
    throwsType(() => new c.BatchNorm(2, { runningVar: [1, NaN] }), c.InputError, /non-finite/);
  });

  s('Embedding looks up rows; float ids must be whole and in range', () => {
    const w = c.tensor(Float64Array.from({ length: 12 }, (_, i) => i), [4, 3], 'float64');
    const e = new c.Embedding(4, 3);
    const y = e.apply([w], c.tensor([[3, 0], [1, 1]], [2, 2], 'float64'));
    assert.equal([...y.shape], [2, 2, 3]);
    assert.equal([...y.dataSync()], [9, 10, 11, 0, 1, 2, 3, 4, 5, 3, 4, 5]);
    assert.equal([...e.apply([w], c.tensor(Int32Array.from([2]), [1, 1], 'int32')).dataSync()], [6, 7, 8]);
    throwsType(() => e.apply([w], c.tensor([[0.5]], [1, 1], 'float64')), c.InputError, /whole numbers in \[0, 4\), got 0.5/);
    throwsType(() => e.apply([w], c.tensor([[4]], [1, 1], 'float64')), c.InputError, /got 4 at element 0/);
  });

  s('Reshape keeps the batch axis and fills one −1', () => {
    const r = new c.Reshape([2, -1]);
    assert.equal(r.outputShape([5, 3, 4]), [5, 2, 6]);
    throwsType(() => r.outputShape([5, 7]), c.ShapeError, /cannot reshape examples of shape \[7\]/);
    throwsType(() => new c.Reshape([-1, -1]), c.InputError, /at most one −1/);
  });

  s('closed-form per-example gradients of BatchNorm, LayerNorm and Embedding equal autodiff; batched HVPs', () => {
    const rng = new Random(4);
    const cnn = new c.Sequential([
      new c.Conv2d(2, 3, 3, { padding: 1 }), new c.BatchNorm(3, { runningMean: [0.1, 0.2, -0.1], runningVar: [1.2, 0.8, 2] }), c.activation('relu'),
      new c.Flatten(), new c.Linear(3 * 4 * 4, 4),
    ]);
    const emb = c.GraphModel.fromLayers({ shape: [3] }, [
      { name: 'embed', inputs: ['input'], layer: new c.Embedding(6, 4) },
      { name: 'norm', inputs: ['embed'], layer: new c.LayerNorm(4) },
      { name: 'flat', inputs: ['norm'], layer: new c.Flatten() },
      { name: 'out', inputs: ['flat'], layer: new c.Linear(12, 3) },
    ], 'out');
    const cases: [c.Model, c.Dataset][] = [
      [cnn, { x: randn(rng, [5, 2, 4, 4]), y: labels(rng, 5, 4) }],
      [emb, { x: c.tensor(Float64Array.from({ length: 15 }, () => rng.int(6)), [5, 3], 'float64'), y: labels(rng, 5, 3) }],
    ];
    for (const [model, data] of cases) {
      const objective = new c.Objective(model, c.crossEntropyLoss, 1e-2);
      const theta = c.mul(randn(rng, [model.numParams]), 0.5);
      objective.validate(data);
      assertPerExampleGradients(objective, theta, data, 1e-12, model.describe());
      assertBatchedHvp((t: c.Tensor) => objective.value(t, data), theta, rng, 2, 1e-12);
    }
  });

  s.run();
}

const specs = suite('layer specs');
specs('every layer kind round-trips through its JSON spec', () => {
  const layers: c.Layer[] = [
    new c.Linear(3, 2, false), new c.Conv2d(4, 6, [3, 2], { stride: 2, padding: [1, 0], dilation: 1, groups: 2 }), new c.MaxPool2d(2),
    new c.AvgPool2d(3, { stride: 1, padding: 1 }), new c.LayerNorm([2, 3], { eps: 1e-6 }), new c.BatchNorm(2, { runningMean: [1, 2], runningVar: [3, 4], affine: false }),
    new c.Embedding(7, 2), new c.Dropout(0.25), new c.Flatten(), new c.Reshape([3, -1]), ...c.LAYER_KINDS.filter((k) => ['tanh', 'relu', 'gelu', 'silu', 'sigmoid', 'softplus'].includes(k)).map((k) => c.activation(k)),
  ];
  for (const layer of layers) {
    const again = c.layerFromSpec(JSON.parse(JSON.stringify(c.layerSpec(layer))));
    assert.is(again.describe(), layer.describe());
    assert.equal(again.params, layer.params);
    assert.equal(c.layerSpec(again), c.layerSpec(layer));
  }
  throwsType(() => c.layerFromSpec({ kind: 'conv2d', inChannels: 1, outChannels: 2, kernelSize: [1, 2, 3] }, 'conv'), c.InputError, /conv: 'kernelSize' of a conv2d layer must be an integer or a pair/);
  throwsType(() => c.layerFromSpec(['linear']), c.InputError, /an object with a string 'kind'/);
  throwsType(() => c.layerSpec({ kind: 'x', params: [], apply: (_p, x) => x, init: () => [], describe: () => 'X()' }), c.InputError, /X\(\) has no JSON description/);
});
specs.run();
