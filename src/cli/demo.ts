import { runBreastCancer } from '../jobs/breast-cancer.js';

const fmt = (v: number): string => (v >= 0 ? ' ' : '') + v.toExponential(3);

/** `curvature demo` (npm start): the breast-cancer influence job with a readable report. */
export function demoCommand(): void {
  console.log('curvature demo: influence functions vs leave-one-out retraining');
  console.log('Breast Cancer Wisconsin (569×30, bundled), logistic regression, L2 0.01, standardised, 80/20 split\n');
  const r = runBreastCancer({ onProgress: (m) => console.log(`  ${m}`) });
  console.log(`\ntest accuracy ${(100 * r.testAccuracy).toFixed(1)}%, Hessian factorisation: ${r.factorization}\n`);
  console.log('test  train   predicted Δloss   actual Δloss (retrained)');
  let lastTest = -1;
  for (const row of r.rows) {
    if (row.test !== lastTest && lastTest !== -1) console.log('');
    lastTest = row.test;
    console.log(`${String(row.test).padStart(4)}  ${String(row.train).padStart(5)}   ${fmt(row.predicted).padStart(15)}   ${fmt(row.actual).padStart(15)}`);
  }
  console.log(`\n${r.rows.length} leave-one-out retrainings (5 test points × 30 most influential training points)`);
  console.log(`Pearson  r   = ${r.pearson.toFixed(4)}`);
  console.log(`Spearman rho = ${r.spearman.toFixed(4)}`);
  console.log(`timings: train ${r.seconds.train.toFixed(2)} s, influence ${r.seconds.influence.toFixed(2)} s, retraining ${r.seconds.retrain.toFixed(2)} s`);
  console.log(`L-BFGS: ‖∇J‖ = ${r.trainGradNorm.toExponential(2)} (${r.trainIterations} iterations); retrained models ‖∇J‖ ≤ ${r.retrainMaxGradNorm.toExponential(2)}`);
}
