import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as c from '../../../src/index.js';
import { Random } from '../../../src/tensor/random.js';
import { relErr, testBackends, throwsType } from '../../helpers.js';
import { assertBatchedHvp, assertPerExampleGradients } from '../../layers.js';

/**
 * MaxPool2d and AvgPool2d (torch.nn semantics: stride defaults to the kernel, MaxPool pads with −∞,
 * AvgPool with zeros counted in the mean) against direct loops, float64 (max: exact; mean ≤ 1e-14);
 * a small CNN (conv–relu–pool ×2 → linear, the shape of issue 15's) gets exact per-example gradients,
 * HVPs whose batched form equals the single ones, and K-FAC/EK-FAC on its conv and linear layers.
 */
function naivePool(kind: 'max' | 'avg', x: c.Tensor, k: [number, number], s: [number, number], p: [number, number]): Float64Array {
  const [N, C, H, W] = x.shape as [number, number, number, number];
  const ho = Math.floor((H + 2 * p[0] - k[0]) / s[0]) + 1, wo = Math.floor((W + 2 * p[1] - k[1]) / s[1]) + 1;
  const xd = x.dataSync(), out = new Float64Array(N * C * ho * wo);
  for (let n = 0; n < N * C; n++) for (let i = 0; i < ho; i++) for (let j = 0; j < wo; j++) {
    let acc = kind === 'max' ? -Infinity : 0;
    for (let a = 0; a < k[0]; a++) for (let b = 0; b < k[1]; b++) {
      const h = i * s[0] - p[0] + a, w = j * s[1] - p[1] + b;
      const v = h < 0 || h >= H || w < 0 || w >= W ? (kind === 'max' ? -Infinity : 0) : xd[(n * H + h) * W + w]!;
      acc = kind === 'max' ? Math.max(acc, v) : acc + v;
    }
    out[(n * ho + i) * wo + j] = kind === 'max' ? acc : acc / (k[0] * k[1]);
  }
  return out;
}

for (const backend of testBackends()) {
  const s = suite(`pooling [${backend}]`);
  s.before(() => { c.setBackend(backend); });

  s('MaxPool2d and AvgPool2d equal direct loops (default stride, explicit stride, padding)', () => {
    const rng = new Random(3);
    const x = c.tensor(Float64Array.from({ length: 2 * 3 * 7 * 6 }, () => rng.normal()), [2, 3, 7, 6], 'float64');
    const cases: [[number, number], [number, number], [number, number]][] = [[[2, 2], [2, 2], [0, 0]], [[3, 2], [2, 1], [1, 1]], [[3, 3], [1, 2], [1, 0]]];
    for (const [k, st, p] of cases) {
      const mp = new c.MaxPool2d(k, { stride: st, padding: p }), ap = new c.AvgPool2d(k, { stride: st, padding: p });
      const m = mp.apply([], x), a = ap.apply([], x);
      assert.equal(m.shape, mp.outputShape(x.shape));
      assert.equal(Array.from(m.dataSync()), Array.from(naivePool('max', x, k, st, p)), mp.describe());
      assert.ok(relErr(a.dataSync(), naivePool('avg', x, k, st, p)) <= 1e-14, ap.describe());
    }
    assert.is(new c.MaxPool2d(2).describe(), 'MaxPool2d(kernel_size=(2, 2), stride=(2, 2))');
    throwsType(() => new c.MaxPool2d(2, { padding: 2 }), c.InputError, /at most half the kernel/);
    throwsType(() => new c.AvgPool2d(3).apply([], c.zeros([1, 1, 2, 2], 'float64')), c.ShapeError, /smaller than the kernel/);
  });

  s('a small CNN (conv–relu–maxpool, conv–relu–avgpool, linear): per-example gradients, batched HVPs, K-FAC on conv and linear', () => {
    const rng = new Random(5);
    const model = new c.Sequential([
      new c.Conv2d(1, 3, 3, { padding: 1 }), c.activation('tanh'), new c.MaxPool2d(2),
      new c.Conv2d(3, 4, 3, { padding: 1 }), c.activation('tanh'), new c.AvgPool2d(2),
      new c.Flatten(), new c.Linear(4 * 2 * 2, 3),
    ]);
    const objective = new c.Objective(model, c.crossEntropyLoss, 1e-2);
    const theta = c.tensor(Float64Array.from({ length: model.numParams }, () => 0.4 * rng.normal()), [model.numParams], 'float64');
    const data = { x: c.tensor(Float64Array.from({ length: 4 * 8 * 8 }, () => rng.normal()), [4, 1, 8, 8], 'float64'), y: c.tensor(Int32Array.from([0, 1, 2, 1]), [4], 'int32') };
    assert.equal(model.checkInput(data.x), [4, 3]);
    const P = model.numParams;
    assertPerExampleGradients(objective, theta, data, 1e-12, 'CNN');
    const g = objective.perSampleGradients(theta, data).dataSync();
    assertBatchedHvp((t: c.Tensor) => objective.value(t, data), theta, rng, 2, 1e-12, 1e-10);
    const kc = c.KroneckerCurvature.fit(objective, theta, data, { corrected: true });
    assert.equal(kc.layers.map((l) => [l.name, l.outFeatures, l.inDim]), [['0', 3, 10], ['3', 4, 28], ['7', 3, 17]]);
    const sol = c.fitSolver('ekfac', c.gaussNewtonOperator(objective, theta, data), { damping: 0.1 });
    assert.ok(sol.solve(c.tensor(g.subarray(0, P), [P], 'float64')).x.dataSync().every(Number.isFinite));
    sol.dispose();
    kc.dispose();
  });

  s.run();
}
