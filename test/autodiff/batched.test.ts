import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as c from '../../src/index.js';
import { BatchingUnsupported, gnvp, gnvpBatched, hvp, hvpBatched, linearBatched, vjp } from '../../src/autodiff/index.js';
import { gather } from '../../src/tensor/ops/indexing.js';
import { matmulRaw, matmulSum } from '../../src/tensor/ops/matmul.js';
import { bind, definePrimitive } from '../../src/tensor/primitive.js';
import { defineRule } from '../../src/autodiff/trace.js';

const doubled = definePrimitive<null>('test.doubled', ([x]) => c.mul(x!, 2));
defineRule<null>(doubled, { jvp: (_p, [t]) => c.mul(t!, 2), vjp: (_p, _o, g) => [c.mul(g, 2)] });
import { Random } from '../../src/tensor/random.js';
import { randn, relErr, testBackends } from '../helpers.js';

/**
 * Batched tangents (src/autodiff/batching.ts): hvpBatched and gnvpBatched with V [k, P] equal k
 * single products, row by row. Tolerance 1e-12 relative in float64 (the same algebra, the k
 * directions folded into the GEMMs' rows or columns).
 */

const CASES: [string, number[], string, c.Loss][] = [
  ...(['tanh', 'sigmoid', 'relu', 'gelu', 'softplus'] as const).map((a): [string, number[], string, c.Loss] => [`MLP ${a}, cross-entropy`, [4, 6, 5, 3], a, c.crossEntropyLoss]),
  ['logistic regression', [4, 3], 'tanh', c.crossEntropyLoss],
  ['MLP tanh, MSE', [4, 5, 2], 'tanh', c.mseLoss],
  ['MLP gelu, BCE with logits', [4, 5, 1], 'gelu', c.bceWithLogitsLoss],
];

/** hvpBatched and gnvpBatched (cross-entropy) of four random directions, row by row against hvp and gnvp (≤ 1e-12). */
function assertRowsEqualSingles(model: c.Sequential, objective: c.Objective, x: c.Tensor, y: c.Tensor, theta: c.Tensor, rng: Random): void {
  const P = theta.size;
  const f = (t: c.Tensor) => objective.value(t, { x, y });
  const m = (t: c.Tensor) => model.apply(t, x), l = (z: c.Tensor) => c.mean(c.crossEntropyLoss.perSample(z, y));
  const V = randn(rng, [4, P]);
  const h = hvpBatched(f, theta, V), g = gnvpBatched(m, l, theta, V);
  for (let j = 0; j < 4; j++) {
    const v = c.reshape(c.slice(V, [j, 0], [1, P]), [P]);
    const row = (t: c.Tensor) => c.reshape(c.slice(t, [j, 0], [1, P]), [P]).dataSync();
    assert.ok(relErr(row(h), hvp(f, theta, v).dataSync()) <= 1e-12, `hvp row ${j}`);
    assert.ok(relErr(row(g), gnvp(m, l, theta, v).dataSync()) <= 1e-12, `gnvp row ${j}`);
  }
}

/** fn's value and the largest backend copy (in values) it makes, through a spy on the current backend's copy kernel. */
function largestCopy<T>(fn: () => T): { value: T; largest: number } {
  const backend = c.getBackend() as unknown as { copy: (...args: unknown[]) => void };
  const own = Object.prototype.hasOwnProperty.call(backend, 'copy');
  const original = backend.copy;
  let largest = 0;
  backend.copy = function (this: unknown, ...args: unknown[]) {
    largest = Math.max(largest, (args[0] as number[]).reduce((a, d) => a * d, 1));
    return original.apply(this, args);
  };
  try {
    const value = fn();
    return { value, largest };
  } finally {
    if (own) backend.copy = original;
    else delete (backend as { copy?: unknown }).copy;
  }
}

