/**
 * The CUDA backend's kernels against the js reference on seeded random cases (GPU only; skipped with
 * the reason elsewhere) — the cases shared with the CPU addon's kernel test (../kernel-conformance.ts,
 * used by ../native/kernels.test.ts too) on the device, with GEMM sizes crossing the GPU tiles (float
 * 128×128, double 64×64, k steps of 8), plus what only a device backend has: asynchronous reads,
 * the caching allocator, out-of-memory and use-after-free as typed errors that leave the backend
 * usable, indices checked on the device.
 * Tolerances: see ../property-helpers.ts (exact for IEEE-exact ops, a few ulps for the math library,
 * GEMM 1e-12 in float64 and 1e-6·√k in float32 relative to |α|·Σ|a||b| + |β·c|).
 */
import * as assert from 'uvu/assert';
import { suite } from 'uvu';
import type { CudaBackend } from '../../../src/backend/cuda/index.js';
import { CudaOutOfMemoryError } from '../../../src/backend/cuda/errors.js';
import { ALL, compare, exact, FLOATS, relNorm, spd, values } from '../property-helpers.js';
import { kernelHelpers, registerKernelConformance } from '../kernel-conformance.js';
import { ref, Rng } from '../wasm/setup.js';
import { cudaOrReason, testIf } from './setup.js';
import { DTypeError, InputError } from '../../../src/errors.js';
import { throwsType } from '../../helpers.js';

const { backend: G, reason } = cudaOrReason();
const S = suite('cuda kernels');
const t = testIf(S, G !== null, reason);
const gb = (): CudaBackend => G!;
const { both, gemmCase } = kernelHelpers(gb);

t('gemm: random transposes, alpha/beta (β = 0 overwrites NaN), ld, offsets, odd sizes, float32 and float64', () => {
  for (const dtype of FLOATS) {
    const rng = new Rng(dtype === 'float32' ? 11 : 12);
    for (let i = 0; i < 60; i++) gemmCase(rng, dtype);
    // Across the GPU tiles (float 128×128, double 64×64, k steps of 8) with ragged edges, the
    // matrix-vector and k = 0 shapes, and split-K.
    for (const d of [[151, 37, 301], [7, 263, 259], [97, 1, 5], [129, 129, 9], [257, 130, 17], [1, 300, 1000], [65, 65, 0], [200, 3, 64],
      // split-K (few tiles, long k): slices of k summed in order
      [37, 45, 3001], [129, 70, 2100], [3, 5, 20000],
      // matrix-vector and vector-matrix products (the GEMV kernels), a dot product
      [300, 1, 700], [1, 257, 33], [1, 1, 500], [70, 1, 0]] as const) {
      for (let rep = 0; rep < 2; rep++) gemmCase(rng, dtype, [d[0], d[1], d[2]]);
    }
  }
});

// The cases shared with the CPU addon (../kernel-conformance.ts), gemmStridedBatched also on
// matrix-vector batches (the GEMV kernels): unary, binary and where, copy, reduce, cast and fill,
// gather/scatterAdd/softmax/crossEntropy/tanhGrad.
registerKernelConformance(t, gb, { vectorBatches: true });

t('supports(): elementwise in one dtype, GEMM in floats only; optional kernels go to the reference', () => {
  assert.ok(gb().supports('binary', ['int32', 'int32', 'int32'], 'add'));
  assert.not.ok(gb().supports('binary', ['float32', 'float64', 'float32'], 'add'));
  assert.not.ok(gb().supports('gemm', ['int32', 'int32', 'int32']));
  assert.ok(gb().supports('cast', ['float64', 'int32']));
  assert.ok(gb().supports('potrf', ['float64']));
  assert.ok(gb().supports('syev', ['float64']));
  assert.not.ok(gb().supports('syev', ['int32']));
  assert.ok(gb().supports('gather', ['int32', 'int32', 'int32']));
  assert.not.ok(gb().supports('scatterAdd', ['int32', 'int32', 'int32']));
});



