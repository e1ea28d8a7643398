/**
 * Acceptance check (issue 5): logistic regression on 10-class Fashion-MNIST (7,850 parameters,
 * L2 0.01), predicted vs actual leave-one-out test-loss change for the 100 most influential
 * training points of 5 test points; Pearson ≥ 0.95 with direct and CG.
 *
 *   node dist/scripts/validate/fashion-lr-loo.js [--data bundled|DIR] [--train N] [--pool K]
 *        [--solvers direct,cg] [--top 100] [--test-points 5] [--lbfgs-check 3] [--backend wasm] [--json out.json]
 *
 * Default data: the full 60k set from Debian's dataset-fashion-mnist when installed, else the
 * bundled 5000-image subset.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { setBackend, getBackend } from '../../src/backend/registry.js';
import { defaultFashionDir } from '../../src/io/fashion-pixels.js';
import { runFashionLrLoo } from '../../examples/fashion-lr-loo.js';
import type { SolverName } from '../../src/solvers/registry.js';

const { values } = parseArgs({
  options: {
    data: { type: 'string' }, train: { type: 'string' }, pool: { type: 'string', default: '1' },
    solvers: { type: 'string', default: 'direct,cg' }, top: { type: 'string', default: '100' },
    'test-points': { type: 'string', default: '5' }, 'lbfgs-check': { type: 'string', default: '3' },
    backend: { type: 'string', default: 'wasm' }, json: { type: 'string' },
  },
});
setBackend(values.backend!);
const dir = values.data === 'bundled' ? undefined : values.data ?? defaultFashionDir();
const t0 = performance.now();
const r = runFashionLrLoo({
  ...(dir ? { dir } : {}), ...(values.train ? { trainLimit: Number(values.train) } : {}),
  pool: Number(values.pool), solvers: values.solvers!.split(',') as SolverName[], topK: Number(values.top),
  numTest: Number(values['test-points']), lbfgsCheck: Number(values['lbfgs-check']),
  onProgress: (m) => console.log(`[${((performance.now() - t0) / 1000).toFixed(0).padStart(5)} s] ${m}`),
});
console.log(`\nFashion-MNIST logistic regression, ${r.parameters} parameters, N = ${r.nTrain} (${r.source}), backend ${getBackend().name}`);
console.log(`test accuracy ${(100 * r.testAccuracy).toFixed(2)}%, ‖∇J(θ̂)‖ = ${r.trainGradNorm.toExponential(2)}`);
console.log(`${r.pairs.length} (test, train) pairs, ${r.retrain.points} retrainings in ${r.retrain.seconds.toFixed(1)} s (max ‖∇J₋ⱼ‖ ${r.retrain.maxGradNorm.toExponential(2)}, mean ${r.retrain.meanIterations.toFixed(1)} steps: chord Newton, then L-BFGS where it stalled)`);
if (r.retrain.lbfgsMaxAbsDiff !== null) console.log(`L-BFGS cross-check: max |Δ_newton − Δ_lbfgs| = ${r.retrain.lbfgsMaxAbsDiff.toExponential(2)} (relative ${r.retrain.lbfgsMaxRelDiff!.toExponential(2)})`);
for (const [name, p] of Object.entries(r.pearson)) {
  const st = r.solverStats[name]!;
  console.log(`${name.padEnd(9)} Pearson ${p.toFixed(4)}  Spearman ${r.spearman[name]!.toFixed(4)}  (fit ${st.fitSeconds.toFixed(1)} s, scores ${st.scoreSeconds.toFixed(1)} s, iterations ${st.iterations.join('/')})  ${p >= 0.95 ? 'PASS' : 'FAIL'} (≥ 0.95)`);
}
if (values.json) writeFileSync(values.json, JSON.stringify({ ...r, backend: getBackend().name, totalSeconds: (performance.now() - t0) / 1000 }, null, 2));
