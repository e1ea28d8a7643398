import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as c from '../../src/index.js';
import { Random } from '../../src/tensor/random.js';
import { randn, relErr, testBackends, throwsType } from '../helpers.js';

/**
 * Objective: vectorised per-sample gradients against a loop of single-example gradients, batched
 * full-data value/gradient against one batch, and dataset validation. Everything in float64 with
 * a relative tolerance of 1e-12: both sides compute the same sums in a different order, which
 * changes results by a few ulps only.
 */
const TOL = 1e-12;
const ACTIVATIONS = ['tanh', 'sigmoid', 'relu', 'gelu', 'softplus'] as const;
const LOSSES = ['cross-entropy', 'bce-with-logits', 'mse'] as const;


/** A random dataset for a model with `inF` inputs and `outF` outputs under the named loss. */
function dataset(rng: Random, n: number, inF: number, outF: number, loss: string): c.Dataset {
  const x = randn(rng, [n, inF]);
  if (loss === 'cross-entropy') return { x, y: c.tensor(Int32Array.from({ length: n }, () => rng.int(outF)), [n], 'int32') };
  if (loss === 'bce-with-logits') return { x, y: c.tensor(Float64Array.from({ length: n * outF }, () => (rng.uniform() < 0.3 ? rng.uniform() : rng.int(2))), [n, outF], 'float64') };
  return { x, y: randn(rng, [n, outF]) };
}

