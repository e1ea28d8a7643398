import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { breastCancerSplit } from '../../src/cli/data-args.js';
import { runBreastCancer } from '../../src/cli/demo.js';

// The demo's acceptance (`curvature demo`, npm start): influence predicts leave-one-out retraining (Pearson ≥ 0.99).
test('breast cancer: predicted vs actual LOO test-loss change, Pearson ≥ 0.99', () => {
  const r = runBreastCancer();
  console.log(`    breast cancer: Pearson ${r.pearson.toFixed(4)}, Spearman ${r.spearman.toFixed(4)}, ${r.rows.length} retrainings`);
  assert.is(r.rows.length, 150);
  assert.ok(r.pearson >= 0.99, `Pearson ${r.pearson}`);
  assert.ok(r.spearman >= 0.95, `Spearman ${r.spearman}`);
  assert.ok(r.trainGradNorm <= 1e-8, `‖∇J‖ ${r.trainGradNorm}`);
  assert.is(r.factorization, 'cholesky');
  assert.ok(r.testAccuracy > 0.9);
});

test('breast cancer split: 455/114, standardised training features', () => {
  const { train, test: t } = breastCancerSplit();
  assert.equal(train.x.shape, [455, 30]);
  assert.equal(t.x.shape, [114, 30]);
  const x = train.x.dataSync();
  let mean = 0, sq = 0;
  for (let i = 0; i < 455; i++) { mean += x[i * 30]! / 455; sq += x[i * 30]! ** 2 / 455; }
  assert.ok(Math.abs(mean) < 1e-12 && Math.abs(sq - 1) < 1e-12);
});

test.run();
