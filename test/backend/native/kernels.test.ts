/**
 * The native backend's kernels against the js reference on seeded random cases: GEMM with every
 * transpose, alpha/beta (β = 0 overwrites NaN), leading dimensions larger than the rows, offsets,
 * odd sizes that cross the micro-tiles (12 or 6 rows × two vectors; A packed row by row or step by
 * step) and the cache blocks (KC = 256, MC = 96/144), on the AVX-512, AVX2+FMA and portable
 * micro-kernels (capped, as on an older CPU); float32 exp/tanh/sigmoid on each ISA's SIMD path
 * against the reference (≤ 1 ulp; exact on the special values); the fused mulAdd (exact); supports().
 * The cases shared with the CUDA backend (../kernel-conformance.ts): strided batched GEMM;
 * gather/scatter-add, softmax, cross-entropy, tanh's derivative; unary, binary, where, copy on random
 * strided layouts (transposed, padded, broadcast, offset) in float32, float64 and int32; reduce; cast
 * between every dtype pair.
 * Tolerances: see ../property-helpers.ts (exact for IEEE-exact ops, a few ulps for libm functions,
 * GEMM 1e-12 in float64 and 1e-6·√k in float32 relative to |α|·Σ|a||b| + |β·c|).
 */
import * as assert from 'uvu/assert';
import { suite } from 'uvu';
import type { NativeBackend } from '../../../src/backend/native/index.js';
import { compare, exact, FLOATS, values } from '../property-helpers.js';
import { DTypeError, ShapeError } from '../../../src/errors.js';
import { kernelHelpers, registerKernelConformance, TRANSPOSE_CASES } from '../kernel-conformance.js';
import { ref, Rng } from '../wasm/setup.js';
import { nativeOrReason, nativeTest } from './setup.js';
import { throwsType } from '../../helpers.js';
import { setNativeThreads } from '../../../src/backend/native/threads.js';

const { backend: N, reason } = nativeOrReason();
const S = suite('native kernels');
const t = nativeTest(S, N, reason);
const nb = (): NativeBackend => N!;
const { both, gemmCase, transposeCase } = kernelHelpers(nb);

for (const cap of ['avx512', 'avx2', 'portable'] as const) {
  t(`gemm (micro-kernels up to ${cap}): random transposes, alpha/beta, ld, offsets, odd sizes, float32 and float64`, () => {
    const used = nb().kernelCap(cap);
    const info = nb().info();
    assert.is(used, cap === 'avx512' && !info.avx512 ? (info.avx2fma ? 'avx2' : 'portable') : cap === 'avx2' && !info.avx2fma ? 'portable' : cap);
    try {
      for (const dtype of FLOATS) {
        const rng = new Rng(dtype === 'float32' ? 11 : 12);
        for (let i = 0; i < 60; i++) gemmCase(rng, dtype);
        // Across the blocking: k > KC (256), m > MC, n > one panel, with ragged edges.
        gemmCase(rng, dtype, [151, 37, 301]);
        gemmCase(rng, dtype, [7, 263, 259]);
        gemmCase(rng, dtype, [97, 1, 5]);
      }
    } finally {
      nb().kernelCap('avx512');
    }
  });
}

for (const cap of ['avx2', 'portable'] as const) {
  t(`copy: transposes by the ${cap} tiles (register transposes, or the element loop without AVX2), every dtype, bit for bit`, () => {
    nb().kernelCap(cap);
    try {
      const rng = new Rng(cap === 'avx2' ? 31 : 32);
      for (const dims of TRANSPOSE_CASES) for (const dtype of ['float32', 'float64', 'int32'] as const) transposeCase(rng, dtype, dims);
    } finally {
      nb().kernelCap('avx512');
    }
  });
}

