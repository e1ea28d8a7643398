import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as c from '../../src/index.js';
import { linearScores } from '../../src/nn/layers/linear-scores.js';
import { Random } from '../../src/tensor/random.js';
import { randn, relErr, testBackends, throwsType } from '../helpers.js';
import { labels, elementwiseScale } from '../layers.js';
import { BackendBytes } from '../influence/memory.js';

/**
 * Scores from captures: per-example gradients dotted with query vectors, layer by layer, without
 * the [n, P] gradient matrix. The reference is the explicit product perSampleGradients(θ)·qᵀ in
 * float64. Tolerance 1e-12 relative: the same sums of products in another order (a few ulps).
 */
const TOL = 1e-12;

/** gradientScores(θ, data, q) against perSampleGradients(θ, data)·qᵀ, for m random queries. */
function check(obj: c.Objective<c.Model>, theta: c.Tensor, data: c.Dataset, rng: Random, m: number, what: string): void {
  const q = randn(rng, [m, obj.model.numParams]);
  const got = obj.gradientScores(theta, data, q);
  assert.equal([...got.shape], [data.x.shape[0]!, m], `${what}: shape`);
  const want = c.matmul(obj.perSampleGradients(theta, data), q, { transB: true });
  const e = relErr(got.dataSync(), want.dataSync());
  assert.ok(e <= TOL, `${what}: rel err ${e}`);
}

