/**
 * The CUDA backend's kernels against the js reference on seeded random cases (GPU only; skipped with
 * the reason elsewhere) — the CPU addon's kernel test (../native/kernels.test.ts) on the device, with
 * GEMM sizes crossing the GPU tiles (float 128×128, double 64×64, k steps of 8), plus what only a
 * device backend has: asynchronous reads, the caching allocator, out-of-memory and use-after-free
 * as typed errors that leave the backend usable, indices checked on the device.
 * Tolerances: see ../property-helpers.ts (exact for IEEE-exact ops, a few ulps for the math library,
 * GEMM 1e-12 in float64 and 1e-6·√k in float32 relative to |α|·Σ|a||b| + |β·c|).
 */
import * as assert from 'uvu/assert';
import { suite } from 'uvu';
import type { BackendBuffer, DType, TypedArray } from '../../../src/backend/types.js';
import type { CudaBackend } from '../../../src/backend/cuda/index.js';
import { CudaOutOfMemoryError } from '../../../src/backend/cuda/errors.js';
import {
  ALL, BINARY, binaryTol, compare, exact, FLOATS, relNorm, sizeOf, spd, sumTol, UNARY, unaryTol, values, type FD, type Layout,
} from '../property-helpers.js';
import { ref, Rng } from '../wasm/setup.js';
import { cudaOrReason, testIf } from './setup.js';
import { DTypeError, InputError } from '../../../src/errors.js';
import { throwsType } from '../../helpers.js';

const { backend: G, reason } = cudaOrReason();
const S = suite('cuda kernels');
const t = testIf(S, G !== null, reason);
const gb = (): CudaBackend => G!;

/** The same values in a device buffer and a reference buffer. */
function both(dtype: DType, vals: ArrayLike<number>): { n: BackendBuffer; j: BackendBuffer } {
  const n = gb().alloc(dtype, vals.length), j = ref.alloc(dtype, vals.length);
  gb().write(n, vals);
  ref.write(j, vals);
  return { n, j };
}

/** A random strided layout of `shape`: axes in random order, padded, broadcast (25%), at an offset. */
function layout(rng: Rng, shape: readonly number[], broadcast: boolean): Layout {
  const order = rng.shuffle(shape.map((_, i) => i));
  const strides = new Array<number>(shape.length).fill(0);
  let running = 1;
  for (let q = shape.length - 1; q >= 0; q--) {
    const ax = order[q]!;
    if (broadcast && rng.next() < 0.25) continue;
    strides[ax] = running;
    running *= shape[ax]! + (rng.next() < 0.4 ? rng.int(1, 2) : 0);
  }
  const offset = rng.int(0, 5);
  return { strides, offset, size: offset + running + rng.int(0, 3) };
}

function randomShape(rng: Rng): number[] {
  const rank = rng.int(0, 4);
  for (;;) {
    const s = Array.from({ length: rank }, () => (rng.next() < 0.1 ? rng.pick([13, 17, 33]) : rng.next() < 0.03 ? 0 : rng.int(1, 7)));
    if (sizeOf(s) <= 400) return s;
  }
}

/** GEMM tolerance per element: see the file comment. */
function gemmTol(dtype: FD, ta: boolean, tb: boolean, m: number, n: number, k: number, alpha: number, beta: number,
  A: TypedArray, aOff: number, lda: number, B: TypedArray, bOff: number, ldb: number, C: TypedArray, cOff: number, ldc: number) {
  const eps = dtype === 'float64' ? 1e-12 : 1e-6 * Math.sqrt(Math.max(k, 1));
  return (idx: number): number => {
    const rel = idx - cOff, i = Math.floor(rel / ldc), j = rel % ldc;
    if (rel < 0 || i >= m || j >= n) return 0;
    let s = 0;
    for (let p = 0; p < k; p++) {
      s += Math.abs(A[aOff + (ta ? p * lda + i : i * lda + p)]!) * Math.abs(B[bOff + (tb ? j * ldb + p : p * ldb + j)]!);
    }
    return eps * (Math.abs(alpha) * s + (beta === 0 ? 0 : Math.abs(beta * C[idx]!))) + 1e-300;
  };
}