for (const cap of ['avx512', 'avx2', 'portable'] as const) {
  t(`float32 exp, tanh, sigmoid (kernels up to ${cap}): within 1 ulp of the reference, special values exact`, () => {
    nb().kernelCap(cap);
    try {
      const rng = new Rng(21);
      const specials = [NaN, Infinity, -Infinity, 0, -0, 1e-30, -1e-40, 88.7, -103.9, 89, 9.5, -9.5, 20, -20, 1e-8];
      const n = 4099;  // not a multiple of the vector width: the tail goes through the padded path
      const xs = new Float32Array(n);
      xs.set(specials);
      for (let i = specials.length; i < n; i++) xs[i] = (rng.next() - 0.5) * [200, 10, 0.01][i % 3]!;
      const ulp = (a: number, b: number): number => {
        const ia = new Int32Array(Float32Array.of(a).buffer)[0]!, ib = new Int32Array(Float32Array.of(b).buffer)[0]!;
        return Math.abs(ia - ib);
      };
      const ref: Record<string, (x: number) => number> = {
        exp: Math.exp, tanh: Math.tanh, sigmoid: (x) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x))),
      };
      for (const op of ['exp', 'tanh', 'sigmoid'] as const) {
        const x = nb().alloc('float32', n), out = nb().alloc('float32', n);
        nb().write(x, xs);
        nb().unary(op, x, out, n);
        const got = nb().read(out) as Float32Array;
        for (let i = 0; i < n; i++) {
          const want = Math.fround(ref[op]!(xs[i]!));
          if (i < specials.length || Number.isNaN(want)) assert.ok(Object.is(got[i], want), `${op}(${xs[i]}) = ${got[i]}, want ${want}`);
          else assert.ok(ulp(got[i]!, want) <= 1, `${op}(${xs[i]}) = ${got[i]}, want ${want} (within 1 ulp)`);
        }
      }
    } finally {
      nb().kernelCap('avx512');
    }
  });
}

t('sumSquares: Σ_k x[o, k, i]² over [outer, r, inner], float32 and float64 (special values included), bit for bit the reference kernel and unary square + reduce sum; bad operands refused', () => {
  const rng = new Rng(62);
  for (let rep = 0; rep < 40; rep++) {
    const dtype = rng.pick(FLOATS);
    const [outer, r, inner] = [rng.int(1, 4), rng.pick([1, 2, 10, 37]), rng.pick([1, 3, 16, 130, 2500])];  // 2500: accumulator blocks of 1024 and a remainder
    const size = outer * r * inner;
    const x = both(dtype, values(rng, dtype, size, { special: 0.02 }));
    const on = nb().alloc(dtype, outer * inner), oj = ref.alloc(dtype, outer * inner);
    nb().sumSquares(x.n, outer, r, inner, on);
    ref.sumSquares(x.j, outer, r, inner, oj);
    compare(nb().read(on), ref.read(oj), exact, `sumSquares ${dtype} [${outer}, ${r}, ${inner}] vs the reference kernel`);
    const sq = nb().alloc(dtype, size), sum = nb().alloc(dtype, outer * inner);
    nb().unary('square', x.n, sq, size);
    nb().reduce('sum', sq, outer, r, inner, sum);
    compare(nb().read(on), nb().read(sum), exact, `sumSquares ${dtype} [${outer}, ${r}, ${inner}] vs square + reduce sum`);
  }
  const f = nb().alloc('float32', 6), g = nb().alloc('float64', 6), i = nb().alloc('int32', 6);
  throwsType(() => nb().sumSquares(f, 2, 3, 1, g), DTypeError);
  throwsType(() => nb().sumSquares(i, 2, 3, 1, i), DTypeError);
  throwsType(() => nb().sumSquares(f, 2, 4, 1, f), ShapeError);
  throwsType(() => nb().sumSquares(f, 1, 1, 6, nb().alloc('float32', 5)), ShapeError);
});

t('softmaxJvp: bad operands refused with a typed error before the addon sees them', () => {
  const y = nb().alloc('float32', 2 * 3), tt = nb().alloc('float32', 2 * 4 * 3), d = nb().alloc('float64', 2 * 4 * 3), i = nb().alloc('int32', 24);
  nb().softmaxJvp(y, tt, 2, 4, 1, 3, nb().alloc('float32', 24));  // the sizes that fit
  throwsType(() => nb().softmaxJvp(y, tt, 2, 4, 1, 3, d), DTypeError);
  throwsType(() => nb().softmaxJvp(i, i, 2, 4, 1, 3, i), DTypeError);
  throwsType(() => nb().softmaxJvp(y, tt, 2, 5, 1, 3, nb().alloc('float32', 30)), ShapeError);  // t too short
  throwsType(() => nb().softmaxJvp(y, tt, 3, 4, 1, 3, nb().alloc('float32', 36)), ShapeError);  // y too short
  throwsType(() => nb().softmaxJvp(y, tt, 2, 4, 1, 3, nb().alloc('float32', 23)), ShapeError);  // out too short
  throwsType(() => nb().softmaxJvp(y, tt, 2, -1, 1, 3, tt), ShapeError);
});

