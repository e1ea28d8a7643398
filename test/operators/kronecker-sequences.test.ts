import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as c from '../../src/index.js';
import { testBackends } from '../helpers.js';

/**
 * K-FAC/EK-FAC on a Linear layer applied to sequences [n, T, in] (the weight shared across
 * positions): A = (1/N)·Σₙ Σₜ ãₙₜãₙₜᵀ, G = (1/N)·Σₙ Σₜ δₙₜδₙₜᵀ (positions summed, as Kronfluence), and
 * EK-FAC's Λ = (1/N)·Σₙ (Q_Gᵀ·Ĝₙ·Q_A)² with Ĝₙ = Σₜ δₙₜãₙₜᵀ the example's whole gradient — checked
 * against the per-example gradients the model gives (Objective.perSampleGradients), float64,
 * ≤ 1e-12 relative (round-off of a few hundred terms).
 */
for (const backend of testBackends()) {
  const s = suite(`K-FAC over sequences [${backend}]`);
  c.setBackend(backend);
  s.before(() => { c.setBackend(backend); });
  const N = 6, T = 5, IN = 4, OUT = 3;
  const model = new c.Sequential([new c.Linear(IN, OUT), c.activation('tanh'), new c.Flatten(), new c.Linear(OUT * T, 2)]);
  const objective = new c.Objective(model, c.crossEntropyLoss, 0);
  const rng = new c.Random(4);
  const theta = c.tensor(Float64Array.from({ length: model.numParams }, () => rng.normal()), [model.numParams], 'float64');
  const xs = Float64Array.from({ length: N * T * IN }, () => rng.normal());
  const data = { x: c.tensor(xs, [N, T, IN], 'float64'), y: c.tensor(Int32Array.from({ length: N }, () => Math.floor(rng.uniform() * 2)), [N], 'int32') };

  function maxRel(got: ArrayLike<number>, want: ArrayLike<number>): number {
    let e = 0, m = 0;
    for (let i = 0; i < want.length; i++) { e = Math.max(e, Math.abs(got[i]! - want[i]!)); m = Math.max(m, Math.abs(want[i]!)); }
    return e / m;
  }

  s('A sums the homogeneous inputs over positions (the bias corner is T)', () => {
    const kc = c.KroneckerCurvature.fit(objective, theta, data, { form: 'empirical-fisher' });
    const l = kc.layers[0]!;
    const want = new Float64Array(l.inDim * l.inDim);
    for (let n = 0; n < N; n++) {
      for (let t = 0; t < T; t++) {
        const a = [...xs.subarray((n * T + t) * IN, (n * T + t + 1) * IN), 1];
        for (let i = 0; i < l.inDim; i++) for (let j = 0; j < l.inDim; j++) want[i * l.inDim + j]! += (a[i]! * a[j]!) / N;
      }
    }
    assert.ok(maxRel(l.A.dataSync(), want) <= 1e-12, `A rel err ${maxRel(l.A.dataSync(), want)}`);
    assert.is(want[l.inDim * l.inDim - 1], T);
    kc.dispose();
  });

  s('EK-FAC corrections are the second moments of the whole per-example gradients in the Kronecker eigenbasis', () => {
    const kc = c.KroneckerCurvature.fit(objective, theta, data, { corrected: true, form: 'empirical-fisher', batchSize: 4 });
    const l = kc.layers[0]!;
    const g = objective.perSampleGradients(theta, data).dataSync();
    const P = model.numParams, qA = l.qA.dataSync(), qG = l.qG.dataSync();
    const want = new Float64Array(OUT * l.inDim);
    for (let n = 0; n < N; n++) {
      // The example's gradient as [out, inDim]: weight columns, then the bias column.
      const m = new Float64Array(OUT * l.inDim);
      for (let o = 0; o < OUT; o++) {
        for (let i = 0; i < IN; i++) m[o * l.inDim + i] = g[n * P + l.offset + o * IN + i]!;
        m[o * l.inDim + IN] = g[n * P + l.offset + OUT * IN + o]!;
      }
      for (let a = 0; a < OUT; a++) {
        for (let b = 0; b < l.inDim; b++) {
          let s = 0;
          for (let o = 0; o < OUT; o++) for (let i = 0; i < l.inDim; i++) s += qG[o * OUT + a]! * m[o * l.inDim + i]! * qA[i * l.inDim + b]!;
          want[a * l.inDim + b]! += (s * s) / N;
        }
      }
    }
    assert.ok(maxRel(l.corrections!.dataSync(), want) <= 1e-12, `Λ rel err ${maxRel(l.corrections!.dataSync(), want)}`);
    kc.dispose();
  });


  s.run();
}
