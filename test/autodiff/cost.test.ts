import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as c from '../../src/index.js';
import { getBackend } from '../../src/backend/registry.js';
import { hvpBatched } from '../../src/autodiff/index.js';
import { WasmBackend } from '../../src/backend/wasm/index.js';
import { relErr, testBackends } from '../helpers.js';
import { skipBecause } from '../skip.js';

/**
 * What the curvature products cost, counted exactly (matmul flops through the backend's gemm) on
 * an MLP d0 → d1 → tanh → d2 → tanh → d3 with the input as data. With Uᵢ = 2·B·dᵢ₋₁·dᵢ (one
 * batch matmul of layer i):
 *   gradient               2U₁ + 3U₂ + 3U₃   (forward; weight gradients; input gradients of layers 2, 3)
 *   HVP, fwd-over-rev      3U₁ + 8U₂ + 8U₃   (primal and tangent forward; tangents of the weight and
 *                                            input gradients; the primal weight gradients, never read,
 *                                            are not computed)
 *   Gauss–Newton product   3U₁ + 5U₂ + 5U₃   (one forward carrying J·v; one backward)
 *   batched HVP, k dirs    U₁ + 2U₂ + 2U₃ + k·(2U₁ + 6U₂ + 6U₃)   (the primal forward and input
 *                                            gradients once; each direction's tangents)
 * The counts are the minimum of the textbook schedules (Pearlmutter 1994; Schraudolph 2002): a
 * regression that recomputes or computes dead work fails here.
 */
const dims = [12, 8, 6, 3];
const B = 5;

function problem() {
  const model = c.Sequential.mlp(dims, 'tanh');
  const objective = new c.Objective(model, c.crossEntropyLoss, 0);
  const theta = model.init({ seed: 1, dtype: 'float64' });
  const x = c.randomUniform([B, dims[0]!], { seed: 2, dtype: 'float64' });
  const y = c.tensor([0, 2, 1, 1, 0], [B], 'int32');
  const v = c.randomNormal([model.numParams], { seed: 3, dtype: 'float64' });
  return { model, objective, theta, x, y, v, loss: (t: c.Tensor) => objective.dataLoss(t, { x, y }) };
}

/**
 * Runs fn with the active backend's gemm and gemmScaled (a GEMM that scales its tiles: the
 * activation adjoints backward folds into it) wrapped; returns fn's result and the matmul flops.
 */
function countFlops<T>(fn: () => T): { result: T; flops: number } {
  const backend = getBackend() as unknown as Record<string, (...args: number[]) => unknown>;
  let flops = 0;
  const saved = (['gemm', 'gemmScaled'] as const).filter((name) => typeof backend[name] === 'function').map((name) => {
    const own = Object.prototype.hasOwnProperty.call(backend, name), original = backend[name]!;
    backend[name] = function (this: unknown, ...args: number[]) {
      flops += 2 * args[2]! * args[3]! * args[4]!;  // m, n, k in both signatures
      return original.apply(this, args);
    };
    return { name, own, original };
  });
  try {
    return { result: fn(), flops };
  } finally {
    for (const { name, own, original } of saved) {
      if (own) backend[name] = original;
      else delete backend[name];
    }
  }
}

const U = (i: number): number => 2 * B * dims[i - 1]! * dims[i]!;

