import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as c from '../../src/index.js';
import { Random } from '../../src/tensor/random.js';
import { randn, relErr, testBackends, throwsType } from '../helpers.js';

/**
 * Losses against their textbook formulas computed by hand in float64. Tolerance: relative 1e-12
 * in float64 (the formulas are short chains of exp/log on O(1) numbers: a few ulps), 1e-6 in
 * float32 (one rounding to float32 per op, ≈6e-8 each).
 */
const TOL64 = 1e-12;
const TOL32 = 1e-6;


const t64 = (v: ArrayLike<number>, shape: number[]): c.Tensor => c.tensor(Float64Array.from(v), shape, 'float64');
const labelsT = (v: number[]): c.Tensor => c.tensor(v, [v.length], 'int32');
const sum = (a: number[]): number => a.reduce((x, y) => x + y, 0);
const mean = (a: number[]): number => sum(a) / a.length;

/** −log softmax(z)_y per row, computed stably by hand. */
function ceRef(z: ArrayLike<number>, n: number, k: number, y: number[]): number[] {
  return Array.from({ length: n }, (_, i) => {
    const row = Array.from({ length: k }, (_, j) => z[i * k + j]!);
    const m = Math.max(...row);
    return -(row[y[i]!]! - m - Math.log(sum(row.map((v) => Math.exp(v - m)))));
  });
}

const sigma = (x: number): number => 1 / (1 + Math.exp(-x));

function near(got: ArrayLike<number>, want: number[], tol: number, what: string): void {
  assert.is(got.length, want.length, `${what}: length`);
  for (let i = 0; i < want.length; i++) {
    assert.ok(Math.abs(got[i]! - want[i]!) <= tol * Math.abs(want[i]!), `${what}[${i}]: got ${got[i]}, want ${want[i]}`);
  }
}

