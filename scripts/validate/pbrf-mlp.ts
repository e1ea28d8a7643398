/**
 * Validation (not a CI test): influence vs the proximal Bregman response function (PBRF) on a
 * 784-64-10 tanh MLP (50,890 parameters) trained on the bundled Fashion-MNIST subset — the
 * experiment of 004_7cb5e77c3e7b1392.txt, Table 6 (FashionMNIST: Pearson 0.90, Spearman 0.92 for
 * Gauss–Newton influence) and Table 7 (exact Hessian).
 *
 *   node dist/scripts/validate/pbrf-mlp.js [--backend wasm] [--train 500] [--test 2] [--removed 20]
 *        [--damping 1e-3] [--weight-decay 1e-3] [--train-iters 100] [--seed 0]
 *
 * Protocol: the objective has weight decay 1e-3 (without it the 50,890-parameter network memorises
 * 500 images, the softmax saturates and G ≈ 0); θˢ = 100 full-batch L-BFGS steps from PyTorch-style
 * initialisation (not converged, as in the paper); the PBRF's proximity term is then
 * (λ_wd + λ)/2·‖θ − θˢ‖² and the influence operators are G + (λ_wd + λ)I and ∇²J + λI (∇²J includes λ_wd); for `removed` training points picked at random, the PBRF (eq. 28–30, ε = 1/N,
 * i.e. removal) is solved by L-BFGS warm-started at θˢ to ‖∇Q‖ ≤ 1e-6·‖∇Q(θˢ)‖, and the change of
 * each test point's loss is compared with the influence prediction −ε·I_up,loss(z_m, z_test) for
 * H = G + λI (Gauss–Newton, CG to rtol 1e-8) and H = ∇²J + λI (exact Hessian, CG; refused with
 * NotPositiveDefiniteError if H + λI is indefinite at θˢ), and for K-FAC and EK-FAC (Gauss–Newton
 * form; Grosse et al. 2023 compare EK-FAC influence with the PBRF).
 */
import * as c from '../../src/index.js';
import { loadFashionMnist } from '../../src/io/datasets.js';
import { Random } from '../../src/tensor/random.js';

const args = process.argv.slice(2);
const arg = (name: string, dflt: string) => (args.includes(`--${name}`) ? args[args.indexOf(`--${name}`) + 1]! : dflt);
c.setBackend(arg('backend', 'wasm'));
const N = Number(arg('train', '500')), nTest = Number(arg('test', '2')), nRemoved = Number(arg('removed', '20'));
const damping = Number(arg('damping', '1e-3')), trainIters = Number(arg('train-iters', '100')), weightDecay = Number(arg('weight-decay', '1e-3'));
const rng = new Random(Number(arg('seed', '0')));

const images = (split: 'train' | 'test', n: number) => {
  const d = loadFashionMnist({ split, limit: n });
  return { x: c.tensor(Float64Array.from(d.x.data as Uint8Array, (v) => v / 255), [n, 784], 'float64'), y: c.tensor(Int32Array.from(d.y.data as ArrayLike<number>), [n], 'int32') };
};
const train = images('train', N), test = images('test', nTest);
const model = c.Sequential.mlp([784, 64, 10], 'tanh');
const objective = new c.Objective(model, c.crossEntropyLoss, weightDecay);
const clock = () => performance.now() / 1000;
let t = clock();
const { theta, result } = c.fitLbfgs(objective, model.init({ seed: 0, dtype: 'float64' }), train, { maxIter: trainIters });
c.keep(theta);
console.log(`θˢ: ${model.describe()}, ${model.numParams} parameters, N = ${N}; ${result.iterations} L-BFGS steps, J = ${result.value.toFixed(4)}, ‖∇J‖ = ${result.gradNorm.toExponential(2)} (${(clock() - t).toFixed(0)} s)`);

const removed = Array.from(rng.permutation(N).slice(0, nRemoved));
const eps = 1 / N;
const removedSet = c.subset(train, removed);

function predicted(hessian: 'gauss-newton' | 'exact', solver: 'cg' | 'kfac' | 'ekfac' = 'cg'): Float64Array | string {
  const t0 = clock();
  try {
    const infl = c.InfluenceModel.fit(objective, theta, train, {
      hessian, damping, solver, ...(solver === 'cg' ? { solverOptions: { rtol: 1e-8, maxIter: 5000 } } : {}),
    });
    const { scores, stats } = infl.influence(test, removedSet); // [nTest, nRemoved]
    console.log(`${hessian} influence (${solver}): ${solver === 'cg' ? `CG iterations ${stats.iterations.join(', ')}, converged ${stats.converged} ` : ''}(${(clock() - t0).toFixed(0)} s)`);
    return Float64Array.from(scores.dataSync(), (v) => -eps * v);
  } catch (err) {
    const msg = `${(err as Error).name}: ${(err as Error).message}`;
    console.log(`${hessian} influence failed (${(clock() - t0).toFixed(0)} s): ${msg}`);
    return msg;
  }
}

const gn = predicted('gauss-newton');
const exact = predicted('exact');
// K-FAC/EK-FAC (Gauss–Newton form, weight decay + λ on every eigenvalue): the approximation Grosse et al. 2023 compare with the PBRF.
const kfac = predicted('gauss-newton', 'kfac');
const ekfac = predicted('gauss-newton', 'ekfac');

t = clock();
const pb = c.pbrf(objective, theta, train, test, removed, {
  damping, epsilon: eps, relTol: 1e-6, maxIter: 2000,
  onPoint: (p) => console.log(`  PBRF z_${p.index}: ${p.iterations} L-BFGS steps, ‖∇Q‖ = ${p.gradNorm.toExponential(2)} (${(clock() - t).toFixed(0)} s so far)`),
});
console.log(`PBRF: ${removed.length} points, all converged: ${pb.converged.every(Boolean)}, ${(clock() - t).toFixed(0)} s`);

const truth: number[] = [];
removed.forEach((_, k) => { for (let i = 0; i < nTest; i++) truth.push(pb.deltas[k]![i]!); });
const report = (name: string, p: Float64Array | string) => {
  if (typeof p === 'string') { console.log(`${name}: not available (${p})`); return; }
  const pred: number[] = [];
  removed.forEach((_, k) => { for (let i = 0; i < nTest; i++) pred.push(p[i * removed.length + k]!); });
  console.log(`${name} vs PBRF over ${pred.length} (removed, test) pairs: Pearson ${c.pearson(pred, truth).toFixed(3)}, Spearman ${c.spearman(pred, truth).toFixed(3)}`);
};
console.log(`damping λ = ${damping}, weight decay ${weightDecay}, ε = 1/N = ${eps}`);
report('Gauss–Newton influence', gn);
report('exact-Hessian influence', exact);
report('K-FAC influence', kfac);
report('EK-FAC influence', ekfac);