function gemmCase(rng: Rng, dtype: FD, dims?: [number, number, number]): void {
  const [m, n, k] = dims ?? [rng.int(1, 40), rng.int(1, 40), rng.int(0, 40)];
  const ta = rng.next() < 0.5, tb = rng.next() < 0.5;
  const alpha = rng.pick([1, -1, 0.5, 2.25]), beta = rng.pick([0, 1, -0.5, 2]);
  const lda = (ta ? m : k) + rng.int(0, 3), ldb = (tb ? k : n) + rng.int(0, 3), ldc = n + rng.int(0, 3);
  const aOff = rng.int(0, 4), bOff = rng.int(0, 4), cOff = rng.int(0, 4);
  const A = Array.from({ length: aOff + (ta ? k : m) * lda }, () => rng.normal());
  const B = Array.from({ length: bOff + (tb ? n : k) * ldb }, () => rng.normal());
  const Cv = Array.from({ length: cOff + m * ldc + 2 }, () => (beta === 0 && rng.next() < 0.1 ? NaN : rng.normal()));
  const a = both(dtype, A), b = both(dtype, B), c = both(dtype, Cv);
  const C0 = ref.read(c.j);
  gb().gemm(ta, tb, m, n, k, alpha, a.n, aOff, lda, b.n, bOff, ldb, beta, c.n, cOff, ldc);
  ref.gemm(ta, tb, m, n, k, alpha, a.j, aOff, lda, b.j, bOff, ldb, beta, c.j, cOff, ldc);
  const tol = gemmTol(dtype, ta, tb, m, n, k, alpha, beta, ref.read(a.j), aOff, lda, ref.read(b.j), bOff, ldb, C0, cOff, ldc);
  compare(gb().read(c.n), ref.read(c.j), tol, `gemm ${dtype} ${ta ? 'T' : 'N'}${tb ? 'T' : 'N'} m=${m} n=${n} k=${k} α=${alpha} β=${beta} seed=${rng.seed}`);
}

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

t('gemmStridedBatched: batches with strides (0 reuses a matrix) against a loop of reference gemm', () => {
  const rng = new Rng(21);
  for (const dtype of FLOATS) {
    for (let rep = 0; rep < 10; rep++) {
      const m = rep % 4 === 0 ? 1 : rng.int(1, 9), n = rep % 4 === 1 ? 1 : rng.int(1, 19), k = rng.int(1, 9), batch = rng.int(1, 4);
      const ta = rng.next() < 0.5, tb = rng.next() < 0.5;
      const lda = ta ? m : k, ldb = tb ? k : n, ldc = n;
      const sA = rng.next() < 0.3 ? 0 : m * k + 1, sB = rng.next() < 0.3 ? 0 : k * n, sC = m * n + 2;
      const A = values(rng, dtype, 2 + (batch - 1) * sA + m * k, { special: 0 });
      const B = values(rng, dtype, 1 + (batch - 1) * sB + k * n, { special: 0 });
      const C = values(rng, dtype, 3 + batch * sC, { special: 0 });
      const a = both(dtype, A), b = both(dtype, B), c = both(dtype, C);
      gb().gemmStridedBatched(ta, tb, m, n, k, 1.5, a.n, 2, lda, sA, b.n, 1, ldb, sB, 0.5, c.n, 3, ldc, sC, batch);
      ref.gemmStridedBatched(ta, tb, m, n, k, 1.5, a.j, 2, lda, sA, b.j, 1, ldb, sB, 0.5, c.j, 3, ldc, sC, batch);
      const eps = dtype === 'float64' ? 1e-12 : 1e-5;
      compare(gb().read(c.n), ref.read(c.j), (_i, w) => eps * (1 + Math.abs(w)) * k * 40, `batched ${dtype}`);
    }
  }
});

t('unary: every op, float32 and float64 (int32 too), with special values', () => {
  const rng = new Rng(31);
  for (const dtype of ALL) {
    for (const op of UNARY) {
      const n = rng.int(0, 70);
      const x = both(dtype, values(rng, dtype, n, { special: 0.15 }));
      const on = gb().alloc(dtype, n), oj = ref.alloc(dtype, n);
      gb().unary(op, x.n, on, n);
      ref.unary(op, x.j, oj, n);
      const tol = dtype === 'int32' ? exact : unaryTol(op, dtype);
      compare(gb().read(on), ref.read(oj), tol, `unary ${op} ${dtype}`);
    }
  }
});