t('gemmStridedBatched: a matrix shared by the batch over several k blocks (packed whole, the entries outside the k loop up to 1.5 MB of it, else inside) equals the entries one by one, bit for bit — both transposes, alpha/beta, 1–3 threads', () => {
  const rng = new Rng(64);
  try {
    for (const [m, n, k, dtype] of [[37, 45, 600, 'float32'], [256, 130, 784, 'float32'], [9, 17, 520, 'float64'], [700, 33, 600, 'float64']] as const) {
      for (const [ta, tb, beta] of [[false, true, 0], [true, false, 0.5], [false, false, 0.5], [true, true, 0]] as const) {
        const batch = 5, lda = ta ? m : k, ldb = tb ? k : n, sB = k * n + 3, sC = m * n + 1;
        const a = both(dtype, values(rng, dtype, m * k, { special: 0 }));
        const b = both(dtype, values(rng, dtype, batch * sB, { special: 0 }));
        const c0 = values(rng, dtype, batch * sC, { special: 0 });
        const want = nb().alloc(dtype, batch * sC);
        nb().write(want, c0);
        for (let e = 0; e < batch; e++) nb().gemm(ta, tb, m, n, k, 1.25, a.n, 0, lda, b.n, e * sB, ldb, beta, want, e * sC, n);
        for (const threads of [1, 2, 3]) {
          setNativeThreads(threads, { minFlops: 0 });
          const got = nb().alloc(dtype, batch * sC);
          nb().write(got, c0);
          nb().gemmStridedBatched(ta, tb, m, n, k, 1.25, a.n, 0, lda, 0, b.n, 0, ldb, sB, beta, got, 0, n, sC, batch);
          compare(nb().read(got), nb().read(want), exact, `shared A ${dtype} [${m}, ${n}, ${k}] ${ta ? 'T' : 'N'}${tb ? 'T' : 'N'} β ${beta}, ${threads} thread(s)`);
        }
      }
    }
  } finally {
    setNativeThreads(nb().info().defaultThreads);
  }
});