for (const backend of testBackends()) {
  const s = suite(`nn objective [${backend}]`);
  s.before.each(() => { c.setBackend(backend); });

  for (const act of ACTIVATIONS) {
    for (const lossName of LOSSES) {
      s(`perSampleGradients = loop of single-example grads: mlp [5,4,3] ${act}, ${lossName}`, () => {
        const rng = new Random(act.length * 31 + lossName.length);
        const model = c.Sequential.mlp([5, 4, 3], act);
        const obj = new c.Objective(model, c.lossByName(lossName), 0.05); // weight decay must not enter per-sample grads
        const theta = model.init({ seed: 17, dtype: 'float64' });
        const N = 6;
        const data = dataset(rng, N, 5, 3, lossName);
        obj.validate(data);
        const G = obj.perSampleGradients(theta, data);
        assert.equal([...G.shape], [N, model.numParams]);
        assert.is(G.dtype, 'float64');
        const gd = G.dataSync();
        const P = model.numParams;
        const meanGrad = new Float64Array(P);
        for (let i = 0; i < N; i++) {
          const gi = c.tidy(() => c.grad((t: c.Tensor) => obj.dataLoss(t, c.batchOf(data, i, 1)), theta).dataSync());
          const row = gd.subarray(i * P, (i + 1) * P);
          const e = relErr(row, gi);
          assert.ok(e <= TOL, `example ${i}: rel err ${e}`);
          for (let q = 0; q < P; q++) meanGrad[q]! += gi[q]! / N;
        }
        // their mean is the full-batch data gradient (weight decay removed)
        const noWd = new c.Objective(model, c.lossByName(lossName));
        const full = noWd.fullValueAndGrad(theta, data);
        assert.ok(relErr(full.grad, meanGrad) <= TOL, `mean of per-sample grads vs full grad: ${relErr(full.grad, meanGrad)}`);
      });
    }
  }

  s('perSampleGradients: layers without bias, deeper models, and a non-Linear parameter layer', () => {
    const rng = new Random(2);
    const model = new c.Sequential([new c.Linear(3, 4, false), c.Tanh(), new c.Linear(4, 4), c.GELU(), new c.Linear(4, 2, false)]);
    const obj = new c.Objective(model, c.crossEntropyLoss);
    const theta = model.init({ seed: 1, dtype: 'float64' });
    const data = dataset(rng, 4, 3, 2, 'cross-entropy');
    const gd = obj.perSampleGradients(theta, data).dataSync();
    for (let i = 0; i < 4; i++) {
      const gi = c.grad((t: c.Tensor) => obj.dataLoss(t, c.batchOf(data, i, 1)), theta).dataSync();
      assert.ok(relErr(gd.subarray(i * model.numParams, (i + 1) * model.numParams), gi) <= TOL, `example ${i}`);
    }
    const scale: c.Layer = {
      kind: 'scale', params: [{ name: 'alpha', shape: [1] }],
      apply: (p, x) => c.mul(x, p[0]!), init: () => [Float64Array.of(1)], describe: () => 'Scale()',
    };
    // a parameterised layer without a capture rule takes the exact fallback (capture.test.ts)
    const odd = new c.Sequential([new c.Linear(3, 2), scale]);
    const oddObj = new c.Objective(odd, c.mseLoss);
    const oddTheta = c.add(odd.init({ dtype: 'float64' }), 0.25);
    const oddData = dataset(rng, 3, 3, 2, 'mse');
    const go = oddObj.perSampleGradients(oddTheta, oddData).dataSync();
    for (let i = 0; i < 3; i++) {
      const gi = c.grad((t: c.Tensor) => oddObj.dataLoss(t, c.batchOf(oddData, i, 1)), oddTheta).dataSync();
      assert.ok(relErr(go.subarray(i * odd.numParams, (i + 1) * odd.numParams), gi) <= TOL, `Scale model, example ${i}`);
    }
  });

  s('fullValueAndGrad with several batch sizes equals one batch (with weight decay)', () => {
    const rng = new Random(21);
    for (const lossName of LOSSES) {
      const model = c.Sequential.mlp([5, 4, 3], 'tanh');
      const obj = new c.Objective(model, c.lossByName(lossName), 1e-2);
      const theta = model.init({ seed: 4, dtype: 'float64' });
      const N = 11;
      const data = dataset(rng, N, 5, 3, lossName);
      const one = obj.fullValueAndGrad(theta, data, N);
      // reference: valueAndGrad of J on the whole data set
      const ref = c.valueAndGrad((t: c.Tensor) => obj.value(t, data), theta);
      assert.ok(Math.abs(one.value - ref.value.item()) <= TOL * Math.abs(ref.value.item()), `${lossName}: value vs valueAndGrad`);
      assert.ok(relErr(one.grad, ref.grad.dataSync()) <= TOL, `${lossName}: grad vs valueAndGrad`);
      for (const bs of [1, 2, 3, 4, 7, 10, N + 5, 4096]) {
        const r = obj.fullValueAndGrad(theta, data, bs);
        assert.ok(Math.abs(r.value - one.value) <= TOL * Math.abs(one.value), `${lossName} batch ${bs}: value ${r.value} vs ${one.value}`);
        assert.ok(relErr(r.grad, one.grad) <= TOL, `${lossName} batch ${bs}: grad rel err ${relErr(r.grad, one.grad)}`);
        assert.ok(r.grad instanceof Float64Array);
      }
      // the weight-decay term is (λ/2)‖θ‖² with gradient λθ
      const plain = new c.Objective(model, c.lossByName(lossName)).fullValueAndGrad(theta, data, 3);
      const th = theta.dataSync();
      const sq = Array.from(th).reduce((a, v) => a + v * v, 0);
      assert.ok(Math.abs(one.value - plain.value - 0.005 * sq) <= TOL * one.value);
      assert.ok(relErr(one.grad.map((g, i) => g - 0.01 * th[i]!), plain.grad) <= 1e-11);
    }
  });

  s('validate(): NaN/Inf inputs, empty data, feature mismatch, target mismatch', () => {
    const model = c.Sequential.mlp([5, 4, 3], 'relu');
    const ce = new c.Objective(model, c.crossEntropyLoss);
    const rng = new Random(3);
    const good = dataset(rng, 4, 5, 3, 'cross-entropy');
    ce.validate(good);
    // The inputs were found finite once: validating them again reads nothing (no reduction runs).
    const be = c.getBackend() as unknown as Record<string, (...a: unknown[]) => unknown>;
    const reduce = be['reduce']!;
    let reductions = 0;
    be['reduce'] = (...a: unknown[]) => { reductions++; return reduce.apply(be, a); };
    try { ce.validate(good); } finally { be['reduce'] = reduce; }
    assert.is(reductions, 0, 'a second validate() of the same inputs runs no reduction');
    const xd = Float64Array.from(good.x.dataSync());
    xd[7] = NaN;
    throwsType(() => ce.validate({ x: c.tensor(xd, [4, 5], 'float64'), y: good.y }), c.InputError, /NaN or Inf/);
    xd[7] = Infinity;
    throwsType(() => ce.validate({ x: c.tensor(xd, [4, 5], 'float64'), y: good.y }, 'train'), c.InputError, /^train: /);
    throwsType(() => ce.validate({ x: c.tensor(new Float64Array(0), [0, 5], 'float64'), y: c.tensor(new Int32Array(0), [0], 'int32') }), c.InputError, /empty/);
    throwsType(() => ce.validate({ x: randn(rng, [4, 6]), y: good.y }), c.ShapeError, /6 features/);
    throwsType(() => ce.validate({ x: randn(rng, [20]), y: good.y }), c.ShapeError, /\[N, features\]/);
    throwsType(() => ce.validate({ x: good.x, y: c.tensor([0, 1, 2], [3], 'int32') }), c.ShapeError);
    // the loss's own checks run too
    throwsType(() => ce.validate({ x: good.x, y: c.tensor([0, 1, 2, 3], [4], 'int32') }), c.InputError, /label 3/);
    throwsType(() => ce.validate({ x: good.x, y: c.tensor([0, 1, 2, 0], [4], 'float64') }), c.DTypeError);
    const mseObj = new c.Objective(model, c.mseLoss);
    throwsType(() => mseObj.validate({ x: good.x, y: randn(rng, [4, 2]) }), c.ShapeError);
    const bceObj = new c.Objective(model, c.bceWithLogitsLoss);
    throwsType(() => bceObj.validate({ x: good.x, y: c.tensor(new Float64Array(12).fill(2), [4, 3], 'float64') }), c.InputError);
    // a bad weight decay is refused at construction
    throwsType(() => new c.Objective(model, c.mseLoss, -1), c.InputError);
    throwsType(() => new c.Objective(model, c.mseLoss, NaN), c.InputError);
    throwsType(() => new c.Objective(model, c.mseLoss, Infinity), c.InputError);
  });

  s('batchOf and subset pick rows', () => {
    const data = { x: c.tensor([0, 1, 2, 3, 4, 5, 6, 7], [4, 2], 'float64'), y: c.tensor([0, 1, 2, 3], [4], 'int32') };
    const b = c.batchOf(data, 2, 5); // clipped at the end
    assert.equal([...b.x.dataSync()], [4, 5, 6, 7]);
    assert.equal([...b.y.dataSync()], [2, 3]);
    assert.is(c.batchOf(data, 0, 4), data, 'the whole data set is returned as is');
    const sub = c.subset(data, [3, 0]);
    assert.equal([...sub.x.dataSync()], [6, 7, 0, 1]);
    assert.equal([...sub.y.dataSync()], [3, 0]);
  });

  s.run();
}