t('binary and where: random strided layouts (transposed, padded, broadcast, offset), every dtype', () => {
  const rng = new Rng(41);
  for (let rep = 0; rep < 120; rep++) {
    const dtype = rng.pick(ALL), op = rng.pick(BINARY), shape = randomShape(rng);
    const la = layout(rng, shape, true), lb = layout(rng, shape, true);
    const A = values(rng, dtype, la.size), B = values(rng, dtype, lb.size);
    const a = both(dtype, A), b = both(dtype, B);
    // Operands at an offset: the tensor layer passes offset 0 with strides, so offsets are folded in a copy.
    const size = sizeOf(shape);
    const on = gb().alloc(dtype, size), oj = ref.alloc(dtype, size);
    gb().binary(op, shape, a.n, la.strides, b.n, lb.strides, on);
    ref.binary(op, shape, a.j, la.strides, b.j, lb.strides, oj);
    const tol = dtype === 'int32' ? exact : binaryTol(op, dtype, ref.read(a.j), ref.read(b.j), { ...la, offset: 0 }, { ...lb, offset: 0 }, shape);
    compare(gb().read(on), ref.read(oj), tol, `binary ${op} ${dtype} shape [${shape}] seed ${rep}`);

    const lc = layout(rng, shape, true);
    const cond = both(dtype, Array.from({ length: lc.size }, () => (rng.next() < 0.5 ? 0 : rng.pick([1, -2, NaN]))));
    const wn = gb().alloc(dtype, size), wj = ref.alloc(dtype, size);
    gb().where(shape, cond.n, lc.strides, a.n, la.strides, b.n, lb.strides, wn);
    ref.where(shape, cond.j, lc.strides, a.j, la.strides, b.j, lb.strides, wj);
    compare(gb().read(wn), ref.read(wj), exact, `where ${dtype} shape [${shape}]`);
  }
});

t('copy: strided source and destination at offsets, every dtype', () => {
  const rng = new Rng(51);
  for (let rep = 0; rep < 80; rep++) {
    const dtype = rng.pick(ALL), shape = randomShape(rng);
    const ls = layout(rng, shape, true), ld = layout(rng, shape, false);
    const src = both(dtype, values(rng, dtype, ls.size));
    const init = values(rng, dtype, ld.size);
    const dst = both(dtype, init);
    gb().copy(shape, src.n, ls.offset, ls.strides, dst.n, ld.offset, ld.strides);
    ref.copy(shape, src.j, ls.offset, ls.strides, dst.j, ld.offset, ld.strides);
    compare(gb().read(dst.n), ref.read(dst.j), exact, `copy ${dtype} shape [${shape}]`);
  }
});

t('reduce: sum/max/min over [outer, r, inner] in every dtype (sums accumulated in double)', () => {
  const rng = new Rng(61);
  for (let rep = 0; rep < 90; rep++) {
    const dtype = rng.pick(ALL), op = rng.pick(['sum', 'max', 'min'] as const);
    const outer = rng.int(0, 5), r = rng.int(0, 40), inner = rng.pick([1, 1, 2, 3, 17]);
    const xs = values(rng, dtype, outer * r * inner, { special: 0.02 });
    const x = both(dtype, xs);
    const on = gb().alloc(dtype, outer * inner), oj = ref.alloc(dtype, outer * inner);
    gb().reduce(op, x.n, outer, r, inner, on);
    ref.reduce(op, x.j, outer, r, inner, oj);
    const tol = op === 'sum' && dtype !== 'int32' ? sumTol(dtype, ref.read(x.j), outer, r, inner) : exact;
    compare(gb().read(on), ref.read(oj), tol, `reduce ${op} ${dtype} ${outer}×${r}×${inner}`);
  }
});

