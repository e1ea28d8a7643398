import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as c from '../../src/index.js';
import { col2im, im2col, maxPool2d } from '../../src/tensor/ops/conv.js';
import { Random } from '../../src/tensor/random.js';
import { dotArr, relErr, testBackends } from '../helpers.js';

/**
 * Every op's jvp and vjp against central finite differences in float64, and its second derivative
 * (forward-over-reverse and reverse-over-reverse HVPs of s(θ) = ⟨u, f(θ)⟩) against finite
 * differences of the gradient. Step ε = 1e-5: truncation error O(ε²·f''') ≈ 1e-10 and rounding
 * O(1e-16/ε) ≈ 1e-11, so a relative tolerance of 1e-6 leaves four orders of margin.
 */
const EPS = 1e-5;
const TOL = 1e-6;

type Domain = 'any' | 'positive' | 'awayFromZero' | 'aboveMinusOne';
interface Case { name: string; shapes: number[][]; f: (...xs: c.Tensor[]) => c.Tensor; domain?: Domain }

function shapesFrom(rng: Random): { a: number[]; b: number[]; m: number; k: number; n: number } {
  const d = () => 1 + rng.int(4);
  const a = [d() + 1, d(), d() + 1];
  // b broadcasts against a: drop the leading axis and squash one axis to 1.
  const b = [a[1]!, a[2]!];
  b[rng.int(2)] = 1;
  return { a, b, m: d() + 1, k: d() + 1, n: d() + 1 };
}

