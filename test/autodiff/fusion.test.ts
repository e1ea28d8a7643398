import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as c from '../../src/index.js';
import { grad, hvp, jvp, linearBatched, vjp, vjpAtTaps } from '../../src/autodiff/index.js';
import { matmulScaled } from '../../src/tensor/ops/matmul.js';
import { Random } from '../../src/tensor/random.js';
import { ShapeError } from '../../src/errors.js';
import { countKernelCalls, randn, relErr, testBackends, throwsType } from '../helpers.js';

const rel = (a: c.Tensor, b: c.Tensor): number => relErr(a.dataSync(), b.dataSync());

/**
 * Backward's fusion of an activation's adjoint into the GEMM before it (src/autodiff/trace.ts,
 * activationOf; the primitive matmulScaled of src/tensor/ops/matmul.ts). Checked on every backend:
 *   - K output cotangents of a tanh / sigmoid / ReLU MLP pulled back at once (linearBatched over
 *     vjp's pullback) equal the chain rule written out by hand (≤ 1e-12 relative, float64), and on
 *     native each activation's adjoint is made by the GEMM before it (a spy on gemmScaled: fails on
 *     the unfused code) while a single cotangent keeps the separate rule;
 *   - where it must not fuse — the activation's output used twice, wanted, or under an outer
 *     transformation (forward-over-reverse HVP) — results still match finite differences;
 *   - K backpropagated columns in one batched pullback (K-FAC's) equal K single pullbacks (≤ 1e-12);
 *   - matmulScaled itself: bit for bit the product then a broadcast mul, its jvp and vjp in every
 *     argument against central differences (≤ 1e-6, float64, step 1e-6), its batched rule against
 *     one direction at a time (≤ 1e-12), bad shapes typed.
 */
const rng = new Random(17);

