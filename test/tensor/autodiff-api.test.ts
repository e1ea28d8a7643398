import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as c from '../../src/index.js';
import { Random } from '../../src/tensor/random.js';
import { randn, relErr, testBackends, throwsType } from '../helpers.js';

/**
 * The autodiff API against CLOSED-FORM derivatives (finite differences are in
 * test/autodiff/finite-differences.test.ts). All in float64 with a relative tolerance of 1e-12:
 * the closed forms and the derivative rules evaluate the same expressions up to a few roundings
 * (≈1e-16 each), so 1e-12 catches any dropped or wrong term (TensorFlow.js, for instance, drops
 * the tanh/sigmoid second-order terms, which would show up as O(1) errors here). Points are kept
 * away from zeros of the second derivatives so that "relative" is meaningful.
 */
const TOL = 1e-12;
const MODES: c.HvpMode[] = ['forward-over-reverse', 'reverse-over-reverse'];

const t64 = (v: ArrayLike<number>, shape?: number[]): c.Tensor => c.tensor(Float64Array.from(v), shape ?? [v.length], 'float64');
const unit = (n: number, i: number): c.Tensor => t64(Array.from({ length: n }, (_, k) => (k === i ? 1 : 0)));
const sigma = (x: number): number => 1 / (1 + Math.exp(-x));


/** The full Hessian of f at x, column by column: hvp with unit vectors. */
function hessianByColumns(f: (x: c.Tensor) => c.Tensor, x: c.Tensor, mode: c.HvpMode): Float64Array[] {
  return Array.from({ length: x.size }, (_, i) => c.tidy(() => c.hvp(f, x, unit(x.size, i), mode).dataSync() as Float64Array));
}

function assertHessian(H: Float64Array[], want: (i: number, j: number) => number, what: string): void {
  H.forEach((col, i) => {
    const ref = Float64Array.from(col, (_, j) => want(j, i));
    const e = relErr(col, ref);
    assert.ok(e <= TOL, `${what}: column ${i} rel err ${e} (got ${[...col]}, want ${[...ref]})`);
  });
}