for (const backend of testBackends()) {
  const s = suite(`batched tangents [${backend}]`);
  s.before(() => { c.setBackend(backend); });

  for (const [name, widths, act, loss] of CASES) {
    s(`${name}: hvpBatched and gnvpBatched equal k single products (k = 1, 3, 8)`, () => {
      c.tidy(() => {
        const rng = new Random(4);
        const model = c.Sequential.mlp(widths, act);
        const objective = new c.Objective(model, loss, 1e-2);
        const n = 9, out = widths[widths.length - 1]!;
        const x = randn(rng, [n, widths[0]!]);
        const y = loss === c.crossEntropyLoss
          ? c.tensor(Int32Array.from({ length: n }, () => rng.int(out)), [n], 'int32')
          : c.tensor(Float64Array.from({ length: n * out }, () => (rng.uniform() > 0.5 ? 1 : 0)), [n, out], 'float64');
        const theta = model.init({ seed: 3, dtype: 'float64' });
        const P = theta.size;
        const f = (t: c.Tensor) => objective.value(t, { x, y });
        const m = (t: c.Tensor) => model.apply(t, x), l = (z: c.Tensor) => c.mean(loss.perSample(z, y));
        for (const k of [1, 3, 8]) {
          const V = randn(rng, [k, P]);
          const rows = Array.from({ length: k }, (_, j) => c.reshape(c.slice(V, [j, 0], [1, P]), [P]));
          const h = hvpBatched(f, theta, V), g = gnvpBatched(m, l, theta, V);
          assert.equal(h.shape, [k, P]);
          assert.equal(g.shape, [k, P]);
          const hw = c.concat(rows.map((v) => c.reshape(hvp(f, theta, v), [1, P])), 0);
          const gw = c.concat(rows.map((v) => c.reshape(gnvp(m, l, theta, v), [1, P])), 0);
          assert.ok(relErr(h.dataSync(), hw.dataSync()) <= 1e-12, `hvp k=${k}: ${relErr(h.dataSync(), hw.dataSync())}`);
          assert.ok(relErr(g.dataSync(), gw.dataSync()) <= 1e-12, `gnvp k=${k}: ${relErr(g.dataSync(), gw.dataSync())}`);
        }
      });
    });
  }

  s('batched (rank-3 × rank-3) matmuls, every transpose: hvpBatched and gnvpBatched equal k single products', () => {
    c.tidy(() => {
      const rng = new Random(12);
      const B = 2, M = 3, K = 4, N = 2;
      for (const [transA, transB] of [[false, false], [true, false], [false, true], [true, true]] as const) {
        const sa = transA ? [B, K, M] : [B, M, K], sb = transB ? [B, N, K] : [B, K, N];
        const na = B * M * K;
        const model = (t: c.Tensor) => c.tanh(c.matmul(c.reshape(c.slice(t, [0], [na]), sa), c.reshape(c.slice(t, [na], [B * K * N]), sb), { transA, transB }));
        const f = (t: c.Tensor) => c.sum(c.square(model(t)));
        const theta = randn(rng, [na + B * K * N]);
        const V = randn(rng, [3, theta.size]);
        const hb = hvpBatched(f, theta, V), gb = gnvpBatched(model, (z) => c.mul(c.sum(c.square(z)), 0.5), theta, V);
        for (let j = 0; j < 3; j++) {
          const v = c.reshape(c.slice(V, [j, 0], [1, theta.size]), [theta.size]);
          const row = (m: c.Tensor) => c.reshape(c.slice(m, [j, 0], [1, theta.size]), [theta.size]).dataSync();
          assert.ok(relErr(row(hb), hvp(f, theta, v).dataSync()) <= 1e-12, `hvp transA=${transA} transB=${transB}`);
          assert.ok(relErr(row(gb), gnvp(model, (z) => c.mul(c.sum(c.square(z)), 0.5), theta, v).dataSync()) <= 1e-12, `gnvp transA=${transA} transB=${transB}`);
        }
      }
    });
  });

  s('layers at least 32 wide (per-direction GEMMs against the shared primal): hvpBatched and gnvpBatched equal k single products', () => {
    c.tidy(() => {
      // Widths ≥ 32 take batching.ts's strided-batched path (op(A)·Ḃ and Ȧᵀ·B per direction); the
      // 3-wide output layer the folded one, so one model crosses both.
      const rng = new Random(21);
      const model = c.Sequential.mlp([34, 40, 33, 3], 'tanh');
      const objective = new c.Objective(model, c.crossEntropyLoss, 1e-3);
      const n = 7;
      const x = randn(rng, [n, 34]);
      const y = c.tensor(Int32Array.from({ length: n }, () => rng.int(3)), [n], 'int32');
      assertRowsEqualSingles(model, objective, x, y, model.init({ seed: 5, dtype: 'float64' }), rng);
    });
  });

  s('a narrow network keeps each layer\'s tangent as [rows, k, width]: no activation-sized copy, and still k single products', () => {
    c.tidy(() => {
      // Hidden widths below 32 fold the k directions into the GEMMs' columns; with the k axis kept
      // behind the rows (batching.ts, matmul's plan) the forward GEMM's output is the next layer's
      // input and the backward GEMMs read it as it is. Before, each such product was followed (and
      // the backward ones preceded) by a transposed copy of a [k, rows, width] tangent.
      const rng = new Random(23);
      const model = c.Sequential.mlp([30, 6, 4], 'tanh');
      const objective = new c.Objective(model, c.crossEntropyLoss, 1e-3);
      const n = 200, k = 8;
      const x = randn(rng, [n, 30]);
      const y = c.tensor(Int32Array.from({ length: n }, () => rng.int(4)), [n], 'int32');
      const theta = model.init({ seed: 6, dtype: 'float64' });
      const P = theta.size;
      const f = (t: c.Tensor) => objective.value(t, { x, y });
      const V = randn(rng, [k, P]);
      const { value: h, largest } = largestCopy(() => {
        const out = hvpBatched(f, theta, V);
        out.dataSync();
        return out;
      });
      // The largest copy allowed is parameter-sized (the [k, P] rows cut into layers); one hidden
      // tangent is k·n·6 = 9,600 values, four times that.
      assert.ok(largest <= k * P, `largest copy ${largest} values, parameter tangents ${k * P}, a hidden tangent ${k * n * 6}`);
      for (let j = 0; j < k; j++) {
        const v = c.reshape(c.slice(V, [j, 0], [1, P]), [P]);
        assert.ok(relErr(c.reshape(c.slice(h, [j, 0], [1, P]), [P]).dataSync(), hvp(f, theta, v).dataSync()) <= 1e-12, `hvp row ${j}`);
      }
    });
  });

  s('two convolutions (tangents [n, k, C, H, W] through transpose, im2col and col2im): hvpBatched and gnvpBatched equal k single products', () => {
    c.tidy(() => {
      // Narrow channels fold k into the conv GEMM's columns ([n·H·W, k, C]); the NCHW transpose keeps
      // k beside its channel axis and the second convolution's im2col (and the first's col2im in the
      // backward pass) take [n, k, …] as n·k images.
      const rng = new Random(29);
      const model = new c.Sequential([new c.Conv2d(2, 3, [3, 3], { padding: [1, 1] }), c.activation('tanh'),
        new c.Conv2d(3, 4, [3, 3], { stride: [2, 2] }), c.activation('tanh'), new c.Flatten(), new c.Linear(4 * 2 * 3, 3)]);
      const objective = new c.Objective(model, c.crossEntropyLoss, 1e-3);
      const n = 5;
      const x = randn(rng, [n, 2, 6, 7]);
      const y = c.tensor(Int32Array.from({ length: n }, () => rng.int(3)), [n], 'int32');
      assertRowsEqualSingles(model, objective, x, y, model.init({ seed: 8, dtype: 'float64' }), rng);
    });
  });

  s('a matrix shared by a batch (rank 2 beside rank 3, stride 0): value, gradient, hvp and hvpBatched equal the broadcast copy', () => {
    c.tidy(() => {
      const rng = new Random(22);
      const B = 3, M = 4, K = 5, N = 2;
      for (const [transA, transB] of [[false, false], [true, false], [false, true], [true, true]] as const) {
        for (const shared of ['a', 'b'] as const) {
          const sa = transA ? [K, M] : [M, K], sb = transB ? [N, K] : [K, N];
          const fa = shared === 'a' ? sa : [B, ...sa], fb = shared === 'b' ? sb : [B, ...sb];
          const na = fa.reduce((p, q) => p * q, 1), nb = fb.reduce((p, q) => p * q, 1);
          const split = (t: c.Tensor) => [c.reshape(c.slice(t, [0], [na]), fa), c.reshape(c.slice(t, [na], [nb]), fb)] as const;
          const full = (x: c.Tensor, s: number[]) => (x.rank === 3 ? x : c.broadcastTo(c.reshape(x, [1, ...s]), [B, ...s]));
          const direct = (t: c.Tensor) => { const [a, b] = split(t); return c.sum(c.square(c.tanh(matmulRaw(a, b, transA, transB)))); };
          const copied = (t: c.Tensor) => { const [a, b] = split(t); return c.sum(c.square(c.tanh(matmulRaw(full(a, sa), full(b, sb), transA, transB)))); };
          const theta = randn(rng, [na + nb]);
          const v = randn(rng, [na + nb]);
          const V = randn(rng, [3, na + nb]);
          const tag = `shared ${shared}, transA=${transA} transB=${transB}`;
          assert.ok(relErr(direct(theta).dataSync(), copied(theta).dataSync()) <= 1e-12, `value, ${tag}`);
          assert.ok(relErr(c.grad(direct, theta).dataSync(), c.grad(copied, theta).dataSync()) <= 1e-12, `gradient, ${tag}`);
          assert.ok(relErr(hvp(direct, theta, v).dataSync(), hvp(copied, theta, v).dataSync()) <= 1e-12, `hvp, ${tag}`);
          assert.ok(relErr(hvpBatched(direct, theta, V).dataSync(), hvpBatched(copied, theta, V).dataSync()) <= 1e-12, `hvpBatched, ${tag}`);
        }
      }
    });
  });

  s('matmulSum (two products, the second accumulated into the first): value, gradient, hvp and hvpBatched equal the sum of two matmuls', () => {
    c.tidy(() => {
      const rng = new Random(23);
      const K = 3, M = 4, I = 5, N = 2;
      // A [K·M, I]·B [I, N] (one tall product) plus C [K, M, I]·D [I, N] (a batch sharing D): both [K, M, N] row-major.
      for (const [t1, t2] of [[false, false], [true, true], [false, true], [true, false]] as const) {
        const s1 = t1 ? [I, K * M] : [K * M, I], s2 = t2 ? [N, I] : [I, N];
        const s3 = [K, M, I], s4 = t2 ? [N, I] : [I, N];
        const sizes = [s1, s2, s3, s4].map((x) => x.reduce((p, q) => p * q, 1));
        const offs = sizes.map((_, i) => sizes.slice(0, i).reduce((p, q) => p + q, 0));
        const parts = (t: c.Tensor) => [s1, s2, s3, s4].map((sh, i) => c.reshape(c.slice(t, [offs[i]!], [sizes[i]!]), sh));
        const fused = (t: c.Tensor) => {
          const [a, b, cc, d] = parts(t);
          return c.sum(c.square(c.tanh(matmulSum([a!, b!, t1, t2], [cc!, d!, false, t2], [K, M, N]))));
        };
        const plain = (t: c.Tensor) => {
          const [a, b, cc, d] = parts(t);
          return c.sum(c.square(c.tanh(c.add(c.reshape(matmulRaw(a!, b!, t1, t2), [K, M, N]), matmulRaw(cc!, d!, false, t2)))));
        };
        const P = sizes.reduce((p, q) => p + q, 0);
        const theta = randn(rng, [P]), v = randn(rng, [P]), V = randn(rng, [3, P]);
        const tag = `transA₁=${t1} transB=${t2}`;
        assert.ok(relErr(fused(theta).dataSync(), plain(theta).dataSync()) <= 1e-12, `value, ${tag}`);
        assert.ok(relErr(c.grad(fused, theta).dataSync(), c.grad(plain, theta).dataSync()) <= 1e-12, `gradient, ${tag}`);
        assert.ok(relErr(hvp(fused, theta, v).dataSync(), hvp(plain, theta, v).dataSync()) <= 1e-12, `hvp, ${tag}`);
        assert.ok(relErr(hvpBatched(fused, theta, V).dataSync(), hvpBatched(plain, theta, V).dataSync()) <= 1e-12, `hvpBatched, ${tag}`);
      }
      assert.throws(() => matmulSum([c.zeros([2, 3]), c.zeros([3, 4]), false, false], [c.zeros([2, 3]), c.zeros([3, 5]), false, false], [2, 4]), /do not both fill/);
    });
  });

  s('mulAdd (a·b + c·d, broadcasting): gradient, hvp and hvpBatched equal those of add(mul, mul)', () => {
    c.tidy(() => {
      const rng = new Random(24);
      const shapes = [[3, 4], [4], [3, 1], [1, 4]];
      const sizes = shapes.map((x) => x.reduce((p, q) => p * q, 1));
      const offs = sizes.map((_, i) => sizes.slice(0, i).reduce((p, q) => p + q, 0));
      const parts = (t: c.Tensor) => shapes.map((sh, i) => c.reshape(c.slice(t, [offs[i]!], [sizes[i]!]), sh));
      const fused = (t: c.Tensor) => { const [a, b, x, y] = parts(t); return c.sum(c.tanh(c.mulAdd(a!, b!, x!, y!))); };
      const plain = (t: c.Tensor) => { const [a, b, x, y] = parts(t); return c.sum(c.tanh(c.add(c.mul(a!, b!), c.mul(x!, y!)))); };
      const P = sizes.reduce((p, q) => p + q, 0);
      const theta = randn(rng, [P]), v = randn(rng, [P]), V = randn(rng, [3, P]);
      assert.ok(relErr(c.grad(fused, theta).dataSync(), c.grad(plain, theta).dataSync()) <= 1e-12, 'gradient');
      assert.ok(relErr(hvp(fused, theta, v).dataSync(), hvp(plain, theta, v).dataSync()) <= 1e-12, 'hvp');
      assert.ok(relErr(hvpBatched(fused, theta, V).dataSync(), hvpBatched(plain, theta, V).dataSync()) <= 1e-12, 'hvpBatched');
    });
  });

  s('columns layout (V [P, k], as matmat holds it): hvpBatched, gnvpBatched and linearBatched equal the row layout transposed, bit for bit, with no whole-block transpose', () => {
    c.tidy(() => {
      // With columns the layers' tangents are cut from V with k moved to the front in the same copy
      // and the gradient is assembled straight into [P, k] (batching.ts, Trace.columns): the same
      // values as rows in, transpose out — and no copy of a whole [P, k] block on either side.
      const rng = new Random(31);
      const model = c.Sequential.mlp([5, 7, 4, 3], 'tanh');
      const objective = new c.Objective(model, c.crossEntropyLoss, 1e-3);
      const n = 11, k = 6;
      const x = randn(rng, [n, 5]);
      const y = c.tensor(Int32Array.from({ length: n }, () => rng.int(3)), [n], 'int32');
      const theta = model.init({ seed: 9, dtype: 'float64' });
      const P = theta.size;
      const f = (t: c.Tensor) => objective.value(t, { x, y });
      const m = (t: c.Tensor) => model.apply(t, x), l = (z: c.Tensor) => c.mean(c.crossEntropyLoss.perSample(z, y));
      const V = randn(rng, [P, k]);
      const rows = c.transpose(V);
      const { value: [h, g], largest } = largestCopy(() => [hvpBatched(f, theta, V, { columns: true }), gnvpBatched(m, l, theta, V, { columns: true })] as const);
      assert.equal(h.shape, [P, k]);
      assert.equal(g.shape, [P, k]);
      // The largest layer is 7·5 + 7 = 42 parameters: its k·42-value block is the largest copy.
      assert.ok(largest < k * P, `largest copy ${largest} values, the whole block ${k * P}`);
      assert.equal(Array.from(h.dataSync()), Array.from(c.transpose(hvpBatched(f, theta, rows)).dataSync()));
      assert.equal(Array.from(g.dataSync()), Array.from(c.transpose(gnvpBatched(m, l, theta, rows)).dataSync()));
      // linearBatched with columns out: a pullback's outputs as [..., k].
      const w = randn(rng, [4, 3]);
      const { value, pullback } = vjp((a: c.Tensor) => c.tanh(c.matmul(a, w)), randn(rng, [2, 4]));
      const cts = randn(rng, [k, 2, 3]);
      const [colsOut] = linearBatched((ct) => [pullback(ct)], value, cts, { columns: true });
      const [rowsOut] = linearBatched((ct) => [pullback(ct)], value, cts);
      assert.equal(colsOut!.shape, [2, 4, k]);
      assert.equal(Array.from(colsOut!.dataSync()), Array.from(c.transpose(rowsOut!, [1, 2, 0]).dataSync()));
      assert.throws(() => hvpBatched(f, theta, rows, { columns: true }), /expected \[\d+, k\]/);
    });
  });

  s('permutedSlice and permutedConcat: gradient, hvp and hvpBatched (rows and columns) equal those of transpose of slice / concat', () => {
    c.tidy(() => {
      const rng = new Random(33);
      const w = randn(rng, [4, 3]);
      const fused = (t: c.Tensor) => {
        const x = c.reshape(t, [2, 3, 4]);
        const a = c.permutedSlice(x, [0, 1, 0], [2, 2, 4], [2, 0, 1]);
        const b = c.permutedConcat([c.tanh(a), c.square(a)], 1, [1, 0, 2]);
        return c.sum(c.square(c.matmul(c.reshape(b, [8, 4]), w)));
      };
      const composed = (t: c.Tensor) => {
        const x = c.reshape(t, [2, 3, 4]);
        const a = c.transpose(c.slice(x, [0, 1, 0], [2, 2, 4]), [2, 0, 1]);
        const b = c.transpose(c.concat([c.tanh(a), c.square(a)], 1), [1, 0, 2]);
        return c.sum(c.square(c.matmul(c.reshape(b, [8, 4]), w)));
      };
      const theta = randn(rng, [24]), V = randn(rng, [3, 24]);
      assert.ok(relErr(c.grad(fused, theta).dataSync(), c.grad(composed, theta).dataSync()) <= 1e-12, 'gradient');
      assert.ok(relErr(hvp(fused, theta, c.reshape(c.slice(V, [0, 0], [1, 24]), [24])).dataSync(),
        hvp(composed, theta, c.reshape(c.slice(V, [0, 0], [1, 24]), [24])).dataSync()) <= 1e-12, 'hvp');
      const want = hvpBatched(composed, theta, V).dataSync();
      assert.ok(relErr(hvpBatched(fused, theta, V).dataSync(), want) <= 1e-12, 'hvpBatched rows');
      assert.ok(relErr(c.transpose(hvpBatched(fused, theta, c.transpose(V), { columns: true })).dataSync(), want) <= 1e-12, 'hvpBatched columns');
    });
  });

  s('linearBatched: a pullback with several outputs applied to k cotangents equals k pullbacks, row by row', () => {
    c.tidy(() => {
      const rng = new Random(6);
      const w1 = randn(rng, [5, 4]), w2 = randn(rng, [3, 5]), x = randn(rng, [6, 4]);
      // f(x, w1, w2) = tanh(x·w1ᵀ)·w2ᵀ with the pullback to all three (outputs of different shapes).
      const { value, pullback } = vjp(([a, b, d]: c.Tensor[]) => c.matmul(c.tanh(c.matmul(a!, b!, { transB: true })), d!, { transB: true }), [x, w1, w2]);
      for (const k of [1, 4]) {
        const cts = randn(rng, [k, ...value.shape]);
        const got = linearBatched((ct) => pullback(ct), value, cts);
        assert.is(got.length, 3);
        for (let j = 0; j < k; j++) {
          const want = pullback(c.reshape(c.slice(cts, [j, 0, 0], [1, ...value.shape]), value.shape));
          want.forEach((w, i) => {
            const row = c.reshape(c.slice(got[i]!, [j, ...w.shape.map(() => 0)], [1, ...w.shape]), w.shape);
            assert.ok(relErr(row.dataSync(), w.dataSync()) <= 1e-12, `k = ${k}, row ${j}, output ${i}`);
          });
        }
      }
      assert.throws(() => linearBatched((ct) => pullback(ct), value, randn(rng, [2, 6, 4])), /expected \[k, 6, 3\]/);
    });
  });

  s('a primitive without a batched rule throws BatchingUnsupported (matmat then goes column by column)', () => {
    c.tidy(() => {
      // A primitive defined here with jvp and vjp rules but no batched-tangent rule (as im2col, col2im and maxPoolArgmax have none).
      const f = (t: c.Tensor) => c.sum(c.square(bind(doubled, [t], null)));
      assert.throws(() => hvpBatched(f, c.tensor([1, 2, 3, 4], [4], 'float64'), c.tensor([1, 0, 0, 1, 0, 1, 1, 0], [2, 4], 'float64')),
        (e: unknown) => e instanceof BatchingUnsupported);
    });
  });

  s('gather, scatterAdd and a convolution (unfold by gather): hvpBatched equals k single products', () => {
    c.tidy(() => {
      const rng = new Random(9);
      const idx = c.tensor(Int32Array.from([1, 0, 1, 2]), [4], 'int32');
      const fns: [string, (t: c.Tensor) => c.Tensor, number][] = [
        ['gather', (t) => c.sum(c.exp(c.mul(gather(c.reshape(t, [3, 2]), idx), 0.5))), 6],
        ['scatterAdd', (t) => c.sum(c.square(c.scatterAdd(c.tanh(c.reshape(t, [4, 2])), idx, 3))), 8],
        ['conv2d', (t) => {
          const conv = new c.Conv2d(2, 2, 2, { padding: 1, stride: [1, 2] });
          const w = c.reshape(c.slice(t, [0], [16]), [2, 2, 2, 2]), b = c.slice(t, [16], [2]);
          const x = c.tensor(Float64Array.from({ length: 2 * 2 * 3 * 3 }, (_, i) => Math.sin(i)), [2, 2, 3, 3], 'float64');
          return c.sum(c.square(c.tanh(conv.apply([w, b], x))));
        }, 18],
      ];
      for (const [name, f, P] of fns) {
        const theta = randn(rng, [P]);
        const V = randn(rng, [3, P]);
        const h = hvpBatched(f, theta, V);
        const want = c.concat([0, 1, 2].map((j) => c.reshape(hvp(f, theta, c.reshape(c.slice(V, [j, 0], [1, P]), [P])), [1, P])), 0);
        assert.ok(relErr(h.dataSync(), want.dataSync()) <= 1e-12, `${name}: ${relErr(h.dataSync(), want.dataSync())}`);
      }
    });
  });

  s.run();
}