t('gemmSumSquares: Σ_e (A_e·op(B) + bias)² bit for bit gemmStridedBatched, the bias add, then sumSquares — row blocks (m up to 3,000), one entry (the GEMM\'s tile epilogue: bands along m and n, n > NC), one row, one column, k = 0 and k > KC, batch 0, transB, offsets, with and without a bias, 1–3 threads; bad operands refused', () => {
  const rng = new Rng(63);
  const cases: [number, number, number, number, boolean][] = [
    [10, 1024, 128, 128, false], [3, 3000, 40, 20, true], [4, 2, 7, 300, false], [5, 1, 9, 6, true], [2, 17, 1, 5, false],
    [6, 33, 12, 0, false], [0, 8, 4, 3, false], [1, 64, 64, 64, true], [7, 513, 3, 2, false],
    [1, 300, 785, 300, false], [1, 40, 1100, 30, true], [1, 1, 9, 6, false], [1, 17, 1, 5, true], [1, 6, 5, 0, false],
  ];
  try {
    for (const [batch, m, n, k, transB] of cases) {
      for (const dtype of FLOATS) {
        const aOff = 3, bOff = 5, outOff = 2, biasOff = 1, ldb = transB ? k + 1 : n + 2;
        const a = both(dtype, values(rng, dtype, aOff + batch * m * k));
        const b = both(dtype, values(rng, dtype, bOff + (transB ? n : k) * ldb));
        const biasValues = values(rng, dtype, biasOff + n);
        const bias = nb().alloc(dtype, biasOff + n);
        nb().write(bias, biasValues);
        const biasStored = nb().read(bias);  // rounded to the dtype
        // The composition the kernel replaces, on the native backend itself (the bias added in the dtype's arithmetic).
        const prod = nb().alloc(dtype, Math.max(1, batch * m * n)), want = nb().alloc(dtype, m * n), wantBiased = nb().alloc(dtype, m * n);
        nb().gemmStridedBatched(false, transB, m, n, k, 1, a.n, aOff, k, m * k, b.n, bOff, ldb, 0, 0, prod, 0, n, m * n, batch);
        nb().sumSquares(prod, 1, batch, m * n, want);
        const round = dtype === 'float32' ? Math.fround : (x: number) => x;
        const biased = nb().alloc(dtype, Math.max(1, batch * m * n));
        nb().write(biased, Array.from(nb().read(prod), (v, i) => round(v + biasStored[biasOff + (i % n)]!)));
        nb().sumSquares(biased, 1, batch, m * n, wantBiased);
        for (const threads of [1, 2, 3]) {
          setNativeThreads(threads, { minFlops: 0 });
          for (const withBias of [false, true]) {
            const out = nb().alloc(dtype, outOff + m * n);
            nb().write(out, new Array<number>(outOff + m * n).fill(-7));
            nb().gemmSumSquares(transB, batch, m, n, k, a.n, aOff, m * k, b.n, bOff, ldb, out, outOff, withBias ? bias : null, biasOff);
            const got = nb().read(out);
            assert.equal(Array.from(got.subarray(0, outOff)), [-7, -7], 'before the offset untouched');
            compare(got.subarray(outOff), nb().read(withBias ? wantBiased : want), exact,
              `gemmSumSquares ${dtype} batch ${batch} [${m}, ${n}, ${k}] transB ${transB}${withBias ? ' + bias' : ''}, ${threads} thread(s)`);
          }
        }
      }
    }
  } finally {
    setNativeThreads(nb().info().defaultThreads);
  }
  const f = nb().alloc('float32', 64), g = nb().alloc('float64', 64), i = nb().alloc('int32', 64);
  throwsType(() => nb().gemmSumSquares(false, 2, 2, 2, 2, f, 0, 4, g, 0, 2, f, 0), DTypeError);
  throwsType(() => nb().gemmSumSquares(false, 2, 2, 2, 2, i, 0, 4, i, 0, 2, i, 0), DTypeError);
  throwsType(() => nb().gemmSumSquares(false, 20, 2, 2, 2, f, 0, 4, f, 0, 2, f, 0), ShapeError, /A/);
  throwsType(() => nb().gemmSumSquares(true, 1, 2, 9, 8, f, 0, 16, f, 0, 8, f, 0), ShapeError, /B/);
  throwsType(() => nb().gemmSumSquares(false, 1, 8, 9, 1, f, 0, 8, f, 0, 9, f, 0), ShapeError, /out/);
  throwsType(() => nb().gemmSumSquares(false, -1, 2, 2, 2, f, 0, 4, f, 0, 2, f, 0), ShapeError, /batch/);
  throwsType(() => nb().gemmSumSquares(false, 2, 2, 2, 2, f, 0, 4, f, 0, 2, f, 0, g, 0), DTypeError, /bias/);
  throwsType(() => nb().gemmSumSquares(false, 1, 2, 9, 2, f, 0, 4, f, 0, 9, f, 0, f, 60), ShapeError, /bias/);
});