for (const backend of testBackends()) {
  const s = suite(`curvature product costs [${backend}]`);

  s('gradient: 2U₁ + 3U₂ + 3U₃ matmul flops', () => {
    c.setBackend(backend);
    const p = problem();
    const { flops } = countFlops(() => c.tidy(() => c.grad(p.loss, p.theta).dataSync()));
    assert.is(flops, 2 * U(1) + 3 * U(2) + 3 * U(3));
  });

  s('HVP (forward-over-reverse): 3U₁ + 8U₂ + 8U₃, and the value of reverse-over-reverse', () => {
    c.setBackend(backend);
    const p = problem();
    const { result, flops } = countFlops(() => c.tidy(() => c.hvp(p.loss, p.theta, p.v).dataSync()));
    assert.is(flops, 3 * U(1) + 8 * U(2) + 8 * U(3));
    const rr = c.tidy(() => c.hvp(p.loss, p.theta, p.v, 'reverse-over-reverse').dataSync());
    assert.ok(relErr(result, rr) < 1e-10, `fwd-over-rev vs rev-over-rev: ${relErr(result, rr)}`);
  });

  s('batched HVP of k directions: U₁ + 2U₂ + 2U₃ once, 2U₁ + 6U₂ + 6U₃ per direction (the gradient itself never formed)', () => {
    c.setBackend(backend);
    const p = problem();
    const k = 3;
    const V = c.randomNormal([k, p.theta.size], { seed: 4, dtype: 'float64' });
    // All widths here are below 32: every tangent product is one folded GEMM through backend.gemm.
    const { result, flops } = countFlops(() => c.tidy(() => hvpBatched(p.loss, p.theta, V).dataSync()));
    assert.is(flops, U(1) + 2 * U(2) + 2 * U(3) + k * (2 * U(1) + 6 * U(2) + 6 * U(3)));
    for (let j = 0; j < k; j++) {
      const row = result.slice(j * p.theta.size, (j + 1) * p.theta.size);
      const want = c.tidy(() => c.hvp(p.loss, p.theta, c.reshape(c.slice(V, [j, 0], [1, p.theta.size]), [p.theta.size])).dataSync());
      assert.ok(relErr(row, want) < 1e-12, `row ${j}: ${relErr(row, want)}`);
    }
  });

  s('Gauss–Newton product: 3U₁ + 5U₂ + 5U₃, and its value against Jᵀ(H_L(J v)) from separate passes', () => {
    c.setBackend(backend);
    const p = problem();
    const model = (t: c.Tensor) => p.model.apply(t, p.x);
    const loss = (z: c.Tensor) => c.crossEntropy(z, p.y);
    const { result, flops } = countFlops(() => c.tidy(() => c.gnvp(model, loss, p.theta, p.v).dataSync()));
    assert.is(flops, 3 * U(1) + 5 * U(2) + 5 * U(3));
    const want = c.tidy(() => {
      const { value: z, pullback } = c.vjp(model, p.theta);
      const jv = c.jvp(model, p.theta, p.v).tangent;
      return pullback(c.hvp(loss, z, jv)).dataSync();
    });
    assert.ok(relErr(result, want) < 1e-12, `gnvp vs separate passes: ${relErr(result, want)}`);
  });

  s('jvp of a gradient: the deferred primal (the gradient itself) is computed when read, after its scope closed', () => {
    c.setBackend(backend);
    const p = problem();
    const { value, tangent } = c.tidy(() => c.jvp((t: c.Tensor) => c.grad(p.loss, t), p.theta, p.v));
    const g = c.grad(p.loss, p.theta).dataSync();
    assert.ok(relErr(value.dataSync(), g) < 1e-14, 'value of jvp(grad) equals grad');
    assert.ok(relErr(tangent.dataSync(), c.hvp(p.loss, p.theta, p.v).dataSync()) < 1e-14, 'tangent equals hvp');
  });

  s.run();
}

// The workload W-HVP (bench/whvp.ts) in miniature, float32 on wasm: no kernel may fall back to the
// reference implementation (issue 3: "a W-HVP step never falls back to the reference backend").
const w = suite('W-HVP step stays on wasm kernels');
const W_NAME = 'gradient, both HVP modes and the Gauss–Newton product use no reference fallback';
const wasmUnavailable = ((): string | null => {
  const active = getBackend().name;
  try {
    c.setBackend('wasm');
    return null;
  } catch (err) {
    return (err as Error).message;
  } finally {
    c.setBackend(active);
  }
})();
if (wasmUnavailable !== null) skipBecause(w, W_NAME, `the wasm backend does not load here (${wasmUnavailable})`);
else w(W_NAME, () => {
  const backend = c.setBackend('wasm') as WasmBackend;
  const model = c.Sequential.mlp([20, 16, 16, 10], 'tanh');
  const objective = new c.Objective(model, c.crossEntropyLoss, 0);
  c.tidy(() => {
    const theta = model.init({ seed: 0, dtype: 'float32' });
    const x = c.randomUniform([32, 20], { seed: 1, dtype: 'float32' });
    const y = c.tensor(Int32Array.from({ length: 32 }, (_, i) => (i * 7) % 10), [32], 'int32');
    const v = c.randomNormal([model.numParams], { seed: 2, dtype: 'float32' });
    const loss = (t: c.Tensor) => objective.dataLoss(t, { x, y });
    const before = [...backend.fallbackCounts.values()].reduce((a, b) => a + b, 0);
    c.grad(loss, theta).dataSync();
    c.hvp(loss, theta, v).dataSync();
    c.hvp(loss, theta, v, 'reverse-over-reverse').dataSync();
    c.gnvp((t) => model.apply(t, x), (z) => c.crossEntropy(z, y), theta, v).dataSync();
    const after = [...backend.fallbackCounts.values()].reduce((a, b) => a + b, 0);
    assert.is(after - before, 0, `fallbacks: ${JSON.stringify([...backend.fallbackCounts])}`);
  });
});

w.run();