for (const backend of testBackends()) {
  const s = suite(`nn losses [${backend}]`);
  s.before.each(() => { c.setBackend(backend); });

  s('crossEntropy = −log softmax picked at the label; reductions mean/sum/none', () => {
    const rng = new Random(4);
    const N = 5, K = 4;
    const z = randn(rng, [N, K]);
    const y = [3, 0, 1, 3, 2];
    const ref = ceRef(z.dataSync(), N, K, y);
    const none = c.crossEntropy(z, labelsT(y), 'none');
    assert.equal([...none.shape], [N]);
    near(none.dataSync(), ref, TOL64, 'none');
    near(c.crossEntropyLoss.perSample(z, labelsT(y)).dataSync(), ref, TOL64, 'perSample');
    const m = c.crossEntropy(z, labelsT(y));
    assert.equal([...m.shape], []);
    near(m.dataSync(), [mean(ref)], TOL64, 'mean (default)');
    near(c.crossEntropy(z, labelsT(y), 'mean').dataSync(), [mean(ref)], TOL64, 'mean');
    near(c.crossEntropy(z, labelsT(y), 'sum').dataSync(), [sum(ref)], TOL64, 'sum');
    // the explicit picking: −Σ_j onehot·logSoftmax
    const manual = c.neg(c.sum(c.mul(c.logSoftmax(z), c.oneHot(labelsT(y), K, 'float64')), -1));
    near(none.dataSync(), [...manual.dataSync()], TOL64, 'vs logSoftmax·oneHot');
    // uniform logits give log K
    near(c.crossEntropy(c.zeros([2, K], 'float64'), labelsT([0, 3]), 'none').dataSync(), [Math.log(K), Math.log(K)], TOL64, 'uniform');
    // huge logits stay finite and exact in float64
    const big = t64([1000, 0, -1000, 0, 1000, 0], [2, 3]);
    near(c.crossEntropy(big, labelsT([0, 2]), 'none').dataSync(), [Math.log1p(Math.exp(-1000) * 2), 1000 + Math.log1p(Math.exp(-1000))], TOL64, 'huge logits');
    const wrong = c.crossEntropy(t64([1e4, -1e4], [1, 2]), labelsT([1]), 'none').item();
    assert.is(wrong, 2e4, 'confidently wrong: exactly the logit gap, not Inf');
    // float32
    const z32 = c.tensor(z.dataSync(), [N, K], 'float32');
    const ref32 = ceRef(Float64Array.from(z32.dataSync()), N, K, y);
    const got32 = c.crossEntropy(z32, labelsT(y), 'none');
    assert.is(got32.dtype, 'float32');
    near(got32.dataSync(), ref32, TOL32, 'float32');
  });

  s('bceWithLogits equals the naive formula for moderate logits; finite at ±1000', () => {
    const zs = [-3, -0.7, 0, 0.4, 2.5, 5];
    const ys = [0, 1, 0.5, 1, 0, 0.25]; // probabilities are allowed as targets
    const naive = zs.map((z, i) => -(ys[i]! * Math.log(sigma(z)) + (1 - ys[i]!) * Math.log(1 - sigma(z))));
    // naive evaluation loses a few ulps in log(1 − σ) — 1e-12 is still far above that for |z| ≤ 5
    for (const shape of [[6], [6, 1]]) {
      const none = c.bceWithLogits(t64(zs, shape), t64(ys, shape), 'none');
      assert.equal([...none.shape], [6]);
      near(none.dataSync(), naive, 1e-12, `none ${JSON.stringify(shape)}`);
      near(c.bceWithLogits(t64(zs, shape), t64(ys, shape)).dataSync(), [mean(naive)], TOL64, 'mean');
      near(c.bceWithLogits(t64(zs, shape), t64(ys, shape), 'sum').dataSync(), [sum(naive)], TOL64, 'sum');
    }
    // several outputs per sample: summed per sample
    const multi = c.bceWithLogits(t64(zs, [2, 3]), t64(ys, [2, 3]), 'none');
    assert.equal([...multi.shape], [2]);
    near(multi.dataSync(), [sum(naive.slice(0, 3)), sum(naive.slice(3))], TOL64, 'multi-output');
    // ±1000: the naive formula gives Inf/NaN, the stable one softplus(z) − y·z is exact
    const big = c.bceWithLogits(t64([1000, 1000, -1000, -1000, 1000], [5]), t64([1, 0, 0, 1, 0.5], [5]), 'none').dataSync();
    for (const v of big) assert.ok(Number.isFinite(v), `finite: ${[...big]}`);
    assert.equal([...big], [0, 1000, 0, 1000, 500]);
    // float32
    const z32 = c.tensor(zs, [6], 'float32'), y32 = c.tensor(ys, [6], 'float32');
    const Z = [...z32.dataSync()];
    const naive32 = Z.map((z, i) => -(ys[i]! * Math.log(sigma(z)) + (1 - ys[i]!) * Math.log(1 - sigma(z))));
    near(c.bceWithLogits(z32, y32, 'none').dataSync(), naive32, TOL32, 'float32');
  });

  s('mse is the mean over samples of ½‖f − y‖²; reductions', () => {
    const rng = new Random(8);
    const f = randn(rng, [4, 3]), y = randn(rng, [4, 3]);
    const fd = f.dataSync(), yd = y.dataSync();
    const per = [0, 1, 2, 3].map((i) => 0.5 * sum([0, 1, 2].map((j) => (fd[i * 3 + j]! - yd[i * 3 + j]!) ** 2)));
    near(c.mse(f, y, 'none').dataSync(), per, TOL64, 'none');
    near(c.mse(f, y).dataSync(), [mean(per)], TOL64, 'mean');
    near(c.mse(f, y, 'sum').dataSync(), [sum(per)], TOL64, 'sum');
    // the ½ convention: PyTorch's MSELoss (mean over all entries, no ½) × d/2
    const torchMse = mean([...fd].map((v, i) => (v - yd[i]!) ** 2));
    near(c.mse(f, y).dataSync(), [torchMse * 3 / 2], TOL64, 'vs torch MSELoss');
    // a 1-D output with targets [N] or [N, 1]
    const g = t64([1, 2, 3], [3, 1]);
    near(c.mse(g, t64([0, 0, 5], [3])).dataSync(), [(0.5 + 2 + 2) / 3], TOL64, '[N,1] vs [N]');
    assert.is(c.mse(g, t64([1, 2, 3], [3, 1])).item(), 0);
  });

  s('Loss objects and lossByName', () => {
    assert.is(c.lossByName('cross-entropy'), c.crossEntropyLoss);
    assert.is(c.lossByName('bce-with-logits'), c.bceWithLogitsLoss);
    assert.is(c.lossByName('mse'), c.mseLoss);
    assert.equal([c.crossEntropyLoss, c.bceWithLogitsLoss, c.mseLoss].map((l) => l.name), ['cross-entropy', 'bce-with-logits', 'mse']);
    throwsType(() => c.lossByName('hinge'), c.InputError, /unknown loss 'hinge'/);
    // valid inputs pass validation
    c.crossEntropyLoss.validate({ shape: [2, 3] }, labelsT([0, 2]));
    c.bceWithLogitsLoss.validate({ shape: [2, 1] }, t64([0, 1], [2]));
    c.mseLoss.validate({ shape: [2, 2] }, t64([0, 1, 2, 3], [2, 2]));
  });

  s('validate: labels out of range, float labels, shape mismatch, BCE targets outside [0,1]', () => {
    const ce = c.crossEntropyLoss, bce = c.bceWithLogitsLoss, mse = c.mseLoss;
    throwsType(() => ce.validate({ shape: [2, 3] }, labelsT([0, 3])), c.InputError, /label 3 at row 1 is outside \[0, 3\)/);
    throwsType(() => ce.validate({ shape: [2, 3] }, labelsT([-1, 0])), c.InputError);
    throwsType(() => ce.validate({ shape: [2, 3] }, t64([0, 1], [2])), c.DTypeError, /int32/);
    throwsType(() => ce.validate({ shape: [2, 3] }, c.tensor([0, 1], [2], 'float32')), c.DTypeError);
    throwsType(() => ce.validate({ shape: [2, 3] }, labelsT([0, 1, 2])), c.ShapeError);
    throwsType(() => ce.validate({ shape: [2, 3] }, c.tensor([0, 1], [2, 1], 'int32')), c.ShapeError);
    throwsType(() => ce.validate({ shape: [6] }, labelsT([0, 1])), c.ShapeError, /\[batch, classes\]/);
    throwsType(() => bce.validate({ shape: [3, 1] }, t64([0, 1.5, 1], [3])), c.InputError, /target 1.5 at 1 is outside \[0, 1\]/);
    throwsType(() => bce.validate({ shape: [3, 1] }, t64([0, -0.1, 1], [3])), c.InputError);
    throwsType(() => bce.validate({ shape: [3, 1] }, t64([0, NaN, 1], [3])), c.InputError);
    throwsType(() => bce.validate({ shape: [3, 1] }, t64([0, 1], [2])), c.ShapeError);
    throwsType(() => bce.validate({ shape: [3, 1] }, c.tensor([0, 1, 1], [3], 'int32')), c.DTypeError);
    throwsType(() => mse.validate({ shape: [2, 2] }, t64([0, 1, 2], [3])), c.ShapeError);
    throwsType(() => mse.validate({ shape: [2, 2] }, c.tensor([0, 1, 2, 3], [2, 2], 'int32')), c.DTypeError);
    // the loss functions themselves also refuse bad labels with typed errors
    const z = t64([0, 1, 2, 3, 4, 5], [2, 3]);
    throwsType(() => c.crossEntropy(z, labelsT([0, 3])), c.InputError);
    throwsType(() => c.crossEntropy(z, t64([0, 1], [2])), c.DTypeError);
    throwsType(() => c.mse(z, t64([1, 2], [2])), c.ShapeError);
  });

  s('gradients of the losses: p − onehot, σ(z) − y, f − y (per sample, mean reduction)', () => {
    const rng = new Random(10);
    const z = randn(rng, [3, 4]), y = [1, 0, 3];
    const g = c.grad((t: c.Tensor) => c.crossEntropy(t, labelsT(y)), z).dataSync();
    const zd = z.dataSync();
    const want: number[] = [];
    for (let i = 0; i < 3; i++) {
      const row = [0, 1, 2, 3].map((j) => Math.exp(zd[i * 4 + j]!));
      const Z = sum(row);
      row.forEach((e, j) => want.push((e / Z - (j === y[i] ? 1 : 0)) / 3));
    }
    assert.ok(relErr(g, want) <= TOL64, 'cross-entropy gradient');
    const zb = t64([-1, 0.5, 2], [3]), yb = t64([0, 1, 0.3], [3]);
    const gb = c.grad((t: c.Tensor) => c.bceWithLogits(t, yb, 'sum'), zb).dataSync();
    assert.ok(relErr(gb, [-1, 0.5, 2].map((v, i) => sigma(v) - [0, 1, 0.3][i]!)) <= TOL64, 'bce gradient');
    const f = t64([1, 2, 3, 4], [2, 2]), yt = t64([0, 0, 1, 1], [2, 2]);
    const gm = c.grad((t: c.Tensor) => c.mse(t, yt), f).dataSync();
    assert.ok(relErr(gm, [0.5, 1, 1, 1.5]) <= TOL64, 'mse gradient');
  });

  s.run();
}