function cases(rng: Random): Case[] {
  const { a, b, m, k, n } = shapesFrom(rng);
  const unary = (name: string, f: (x: c.Tensor) => c.Tensor, domain: Domain = 'any'): Case => ({ name, shapes: [a], f, domain });
  const binary = (name: string, f: (x: c.Tensor, y: c.Tensor) => c.Tensor, domain: Domain = 'any'): Case[] => [
    { name: `${name} ${JSON.stringify(a)}·${JSON.stringify(b)}`, shapes: [a, b], f, domain },
    { name: `${name} ${JSON.stringify(b)}·${JSON.stringify(a)}`, shapes: [b, a], f, domain },
  ];
  return [
    unary('neg', c.neg), unary('exp', c.exp), unary('log', c.log, 'positive'), unary('tanh', c.tanh),
    unary('sigmoid', c.sigmoid), unary('sqrt', c.sqrt, 'positive'), unary('abs', c.abs, 'awayFromZero'),
    unary('square', c.square), unary('reciprocal', c.reciprocal, 'awayFromZero'), unary('log1p', c.log1p, 'aboveMinusOne'),
    unary('expm1', c.expm1), unary('softplus', c.softplus), unary('erf', c.erf), unary('sin', c.sin), unary('cos', c.cos),
    unary('relu', c.relu, 'awayFromZero'),
    ...binary('add', c.add), ...binary('sub', c.sub), ...binary('mul', c.mul), ...binary('div', c.div, 'awayFromZero'),
    ...binary('pow', c.pow, 'positive'), ...binary('maximum', c.maximum), ...binary('minimum', c.minimum),
    { name: 'scalar operands', shapes: [a], f: (x) => c.div(c.sub(2, c.mul(x, 3)), c.add(c.square(x), 1)) },
    { name: 'where', shapes: [a, b], f: (x, y) => c.where(c.greater(x, 0), c.mul(x, x), y) },
    { name: 'sum all', shapes: [a], f: (x) => c.sum(x) },
    { name: 'sum axis 1 keepDims', shapes: [a], f: (x) => c.sum(x, 1, true) },
    { name: 'sum axes [0,2] (non-contiguous)', shapes: [a], f: (x) => c.sum(x, [0, 2]) },
    { name: 'mean axis -1', shapes: [a], f: (x) => c.mean(x, -1) },
    { name: 'max axis 0', shapes: [a], f: (x) => c.max(x, 0) },
    { name: 'min axes [1,2]', shapes: [a], f: (x) => c.min(x, [1, 2]) },
    { name: 'logSumExp', shapes: [a], f: (x) => c.logSumExp(x, -1) },
    { name: 'logSoftmax axis 1', shapes: [a], f: (x) => c.logSoftmax(x, 1) },
    { name: 'softmax', shapes: [a], f: (x) => c.softmax(x) },
    { name: 'reshape', shapes: [a], f: (x) => c.mul(c.reshape(x, [-1]), c.reshape(x, [-1])) },
    { name: 'transpose', shapes: [a], f: (x) => c.mul(c.transpose(x, [2, 0, 1]), 1.5) },
    { name: 'broadcastTo', shapes: [b], f: (x) => c.square(c.broadcastTo(x, a)) },
    { name: 'slice', shapes: [a], f: (x) => c.exp(c.slice(x, [1, 0, 1], [-1, -1, 1])) },
    { name: 'pad', shapes: [a], f: (x) => c.tanh(c.pad(x, [1, 0, 2], [0, 1, 1])) },
    { name: 'concat', shapes: [a, a], f: (x, y) => c.concat([c.square(x), y, x], 1) },
    { name: 'split', shapes: [[7]], f: (x) => { const [p, q] = c.split(x, [3, 4]); return c.mul(c.sum(c.exp(p!)), q!); } },
    { name: 'matmul', shapes: [[m, k], [k, n]], f: (x, y) => c.matmul(x, y) },
    { name: 'matmul transA', shapes: [[k, m], [k, n]], f: (x, y) => c.matmul(x, y, { transA: true }) },
    { name: 'matmul transB', shapes: [[m, k], [n, k]], f: (x, y) => c.matmul(x, y, { transB: true }) },
    { name: 'matmul transA transB', shapes: [[k, m], [n, k]], f: (x, y) => c.matmul(x, y, { transA: true, transB: true }) },
    { name: 'matmul batched', shapes: [[2, m, k], [2, k, n]], f: (x, y) => c.matmul(x, y) },
    { name: 'matmul batched transB', shapes: [[2, m, k], [2, n, k]], f: (x, y) => c.matmul(x, y, { transB: true }) },
    { name: 'matmul batch × matrix', shapes: [[3, m, k], [k, n]], f: (x, y) => c.matmul(x, y) },
    { name: 'matmul matrix × batch', shapes: [[m, k], [3, k, n]], f: (x, y) => c.matmul(x, y) },
    { name: 'matmul vector', shapes: [[k], [k, n]], f: (x, y) => c.matmul(x, y) },
    { name: 'dot', shapes: [[k], [k]], f: (x, y) => c.dot(x, y) },
    { name: 'outer', shapes: [[m], [n]], f: (x, y) => c.outer(x, y) },
    { name: 'gather', shapes: [[4, 3]], f: (x) => c.exp(c.gather(x, c.tensor([2, 0, 2, 3], [4], 'int32'))) },
    { name: 'scatterAdd', shapes: [[4, 3]], f: (x) => c.square(c.scatterAdd(x, c.tensor([1, 0, 1, 4], [4], 'int32'), 5)) },
    { name: 'unfold2d (im2col: pad, transpose, gather)', shapes: [[2, 3, 4, 5]], f: (x) => c.tanh(c.unfold2d(x, { kernel: [2, 3], stride: [2, 1], padding: [1, 0], dilation: [1, 2] })) },
    { name: 'im2col (stride 2, padding, dilation, non-square)', shapes: [[2, 3, 5, 6]], f: (x) => c.tanh(im2col(x, { kernel: [3, 2], stride: [2, 2], padding: [1, 1], dilation: [1, 2] })) },
    { name: 'im2col 1×1 stride 2', shapes: [[2, 2, 5, 4]], f: (x) => c.square(im2col(x, { kernel: [1, 1], stride: [2, 2], padding: [0, 0], dilation: [1, 1] })) },
    { name: 'col2im (overlapping 3×3 patches, padding)', shapes: [[2, 12, 18]], f: (y) => c.tanh(col2im(y, { kernel: [3, 3], stride: [1, 2], padding: [1, 1], dilation: [1, 1] }, [3, 7])) },
    { name: 'col2im 5×5 stride 2 dilation 2', shapes: [[1, 9, 25]], f: (y) => c.sin(col2im(y, { kernel: [5, 5], stride: [2, 2], padding: [2, 2], dilation: [2, 2] }, [9, 9])) },
    { name: 'maxPool2d (argmax + gather; stride, padding, dilation)', shapes: [[2, 2, 6, 5]], f: (x) => c.tanh(maxPool2d(c.sin(x), { kernel: [3, 2], stride: [2, 1], padding: [1, 1], dilation: [1, 2] })) },
    { name: 'conv2d (stride, padding, dilation)', shapes: [[2, 3, 5, 4], [4, 3, 2, 2], [4]],
      f: (x, w, b) => new c.Conv2d(3, 4, 2, { stride: [2, 1], padding: 1, dilation: [1, 2] }).apply([w, b], x) },
    { name: 'conv2d grouped, no bias', shapes: [[2, 4, 4, 4], [6, 2, 3, 3]], f: (x, w) => new c.Conv2d(4, 6, 3, { groups: 2, padding: 1, bias: false }).apply([w], x) },
    { name: 'MaxPool2d (padding as −∞)', shapes: [[2, 2, 5, 4]], f: (x) => c.square(new c.MaxPool2d(3, { stride: 2, padding: 1 }).apply([], x)) },
    { name: 'AvgPool2d', shapes: [[2, 2, 5, 4]], f: (x) => c.tanh(new c.AvgPool2d([2, 3], { stride: 1, padding: [1, 1] }).apply([], x)) },
    { name: 'LayerNorm over the last two dims, affine', shapes: [[3, 2, 4], [2, 4], [2, 4]], f: (x, w, b) => new c.LayerNorm([2, 4]).apply([w, b], x) },
    { name: 'SiLU', shapes: [a], f: (x) => c.silu(x) },
    { name: 'BatchNorm (evaluation, running statistics)', shapes: [[3, 2, 2, 3], [2], [2]],
      f: (x, w, b) => new c.BatchNorm(2, { runningMean: [0.3, -0.2], runningVar: [1.5, 0.4] }).apply([w, b], x) },
    { name: 'Embedding (ids fixed, weight varies)', shapes: [[5, 3]], f: (w) => c.tanh(new c.Embedding(5, 3).apply([w], c.tensor([[4, 0], [2, 4], [1, 1]], [3, 2], 'float64'))) },
    { name: 'Reshape (per example)', shapes: [[2, 3, 4]], f: (x) => c.exp(new c.Reshape([4, -1]).apply([], x)) },
    { name: 'tanhGrad (fused g·(1 − y²))', shapes: [a, a], f: (y, g) => c.tanhGrad(y, g) },
    { name: 'tanh of tanh (third order through tanhGrad)', shapes: [a], f: (x) => c.tanh(c.mul(c.tanh(x), 1.7)) },
    { name: 'logSoftmax last axis (fused)', shapes: [a], f: (x) => c.logSoftmax(x) },
    { name: 'softmaxCrossEntropy (fused)', shapes: [[5, 4]], f: (z) => c.softmaxCrossEntropy(z, c.tensor([3, 0, 1, 3, 2], [5], 'int32')) },
    { name: 'crossEntropy mean through an MLP', shapes: [[5, 3], [3, 4]], f: (x, w) => c.crossEntropy(c.matmul(c.tanh(x), w), c.tensor([1, 0, 3, 3, 2], [5], 'int32')) },
    // Cotangent assembly of slice adjoints (autodiff/accumulate.ts): blocks with gaps, overlapping
    // blocks, blocks along different axes, and a block used twice.
    { name: 'split blocks with a gap', shapes: [[9]], f: (x) => { const [p, , q] = c.split(x, [2, 3, 4]); return c.concat([c.exp(q!), c.square(p!)], 0); } },
    { name: 'overlapping slices', shapes: [[7]], f: (x) => c.mul(c.slice(x, [1], [4]), c.tanh(c.slice(x, [2], [4]))) },
    { name: 'slices along two axes', shapes: [[4, 5]], f: (x) => c.mul(c.sum(c.exp(c.slice(x, [0, 1], [4, 2]))), c.sum(c.square(c.slice(x, [1, 0], [2, 5])), 0)) },
    { name: 'slice used twice plus a dense use', shapes: [[6]], f: (x) => { const p = c.slice(x, [0], [3]); return c.add(c.mul(p, p), c.mul(c.slice(x, [3], [3]), c.sum(x))); } },
    { name: 'chain: tanh MLP', shapes: [[5, 3], [3, 4], [4]], f: (x, w, bias) => c.logSoftmax(c.add(c.matmul(c.tanh(x), w), bias)) },
  ];
}