for (const backend of testBackends()) {
  const s = suite(`nn scores from captures [${backend}]`);
  s.before.each(() => { c.setBackend(backend); });

  s('MLP (out > in and out < in layers) and a Linear without bias equal per-example gradients · qᵀ', () => {
    const rng = new Random(21);
    const model = c.Sequential.mlp([3, 7, 2], 'tanh');
    const obj = new c.Objective(model, c.crossEntropyLoss, 0.1); // weight decay is not in per-example gradients
    const theta = model.init({ seed: 1, dtype: 'float64' });
    const data = { x: randn(rng, [9, 3]), y: labels(rng, 9, 2) };
    check(obj, theta, data, rng, 1, 'mlp, one query');
    check(obj, theta, data, rng, 5, 'mlp, five queries');
    const noBias = new c.Sequential([new c.Linear(4, 3, false)]);
    const nObj = new c.Objective(noBias, c.mseLoss);
    const tn = noBias.init({ seed: 2, dtype: 'float64' });
    check(nObj, tn, { x: randn(rng, [6, 4]), y: randn(rng, [6, 3]) }, rng, 4, 'no bias, out < in');
    const wide = new c.Sequential([new c.Linear(2, 5, false)]);
    check(new c.Objective(wide, c.mseLoss), wide.init({ seed: 3, dtype: 'float64' }), { x: randn(rng, [6, 2]), y: randn(rng, [6, 5]) }, rng, 3, 'no bias, out > in');
  });

  s('inputs of rank 3: Linear on [n, t, in] scores Σₜ δₜᵀ Q aₜ (+ Σₜ δₜᵀ b)', () => {
    const rng = new Random(22);
    const n = 5;
    const x = randn(rng, [n, 3, 4]);
    const flat = new c.Sequential([new c.Linear(4, 6), c.GELU(), new c.Flatten(), new c.Linear(18, 2)]);
    const fObj = new c.Objective(flat, c.crossEntropyLoss);
    const fData = { x, y: labels(rng, n, 2) };
    fObj.validate(fData);
    check(fObj, flat.init({ seed: 4, dtype: 'float64' }), fData, rng, 3, 'Linear → Flatten → Linear');
    const seq = new c.Sequential([new c.Linear(4, 3), c.Tanh(), new c.Linear(3, 2, false)]);
    const sObj = new c.Objective(seq, c.mseLoss);
    const sData = { x, y: randn(rng, [n, 3, 2]) };
    sObj.validate(sData);
    check(sObj, seq.init({ seed: 5, dtype: 'float64' }), sData, rng, 4, 'sequence model');
  });

  s('a layer without a scoring rule falls back to its per-example gradients (exact, no error)', () => {
    const rng = new Random(23);
    const scale = elementwiseScale(4);
    assert.is(scale.scoreCaptured, undefined);
    const model = new c.Sequential([new c.Linear(3, 4), scale, c.Tanh(), new c.Linear(4, 2), elementwiseScale(2)]);
    const obj = new c.Objective(model, c.crossEntropyLoss);
    const theta = model.init({ seed: 6, dtype: 'float64' });
    check(obj, theta, { x: randn(rng, [7, 3]), y: labels(rng, 7, 2) }, rng, 3, 'with Scale layers');
    const seq = new c.Sequential([elementwiseScale(3), new c.Linear(3, 2)]);
    check(new c.Objective(seq, c.mseLoss), seq.init({ seed: 7, dtype: 'float64' }), { x: randn(rng, [4, 2, 3]), y: randn(rng, [4, 2, 2]) }, rng, 2, 'Scale on [n, t, d]');
  });

  s('scoresFromCaptures sums layerScores; queries in several blocks give the same scores', () => {
    const rng = new Random(24);
    const model = c.Sequential.mlp([5, 6, 3], 'sigmoid');
    const obj = new c.Objective(model, c.crossEntropyLoss);
    const theta = model.init({ seed: 8, dtype: 'float64' });
    const data = { x: randn(rng, [6, 5]), y: labels(rng, 6, 3) };
    const cap = obj.capture(theta, data);
    const q = randn(rng, [7, model.numParams]);
    const total = c.scoresFromCaptures(model, theta, cap, q).dataSync();
    const parts = cap.layers.map((l) => c.layerScores(theta, l, c.slice(q, [0, l.site.offset], [7, l.site.size])).dataSync());
    const summed = Float64Array.from(total, (_, k) => parts.reduce((acc, p) => acc + p[k]!, 0));
    assert.ok(relErr(total, summed) <= TOL);
    // One Linear layer, queries split into blocks of 1 and 2 rows by a small element budget.
    for (const l of cap.layers) {
      const lin = l.site.layer as c.Linear;
      const ql = c.slice(q, [0, l.site.offset], [7, l.site.size]);
      const whole = linearScores(l.input, l.outputGrad, ql, lin.inFeatures, lin.outFeatures, lin.bias).dataSync();
      for (const budget of [1, 6 * Math.min(lin.inFeatures, lin.outFeatures) * 2]) {
        const blocked = linearScores(l.input, l.outputGrad, ql, lin.inFeatures, lin.outFeatures, lin.bias, { blockElements: budget }).dataSync();
        assert.ok(relErr(blocked, whole) <= TOL, `layer ${l.name}, budget ${budget}`);
      }
    }
  });

  s('a QueryCache scores batch after batch like the queries themselves, holds its layouts across batches and frees them on dispose', () => {
    const rng = new Random(27);
    const model = c.Sequential.mlp([5, 4, 3], 'tanh');
    const obj = new c.Objective(model, c.crossEntropyLoss);
    const theta = c.keep(model.init({ seed: 4, dtype: 'float64' }));
    const q = c.keep(randn(rng, [6, model.numParams]));
    const batches = [0, 1, 2].map(() => ({ x: c.keep(randn(rng, [8, 5])), y: c.keep(labels(rng, 8, 3)) }));
    const cache = new c.QueryCache(q);
    const meter = new BackendBytes(c.getBackend());
    const live = (): number => meter.sample().counted;
    let held = 0;
    for (const [i, b] of batches.entries()) {
      const before = live();
      const got = c.tidy(() => obj.gradientScores(theta, b, cache).dataSync());
      const want = c.tidy(() => obj.gradientScores(theta, b, q).dataSync());
      assert.ok(relErr(got, want) <= TOL, `batch ${i}`);
      if (i === 0) held = live() - before; // the slices and layouts built by the first batch
      else assert.is(live() - before, 0, `batch ${i} builds nothing new`);
    }
    assert.ok(held > 0, 'the first batch leaves its query layouts in the cache');
    const before = live();
    cache.dispose();
    assert.is(before - live(), held, 'dispose frees every layout it built');
    meter.uninstall();
    c.dispose([theta, q, ...batches.flatMap((b) => [b.x, b.y])]);
  });

  s('bad queries and bad scoring rules are ShapeErrors', () => {
    const rng = new Random(25);
    const model = c.Sequential.mlp([3, 2], 'tanh');
    const obj = new c.Objective(model, c.crossEntropyLoss);
    const theta = model.init({ seed: 9, dtype: 'float64' });
    const data = { x: randn(rng, [4, 3]), y: labels(rng, 4, 2) };
    throwsType(() => obj.gradientScores(theta, data, randn(rng, [2, model.numParams + 1])), c.ShapeError, /queries must be \[m, 8\]/);
    throwsType(() => obj.gradientScores(theta, data, randn(rng, [model.numParams])), c.ShapeError, /queries/);
    const bad: c.Layer = {
      ...elementwiseScale(3), scoreCaptured: () => c.zeros([1, 1]),
    };
    const bm = new c.Sequential([bad, new c.Linear(3, 2)]);
    const bObj = new c.Objective(bm, c.crossEntropyLoss);
    throwsType(() => bObj.gradientScores(bm.init({ seed: 1, dtype: 'float64' }), data, randn(rng, [2, bm.numParams])), c.ShapeError, /scoring rule returned \[1, 1\], expected \[4, 2\]/);
  });

  s.run();
}
