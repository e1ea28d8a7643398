import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as c from '../../src/index.js';
import { gaussNewtonFiniteDifferenceOperator } from '../../src/operators/index.js';
import { Random } from '../../src/tensor/random.js';
import { randn, relErr, testBackends, throwsType } from '../helpers.js';

/**
 * The finite-difference Gauss–Newton operator (003: three forwards + one backward) against the
 * exact `gaussNewtonOperator` (jvp + output hvp + vjp) on small MLPs. In float64 the default step
 * δ = u^{1/3}(1 + ‖θ‖)/‖v‖ leaves a central-difference error ≈ u^{2/3} ≈ 4e-11 relative (observed
 * ~2e-11): assert ≤ 1e-6, the brief's bound, with a wide margin. Float32: ≈ u^{2/3} ≈ 1.5e-5
 * (observed 1.2e-5; the exact float32 product is at 8e-8): assert ≤ 2e-4.
 */
function mlpProblem(rng: Random, loss: c.Loss, dtype: 'float32' | 'float64', n = 37) {
  const model = c.Sequential.mlp([5, 6, 3], 'tanh');
  const objective = new c.Objective(model, loss, 1e-2);
  const theta = c.mul(model.init({ seed: 3, dtype }), 2);
  const x = randn(rng, [n, 5], dtype);
  let y: c.Tensor;
  if (loss.name === 'cross-entropy') y = c.tensor(Int32Array.from({ length: n }, () => rng.int(3)), [n], 'int32');
  else if (loss.name === 'bce-with-logits') y = c.tensor(Float64Array.from({ length: n * 3 }, () => (rng.uniform() < 0.5 ? 0 : 1)), [n, 3], dtype);
  else y = randn(rng, [n, 3], dtype);
  return { objective, theta, data: { x, y } };
}

for (const backend of testBackends()) {
  c.setBackend(backend); // tensors made below, at module load, live on this backend
  const s = suite(`Gauss–Newton by finite differences [${backend}]`);
  s.before(() => { c.setBackend(backend); });
  const rng = new Random(31);

  for (const loss of [c.crossEntropyLoss, c.mseLoss, c.bceWithLogitsLoss]) {
    s(`${loss.name}: matches gaussNewtonOperator, rel ≤ 1e-6 (float64), several batches, damping`, () => {
      const p = mlpProblem(rng, loss, 'float64');
      const exact = c.gaussNewtonOperator(p.objective, p.theta, p.data, { batchSize: 10, damping: 0.1 });
      const fd = gaussNewtonFiniteDifferenceOperator(p.objective, p.theta, p.data, { batchSize: 10, damping: 0.1 });
      assert.is(fd.size, exact.size);
      assert.ok(fd.symmetric);
      for (let t = 0; t < 3; t++) {
        const v = c.mul(randn(rng, [p.theta.size]), 10 ** (t - 1));   // scale-free: δ follows ‖v‖
        const e = relErr(fd.matvec(v).dataSync(), exact.matvec(v).dataSync());
        assert.ok(e <= 1e-6, `${loss.name} v ${t}: rel err ${e}`);
      }
      assert.equal(Array.from(fd.matvec(c.zeros([p.theta.size], 'float64')).dataSync()), new Array(p.theta.size).fill(0));
    });
  }

  s("any other loss goes through an output-space hvp; 003's fixed δ = 0.01 is much less accurate", () => {
    const p = mlpProblem(rng, c.crossEntropyLoss, 'float64');
    const custom: c.Loss = { ...c.crossEntropyLoss, name: 'custom-ce' as c.LossName };
    const objective = new c.Objective(p.objective.model, custom, 1e-2);
    const exact = c.gaussNewtonOperator(p.objective, p.theta, p.data);
    const v = randn(rng, [p.theta.size]);
    const want = exact.matvec(v).dataSync();
    const eGeneric = relErr(gaussNewtonFiniteDifferenceOperator(objective, p.theta, p.data).matvec(v).dataSync(), want);
    assert.ok(eGeneric <= 1e-6, `generic: ${eGeneric}`);
    const eFixed = relErr(gaussNewtonFiniteDifferenceOperator(p.objective, p.theta, p.data, { epsilon: 0.01 }).matvec(v).dataSync(), want);
    const eAuto = relErr(gaussNewtonFiniteDifferenceOperator(p.objective, p.theta, p.data).matvec(v).dataSync(), want);
    console.log(`    GN-FD rel err: auto δ ${eAuto.toExponential(1)}, δ = 0.01 ${eFixed.toExponential(1)}`);
    assert.ok(eAuto < eFixed);
  });

  s('float32: rel ≤ 2e-4 against the float64 exact product', () => {
    const p = mlpProblem(rng, c.crossEntropyLoss, 'float64');
    const exact = c.gaussNewtonOperator(p.objective, p.theta, p.data);
    const data32 = { x: c.cast(p.data.x, 'float32'), y: p.data.y };
    const fd32 = gaussNewtonFiniteDifferenceOperator(p.objective, c.cast(p.theta, 'float32'), data32);
    const v = randn(rng, [p.theta.size]);
    const e = relErr(fd32.matvec(c.cast(v, 'float32')).dataSync(), exact.matvec(v).dataSync());
    assert.ok(e <= 2e-4, `float32: ${e}`);
  });

  s('bad input: damping, epsilon, batchSize, θ shape, v shape/dtype', () => {
    const p = mlpProblem(rng, c.crossEntropyLoss, 'float64');
    throwsType(() => gaussNewtonFiniteDifferenceOperator(p.objective, p.theta, p.data, { damping: -1 }), c.InputError);
    throwsType(() => gaussNewtonFiniteDifferenceOperator(p.objective, p.theta, p.data, { epsilon: 0 }), c.InputError, /epsilon/);
    throwsType(() => gaussNewtonFiniteDifferenceOperator(p.objective, p.theta, p.data, { batchSize: 0 }), c.InputError, /batchSize/);
    throwsType(() => gaussNewtonFiniteDifferenceOperator(p.objective, c.zeros([7], 'float64'), p.data), c.ShapeError);
    const op = gaussNewtonFiniteDifferenceOperator(p.objective, p.theta, p.data);
    throwsType(() => op.matvec(c.zeros([3], 'float64')), c.ShapeError);
    throwsType(() => op.matvec(c.zeros([p.theta.size], 'float32')), c.DTypeError);
  });

  s.run();
}