function shift(x: number, domain: Domain): number {
  switch (domain) {
    case 'positive': return 0.5 + Math.abs(x);
    case 'awayFromZero': return x >= 0 ? x + 0.5 : x - 0.5;
    case 'aboveMinusOne': return -0.5 + Math.abs(x);
    default: return x;
  }
}

/** Evaluates a case as a function of one flat parameter vector θ (split into the op's inputs). */
function asFlat(cs: Case): (theta: c.Tensor) => c.Tensor {
  const sizes = cs.shapes.map((s) => s.reduce((p, q) => p * q, 1));
  return (theta) => {
    const parts = sizes.length === 1 ? [theta] : c.split(theta, sizes);
    return cs.f(...parts.map((p, i) => c.reshape(p, cs.shapes[i]!)));
  };
}

function evalAt(f: (t: c.Tensor) => c.Tensor, theta: Float64Array): Float64Array {
  return c.tidy(() => f(c.tensor(theta, [theta.length], 'float64')).dataSync() as Float64Array);
}

function gradAt(f: (t: c.Tensor) => c.Tensor, theta: Float64Array): Float64Array {
  return c.tidy(() => c.grad(f, c.tensor(theta, [theta.length], 'float64')).dataSync() as Float64Array);
}

function centralDiff(g: (t: Float64Array) => Float64Array, theta: Float64Array, v: Float64Array): Float64Array {
  const plus = theta.map((t, i) => t + EPS * v[i]!), minus = theta.map((t, i) => t - EPS * v[i]!);
  const gp = g(plus), gm = g(minus);
  return gp.map((p, i) => (p - gm[i]!) / (2 * EPS));
}

