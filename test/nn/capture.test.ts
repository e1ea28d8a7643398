import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as c from '../../src/index.js';
import { Random } from '../../src/tensor/random.js';
import { randn, relErr, testBackends, throwsType } from '../helpers.js';
import { labels, autodiffRows, assertRows, elementwiseScale } from '../layers.js';

/**
 * Layer captures (Kronfluence's tracked modules): one forward and one backward pass give every
 * parameterised layer's input a and output gradient δ; per-example gradients are built from them.
 * References are per-example autodiff of the whole objective in float64. Tolerances: 1e-12
 * relative where both sides compute the same sums in another order (a few ulps); 1e-10 for the
 * fallback path (same algebra, more steps); 1e-6 against central finite differences (step 1e-5:
 * truncation error O(h²) ≈ 1e-10 times third derivatives, rounding ≈ 1e-16/1e-5).
 */
const TOL = 1e-12;
const FALLBACK_TOL = 1e-10;
const FD_TOL = 1e-6;
const ACTIVATIONS = ['tanh', 'sigmoid', 'relu', 'gelu', 'softplus'] as const;

/** A Linear that counts its forward evaluations. */
class CountingLinear extends c.Linear {
  calls = 0;
  override apply(params: readonly c.Tensor[], x: c.Tensor): c.Tensor {
    this.calls++;
    return super.apply(params, x);
  }
}

/**
 * A model that is not a Sequential: a residual block f(x) = L₂(tanh(L₁x) + x), written against
 * the Model interface with the capture machinery of capture.ts.
 */
class Residual implements c.Model {
  readonly l1: c.Linear;
  readonly l2: c.Linear;
  readonly flatParams: readonly c.FlatParam[];
  readonly numParams: number;
  private readonly sites: c.TrackedLayer[];
  constructor(readonly width: number, readonly out: number) {
    this.l1 = new c.Linear(width, width);
    this.l2 = new c.Linear(width, out, false);
    const ps: c.FlatParam[] = [];
    let offset = 0;
    [['l1', this.l1], ['l2', this.l2]].forEach(([name, layer], li) => {
      for (const p of (layer as c.Linear).params) {
        const size = p.shape.reduce((a, b) => a * b, 1);
        ps.push({ name: `${name as string}.${p.name}`, shape: p.shape, layer: li, offset, size });
        offset += size;
      }
    });
    this.flatParams = ps;
    this.numParams = offset;
    this.sites = [this.l1, this.l2].map((layer, li) => {
      const params = ps.filter((p) => p.layer === li);
      return { name: `l${li + 1}`, index: li, layer, params, offset: params[0]!.offset, size: params.reduce((a, p) => a + p.size, 0) };
    });
  }
  apply(theta: c.Tensor, x: c.Tensor, hooks: c.ForwardHooks = {}): c.Tensor {
    const run = (li: number, input: c.Tensor): c.Tensor => {
      const site = this.sites[li]!;
      const out = site.layer.apply(c.layerParams(theta, site), input);
      return hooks.onLayer ? hooks.onLayer(site, input, out) : out;
    };
    return run(1, c.add(c.tanh(run(0, x)), x));
  }
  get outFeatures(): number { return this.out; }
  trackedLayers(): readonly c.TrackedLayer[] { return this.sites; }
  capture(theta: c.Tensor, x: c.Tensor, perSampleLoss: (z: c.Tensor) => c.Tensor): c.Captures {
    return c.captureModel(this, theta, x, perSampleLoss);
  }
  checkInput(x: c.Tensor): readonly number[] { return [x.shape[0]!, this.out]; }
  checkTheta(theta: c.Tensor): void {
    if (theta.size !== this.numParams) throw new c.ShapeError(`Residual: ${this.numParams} parameters, got ${theta.size}`);
  }
  describe(): string { return `Residual(${this.width}, ${this.out})`; }
}

