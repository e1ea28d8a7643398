import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as c from '../../../src/index.js';
import { Random } from '../../../src/tensor/random.js';
import { relErr, testBackends, throwsType } from '../../helpers.js';
import { assertPerExampleGradients } from '../../layers.js';

/**
 * Conv2d (torch.nn.Conv2d semantics, NCHW): the forward pass against a direct loop over output
 * pixels, kernel taps and channels (float64, ≤ 1e-13 relative: the same sums in another order);
 * the capture rule's per-example gradients against one autodiff gradient per example (≤ 1e-12);
 * matmat = matvec columns for the Hessian operator of a small CNN; typed errors for bad input.
 * Derivatives against finite differences are in test/autodiff/finite-differences.test.ts.
 */
type Opts = c.Conv2dOptions & { kernel: [number, number] };
const CONFIGS: Opts[] = [
  { kernel: [3, 2] },
  { kernel: [3, 3], stride: 2, padding: 1 },
  { kernel: [2, 3], dilation: 2, padding: [1, 2] },
  { kernel: [3, 2], groups: 2, bias: false },
  { kernel: [1, 1], stride: [2, 3] },
];

function naive(conv: c.Conv2d, x: c.Tensor, w: Float64Array | ArrayLike<number>, b: ArrayLike<number> | null): { data: Float64Array; shape: number[] } {
  const [N, C, H, W] = x.shape as [number, number, number, number];
  const [, O, HO, WO] = conv.outputShape(x.shape);
  const g = conv.geometry, cin = C / conv.groups, cout = O / conv.groups;
  const [kh, kw] = g.kernel;
  const xd = x.dataSync(), out = new Float64Array(N * O * HO * WO);
  for (let n = 0; n < N; n++) for (let o = 0; o < O; o++) for (let i = 0; i < HO; i++) for (let j = 0; j < WO; j++) {
    let s = b ? b[o]! : 0;
    const grp = Math.floor(o / cout);
    for (let ci = 0; ci < cin; ci++) for (let a = 0; a < kh; a++) for (let e = 0; e < kw; e++) {
      const hi = i * g.stride[0] - g.padding[0] + a * g.dilation[0], wj = j * g.stride[1] - g.padding[1] + e * g.dilation[1];
      if (hi < 0 || hi >= H || wj < 0 || wj >= W) continue;
      s += w[((o * cin + ci) * kh + a) * kw + e]! * xd[((n * C + grp * cin + ci) * H + hi) * W + wj]!;
    }
    out[((n * O + o) * HO + i) * WO + j] = s;
  }
  return { data: out, shape: [N, O, HO, WO] };
}

for (const backend of testBackends()) {
  const s = suite(`Conv2d [${backend}]`);
  s.before(() => { c.setBackend(backend); });

  s('forward equals a direct loop (stride, padding, dilation, groups, no bias, 1×1)', () => {
    for (const { kernel, ...o } of CONFIGS) {
      c.tidy(() => {
        const rng = new Random(1);
        const conv = new c.Conv2d(4, 6, kernel, o);
        const x = c.tensor(Float64Array.from({ length: 3 * 4 * 7 * 8 }, () => rng.normal()), [3, 4, 7, 8], 'float64');
        const ps = conv.params.map((p) => c.tensor(Float64Array.from({ length: p.shape.reduce((a, b) => a * b, 1) }, () => rng.normal()), p.shape, 'float64'));
        const y = conv.apply(ps, x);
        const ref = naive(conv, x, ps[0]!.dataSync(), conv.bias ? ps[1]!.dataSync() : null);
        assert.equal(y.shape, ref.shape, conv.describe());
        assert.ok(relErr(y.dataSync(), ref.data) <= 1e-13, `${conv.describe()}: ${relErr(y.dataSync(), ref.data)}`);
      });
    }
  });

  s('per-example gradients from the capture rule equal one autodiff gradient per example; matmat = matvec columns', () => {
    for (const { kernel, ...o } of CONFIGS) {
      c.tidy(() => {
        const rng = new Random(2);
        const conv = new c.Conv2d(4, 6, kernel, o);
        const [, , ho, wo] = conv.outputShape([3, 4, 7, 8]);
        const model = new c.Sequential([conv, c.activation('tanh'), new c.Flatten(), new c.Linear(6 * ho! * wo!, 3)]);
        const objective = new c.Objective(model, c.crossEntropyLoss, 1e-2);
        const theta = c.tensor(Float64Array.from({ length: model.numParams }, () => 0.3 * rng.normal()), [model.numParams], 'float64');
        const data = { x: c.tensor(Float64Array.from({ length: 3 * 4 * 7 * 8 }, () => rng.normal()), [3, 4, 7, 8], 'float64'), y: c.tensor(Int32Array.from([0, 2, 1]), [3], 'int32') };
        const P = model.numParams;
        assertPerExampleGradients(objective, theta, data, 1e-12, conv.describe());
        const op = c.hessianOperator(objective, theta, data);
        const V = c.tensor(Float64Array.from({ length: P * 3 }, () => rng.normal()), [P, 3], 'float64');
        const mm = op.matmat!(V).dataSync();
        for (let j = 0; j < 3; j++) {
          const col = op.matvec(c.reshape(c.slice(V, [0, j], [P, 1]), [P])).dataSync();
          assert.ok(relErr(Float64Array.from({ length: P }, (_, i) => mm[i * 3 + j]!), col) <= 1e-12, `${conv.describe()} matmat column ${j}`);
        }
      });
    }
  });

  s('bad configurations and inputs are typed errors naming what was expected', () => {
    throwsType(() => new c.Conv2d(4, 6, 3, { groups: 3 }), c.InputError, /groups 3 must divide/);
    throwsType(() => new c.Conv2d(4, 6, 0), c.InputError, /kernel_size/);
    throwsType(() => new c.Conv2d(4, 6, 3, { stride: 0 }), c.InputError, /stride/);
    throwsType(() => new c.Conv2d(0, 6, 3), c.ShapeError, /channel counts/);
    const conv = new c.Conv2d(2, 3, 3);
    const w = c.zeros([3, 2, 3, 3], 'float64'), b = c.zeros([3], 'float64');
    throwsType(() => conv.apply([w, b], c.zeros([1, 3, 5, 5], 'float64')), c.ShapeError, /expected inputs \[N, 2, H, W\]/);
    throwsType(() => conv.apply([w, b], c.zeros([1, 2, 2, 5], 'float64')), c.ShapeError, /smaller than the kernel/);
    throwsType(() => conv.apply([w, b], c.zeros([2, 25], 'float64')), c.ShapeError, /\[N, 2, H, W\]/);
    const model = new c.Sequential([conv, new c.Flatten(), new c.Linear(27, 2)]);
    throwsType(() => model.checkInput(c.zeros([1, 2, 4, 4], 'float64')), c.ShapeError, /27/);
    assert.equal(model.checkInput(c.zeros([4, 2, 5, 5], 'float64')), [4, 2]);
    assert.is(new c.Conv2d(4, 8, [3, 1], { stride: 2, padding: [1, 0], groups: 2, bias: false }).describe(),
      'Conv2d(4, 8, kernel_size=(3, 1), stride=(2, 2), padding=(1, 0), groups=2, bias=False)');
  });

  s.run();
}
