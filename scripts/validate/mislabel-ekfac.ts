/**
 * Validation (not a CI test): mislabelled-example detection by EK-FAC / K-FAC self-influence on an
 * MLP — Kronfluence's experiment (≈ 80% of flipped labels found after inspecting 10% of the data)
 * and the appendix of 004_7cb5e77c3e7b1392.txt (≈ 80% after 20%). Flips a fraction of the bundled
 * Fashion-MNIST training labels to another random class, trains a 784-32-10 tanh MLP by L-BFGS,
 * ranks the training points by self-influence ∇ℓᵀ(K + λ_wd + λ)⁻¹∇ℓ (Gauss–Newton form) and counts
 * the flipped labels among the top 10% and 20%; the training-loss ranking is the baseline.
 *
 *   node dist/scripts/validate/mislabel-ekfac.js [--backend wasm] [--train 2000] [--flip 0.1]
 *        [--damping 1e-3] [--weight-decay 1e-3] [--train-iters 400] [--seed 7]
 */
import * as c from '../../src/index.js';
import { loadFashionMnist } from '../../src/io/datasets.js';
import { Random } from '../../src/tensor/random.js';

const args = process.argv.slice(2);
const arg = (name: string, dflt: string) => (args.includes(`--${name}`) ? args[args.indexOf(`--${name}`) + 1]! : dflt);
c.setBackend(arg('backend', 'wasm'));
const N = Number(arg('train', '2000')), flip = Number(arg('flip', '0.1')), damping = Number(arg('damping', '1e-3'));
const rng = new Random(Number(arg('seed', '7')));

const d = loadFashionMnist({ split: 'train', limit: N });
const labels = Int32Array.from(d.y.data as ArrayLike<number>);
const flipped = new Set<number>();
for (let i = 0; i < N; i++) {
  if (rng.uniform() < flip) { flipped.add(i); labels[i] = (labels[i]! + 1 + Math.floor(rng.uniform() * 9)) % 10; }
}
const train = { x: c.tensor(Float64Array.from(d.x.data as Uint8Array, (v) => v / 255), [N, 784], 'float64'), y: c.tensor(labels, [N], 'int32') };
const model = c.Sequential.mlp([784, 32, 10], 'tanh');
const objective = new c.Objective(model, c.crossEntropyLoss, Number(arg('weight-decay', '1e-3')));
const clock = () => performance.now() / 1000;
let t = clock();
const { theta, result } = c.fitLbfgs(objective, model.init({ seed: 0, dtype: 'float64' }), train, { maxIter: Number(arg('train-iters', '400')), gradTol: 1e-6 });
console.log(`${model.describe()}, ${model.numParams} parameters, N = ${N}, ${flipped.size} labels flipped; ${result.iterations} L-BFGS steps, ‖∇J‖ = ${result.gradNorm.toExponential(2)} (${(clock() - t).toFixed(0)} s)`);

/** Fraction of the flipped labels among the top `fraction` of a ranking (largest score first). */
const found = (scores: ArrayLike<number>, fraction: number): number => {
  const order = Array.from({ length: N }, (_, i) => i).sort((a, b) => scores[b]! - scores[a]!);
  return order.slice(0, Math.round(fraction * N)).filter((i) => flipped.has(i)).length / flipped.size;
};
const line = (name: string, s: ArrayLike<number>, seconds?: number) =>
  console.log(`${name.padEnd(26)} found after 10%: ${(100 * found(s, 0.1)).toFixed(1)}%, after 20%: ${(100 * found(s, 0.2)).toFixed(1)}%${seconds === undefined ? '' : ` (${seconds.toFixed(0)} s)`}`);
line('training loss', objective.perSampleLosses(theta, train).dataSync());
for (const solver of ['ekfac', 'kfac'] as const) {
  t = clock();
  const infl = c.InfluenceModel.fit(objective, theta, train, { hessian: 'gauss-newton', solver, damping });
  line(`${solver} self-influence`, infl.selfInfluence().scores.dataSync(), clock() - t);
  infl.dispose();
}