for (const backend of testBackends()) {
  const s = suite(`finite differences [${backend}]`);
  const rng = new Random(42);
  for (let round = 0; round < 2; round++) {
    for (const cs of cases(rng)) {
      s(`${cs.name} (round ${round})`, () => {
        c.setBackend(backend);
        const f = asFlat(cs);
        const p = cs.shapes.reduce((acc, sh) => acc + sh.reduce((x, y) => x * y, 1), 0);
        const theta = Float64Array.from({ length: p }, () => shift(rng.normal(), cs.domain ?? 'any'));
        const v = Float64Array.from({ length: p }, () => rng.normal());
        const thetaT = c.tensor(theta, [p], 'float64'), vT = c.tensor(v, [p], 'float64');
        const fd = centralDiff((t) => evalAt(f, t), theta, v);

        const jv = c.jvp(f, thetaT, vT).tangent.dataSync();
        assert.ok(relErr(jv, fd, 1e-3) < TOL, `jvp: rel err ${relErr(jv, fd)}`);

        const out = evalAt(f, theta);
        const u = Float64Array.from({ length: out.length }, () => rng.normal());
        const uT = c.tensor(u, [out.length], 'float64');
        const { value, pullback } = c.vjp(f, thetaT);
        const vjpU = pullback(c.reshape(uT, value.shape)).dataSync();
        const lhs = dotArr(vjpU, v), rhs = dotArr(u, fd);
        assert.ok(Math.abs(lhs - rhs) <= TOL * Math.max(Math.abs(rhs), 1e-3), `vjp: ⟨Jᵀu, v⟩ = ${lhs} vs ⟨u, Jv⟩ = ${rhs}`);

        // Second order on the scalar s(θ) = ⟨u, f(θ)⟩.
        const sfun = (t: c.Tensor): c.Tensor => c.sum(c.mul(c.reshape(f(t), [-1]), uT));
        const fdH = centralDiff((t) => gradAt(sfun, t), theta, v);
        const hFR = c.hvp(sfun, thetaT, vT).dataSync();
        const hRR = c.hvp(sfun, thetaT, vT, 'reverse-over-reverse').dataSync();
        assert.ok(relErr(hFR, fdH, 1e-3) < TOL, `hvp forward-over-reverse: rel err ${relErr(hFR, fdH, 1e-3)}`);
        assert.ok(relErr(hRR, fdH, 1e-3) < TOL, `hvp reverse-over-reverse: rel err ${relErr(hRR, fdH, 1e-3)}`);
      });
    }
  }
  s.run();
}