for (const backend of testBackends()) {
  const s = suite(`nn capture [${backend}]`);
  s.before.each(() => { c.setBackend(backend); });

  s('captures: names, shapes, inputs a and output gradients δ of an MLP', () => {
    const rng = new Random(5);
    const model = c.Sequential.mlp([5, 4, 3], 'tanh');
    const obj = new c.Objective(model, c.crossEntropyLoss);
    const theta = model.init({ seed: 2, dtype: 'float64' });
    const n = 6;
    const data = { x: randn(rng, [n, 5]), y: labels(rng, n, 3) };
    const cap = obj.capture(theta, data);
    assert.equal(cap.layers.map((l) => l.name), ['0', '2']);
    assert.equal(cap.layers.map((l) => [...l.input.shape]), [[n, 5], [n, 4]]);
    assert.equal(cap.layers.map((l) => [...l.outputGrad.shape]), [[n, 4], [n, 3]]);
    assert.equal(cap.layers.map((l) => [l.site.offset, l.site.size]), [[0, 24], [24, 15]]);
    assert.equal(model.trackedLayers().map((t) => t.params.map((p) => p.name)), [['0.weight', '0.bias'], ['2.weight', '2.bias']]);
    assert.ok(relErr(cap.losses.dataSync(), obj.perSampleLosses(theta, data).dataSync()) <= TOL, 'losses');
    // a₀ = x, a₂ = tanh(x·W₀ᵀ + b₀)
    const [p0] = model.unflatten(theta);
    assert.equal([...cap.layers[0]!.input.dataSync()], [...data.x.dataSync()]);
    const a2 = c.tanh(model.layers[0]!.apply(p0!, data.x));
    assert.ok(relErr(cap.layers[1]!.input.dataSync(), a2.dataSync()) <= TOL, 'a of layer 2');
    // δ at the output layer: ∂(Σᵢ ℓᵢ)/∂z = softmax(z) − onehot(y), row by row
    const z = model.apply(theta, data.x);
    const dz = c.grad((t: c.Tensor) => c.sum(c.crossEntropyLoss.perSample(t, data.y)), z);
    assert.ok(relErr(cap.layers[1]!.outputGrad.dataSync(), dz.dataSync()) <= TOL, 'δ of the last layer');
    // δ at the hidden layer, by the chain rule through tanh
    const W2 = model.unflatten(theta)[2]![0]!;
    const dh = c.mul(c.matmul(dz, W2), c.sub(1, c.mul(a2, a2)));
    assert.ok(relErr(cap.layers[0]!.outputGrad.dataSync(), dh.dataSync()) <= TOL, 'δ of the first layer');
    // captures are plain tensors: they outlive the call and feed K-FAC-style statistics
    const A = c.matmul(cap.layers[1]!.input, cap.layers[1]!.input, { transA: true });
    assert.equal([...A.shape], [4, 4]);
  });

  s('one forward pass: every layer with a capture rule runs once per capture / perSampleGradients', () => {
    const rng = new Random(6);
    const l1 = new CountingLinear(3, 4), l2 = new CountingLinear(4, 2);
    const model = new c.Sequential([l1, c.ReLU(), l2]);
    const obj = new c.Objective(model, c.mseLoss);
    const theta = model.init({ seed: 3, dtype: 'float64' });
    const data = { x: randn(rng, [5, 3]), y: randn(rng, [5, 2]) };
    obj.perSampleGradients(theta, data);
    assert.equal([l1.calls, l2.calls], [1, 1]);
    obj.capture(theta, data);
    assert.equal([l1.calls, l2.calls], [2, 2]);
  });

  for (const act of ACTIVATIONS) {
    s(`per-example gradients from captures = per-example autodiff: MLP [4,5,5,3] ${act}, every loss`, () => {
      const rng = new Random(act.length * 7);
      const model = c.Sequential.mlp([4, 5, 5, 3], act);
      const theta = model.init({ seed: 9, dtype: 'float64' });
      const n = 5, x = randn(rng, [n, 4]);
      const targets: Record<string, c.Tensor> = {
        'cross-entropy': labels(rng, n, 3),
        'bce-with-logits': c.tensor(Float64Array.from({ length: n * 3 }, () => rng.uniform()), [n, 3], 'float64'),
        mse: randn(rng, [n, 3]),
      };
      for (const [name, y] of Object.entries(targets)) {
        const obj = new c.Objective(model, c.lossByName(name));
        const data = { x, y };
        assertRows(obj.perSampleGradients(theta, data), autodiffRows(obj, theta, data), TOL, `${act} ${name}`);
      }
    });
  }

  s('per-example gradients: logistic regression (binary and multinomial) and Linear without bias', () => {
    const rng = new Random(8);
    const n = 7;
    const x = randn(rng, [n, 6]);
    const binary = c.Sequential.mlp([6, 1]);
    const bObj = new c.Objective(binary, c.bceWithLogitsLoss, 0.1);
    const yb = c.tensor(Float64Array.from({ length: n }, () => rng.int(2)), [n, 1], 'float64');
    const tb = binary.init({ seed: 1, dtype: 'float64' });
    assertRows(bObj.perSampleGradients(tb, { x, y: yb }), autodiffRows(bObj, tb, { x, y: yb }), TOL, 'binary LR');
    const multi = c.Sequential.mlp([6, 4]);
    const mObj = new c.Objective(multi, c.crossEntropyLoss);
    const tm = multi.init({ seed: 2, dtype: 'float64' });
    const ym = labels(rng, n, 4);
    assertRows(mObj.perSampleGradients(tm, { x, y: ym }), autodiffRows(mObj, tm, { x, y: ym }), TOL, 'multinomial LR');
    // closed form for LR: gᵢ = (softmax(zᵢ) − e_yᵢ)·[xᵢ; 1]ᵀ, laid out as weight then bias
    const cap = mObj.capture(tm, { x, y: ym });
    assert.equal(cap.layers.length, 1);
    const noBias = new c.Sequential([new c.Linear(6, 3, false)]);
    const nObj = new c.Objective(noBias, c.mseLoss);
    const tn = noBias.init({ seed: 3, dtype: 'float64' });
    const yn = randn(rng, [n, 3]);
    assertRows(nObj.perSampleGradients(tn, { x, y: yn }), autodiffRows(nObj, tn, { x, y: yn }), TOL, 'no bias');
  });

  s('inputs of any rank: Linear on [n, t, in] sums δₜaₜᵀ over t; Flatten where a layer needs it', () => {
    const rng = new Random(11);
    const n = 4;
    const x = randn(rng, [n, 2, 3]);
    const model = new c.Sequential([new c.Linear(3, 4), c.GELU(), new c.Flatten(), new c.Linear(8, 2)]);
    const obj = new c.Objective(model, c.crossEntropyLoss);
    const data = { x, y: labels(rng, n, 2) };
    obj.validate(data);
    const theta = model.init({ seed: 4, dtype: 'float64' });
    const cap = obj.capture(theta, data);
    assert.equal(cap.layers.map((l) => [[...l.input.shape], [...l.outputGrad.shape]]), [[[n, 2, 3], [n, 2, 4]], [[n, 8], [n, 2]]]);
    assertRows(obj.perSampleGradients(theta, data), autodiffRows(obj, theta, data), TOL, 'rank-3 input');
    // a sequence model with no Flatten: per-position outputs, MSE on [n, 2, 2]
    const seq = new c.Sequential([new c.Linear(3, 4), c.Tanh(), new c.Linear(4, 2)]);
    const sObj = new c.Objective(seq, c.mseLoss);
    const sData = { x, y: randn(rng, [n, 2, 2]) };
    sObj.validate(sData);
    const ts = seq.init({ seed: 5, dtype: 'float64' });
    assertRows(sObj.perSampleGradients(ts, sData), autodiffRows(sObj, ts, sData), TOL, 'sequence model');
    // checkInput follows the shapes
    assert.equal([...model.checkInput(x)], [n, 2]);
    assert.equal([...seq.checkInput(x)], [n, 2, 2]);
    throwsType(() => obj.validate({ x: randn(rng, [n, 2, 4]), y: data.y }), c.ShapeError, /4 features/);
    throwsType(() => obj.validate({ x: randn(rng, [n, 3, 3]), y: data.y }), c.ShapeError, /12 features/);
  });

  s('fallback: a parameterised layer without a capture rule gets exact per-example gradients', () => {
    const rng = new Random(12);
    const scale = elementwiseScale(4);
    assert.is(scale.perExampleGradients, undefined);
    const model = new c.Sequential([new c.Linear(3, 4), scale, c.Tanh(), new c.Linear(4, 2), elementwiseScale(2)]);
    const theta = model.init({ seed: 6, dtype: 'float64' });
    const n = 5;
    const data = { x: randn(rng, [n, 3]), y: labels(rng, n, 2) };
    const obj = new c.Objective(model, c.crossEntropyLoss, 0.3);
    const cap = obj.capture(theta, data);
    assert.equal(cap.layers.map((l) => l.name), ['0', '1', '3', '4']);
    const G = obj.perSampleGradients(theta, data);
    assertRows(G, autodiffRows(obj, theta, data), FALLBACK_TOL, 'with Scale layers');
    // and against central finite differences of ℓᵢ on the Scale parameters (θ entries 16..19 and 30..31)
    const P = model.numParams, g = G.dataSync(), th = theta.dataSync();
    const scaleCoords = model.flatParams.filter((p) => p.name === '1.weight' || p.name === '4.weight')
      .flatMap((p) => Array.from({ length: p.size }, (_, k) => p.offset + k));
    assert.equal(scaleCoords, [16, 17, 18, 19, 30, 31]);
    const h = 1e-5;
    for (let i = 0; i < n; i++) {
      const b = c.batchOf(data, i, 1);
      const loss = (v: Float64Array): number => c.tidy(() => obj.dataLoss(c.tensor(v, [P], 'float64'), b).item());
      for (const q of scaleCoords) {
        const plus = Float64Array.from(th), minus = Float64Array.from(th);
        plus[q]! += h; minus[q]! -= h;
        const fd = (loss(plus) - loss(minus)) / (2 * h);
        const err = Math.abs(g[i * P + q]! - fd) / Math.max(Math.abs(fd), 1e-3);
        assert.ok(err <= FD_TOL, `example ${i}, θ[${q}]: ${g[i * P + q]} vs finite difference ${fd}`);
      }
    }
    // a fallback layer on a rank-3 input
    const seq = new c.Sequential([elementwiseScale(3), new c.Linear(3, 2)]);
    const sObj = new c.Objective(seq, c.mseLoss);
    const sData = { x: randn(rng, [3, 2, 3]), y: randn(rng, [3, 2, 2]) };
    const ts = seq.init({ seed: 7, dtype: 'float64' });
    assertRows(sObj.perSampleGradients(ts, sData), autodiffRows(sObj, ts, sData), FALLBACK_TOL, 'Scale on [n, t, d]');
  });

  s('a Model that is not a Sequential (residual block): Objective, captures and per-example gradients', () => {
    const rng = new Random(13);
    const model = new Residual(3, 2);
    const obj = new c.Objective(model, c.crossEntropyLoss);
    const theta = randn(rng, [model.numParams]);
    const n = 4;
    const data = { x: randn(rng, [n, 3]), y: labels(rng, n, 2) };
    obj.validate(data);
    const cap = obj.capture(theta, data);
    assert.equal(cap.layers.map((l) => l.name), ['l1', 'l2']);
    assertRows(obj.perSampleGradients(theta, data), autodiffRows(obj, theta, data), TOL, 'residual');
  });

  s('capture checks θ and the per-sample loss shape', () => {
    const rng = new Random(14);
    const model = c.Sequential.mlp([3, 2]);
    const theta = model.init({ dtype: 'float64' });
    const x = randn(rng, [4, 3]);
    throwsType(() => model.capture(c.zeros([3], 'float64'), x, (z) => c.sum(z, 1)), c.ShapeError);
    throwsType(() => model.capture(theta, x, (z) => c.sum(z)), c.ShapeError, /\[4\]/);
    const cap = model.capture(theta, x, (z) => c.sum(c.mul(z, z), 1));
    assert.ok(relErr(cap.layers[0]!.outputGrad.dataSync(), c.mul(model.apply(theta, x), 2).dataSync()) <= TOL);
  });

  s.run();
}
