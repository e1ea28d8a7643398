import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runFashionLrLoo } from '../../examples/fashion-lr-loo.js';
import { detectionCurve, runMislabel } from '../../examples/mislabel.js';
import { runSimilarity } from '../../examples/similarity.js';

/** CI-sized versions of the validation scripts and demos (examples/*, run by scripts/validate/fashion-lr-loo.ts and scripts/demos/*). */
test('fashion-lr-loo (CI size: 49 pooled features, 500 parameters, 600 points): Pearson ≥ 0.95 for direct and CG', () => {
  const r = runFashionLrLoo({ pool: 4, trainLimit: 600, numTest: 3, topK: 15, solvers: ['direct', 'cg'], lbfgsCheck: 1 });
  assert.is(r.parameters, 500);
  assert.ok(r.trainGradNorm <= 1e-12, `‖∇J‖ ${r.trainGradNorm}`);
  assert.ok(r.retrain.maxGradNorm <= 1e-12);
  assert.ok(r.retrain.lbfgsMaxAbsDiff! <= 1e-8, `L-BFGS vs chord Newton ${r.retrain.lbfgsMaxAbsDiff}`);
  assert.is(r.pairs.length, 45);
  for (const s of ['direct', 'cg']) assert.ok(r.pearson[s]! >= 0.95, `${s}: Pearson ${r.pearson[s]}`);
  // Direct and CG predict the same numbers (CG at rtol 1e-10, κ ≈ 1e2–1e3).
  for (const p of r.pairs) assert.ok(Math.abs(p.predicted['direct']! - p.predicted['cg']!) <= 1e-7 * Math.abs(p.predicted['direct']!) + 1e-14);
});

test('mislabel detection (CI size): self-influence finds flipped labels far above chance', () => {
  const r = runMislabel({ pool: 4, trainLimit: 800, seed: 1 });
  assert.is(r.flipped, 80);
  assert.is(r.curves.selfInfluence.length, 801);
  assert.is(r.curves.selfInfluence[800], 1);
  assert.ok(r.at20.selfInfluence >= 0.6, `found ${r.at20.selfInfluence}`);
  assert.ok(r.at20.selfInfluence > 2 * r.at20.random);
  assert.equal(Array.from(detectionCurve([3, 1, 2, 0], new Set([1, 0]))), [0, 0, 0.5, 0.5, 1]);
});

test('similarity (CI size): matrices are symmetric with unit diagonal; matched pairs more similar than unrelated ones', () => {
  const r = runSimilarity({ pool: 4, trainLimit: 500 });
  for (const m of [r.influence, r.gradient]) {
    for (let i = 0; i < 20; i++) {
      assert.ok(Math.abs(m[i * 21]! - 1) <= 1e-12);
      for (let j = 0; j < 20; j++) assert.ok(Math.abs(m[i * 20 + j]! - m[j * 20 + i]!) <= 1e-9);
    }
  }
  assert.ok(r.matched.influence > r.unrelated.influence && r.matched.gradient > r.unrelated.gradient);
});

test.run();