for (const backend of testBackends()) {
  const S = suite(`backward fusion [${backend}]`);
  S.before.each(() => { c.setBackend(backend); });

  const x = randn(rng, [7, 5]), w1 = randn(rng, [6, 5]), w2 = randn(rng, [4, 6]), w3 = randn(rng, [3, 4]);
  const acts = {
    tanh: { f: c.tanh, d: (h: c.Tensor) => c.sub(1, c.square(h)) },
    sigmoid: { f: c.sigmoid, d: (h: c.Tensor) => c.mul(h, c.sub(1, h)) },
    relu: { f: c.relu, d: (_h: c.Tensor, z: c.Tensor) => c.step(z) },
  };

  for (const [name, act] of Object.entries(acts)) {
    S(`${name} MLP: K output cotangents pulled back at once equal the chain rule by hand, each activation adjoint made by the GEMM before it; one cotangent keeps the separate rule`, () => {
      // z = f(f(x·W1ᵀ)·W2ᵀ)·W3ᵀ as a function of the flat θ; K cotangents of z [7, 3] at once.
      const net = (ws: c.Tensor[]): c.Tensor => {
        const h1 = act.f(c.matmul(x, ws[0]!, { transB: true }));
        return c.matmul(act.f(c.matmul(h1, ws[1]!, { transB: true })), ws[2]!, { transB: true });
      };
      const flat = c.concat([w1, w2, w3].map((w) => c.reshape(w, [-1])), 0);
      const unflat = (t: c.Tensor): c.Tensor[] => [[0, 30, [6, 5]], [30, 54, [4, 6]], [54, 66, [3, 4]]].map(([a, b, s]) =>
        c.reshape(c.slice(t, [a as number], [(b as number) - (a as number)]), s as number[]));
      const K = 4, cts = randn(rng, [K, 7, 3]);
      const { value, pullback } = vjp((t: c.Tensor) => net(unflat(t)), flat);
      const { value: [g], calls } = countKernelCalls(backend === 'native' ? ['gemmScaled'] : [], () => linearBatched((ct) => [pullback(ct)], value, cts));
      // By hand: δ3 = cz; δ2 = (δ3·W3) ⊙ f′(z2); δ1 = (δ2·W2) ⊙ f′(z1); ∂W_l = δ_lᵀ·a_l.
      const z1 = c.matmul(x, w1, { transB: true }), h1 = act.f(z1), z2 = c.matmul(h1, w2, { transB: true }), h2 = act.f(z2);
      for (let k = 0; k < K; k++) {
        const cz = c.reshape(c.slice(cts, [k, 0, 0], [1, 7, 3]), [7, 3]);
        const d2 = c.mul(c.matmul(cz, w3), act.d(h2, z2)), d1 = c.mul(c.matmul(d2, w2), act.d(h1, z1));
        const want = c.concat([c.matmul(d1, x, { transA: true }), c.matmul(d2, h1, { transA: true }), c.matmul(cz, h2, { transA: true })].map((w) => c.reshape(w, [-1])), 0);
        const got = c.reshape(c.slice(g!, [k, 0], [1, 66]), [66]);
        assert.ok(rel(got, want) <= 1e-12, `cotangent ${k}: gradient vs the chain rule: ${rel(got, want)}`);
      }
      if (backend === 'native') {
        // Each activation's adjoint made by the GEMM that forms its cotangent: two scaled GEMMs (0 unfused).
        assert.is(calls, 2, 'one scaled GEMM per activation adjoint');
        const single = countKernelCalls(['gemmScaled'], () => pullback(c.reshape(c.slice(cts, [0, 0, 0], [1, 7, 3]), [7, 3])));
        assert.is(single.calls, 0, 'a single cotangent keeps the separate activation rule');
      }
    });
  }

  S('not fused where it must not be: an activation output used twice, a wanted one, and under forward-over-reverse — all still exact', () => {
    const v = randn(rng, [6, 5]), eps = 1e-6;
    // Used twice: by the matmul and by a sum.
    const r = randn(new Random(3), [7, 4]);
    const twice = (w: c.Tensor): c.Tensor => {
      const h = c.tanh(c.matmul(x, w, { transB: true }));
      return c.add(c.sum(c.mul(c.matmul(h, w2, { transB: true }), r)), c.sum(c.square(h)));
    };
    const g = grad(twice, w1);
    const dir = c.sum(c.mul(g, v)).dataSync()[0]!;
    const num = (twice(c.add(w1, c.mul(v, eps))).dataSync()[0]! - twice(c.sub(w1, c.mul(v, eps))).dataSync()[0]!) / (2 * eps);
    assert.ok(Math.abs(dir - num) <= 1e-6 * Math.max(1, Math.abs(num)), `used twice: ⟨∇, v⟩ ${dir} vs central difference ${num}`);
    // A tapped (wanted) activation output keeps its own cotangent.
    const taps = vjpAtTaps((tap) => c.sum(c.mul(c.matmul(tap(c.tanh(c.matmul(x, w1, { transB: true }))), w2, { transB: true }), r)));
    const [gh] = taps.pullback(c.onesLike(taps.value));
    assert.ok(rel(gh!, c.matmul(r, w2)) <= 1e-12, 'the tapped activation output gets its own cotangent');
    // Forward-over-reverse: the HVP against a central difference of gradients.
    const f = (w: c.Tensor): c.Tensor => c.sum(c.mul(c.matmul(c.tanh(c.matmul(x, w, { transB: true })), w2, { transB: true }), r));
    const hv = hvp(f, w1, v);
    const gf = (w: c.Tensor): c.Tensor => grad(f, w);
    const fdh = c.div(c.sub(gf(c.add(w1, c.mul(v, eps))), gf(c.sub(w1, c.mul(v, eps)))), 2 * eps);
    assert.ok(rel(hv, fdh) <= 1e-6, `HVP vs central difference of gradients: ${rel(hv, fdh)}`);
  });

  S('K columns backpropagated in one batched pullback equal K single pullbacks (K-FAC\'s layer gradients)', () => {
    const taps = vjpAtTaps((tap) => {
      const z1 = tap(c.matmul(x, w1, { transB: true }));
      const z2 = tap(c.matmul(c.tanh(z1), w2, { transB: true }));
      return c.matmul(c.tanh(z2), w3, { transB: true });
    });
    const K = 5, cts = randn(rng, [K, 7, 3]);
    const batched = linearBatched(taps.pullback, taps.value, cts);
    for (let k = 0; k < K; k++) {
      const single = taps.pullback(c.reshape(c.slice(cts, [k, 0, 0], [1, 7, 3]), [7, 3]));
      batched.forEach((b, i) => {
        const bk = c.reshape(c.slice(b, [k, 0, 0], [1, ...b.shape.slice(1)]), b.shape.slice(1));
        assert.ok(rel(bk, single[i]!) <= 1e-12, `column ${k}, layer ${i}: ${rel(bk, single[i]!)}`);
      });
    }
  });

  S('matmulScaled: bit for bit the product then a broadcast mul; jvp and vjp in every argument against central differences; batched rule against one direction at a time; bad shapes typed', () => {
    for (const dt of ['float32', 'float64'] as const) {
      for (const [transA, transB] of [[false, false], [true, false], [false, true], [true, true]] as const) {
        const a = randn(rng, transA ? [5, 6] : [6, 5], dt), b = randn(rng, transB ? [4, 5] : [5, 4], dt);
        for (const [rows, sShape] of [[[1, 6], [1, 6, 4]], [[2, 3], [2, 3, 4]], [[2, 3], [1, 3, 4]], [[3, 2], [3, 1, 4]], [[6, 1], [1, 1, 4]]] as const) {
          const s = randn(rng, sShape, dt);
          const got = matmulScaled(a, b, s, { transA, transB, rows: [...rows] as [number, number] });
          const want = c.reshape(c.mul(c.reshape(c.matmul(a, b, { transA, transB }), [...rows, 4]), s), [6, 4]);
          assert.equal(Array.from(got.dataSync()), Array.from(want.dataSync()), `${dt} trans ${transA}/${transB} rows ${rows} S ${sShape}`);
        }
      }
    }
    const a = randn(rng, [6, 5]), b = randn(rng, [5, 4]), s = randn(rng, [2, 3, 4]), rows: [number, number] = [2, 3];
    const f = (p: c.Tensor[]): c.Tensor => matmulScaled(p[0]!, p[1]!, p[2]!, { rows });
    const args = [a, b, s], eps = 1e-6;
    const ct = randn(rng, [6, 4]);
    const { pullback } = vjp((p: c.Tensor[]) => f(p), args);
    const grads = pullback(ct);
    args.forEach((arg, i) => {
      const v = randn(rng, arg.shape as number[]);
      const shifted = (h: number) => f(args.map((x, j) => (j === i ? c.add(x, c.mul(v, h)) : x)));
      const fd = c.div(c.sub(shifted(eps), shifted(-eps)), 2 * eps);
      const { tangent } = jvp((t: c.Tensor) => f(args.map((x, j) => (j === i ? t : x))), arg, v);
      assert.ok(rel(tangent, fd) <= 1e-6, `jvp in argument ${i}: ${rel(tangent, fd)}`);
      const dir = c.sum(c.mul(grads[i]!, v)).dataSync()[0]!, num = c.sum(c.mul(ct, fd)).dataSync()[0]!;
      assert.ok(Math.abs(dir - num) <= 1e-6 * Math.max(1, Math.abs(num)), `vjp in argument ${i}: ${dir} vs ${num}`);
    });
    // Batched: k directions of A (and of B) at once against each alone, every transposition.
    const K = 3;
    for (const [transA, transB] of [[false, false], [true, false], [false, true], [true, true]] as const) {
      const at = randn(rng, transA ? [5, 6] : [6, 5]), bt = randn(rng, transB ? [4, 5] : [5, 4]);
      const va = randn(rng, [K, ...at.shape]), vb = randn(rng, [K, ...bt.shape]);
      const opts = { transA, transB, rows };
      const [ba] = linearBatched((t: c.Tensor) => [matmulScaled(t, bt, s, opts)], at, va);
      const [bb] = linearBatched((t: c.Tensor) => [matmulScaled(at, t, s, opts)], bt, vb);
      for (let k = 0; k < K; k++) {
        const pick = (t: c.Tensor) => c.reshape(c.slice(t, [k, ...t.shape.slice(1).map(() => 0)], [1, ...t.shape.slice(1)]), t.shape.slice(1));
        assert.ok(rel(pick(ba!), matmulScaled(pick(va), bt, s, opts)) <= 1e-12, `batched in A, trans ${transA}/${transB}, direction ${k}`);
        assert.ok(rel(pick(bb!), matmulScaled(at, pick(vb), s, opts)) <= 1e-12, `batched in B, trans ${transA}/${transB}, direction ${k}`);
      }
    }
    throwsType(() => matmulScaled(a, b, s, { rows: [3, 3] }), ShapeError, /rows/);
    throwsType(() => matmulScaled(a, b, randn(rng, [2, 3, 5]), { rows }), ShapeError, /scale/);
    throwsType(() => matmulScaled(a, randn(rng, [6, 4]), s, { rows }), ShapeError, /inner/);
    throwsType(() => matmulScaled(c.reshape(a, [1, 6, 5]), b, s, { rows }), ShapeError, /matrices/);
  });

  S.run();
}