t('potrf and trsm against the reference: SPD matrices across sizes, padded ld, offsets; a failing pivot is reported', () => {
  const rng = new Rng(101);
  for (const dtype of FLOATS) {
    const tol = dtype === 'float64' ? 1e-12 : 1e-5;
    for (const n of [1, 2, 5, 33, 130]) {
      const lda = n + rng.int(0, 3), off = rng.int(0, 4);
      const a = both(dtype, spd(rng, n, lda, off));
      const rg = gb().potrf(n, a.n, off, lda), rj = ref.potrf!(n, a.j, off, lda);
      assert.equal(rg, rj, `potrf ${dtype} n=${n}`);
      const e = relNorm(gb().read(a.n), ref.read(a.j));
      assert.ok(e <= tol, `potrf ${dtype} n=${n}: relative error ${e}`);
      // trsm with the factor (well conditioned), every uplo/trans/unit, alpha 1.5 and 0.
      for (const uplo of ['lower', 'upper'] as const) {
        // An upper-triangular A: the transpose of L, written densely.
        const L = ref.read(a.j);
        const A = uplo === 'lower' ? Array.from(L) : Array.from(L, (v, idx) => {
          const r = idx - off, i = Math.floor(r / lda), j = r % lda;
          return r < 0 || i >= n || j >= n ? v : L[off + j * lda + i]!;
        });
        for (const trans of [false, true]) {
          for (const unit of [false, true]) {
            const m = n, cols = rng.int(1, 9), ldb = cols + rng.int(0, 2), bOff = rng.int(0, 3);
            const A2 = both(dtype, A);
            const B = both(dtype, values(rng, dtype, bOff + m * ldb + 1, { special: 0 }));
            const alpha = rng.pick([1.5, 0]);
            gb().trsm(uplo, trans, unit, m, cols, alpha, A2.n, off, lda, B.n, bOff, ldb);
            ref.trsm!(uplo, trans, unit, m, cols, alpha, A2.j, off, lda, B.j, bOff, ldb);
            // unit-diagonal solves with L's off-diagonal part grow like its condition number: looser
            const e2 = relNorm(gb().read(B.n), ref.read(B.j));
            assert.ok(e2 <= (unit ? 1e3 : 10) * tol, `trsm ${dtype} ${uplo} trans=${trans} unit=${unit} n=${n}: ${e2}`);
          }
        }
      }
    }
    // Not positive definite: the same first failing pivot and value as the reference.
    const n = 6;
    const vals = spd(rng, n, n, 0);
    vals[3 * n + 3] = -5;
    const a = both(dtype, vals);
    const rg = gb().potrf(n, a.n, 0, n), rj = ref.potrf!(n, a.j, 0, n);
    assert.is(rg.ok, false);
    assert.is((rg as { pivot: number }).pivot, (rj as { pivot: number }).pivot);
    const vg = (rg as { value: number }).value, vj = (rj as { value: number }).value;
    assert.ok(Math.abs(vg - vj) <= 1e-5 * Math.max(1, Math.abs(vj)), `pivot value ${vg} vs ${vj}`);
  }
});

t('syev against the reference: eigenvalues, eigenvectors (residual, orthogonality, sign convention), NaN refused', () => {
  const rng = new Rng(111);
  for (const dtype of FLOATS) {
    const tol = dtype === 'float64' ? 1e-12 : 1e-5;
    for (const n of [1, 2, 3, 7, 20, 33]) {
      const lda = n + rng.int(0, 2), off = rng.int(0, 3);
      const vals = values(rng, dtype, off + n * lda + 1, { special: 0 });
      const a = both(dtype, vals);
      const w = both(dtype, new Array(n + 2).fill(0));
      gb().syev(n, a.n, off, lda, w.n, 1, true);
      ref.syev!(n, a.j, off, lda, w.j, 1, true);
      const we = relNorm(gb().read(w.n), ref.read(w.j));
      assert.ok(we <= tol, `syev ${dtype} n=${n}: eigenvalues off by ${we}`);
      // Eigenvectors: A·v = λ·v with A from the lower triangle of the input, unit columns.
      const V = gb().read(a.n), W = gb().read(w.n);
      const A = (i: number, j: number): number => (i >= j ? vals[off + i * lda + j]! : vals[off + j * lda + i]!);
      let res = 0, scale = 0;
      for (let j = 0; j < n; j++) {
        for (let i = 0; i < n; i++) {
          let s = 0;
          for (let k = 0; k < n; k++) s += A(i, k) * V[off + k * lda + j]!;
          res = Math.max(res, Math.abs(s - W[1 + j]! * V[off + i * lda + j]!));
          scale = Math.max(scale, Math.abs(A(i, j)));
        }
      }
      assert.ok(res <= 10 * tol * Math.max(1, scale) * n, `syev ${dtype} n=${n}: residual ${res}`);
      // Well-separated random spectra: the same vectors as the reference (sign convention included).
      const ve = relNorm(V, ref.read(a.j));
      assert.ok(ve <= 1e4 * tol, `syev ${dtype} n=${n}: eigenvectors differ from the reference by ${ve}`);
    }
    // eigenvalues only: A untouched
    const a = both(dtype, [2, 9, 1, 3]);
    const w = both(dtype, [0, 0]);
    gb().syev(2, a.n, 0, 2, w.n, 0, false);
    compare(gb().read(a.n), ref.read(a.j), exact, 'syev without vectors leaves A');
    const bad = both(dtype, [1, 0, NaN, 1]);
    throwsType(() => gb().syev(2, bad.n, 0, 2, w.n, 0, true), InputError, /entry \(1, 0\) of the matrix is NaN; expected a finite number/);
  }
});