t('gemmScaled: (op(A)·op(B)) ⊙ S bit for bit gemm then a broadcast binary mul — S per row, repeated over [k, m] and [m, k] row views, one row for all; every transpose, offsets and leading dimensions, tile edges, n > NC, k > KC, one row, one column, k = 0, 1–3 threads (bands along m and n); bad operands refused', () => {
  const rng = new Rng(67);
  // [m, n, k, inner, outerStride, innerStride] with S's rows as the pattern implies.
  const patterns = (m: number, n: number): [number, number, number][] => [
    [m, 0, n],                           // one S row per C row: [1, m, n]
    [Math.max(1, m / 3 | 0), 0, n],      // rows [k, m/k]: S [m/k, n] repeated k times (m a multiple where it matters)
    [3, n, 0],                           // rows [m/3, 3]: S row r/3
    [1, 0, 0],                           // one S row for all
  ];
  const cases: [number, number, number][] = [[48, 64, 40], [37, 29, 300], [3000, 20, 16], [6, 1100, 9], [1, 17, 5], [17, 1, 5], [9, 8, 0], [130, 130, 130]];
  try {
    for (const [m, n, k] of cases) {
      for (const dtype of FLOATS) {
        for (const [transA, transB] of [[false, false], [true, false], [false, true], [true, true]] as const) {
          const aOff = 2, bOff = 3, cOff = 1, sOff = 4;
          const lda = (transA ? m : k) + 1, ldb = (transB ? k : n) + 2, ldc = n + 3;
          const a = both(dtype, values(rng, dtype, aOff + (transA ? k : m) * lda + 1));
          const b = both(dtype, values(rng, dtype, bOff + (transB ? n : k) * ldb + 1));
          const prod = nb().alloc(dtype, cOff + m * ldc);
          nb().gemm(transA, transB, m, n, k, 1, a.n, aOff, lda, b.n, bOff, ldb, 0, prod, cOff, ldc);
          for (const [inner, os, is] of patterns(m, n)) {
            const sRows = Math.floor((m - 1) / inner) * (os / n) + (Math.min(m, inner) - 1) * (is / n) + 1;
            const sv = values(rng, dtype, sOff + sRows * n);
            const sc = nb().alloc(dtype, sv.length);
            nb().write(sc, sv);
            const stored = nb().read(sc);
            // The composition: binary mul of the product and S broadcast to C's rows, in the dtype.
            const want = nb().alloc(dtype, m * n), srow = nb().alloc(dtype, m * n);
            nb().write(srow, Array.from({ length: m * n }, (_, e) => {
              const r = Math.floor(e / n), j = e % n;
              return stored[sOff + Math.floor(r / inner) * os + (r % inner) * is + j]!;
            }));
            const dense = nb().alloc(dtype, m * n);
            nb().copy([m, n], prod, cOff, [ldc, 1], dense, 0, [n, 1]);
            nb().binary('mul', [m, n], dense, [n, 1], srow, [n, 1], want);
            const w = nb().read(want);
            for (const threads of [1, 2, 3]) {
              setNativeThreads(threads, { minFlops: 0 });
              const out = nb().alloc(dtype, cOff + m * ldc);
              nb().write(out, new Array<number>(cOff + m * ldc).fill(-7));
              nb().gemmScaled(transA, transB, m, n, k, a.n, aOff, lda, b.n, bOff, ldb, out, cOff, ldc, sc, sOff, inner, os, is);
              const got = nb().read(out);
              assert.equal(got[0], -7, 'before the offset untouched');
              const rows = (dtype === 'float32' ? Float32Array : Float64Array).from(Array.from({ length: m }, (_, r) => Array.from(got.subarray(cOff + r * ldc, cOff + r * ldc + n))).flat());
              compare(rows, w, exact, `gemmScaled ${dtype} [${m}, ${n}, ${k}] trans ${transA}/${transB} rows [·, ${inner}] strides ${os}, ${is}, ${threads} thread(s)`);
              if (m > 0) for (let r = 0; r < m; r++) for (let j = n; j < ldc && cOff + r * ldc + j < got.length; j++) assert.equal(got[cOff + r * ldc + j], -7, 'C\'s padding untouched');
            }
          }
        }
      }
    }
  } finally {
    setNativeThreads(nb().info().defaultThreads);
  }
  const f = nb().alloc('float32', 64), g = nb().alloc('float64', 64), i = nb().alloc('int32', 64);
  throwsType(() => nb().gemmScaled(false, false, 2, 2, 2, f, 0, 2, f, 0, 2, f, 0, 2, g, 0, 2, 0, 2), DTypeError, /scale/);
  throwsType(() => nb().gemmScaled(false, false, 2, 2, 2, i, 0, 2, i, 0, 2, i, 0, 2, i, 0, 2, 0, 2), DTypeError);
  throwsType(() => nb().gemmScaled(false, false, 4, 4, 2, f, 0, 2, f, 0, 4, f, 0, 4, f, 60, 4, 0, 4), ShapeError, /S/);
  throwsType(() => nb().gemmScaled(false, false, 4, 4, 2, f, 0, 2, f, 0, 4, f, 0, 4, f, 0, 0, 0, 4), ShapeError, /inner/);
  throwsType(() => nb().gemmScaled(false, false, 4, 4, 2, f, 0, 2, f, 0, 4, f, 0, 4, f, 0, 4, -1, 4), ShapeError, /stride/);
  throwsType(() => nb().gemmScaled(false, false, 40, 4, 2, f, 0, 2, f, 0, 4, f, 0, 4, f, 0, 40, 0, 4), ShapeError, /A/);
});