for (const backend of testBackends()) {
  const s = suite(`autodiff API [${backend}]`);
  s.before.each(() => { c.setBackend(backend); });

  const xs = [-1.7, -0.6, 0.45, 1.3, 2.2];
  const pos = [0.3, 0.8, 1.5, 2.9, 7.25];
  const elementwise: { name: string; f: (x: c.Tensor) => c.Tensor; d2: (x: number) => number; at: number[] }[] = [
    { name: 'tanh: −2·tanh·(1 − tanh²)', f: c.tanh, d2: (x) => -2 * Math.tanh(x) * (1 - Math.tanh(x) ** 2), at: xs },
    { name: 'sigmoid: σ(1 − σ)(1 − 2σ)', f: c.sigmoid, d2: (x) => sigma(x) * (1 - sigma(x)) * (1 - 2 * sigma(x)), at: xs },
    { name: 'exp: eˣ', f: c.exp, d2: Math.exp, at: xs },
    { name: 'softplus: σ(x)(1 − σ(x))', f: c.softplus, d2: (x) => sigma(x) * (1 - sigma(x)), at: xs },
    { name: 'log: −1/x²', f: c.log, d2: (x) => -1 / (x * x), at: pos },
    { name: 'square: 2', f: c.square, d2: () => 2, at: xs },
    { name: 'reciprocal: 2/x³', f: c.reciprocal, d2: (x) => 2 / x ** 3, at: pos },
    { name: 'erf: −(4x/√π)·e^{−x²}', f: c.erf, d2: (x) => (-4 * x / Math.sqrt(Math.PI)) * Math.exp(-x * x), at: xs },
  ];

  for (const mode of MODES) {
    for (const { name, f, d2, at } of elementwise) {
      s(`second derivative of ${name} (${mode})`, () => {
        const x = t64(at);
        const H = hessianByColumns((z) => c.sum(f(z)), x, mode);
        assertHessian(H, (i, j) => (i === j ? d2(at[i]!) : 0), name);
        // the off-diagonal entries of an elementwise Hessian are exactly zero
        H.forEach((col, i) => col.forEach((v, j) => { if (i !== j) assert.is(v, 0); }));
      });
    }

    s(`Hessian of log-softmax cross-entropy in the logits is diag(p) − ppᵀ (${mode})`, () => {
      const logits = [0.7, -1.2, 2.1, 0.05];
      const K = logits.length;
      const z0 = t64(logits);
      const mx = Math.max(...logits);
      const e = logits.map((v) => Math.exp(v - mx)), Z = e.reduce((a, b) => a + b, 0);
      const p = e.map((v) => v / Z);
      for (const label of [0, 2]) {
        const y = c.tensor([label], [1], 'int32');
        // through the library loss and through logSoftmax directly
        const viaLoss = (z: c.Tensor): c.Tensor => c.crossEntropy(c.reshape(z, [1, K]), y);
        const viaLogSoftmax = (z: c.Tensor): c.Tensor => c.neg(c.sum(c.mul(c.logSoftmax(z), unit(K, label))));
        for (const [what, f] of [['crossEntropy', viaLoss], ['−logSoftmax', viaLogSoftmax]] as const) {
          const H = hessianByColumns(f, z0, mode);
          assertHessian(H, (i, j) => (i === j ? p[i]! : 0) - p[i]! * p[j]!, `${what} label ${label}`);
          // the gradient is p − e_y
          const g = c.grad(f, z0).dataSync();
          assert.ok(relErr(g, p.map((v, i) => v - (i === label ? 1 : 0))) <= TOL, `${what} gradient`);
        }
      }
      // a batch of two rows with mean reduction: block-diagonal, each block scaled by 1/2
      const Z2 = [0.3, -0.4, 1.1, 2.0, 0.2, -0.9];
      const y2 = c.tensor([1, 2], [2], 'int32');
      const f2 = (z: c.Tensor): c.Tensor => c.crossEntropy(c.reshape(z, [2, 3]), y2);
      const P = [0, 1].map((r) => { const row = Z2.slice(3 * r, 3 * r + 3); const ex = row.map(Math.exp); const t = ex.reduce((a, b) => a + b); return ex.map((v) => v / t); });
      const H2 = hessianByColumns(f2, t64(Z2), mode);
      assertHessian(H2, (i, j) => {
        const ri = Math.floor(i / 3), rj = Math.floor(j / 3);
        if (ri !== rj) return 0;
        const pi = P[ri]![i % 3]!, pj = P[ri]![j % 3]!;
        return 0.5 * ((i === j ? pi : 0) - pi * pj);
      }, 'batched cross-entropy');
    });

    s(`hvp of a function that does not depend on x is zero (${mode})`, () => {
      const x = t64([0.5, -1, 2]);
      const k = t64([1, 2, 3]);
      const v = t64([0.3, 0.1, -0.7]);
      for (const f of [
        (_z: c.Tensor) => c.sum(c.square(k)), // constant
        (z: c.Tensor) => c.sum(c.mul(z, k)), // linear: the gradient is constant
        (z: c.Tensor) => c.sum(c.stopGradient(c.square(z))), // dependence cut by stopGradient
        (z: c.Tensor) => c.sum(c.greater(z, 0)), // piecewise constant
      ]) {
        const h = c.hvp(f, x, v, mode);
        assert.equal([...h.shape], [3]);
        assert.equal([...h.dataSync()], [0, 0, 0]);
      }
    });
  }

  s('gnvp equals Jᵀ(diag(p) − ppᵀ)J·v built explicitly, for a linear softmax model', () => {
    const rng = new Random(7);
    const N = 4, d = 3, K = 3;
    const X = Array.from({ length: N * d }, () => rng.normal());
    const labels = [0, 2, 1, 2];
    const P = d * K + K; // θ = [W (d×K, row-major), b (K)]
    const theta = randn(rng, [P]), v = randn(rng, [P]);
    const Xt = t64(X, [N, d]), y = c.tensor(labels, [N], 'int32');
    const model = (t: c.Tensor): c.Tensor => {
      const [w, b] = c.split(t, [d * K, K]);
      return c.add(c.matmul(Xt, c.reshape(w!, [d, K])), b!);
    };
    const loss = (z: c.Tensor): c.Tensor => c.crossEntropy(z, y);

    // Explicit J: rows (i, k) of vec(z), columns θ.
    const J: number[][] = [];
    for (let i = 0; i < N; i++) for (let k = 0; k < K; k++) {
      const row = new Array<number>(P).fill(0);
      for (let j = 0; j < d; j++) row[j * K + k] = X[i * d + j]!;
      row[d * K + k] = 1;
      J.push(row);
    }
    // Explicit H_L: block-diagonal (1/N)(diag(p_i) − p_i p_iᵀ) at z = model(θ).
    const th = theta.dataSync();
    const z = J.map((row) => row.reduce((a, jv, q) => a + jv * th[q]!, 0));
    const probs = Array.from({ length: N }, (_, i) => {
      const ex = z.slice(i * K, i * K + K).map(Math.exp);
      const t = ex.reduce((a, b) => a + b);
      return ex.map((e) => e / t);
    });
    const vv = v.dataSync();
    const Jv = J.map((row) => row.reduce((a, jv, q) => a + jv * vv[q]!, 0));
    const HJv = Jv.map((_, r) => {
      const i = Math.floor(r / K), k = r % K, p = probs[i]!;
      let acc = 0;
      for (let l = 0; l < K; l++) acc += ((k === l ? p[k]! : 0) - p[k]! * p[l]!) * Jv[i * K + l]!;
      return acc / N;
    });
    const want = Array.from({ length: P }, (_, q) => J.reduce((a, row, r) => a + row[q]! * HJv[r]!, 0));

    const got = c.gnvp(model, loss, theta, v).dataSync();
    assert.ok(relErr(got, want) <= TOL, `gnvp rel err ${relErr(got, want)}`);
    // The model is linear in θ, so the Gauss–Newton product equals the full Hessian product.
    const full = (t: c.Tensor): c.Tensor => loss(model(t));
    for (const mode of MODES) {
      const h = c.hvp(full, theta, v, mode).dataSync();
      assert.ok(relErr(h, want) <= TOL, `hvp (${mode}) vs GN for a linear model: ${relErr(h, want)}`);
    }
  });

  s('grad of a non-scalar function throws ShapeError', () => {
    const x = t64([1, 2, 3]);
    throwsType(() => c.grad((z: c.Tensor) => c.mul(z, 2), x), c.ShapeError, /scalar/);
    throwsType(() => c.valueAndGrad((z: c.Tensor) => c.exp(z), x), c.ShapeError, /scalar/);
    throwsType(() => c.hvp((z: c.Tensor) => c.exp(z), x, x), c.ShapeError, /scalar/);
    // a size-1 result of any rank counts as a scalar
    assert.equal([...c.grad((z: c.Tensor) => c.reshape(c.sum(z), [1, 1]), x).dataSync()], [1, 1, 1]);
    throwsType(() => c.grad((() => 3) as unknown as (z: c.Tensor) => c.Tensor, x), c.ShapeError, /must return a Tensor/);
  });

  s('jvp tangent shape/dtype mismatch and vjp cotangent mismatch throw ShapeError', () => {
    const x = t64([1, 2, 3]);
    throwsType(() => c.jvp(c.exp, x, t64([1, 2, 3, 4])), c.ShapeError, /tangent/);
    throwsType(() => c.jvp(c.exp, x, t64([1, 2, 3], [3, 1])), c.ShapeError);
    throwsType(() => c.jvp(c.exp, x, c.tensor([1, 2, 3], [3], 'float32')), c.ShapeError);
    throwsType(() => c.jvp(([a, b]: c.Tensor[]) => c.add(a!, b!), [x, x], [x]), c.ShapeError);
    throwsType(() => c.hvp((z) => c.sum(c.exp(z)), x, t64([1, 2])), c.ShapeError);
    const { pullback } = c.vjp(c.exp, x);
    throwsType(() => pullback(t64([1, 1])), c.ShapeError, /cotangent/);
  });

  s('jvp and vjp values: Jv and uᵀJ of a small map', () => {
    // f(a, b) = [a₀b₁, sin(a₁)] ⇒ J = [[b₁, 0, 0, a₀], [0, cos(a₁), 0, 0]] in (a₀, a₁, b₀, b₁)
    const a = t64([0.7, -0.3]), b = t64([1.5, 2.5]);
    const f = ([p, q]: c.Tensor[]) => c.concat([c.mul(c.slice(p!, [0], [1]), c.slice(q!, [1], [1])), c.sin(c.slice(p!, [1], [1]))]);
    const { value, tangent } = c.jvp(f, [a, b], [t64([1, 2]), t64([3, 4])]);
    assert.ok(relErr(value.dataSync(), [0.7 * 2.5, Math.sin(-0.3)]) <= TOL);
    assert.ok(relErr(tangent.dataSync(), [2.5 * 1 + 0.7 * 4, Math.cos(-0.3) * 2]) <= TOL);
    const { pullback } = c.vjp(f, [a, b]);
    const [ga, gb] = pullback(t64([1, -2]));
    assert.ok(relErr(ga!.dataSync(), [2.5, -2 * Math.cos(-0.3)]) <= TOL);
    assert.ok(relErr(gb!.dataSync(), [0, 0.7]) <= TOL);
  });

  s('nested grad-of-grad of x³ is 6x (and a third level gives 6)', () => {
    const x0 = [-1.5, 0.25, 2, 3.5];
    const x = t64(x0);
    const cube = (z: c.Tensor): c.Tensor => c.sum(c.mul(c.mul(z, z), z));
    const d1 = c.grad(cube, x).dataSync();
    assert.ok(relErr(d1, x0.map((v) => 3 * v * v)) <= TOL, 'first derivative 3x²');
    const d2 = c.grad((z: c.Tensor) => c.sum(c.grad(cube, z)), x).dataSync();
    assert.ok(relErr(d2, x0.map((v) => 6 * v)) <= TOL, `second derivative 6x: ${[...d2]}`);
    const d3 = c.grad((w: c.Tensor) => c.sum(c.grad((z: c.Tensor) => c.sum(c.grad(cube, z)), w)), x).dataSync();
    assert.ok(relErr(d3, [6, 6, 6, 6]) <= TOL, `third derivative 6: ${[...d3]}`);
    // the same with pow
    const viaPow = c.grad((z: c.Tensor) => c.sum(c.grad((u: c.Tensor) => c.sum(c.pow(u, 3)), z)), t64([0.5, 2])).dataSync();
    assert.ok(relErr(viaPow, [3, 12]) <= TOL, `pow: ${[...viaPow]}`);
    // forward-over-forward: jvp of jvp
    const jj = c.jvp((z: c.Tensor) => c.jvp(cube, z, t64([1, 1, 1, 1])).tangent, x, t64([1, 1, 1, 1])).tangent.dataSync();
    assert.ok(relErr(jj, [6 * x0.reduce((acc, v) => acc + v, 0)]) <= TOL, `jvp∘jvp: ${[...jj]}`);
  });

  s('an escaped tracer throws a clear error', () => {
    const x = t64([1, 2]);
    let leaked = null as c.Tensor | null;
    c.grad((z: c.Tensor) => { leaked = c.mul(z, 2); return c.sum(leaked); }, x);
    assert.ok(leaked! !== null && leaked!._level > 0, 'a tracer was kept');
    throwsType(() => c.exp(leaked!), Error, /escaped/);
    throwsType(() => c.add(leaked!, x), Error, /escaped/);
    // and inside a later transformation at the same level, whatever the argument order (the check
    // must look at every input, not only the first tracer: mixing tracers of two traces of the same
    // level would silently reuse a stale tangent or drop a gradient)
    let input = null as c.Tensor | null;
    c.grad((z: c.Tensor) => c.sum((input = z)), x); // the input tracer itself; its primal x is alive
    for (const t of [leaked!, input!]) {
      throwsType(() => c.grad((z: c.Tensor) => c.sum(c.mul(z, t)), x), Error, /escaped/);
      throwsType(() => c.grad((z: c.Tensor) => c.sum(c.mul(t, z)), x), Error, /escaped/);
      throwsType(() => c.jvp((z: c.Tensor) => c.mul(z, t), x, x), Error, /escaped/);
    }
    // jvp tracers too
    let leakedJ = null as c.Tensor | null;
    c.jvp((z: c.Tensor) => (leakedJ = c.sin(z)), x, t64([1, 0]));
    throwsType(() => c.cos(leakedJ!), Error, /escaped/);
    let inputJ = null as c.Tensor | null;
    c.jvp((z: c.Tensor) => c.sum((inputJ = z)), x, t64([1, 0]));
    throwsType(() => c.jvp((z: c.Tensor) => c.mul(z, inputJ!), x, x), Error, /escaped/);
    throwsType(() => c.grad((z: c.Tensor) => c.sum(c.mul(z, inputJ!)), x), Error, /escaped/);
  });

  s('grad with respect to an array of tensors', () => {
    const rng = new Random(3);
    const W = randn(rng, [3, 2]), v = randn(rng, [2]), b = randn(rng, [3]);
    const f = ([w, u, bb]: c.Tensor[]) => c.sum(c.tanh(c.add(c.matmul(w!, u!), bb!)));
    const grads = c.grad(f, [W, v, b]);
    assert.ok(Array.isArray(grads));
    assert.is(grads.length, 3);
    assert.equal([...grads[0]!.shape], [3, 2]);
    assert.equal([...grads[1]!.shape], [2]);
    assert.equal([...grads[2]!.shape], [3]);
    const Wd = W.dataSync(), vd = v.dataSync(), bd = b.dataSync();
    const h = [0, 1, 2].map((i) => Wd[2 * i]! * vd[0]! + Wd[2 * i + 1]! * vd[1]! + bd[i]!);
    const s1 = h.map((t) => 1 - Math.tanh(t) ** 2);
    assert.ok(relErr(grads[2]!.dataSync(), s1) <= TOL, 'db');
    assert.ok(relErr(grads[0]!.dataSync(), [0, 1, 2].flatMap((i) => [s1[i]! * vd[0]!, s1[i]! * vd[1]!])) <= TOL, 'dW');
    assert.ok(relErr(grads[1]!.dataSync(), [0, 1].map((j) => s1.reduce((a, si, i) => a + si * Wd[2 * i + j]!, 0))) <= TOL, 'dv');
    // an input the function ignores gets a zero gradient of its own shape
    const [gx, gIgnored] = c.grad(([p]: c.Tensor[]) => c.sum(c.square(p!)), [t64([1, 2]), t64([5, 6, 7])]);
    assert.equal([...gx!.dataSync()], [2, 4]);
    assert.equal([...gIgnored!.dataSync()], [0, 0, 0]);
    // valueAndGrad returns both
    const vg = c.valueAndGrad(f, [W, v, b]);
    assert.ok(Math.abs(vg.value.item() - h.reduce((a, t) => a + Math.tanh(t), 0)) <= TOL * Math.abs(vg.value.item()));
  });

  s('grad leaves no live intermediates behind (tidy-wrapped)', () => {
    const x = t64([0.1, 0.2]);
    const g = c.tidy(() => c.grad((z: c.Tensor) => c.sum(c.exp(c.tanh(z))), x));
    assert.not.ok(g.isDisposed);
    assert.not.ok(x.isDisposed);
    const h = c.hvp((z: c.Tensor) => c.sum(c.exp(c.tanh(z))), x, t64([1, 0]));
    assert.not.ok(h.isDisposed);
    assert.is(h.dtype, 'float64');
  });

  s.run();
}
