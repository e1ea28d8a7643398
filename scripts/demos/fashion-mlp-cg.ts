/**
 * Demo: influence functions for a Fashion-MNIST MLP (784-16-10, tanh, 12,730 parameters) with
 * conjugate gradients. Trains on the bundled 5000-image subset by L-BFGS, solves s_test = H⁻¹∇ℓ_test
 * by CG for the highest-loss test points, scores all training points and writes the HTML report
 * (most helpful/harmful training images per test point, CG convergence curves).
 *
 *   node dist/scripts/demos/fashion-mlp-cg.js [--train 5000] [--test-points 3] [--weight-decay 0.01]
 *        [--rtol 1e-6] [--out fashion-mlp-cg.html] [--backend wasm]
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { getBackend, setBackend } from '../../src/backend/registry.js';
import { fitInfluence, scoreTraining, solveTestPoints, topK } from '../../src/cli/influence-steps.js';
import { progress } from '../../src/cli/progress.js';
import { reportImages } from '../../src/cli/report-command.js';
import { fashionData } from '../../src/cli/data-args.js';
import { crossEntropyLoss } from '../../src/nn/losses.js';
import { Objective, subset } from '../../src/nn/objective.js';
import { Sequential } from '../../src/nn/sequential.js';
import { fitLbfgs } from '../../src/nn/train.js';
import { renderInfluenceReport } from '../../src/report/influence-report.js';
import { tidy } from '../../src/tensor/index.js';

const { values } = parseArgs({ options: {
  train: { type: 'string', default: '5000' }, 'test-points': { type: 'string', default: '3' }, 'weight-decay': { type: 'string', default: '0.01' },
  rtol: { type: 'string', default: '1e-6' }, out: { type: 'string', default: 'fashion-mlp-cg.html' }, backend: { type: 'string', default: 'wasm' },
} });
setBackend(values.backend!);
const say = (m: string) => console.log(`[${((performance.now() - t0) / 1000).toFixed(0).padStart(4)} s] ${m}`);
const t0 = performance.now();
const nTrain = Number(values.train), numTest = Number(values['test-points']);
const train = fashionData({ split: 'train', limit: nTrain }), test = fashionData({ split: 'test' });
const model = Sequential.mlp([784, 16, 10], 'tanh');
const objective = new Objective(model, crossEntropyLoss, Number(values['weight-decay']));
const { theta, result } = fitLbfgs(objective, model.init({ seed: 0, dtype: 'float64' }), train.data, { gradTol: 1e-6, maxIter: 3000 });
say(`trained ${model.describe()} (${model.numParams} parameters) on ${nTrain} images: ‖∇J‖ = ${result.gradNorm.toExponential(2)} after ${result.iterations} L-BFGS iterations`);
const losses = tidy(() => objective.perSampleLosses(theta, test.data).dataSync());
const chosen = Array.from(losses.keys()).sort((a, b) => losses[b]! - losses[a]!).slice(0, numTest);
const testSet = subset(test.data, chosen);
const infl = fitInfluence(objective, theta, train.data, { solver: 'cg', solverOptions: { rtol: Number(values.rtol), atol: 0 } });
const t1 = performance.now();
const { s, summary } = solveTestPoints(infl, testSet, progress('CG solves', numTest));
const t2 = performance.now();
say(`CG: iterations ${summary.iterations.join(', ')}, residual ≤ ${Math.max(...summary.residualNorms).toExponential(2)}, converged ${summary.converged} (${((t2 - t1) / 1000).toFixed(1)} s)`);
const scores = scoreTraining(infl, s, train.data, 1024, progress('scoring', nTrain));
s.dispose();
const top = topK(scores, numTest, nTrain, 8);
const classes = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];
top.forEach((t, i) => {
  say(`test ${chosen[i]} (${classes[test.labels[chosen[i]!]!]}): helpful ${t.helpful.slice(0, 5).map((r) => `${r.index}:${classes[train.labels[r.index]!]}`).join(', ')}; harmful ${t.harmful.slice(0, 5).map((r) => `${r.index}:${classes[train.labels[r.index]!]}`).join(', ')}`);
});
const images = reportImages({ kind: 'fashion-mnist', dir: null, trainLimit: nTrain, testLimit: null });
const html = renderInfluenceReport({
  title: 'Fashion-MNIST MLP influence (CG)',
  model: { arch: '784,16,10', activation: 'tanh', loss: 'cross-entropy', weightDecay: objective.weightDecay, parameters: model.numParams },
  data: { kind: 'fashion-mnist', dir: null, trainLimit: nTrain }, hessian: 'exact', solver: 'cg', damping: 0,
  shapes: { parameters: model.numParams, train: nTrain, test: numTest },
  labels: { train: Array.from(train.labels), test: chosen.map((c) => test.labels[c]!) },
  solve: summary,
  top: top.map((t, i) => ({ test: i, helpful: t.helpful.map((r) => ({ ...r, predictedDelta: -r.score / nTrain })), harmful: t.harmful.map((r) => ({ ...r, predictedDelta: -r.score / nTrain })) })),
  self: null, validation: null,
  timings: { solveSeconds: (t2 - t1) / 1000, scoreSeconds: (performance.now() - t2) / 1000 },
}, { ...images, test: (i: number) => images.test!(chosen[i]!) });
writeFileSync(values.out!, html);
infl.dispose();
say(`report written to ${values.out} (backend ${getBackend().name})`);