t('readAsync: resolves with the values without blocking; many reads in flight; errors are rejections', async () => {
  const rng = new Rng(91);
  for (const dtype of ALL) {
    const vals = values(rng, dtype, 1000, { special: 0 });
    const x = both(dtype, vals);
    const pending = Array.from({ length: 8 }, () => gb().readAsync(x.n));
    const results = await Promise.all(pending);
    for (const r of results) compare(r, ref.read(x.j), exact, `readAsync ${dtype}`);
  }
  // A large read: the event loop keeps turning while the copy is in flight.
  const big = gb().alloc('float32', 1 << 24);
  gb().fill(big, 1.5);
  let ticks = 0;
  const timer = setInterval(() => { ticks++; }, 0);
  const r = await gb().readAsync(big);
  clearInterval(timer);
  assert.is(r.length, 1 << 24);
  assert.is(r[12345], 1.5);
  gb().free(big);
  const freed = gb().alloc('float32', 4);
  gb().free(freed);
  let rejected: unknown;
  await gb().readAsync(freed).catch((e) => { rejected = e; });
  assert.instance(rejected, DTypeError);
  void ticks;
});

t('caching allocator: a freed block is reused; stats count buffers; emptyCache returns the cache', () => {
  gb().emptyCache();
  const s0 = gb().memoryStats();
  const a = gb().alloc('float32', 100_000);
  gb().free(a);
  const b = gb().alloc('float32', 100_000);
  const s1 = gb().memoryStats();
  assert.ok(s1.cacheHits > s0.cacheHits, 'the second allocation came from the cache');
  assert.is(s1.liveBuffers, s0.liveBuffers + 1);
  gb().free(b);
  gb().free(b); // a second free is harmless
  gb().emptyCache();
  assert.is(gb().memoryStats().cached, 0);
  // Zero-sized buffers work everywhere.
  const z = gb().alloc('float64', 0);
  assert.is(gb().read(z).length, 0);
  gb().free(z);
});

t('out of memory is a CudaOutOfMemoryError and the backend stays usable; use after free is a typed error', () => {
  const total = gb().info().totalMemory;
  throwsType(() => gb().alloc('float64', Math.ceil((2 * total) / 8)), CudaOutOfMemoryError, /out of device memory/);
  const x = both('float32', [1, 2, 3]);
  compare(gb().read(x.n), ref.read(x.j), exact, 'after OOM');
  gb().free(x.n);
  throwsType(() => gb().read(x.n), DTypeError, /used after free/);
  gb().synchronize();
  assert.is(gb().info().broken, '');
});

t('a bad index leaves the output untouched', () => {
  const table = both('float32', [1, 2, 3, 4]);
  const out = both('float32', [9, 9, 9, 9]);
  const bad = both('int32', [1, -1]);
  throwsType(() => gb().scatterAdd(table.n, bad.n, 2, 2, out.n), InputError, /index -1 at position 1 is outside \[0, 2\)/);
  compare(gb().read(out.n), Float32Array.of(9, 9, 9, 9), exact, 'untouched');
});

S.run();
