import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as c from '../../../src/index.js';
import { Random } from '../../../src/tensor/random.js';
import { relErr, testBackends, throwsType } from '../../helpers.js';
import { assertBatchedHvp, assertPerExampleGradients } from '../../layers.js';

/**
 * LayerNorm (torch.nn.LayerNorm: biased variance, ε inside the root, affine γ, β), Dropout at
 * evaluation (the identity) and SiLU, against direct formulas in float64 (≤ 1e-13); an MLP with
 * LayerNorm: exact per-example gradients through the fallback (≤ 1e-12 against one autodiff gradient
 * per example), batched HVPs equal single ones, K-FAC refuses LayerNorm by name and handles it with a
 * fallback solver. Finite differences: test/autodiff/finite-differences.test.ts.
 */
for (const backend of testBackends()) {
  const s = suite(`LayerNorm, Dropout, SiLU [${backend}]`);
  s.before(() => { c.setBackend(backend); });

  s('LayerNorm over the last one and two dims, with and without affine parameters, equals the formula', () => {
    const rng = new Random(2);
    const x = c.tensor(Float64Array.from({ length: 3 * 4 * 5 }, () => 2 * rng.normal() + 1), [3, 4, 5], 'float64');
    const xd = x.dataSync();
    for (const shape of [[5], [4, 5]]) {
      const size = shape.reduce((a, b) => a * b, 1), groups = 60 / size;
      const gamma = Float64Array.from({ length: size }, () => rng.normal()), beta = Float64Array.from({ length: size }, () => rng.normal());
      const want = new Float64Array(60), plain = new Float64Array(60);
      for (let g = 0; g < groups; g++) {
        let mu = 0; for (let i = 0; i < size; i++) mu += xd[g * size + i]! / size;
        let v = 0; for (let i = 0; i < size; i++) v += (xd[g * size + i]! - mu) ** 2 / size;
        for (let i = 0; i < size; i++) {
          plain[g * size + i] = (xd[g * size + i]! - mu) / Math.sqrt(v + 1e-5);
          want[g * size + i] = plain[g * size + i]! * gamma[i]! + beta[i]!;
        }
      }
      const ln = new c.LayerNorm(shape);
      const y = ln.apply([c.tensor(gamma, shape, 'float64'), c.tensor(beta, shape, 'float64')], x);
      assert.ok(relErr(y.dataSync(), want) <= 1e-13, `LayerNorm(${shape})`);
      const bare = new c.LayerNorm(shape, { elementwiseAffine: false });
      assert.is(bare.params.length, 0);
      assert.ok(relErr(bare.apply([], x).dataSync(), plain) <= 1e-13);
    }
    throwsType(() => new c.LayerNorm([4]).apply([c.ones([4], 'float64'), c.zeros([4], 'float64')], x), c.ShapeError, /must end in \[4\]/);
    throwsType(() => new c.LayerNorm(0), c.InputError, /normalized_shape/);
    assert.is(new c.LayerNorm(8).describe(), 'LayerNorm((8,), eps=0.00001)');
    assert.is(new c.Dropout(0.1).apply([], x), x);
    throwsType(() => new c.Dropout(1), c.InputError, /\[0, 1\)/);
    const si = c.silu(x).dataSync();
    assert.ok(relErr(si, Float64Array.from(xd, (v) => v / (1 + Math.exp(-v)))) <= 1e-13);
  });

  s('an MLP with LayerNorm, SiLU and Dropout: per-example gradients (fallback), batched HVPs, K-FAC with a fallback', () => {
    const rng = new Random(8);
    const model = new c.Sequential([new c.Linear(5, 6), new c.LayerNorm(6), c.activation('silu'), new c.Dropout(0.2), new c.Linear(6, 3)]);
    const objective = new c.Objective(model, c.crossEntropyLoss, 1e-2);
    const theta = c.tensor(Float64Array.from({ length: model.numParams }, () => 0.5 * rng.normal()), [model.numParams], 'float64');
    const data = { x: c.tensor(Float64Array.from({ length: 7 * 5 }, () => rng.normal()), [7, 5], 'float64'), y: c.tensor(Int32Array.from({ length: 7 }, () => rng.int(3)), [7], 'int32') };
    assert.equal(model.checkInput(data.x), [7, 3]);
    const P = model.numParams;
    assertPerExampleGradients(objective, theta, data, 1e-12, 'LayerNorm MLP');
    const g = objective.perSampleGradients(theta, data).dataSync();
    assertBatchedHvp((t: c.Tensor) => objective.value(t, data), theta, rng, 2, 1e-12);
    const op = c.gaussNewtonOperator(objective, theta, data);
    assert.throws(() => c.fitSolver('ekfac', op), (e: unknown) => e instanceof c.UnsupportedLayerError && /LayerNorm/.test((e as Error).message));
    const sol = c.fitSolver('ekfac', op, { kroneckerFallback: 'direct', damping: 0.05 });
    const r = sol.solve(c.tensor(g.subarray(0, P), [P], 'float64'));
    assert.equal((r.info!['fallback'] as { block: string; size: number }[]).map((b) => [b.block, b.size]), [['1', 12]]);
    sol.dispose();
  });

  s.run();
}