t('cast and fill: every dtype pair, out-of-range and special values (ToInt32 like the reference)', () => {
  const rng = new Rng(71);
  const specials = [NaN, Infinity, -Infinity, 2 ** 31 + 0.5, -(2 ** 31) - 1.5, 2 ** 40 + 3, -0, 1e300, 3.4e38, 1.5, -2.5];
  for (const from of ALL) {
    for (const to of ALL) {
      const xs = [...values(rng, from, 30), ...(from === 'int32' ? [] : specials)];
      const s = both(from, xs);
      const dn = gb().alloc(to, xs.length), dj = ref.alloc(to, xs.length);
      gb().cast(s.n, dn, xs.length);
      ref.cast(s.j, dj, xs.length);
      compare(gb().read(dn), ref.read(dj), exact, `cast ${from} → ${to}`);
    }
    for (const v of [NaN, -0, 2 ** 33 + 7, 1e300, 0.1]) {
      const fn = gb().alloc(from, 5), fj = ref.alloc(from, 5);
      gb().fill(fn, v);
      ref.fill(fj, v);
      compare(gb().read(fn), ref.read(fj), exact, `fill ${from} ${v}`);
    }
  }
});

t('gather, scatterAdd, softmax, crossEntropy, tanhGrad against the reference; bad indices/labels are typed errors', () => {
  const rng = new Rng(81);
  for (const dtype of FLOATS) {
    const rows = rng.int(1, 9), cols = rng.int(1, 13), nIdx = rng.int(0, 12);
    const table = both(dtype, values(rng, dtype, rows * cols, { special: 0 }));
    const idx = both('int32', Array.from({ length: nIdx }, () => rng.int(0, rows - 1)));
    const gn = gb().alloc(dtype, nIdx * cols), gj = ref.alloc(dtype, nIdx * cols);
    gb().gather(table.n, idx.n, nIdx, cols, gn);
    ref.gather(table.j, idx.j, nIdx, cols, gj);
    compare(gb().read(gn), ref.read(gj), exact, `gather ${dtype}`);
    const out = both(dtype, values(rng, dtype, rows * cols, { special: 0 }));
    gb().scatterAdd(gn, idx.n, nIdx, cols, out.n);
    ref.scatterAdd(gj, idx.j, nIdx, cols, out.j);
    compare(gb().read(out.n), ref.read(out.j), (_i, w) => (dtype === 'float64' ? 1e-15 : 1e-6) * (1 + Math.abs(w)) * (nIdx + 1), `scatterAdd ${dtype}`);
    for (const log of [false, true]) {
      const sn = gb().alloc(dtype, rows * cols), sj = ref.alloc(dtype, rows * cols);
      gb().softmax(table.n, rows, cols, sn, log);
      ref.softmax(table.j, rows, cols, sj, log);
      compare(gb().read(sn), ref.read(sj), (_i, w) => (dtype === 'float64' ? 1e-14 : 1e-6) * Math.max(1, Math.abs(w)), `softmax log=${log} ${dtype}`);
    }
    const labels = both('int32', Array.from({ length: rows }, () => rng.int(0, cols - 1)));
    const cn = gb().alloc(dtype, rows), cj = ref.alloc(dtype, rows);
    gb().crossEntropy(table.n, labels.n, rows, cols, cn);
    ref.crossEntropy(table.j, labels.j, rows, cols, cj);
    compare(gb().read(cn), ref.read(cj), (_i, w) => (dtype === 'float64' ? 1e-14 : 1e-6) * Math.max(1, Math.abs(w)), `crossEntropy ${dtype}`);
    const tn = gb().alloc(dtype, rows * cols), tj = ref.alloc(dtype, rows * cols);
    gb().tanhGrad(table.n, out.n, tn, rows * cols);
    ref.tanhGrad(table.j, out.j, tj, rows * cols);
    compare(gb().read(tn), ref.read(tj), (_i, w) => (dtype === 'float64' ? 1e-15 : 1e-6) * Math.abs(w), `tanhGrad ${dtype}`);
    const bad = both('int32', [0, rows]);
    throwsType(() => gb().gather(table.n, bad.n, 2, cols, gb().alloc(dtype, 2 * cols)), InputError);
    const badLabel = both('int32', Array.from({ length: rows }, () => cols));
    throwsType(() => gb().crossEntropy(table.n, badLabel.n, rows, cols, cn), InputError);
  }
});

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
