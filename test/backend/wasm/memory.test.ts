/**
 * Memory of the wasm backend: repeated curvature work inside tidy scopes returns cv_malloc's count
 * to exactly where it started (no leaked buffer), and memory growth (which detaches every view of
 * the old ArrayBuffer) leaves existing buffers readable and writable.
 */
import * as assert from 'uvu/assert';
import { test } from 'uvu';
import * as c from '../../../src/index.js';
import type { WasmBackend } from '../../../src/backend/wasm/index.js';
import { onBackend, testIf, wasmOrSkip } from './setup.js';

const W = wasmOrSkip('wasm memory tests');
const t = testIf(W !== null);
const wasm = (): WasmBackend => W!;

// Issue 3: "no growth over 10,000 repeated HVP+CG calls". Read strictly: 10,000 steps, each one
// Hessian-vector product and one CG solve (which itself makes up to 3 more HVPs), so ≥ 10,000 HVP
// calls and 10,000 CG calls, all inside tidy scopes.
const STEPS = 10_000;

t('no growth of cv_allocated_bytes over 10,000 steps of HVP + CG on a small model', () => {
  onBackend('wasm', () => {
    const model = c.Sequential.mlp([3, 5, 2], 'tanh');
    const objective = new c.Objective(model, c.crossEntropyLoss, 1e-2);
    const { theta, data, v } = c.tidy(() => {
      const rng = new c.Random(3);
      const x = c.tensor(Array.from({ length: 24 }, () => rng.normal()), [8, 3], 'float64');
      const y = c.tensor([0, 1, 1, 0, 1, 0, 0, 1], [8], 'int32');
      return { theta: model.init({ seed: 1, dtype: 'float64' }), data: { x, y }, v: c.onesLike(model.init({ seed: 2, dtype: 'float64' })) };
    });
    assert.is(theta.backend.name, 'wasm');
    const H = c.hessianOperator(objective, theta, data, { damping: 1 }); // damped: positive definite for CG
    const step = (): void => {
      c.tidy(() => {
        H.matvec(v);
        c.cg(H, v, { maxIter: 2, rtol: 1e-12 });
      });
    };
    for (let i = 0; i < 20; i++) step(); // warm up: lazily made constants and caches
    const before = wasm().allocatedBytes();
    const memBefore = wasm().memoryBytes();
    let mid = -1;
    let steps = 0;
    for (let i = 0; i < STEPS; i++) {
      step();
      steps++;
      if (i === 999) mid = wasm().allocatedBytes();
    }
    assert.is(steps, STEPS);
    const after = wasm().allocatedBytes();
    assert.is(mid, before, `allocated bytes after 1,000 HVP+CG: ${mid}, before: ${before}`);
    assert.is(after, before, `allocated bytes after ${STEPS} HVP + ${STEPS} CG calls: ${after}, before: ${before}`);
    assert.is(wasm().memoryBytes(), memBefore, 'linear memory grew');
    c.dispose([theta, data.x, data.y, v]);
  });
});

t('memory growth: buffers made before it stay readable and writable, and kernels keep working', () => {
  const b = wasm();
  const growthsBefore = b.kernels.memoryGrowths;
  const memBefore = b.memoryBytes();
  const x = b.alloc('float64', 1000);
  b.write(x, Float64Array.from({ length: 1000 }, (_, i) => i));
  const y = b.alloc('float32', 7);
  b.fill(y, 2.5);
  // Enough to force the memory to grow whatever its current size (at most 2 GiB by default).
  const want = Math.max(300 * 2 ** 20, memBefore + 64 * 2 ** 20);
  const big = b.alloc('float64', Math.ceil(want / 8));
  assert.ok(b.memoryBytes() > memBefore, `memory did not grow (${memBefore} → ${b.memoryBytes()})`);
  assert.ok(b.kernels.memoryGrowths > growthsBefore, 'emscripten_notify_memory_growth was not called');
  b.fill(big, 1);
  const xs = b.read(x);
  assert.is(xs[999], 999);
  assert.is(xs[0], 0);
  b.write(x, [42], 5);
  b.unary('square', x, x, 1000);
  const sq = b.read(x);
  assert.is(sq[5], 42 * 42);
  assert.is(sq[999], 999 * 999);
  assert.equal(Array.from(b.read(y)), new Array(7).fill(2.5));
  b.free(big);
  // And after the free, through the tensor layer as well.
  onBackend('wasm', () => {
    const s = c.tidy(() => c.sum(c.mul(c.tensor([1, 2, 3], [3], 'float64'), 2)).item());
    assert.is(s, 12);
  });
  b.free(x);
  b.free(y);
});

test.run();