t('mulAdd: a·b + c·d on broadcast strided operands, float32 and float64, bit for bit the reference kernel and binary mul, mul, add; bad operands refused', () => {
  const rng = new Rng(61);
  for (let rep = 0; rep < 60; rep++) {
    const dtype = rng.pick(FLOATS);
    const shape = Array.from({ length: rng.int(0, 4) }, () => (rng.next() < 0.2 ? rng.pick([33, 70]) : rng.int(1, 6)));
    const size = shape.reduce((p, q) => p * q, 1);
    const contiguous = (sh: number[]) => sh.map((_, i) => sh.slice(i + 1).reduce((p, q) => p * q, 1));
    // Each operand: the full contiguous shape, or broadcast along some axes (stride 0), the case of a
    // tangent [k, B, w] times a primal row [B, w] seen as [1, B, w].
    const operand = () => {
      const strides = contiguous(shape).map((st) => (rng.next() < 0.3 ? 0 : st));
      const ops = both(dtype, values(rng, dtype, Math.max(1, size), { special: 0.03 }));
      return { ...ops, strides };
    };
    const [a, b, c, d] = [operand(), operand(), operand(), operand()];
    const on = nb().alloc(dtype, size), oj = ref.alloc(dtype, size);
    nb().mulAdd(shape, a.n, a.strides, b.n, b.strides, c.n, c.strides, d.n, d.strides, on);
    ref.mulAdd(shape, a.j, a.strides, b.j, b.strides, c.j, c.strides, d.j, d.strides, oj);
    compare(nb().read(on), ref.read(oj), exact, `mulAdd ${dtype} [${shape}] vs the reference kernel`);
    const ab = nb().alloc(dtype, size), cd = nb().alloc(dtype, size), sum = nb().alloc(dtype, size), flat = contiguous(shape);
    nb().binary('mul', shape, a.n, a.strides, b.n, b.strides, ab);
    nb().binary('mul', shape, c.n, c.strides, d.n, d.strides, cd);
    nb().binary('add', shape, ab, flat, cd, flat, sum);
    compare(nb().read(on), nb().read(sum), exact, `mulAdd ${dtype} [${shape}] vs mul, mul, add`);
  }
  const f = nb().alloc('float32', 4), g = nb().alloc('float64', 4), i = nb().alloc('int32', 4);
  throwsType(() => nb().mulAdd([4], f, [1], f, [1], f, [1], g, [1], f), DTypeError);
  throwsType(() => nb().mulAdd([4], i, [1], i, [1], i, [1], i, [1], i), DTypeError);
  throwsType(() => nb().mulAdd([5], f, [1], f, [1], f, [1], f, [1], f), ShapeError);
  throwsType(() => nb().mulAdd([2, 2], f, [2, 1], f, [3, 1], f, [2, 1], f, [2, 1], f), ShapeError);
});

t('kernel caps: a capped run reports it, and the cap is lifted again', () => {
  const info = nb().info();
  assert.is(nb().kernelCap('portable'), 'portable');
  assert.is(nb().info().kernel, 'portable');
  assert.is(nb().kernelCap('avx512'), info.avx512 ? 'avx512' : info.avx2fma ? 'avx2' : 'portable');
  throwsType(() => nb().kernelCap('sse' as never), TypeError);
  nb().kernelCap('avx512');
});

// The cases shared with the CUDA backend (../kernel-conformance.ts): gemmStridedBatched, unary,
// binary and where, copy, reduce, cast and fill, gather/scatterAdd/softmax/crossEntropy/tanhGrad.
registerKernelConformance(t, nb);

t('supports(): elementwise in one dtype, GEMM and linear algebra in floats only, operands of one dtype', () => {
  assert.ok(nb().supports('binary', ['int32', 'int32', 'int32'], 'add'));
  assert.not.ok(nb().supports('binary', ['float32', 'float64', 'float32'], 'add'));
  assert.not.ok(nb().supports('gemm', ['int32', 'int32', 'int32']));
  assert.ok(nb().supports('cast', ['float64', 'int32']));
  assert.ok(nb().supports('potrf', ['float64']));
  assert.ok(nb().supports('syev', ['float32', 'float32']));
  assert.not.ok(nb().supports('syev', ['float32', 'float64']));
  assert.not.ok(nb().supports('trsm', ['int32', 'int32']));
  assert.ok(nb().supports('gather', ['int32', 'int32', 'int32']));
  assert.not.ok(nb().supports('scatterAdd', ['int32', 'int32', 'int32']));
});

S.run();
