/**
 * The kernel conformance cases shared by the native (CPU addon) and the CUDA backend tests
 * (native/kernels.test.ts, cuda/kernels.test.ts): each backend's kernels against the js reference
 * on seeded random cases — strided batched GEMM; unary, binary, where, copy on random strided
 * layouts (transposed, padded, broadcast, offset) in float32, float64 and int32; reduce; cast and
 * fill between every dtype pair; gather/scatter-add, softmax, cross-entropy, tanh's derivative.
 * Backend-specific cases (GEMM sizes, kernel caps, supports(), device memory …) stay in their
 * files and use the helpers here (both, gemmCase).
 * Tolerances: see ./property-helpers.ts (exact for IEEE-exact ops, a few ulps for libm functions,
 * GEMM 1e-12 in float64 and 1e-6·√k in float32 relative to |α|·Σ|a||b| + |β·c|).
 */
import type { Backend, BackendBuffer, DType, TypedArray } from '../../src/backend/types.js';
import { InputError } from '../../src/errors.js';
import { throwsType } from '../helpers.js';
import * as assert from 'uvu/assert';
import {
  ALL, BINARY, binaryTol, compare, exact, FLOATS, sizeOf, sumTol, UNARY, unaryTol, values, type FD, type Layout,
} from './property-helpers.js';
import { ref, Rng } from './wasm/setup.js';

/** A backend under test: the required kernels and the optional ones these cases exercise. */
export type ConformanceBackend = Backend &
  Required<Pick<Backend, 'gemmStridedBatched' | 'gather' | 'scatterAdd' | 'softmax' | 'crossEntropy' | 'tanhGrad'>>;

/** Registers a test on a suite (or as skipped, with the reason, where the backend cannot run). */
export type RegisterTest = (name: string, fn: () => void | Promise<void>) => void;

/** Buffers mirrored on the backend under test and the reference, and one random GEMM compared. */
export interface KernelHelpers {
  /** The same values in a buffer of the backend under test (n) and a reference buffer (j). */
  both(dtype: DType, vals: ArrayLike<number>): { n: BackendBuffer; j: BackendBuffer };
  /** One random GEMM (transposes, alpha/beta with NaN in C for β = 0, ld, offsets), `dims` = [m, n, k] or random. */
  gemmCase(rng: Rng, dtype: FD, dims?: [number, number, number]): void;
  /** copy of [B, R, C] into a contiguous [B, C, R], compared bit for bit (special values included). */
  transposeCase(rng: Rng, dtype: DType, dims: readonly [number, number, number]): void;
}

/** [B, R, C] shapes for transposeCase: ragged and whole register and cache tiles, one long block with a short side each way. */
export const TRANSPOSE_CASES: readonly (readonly [number, number, number])[] =
  [[1, 8, 8], [1, 4, 4], [1, 9, 13], [2, 64, 64], [1, 70, 131], [1, 3000, 32], [1, 32, 3000], [3, 65, 7], [1, 1, 200]];

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

/** The helpers for the backend that `be()` returns (called only inside a running test). */
export function kernelHelpers(be: () => ConformanceBackend): KernelHelpers {
  function both(dtype: DType, vals: ArrayLike<number>): { n: BackendBuffer; j: BackendBuffer } {
    const n = be().alloc(dtype, vals.length), j = ref.alloc(dtype, vals.length);
    be().write(n, vals);
    ref.write(j, vals);
    return { n, j };
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
    be().gemm(ta, tb, m, n, k, alpha, a.n, aOff, lda, b.n, bOff, ldb, beta, c.n, cOff, ldc);
    ref.gemm(ta, tb, m, n, k, alpha, a.j, aOff, lda, b.j, bOff, ldb, beta, c.j, cOff, ldc);
    const tol = gemmTol(dtype, ta, tb, m, n, k, alpha, beta, ref.read(a.j), aOff, lda, ref.read(b.j), bOff, ldb, C0, cOff, ldc);
    compare(be().read(c.n), ref.read(c.j), tol, `gemm ${dtype} ${ta ? 'T' : 'N'}${tb ? 'T' : 'N'} m=${m} n=${n} k=${k} α=${alpha} β=${beta} seed=${rng.seed}`);
  }

  function transposeCase(rng: Rng, dtype: DType, [bt, r, cl]: readonly [number, number, number]): void {
    const src = both(dtype, values(rng, dtype, bt * r * cl, { special: 0.05 }));
    const dst = both(dtype, new Array<number>(bt * r * cl).fill(0));
    // Destination contiguous [B, C, R]; the source [B, R, C] read along it.
    const shape = [bt, cl, r], ss = [r * cl, 1, cl], ds = [r * cl, r, 1];
    be().copy(shape, src.n, 0, ss, dst.n, 0, ds);
    ref.copy(shape, src.j, 0, ss, dst.j, 0, ds);
    const got = be().read(dst.n), want = ref.read(dst.j);
    const bytes = (x: TypedArray): Buffer => Buffer.from(x.buffer, x.byteOffset, x.byteLength);
    assert.ok(bytes(got).equals(bytes(want)), `copy ${dtype} transpose [${bt}, ${r}, ${cl}] → [${bt}, ${cl}, ${r}]: not bit for bit`);
  }

  return { both, gemmCase, transposeCase };
}

export interface ConformanceOptions {
  /**
   * gemmStridedBatched also on matrix-vector shapes: m = 1 in every fourth batch, n = 1 in the
   * next (a device's GEMV kernels). Off, m and n are random (the CPU addon's cases).
   */
  vectorBatches?: boolean;
}

/**
 * Registers the shared cases, in this order, through `t` (the file's suite, or skipped with its
 * reason): gemmStridedBatched; unary; binary and where; copy; reduce; cast and fill; gather,
 * scatterAdd, softmax, crossEntropy, tanhGrad.
 */
export function registerKernelConformance(t: RegisterTest, be: () => ConformanceBackend, options: ConformanceOptions = {}): void {
  const { both, transposeCase } = kernelHelpers(be);
  const vectorBatches = options.vectorBatches ?? false;

  t('gemmStridedBatched: batches with strides (0 reuses a matrix) against a loop of reference gemm', () => {
    const rng = new Rng(21);
    for (const dtype of FLOATS) {
      for (let rep = 0; rep < 10; rep++) {
        const m = vectorBatches && rep % 4 === 0 ? 1 : rng.int(1, 9), n = vectorBatches && rep % 4 === 1 ? 1 : rng.int(1, 19);
        const k = rng.int(1, 9), batch = rng.int(1, 4);
        const ta = rng.next() < 0.5, tb = rng.next() < 0.5;
        const lda = ta ? m : k, ldb = tb ? k : n, ldc = n;
        const sA = rng.next() < 0.3 ? 0 : m * k + 1, sB = rng.next() < 0.3 ? 0 : k * n, sC = m * n + 2;
        const A = values(rng, dtype, 2 + (batch - 1) * sA + m * k, { special: 0 });
        const B = values(rng, dtype, 1 + (batch - 1) * sB + k * n, { special: 0 });
        const C = values(rng, dtype, 3 + batch * sC, { special: 0 });
        const a = both(dtype, A), b = both(dtype, B), c = both(dtype, C);
        be().gemmStridedBatched(ta, tb, m, n, k, 1.5, a.n, 2, lda, sA, b.n, 1, ldb, sB, 0.5, c.n, 3, ldc, sC, batch);
        ref.gemmStridedBatched(ta, tb, m, n, k, 1.5, a.j, 2, lda, sA, b.j, 1, ldb, sB, 0.5, c.j, 3, ldc, sC, batch);
        const eps = dtype === 'float64' ? 1e-12 : 1e-5;
        compare(be().read(c.n), ref.read(c.j), (_i, w) => eps * (1 + Math.abs(w)) * k * 40, `batched ${dtype}`);
      }
    }
  });

  t('unary: every op, float32 and float64 (int32 too), with special values', () => {
    const rng = new Rng(31);
    for (const dtype of ALL) {
      for (const op of UNARY) {
        const n = rng.int(0, 70);
        const x = both(dtype, values(rng, dtype, n, { special: 0.15 }));
        const on = be().alloc(dtype, n), oj = ref.alloc(dtype, n);
        be().unary(op, x.n, on, n);
        ref.unary(op, x.j, oj, n);
        const tol = dtype === 'int32' ? exact : unaryTol(op, dtype);
        compare(be().read(on), ref.read(oj), tol, `unary ${op} ${dtype}`);
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
      const on = be().alloc(dtype, size), oj = ref.alloc(dtype, size);
      be().binary(op, shape, a.n, la.strides, b.n, lb.strides, on);
      ref.binary(op, shape, a.j, la.strides, b.j, lb.strides, oj);
      const tol = dtype === 'int32' ? exact : binaryTol(op, dtype, ref.read(a.j), ref.read(b.j), { ...la, offset: 0 }, { ...lb, offset: 0 }, shape);
      compare(be().read(on), ref.read(oj), tol, `binary ${op} ${dtype} shape [${shape}] seed ${rep}`);

      const lc = layout(rng, shape, true);
      const cond = both(dtype, Array.from({ length: lc.size }, () => (rng.next() < 0.5 ? 0 : rng.pick([1, -2, NaN]))));
      const wn = be().alloc(dtype, size), wj = ref.alloc(dtype, size);
      be().where(shape, cond.n, lc.strides, a.n, la.strides, b.n, lb.strides, wn);
      ref.where(shape, cond.j, lc.strides, a.j, la.strides, b.j, lb.strides, wj);
      compare(be().read(wn), ref.read(wj), exact, `where ${dtype} shape [${shape}]`);
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
      be().copy(shape, src.n, ls.offset, ls.strides, dst.n, ld.offset, ld.strides);
      ref.copy(shape, src.j, ls.offset, ls.strides, dst.j, ld.offset, ld.strides);
      compare(be().read(dst.n), ref.read(dst.j), exact, `copy ${dtype} shape [${shape}]`);
    }
    // Axis moves [A, B, L] ↔ [B, A, L] with rows contiguous on both sides, large enough for several
    // cache tiles of both the outer axis and the rows (the native kernel copies those by 2-d tiles).
    for (const [a, b, l, dtype] of [[64, 300, 16, 'float64'], [300, 64, 16, 'float32'], [7, 900, 33, 'float64'], [900, 7, 5, 'int32']] as const) {
      const src = both(dtype, values(rng, dtype, a * b * l));
      const dst = both(dtype, new Array<number>(a * b * l).fill(0));
      // Source [A, B, L] read as [B, A, L]; destination contiguous [B, A, L].
      const shape = [b, a, l], ss = [l, b * l, 1], ds = [a * l, l, 1];
      be().copy(shape, src.n, 0, ss, dst.n, 0, ds);
      ref.copy(shape, src.j, 0, ss, dst.j, 0, ds);
      compare(be().read(dst.n), ref.read(dst.j), exact, `copy ${dtype} axis move [${a}, ${b}, ${l}] → [${b}, ${a}, ${l}]`);
    }
    // Transposes with sides that are and are not multiples of the native kernel's register tiles
    // (8 four-byte, 4 eight-byte elements) and 64-element cache tiles; matmat's [P, k] ↔ [k, P].
    for (const dims of TRANSPOSE_CASES) for (const dtype of ALL) transposeCase(rng, dtype, dims);
  });

  t('reduce: sum/max/min over [outer, r, inner] in every dtype (sums accumulated in double)', () => {
    const rng = new Rng(61);
    for (let rep = 0; rep < 90; rep++) {
      const dtype = rng.pick(ALL), op = rng.pick(['sum', 'max', 'min'] as const);
      // inner 2500: the native kernel's accumulator blocks of 1024, two full and a remainder.
      const outer = rng.int(0, 5), r = rng.int(0, 40), inner = rng.pick([1, 1, 2, 3, 17, 2500]);
      const xs = values(rng, dtype, outer * r * inner, { special: 0.02 });
      const x = both(dtype, xs);
      const on = be().alloc(dtype, outer * inner), oj = ref.alloc(dtype, outer * inner);
      be().reduce(op, x.n, outer, r, inner, on);
      ref.reduce(op, x.j, outer, r, inner, oj);
      const tol = op === 'sum' && dtype !== 'int32' ? sumTol(dtype, ref.read(x.j), outer, r, inner) : exact;
      compare(be().read(on), ref.read(oj), tol, `reduce ${op} ${dtype} ${outer}×${r}×${inner}`);
    }
  });

  t('cast and fill: every dtype pair, out-of-range and special values (ToInt32 like the reference)', () => {
    const rng = new Rng(71);
    const specials = [NaN, Infinity, -Infinity, 2 ** 31 + 0.5, -(2 ** 31) - 1.5, 2 ** 40 + 3, -0, 1e300, 3.4e38, 1.5, -2.5];
    for (const from of ALL) {
      for (const to of ALL) {
        const xs = [...values(rng, from, 30), ...(from === 'int32' ? [] : specials)];
        const s = both(from, xs);
        const dn = be().alloc(to, xs.length), dj = ref.alloc(to, xs.length);
        be().cast(s.n, dn, xs.length);
        ref.cast(s.j, dj, xs.length);
        compare(be().read(dn), ref.read(dj), exact, `cast ${from} → ${to}`);
      }
      for (const v of [NaN, -0, 2 ** 33 + 7, 1e300, 0.1]) {
        const fn = be().alloc(from, 5), fj = ref.alloc(from, 5);
        be().fill(fn, v);
        ref.fill(fj, v);
        compare(be().read(fn), ref.read(fj), exact, `fill ${from} ${v}`);
      }
    }
  });

  t('gather, scatterAdd, softmax, crossEntropy, tanhGrad against the reference; bad indices/labels are typed errors', () => {
    const rng = new Rng(81);
    for (const dtype of FLOATS) {
      const rows = rng.int(1, 9), cols = rng.int(1, 13), nIdx = rng.int(0, 12);
      const table = both(dtype, values(rng, dtype, rows * cols, { special: 0 }));
      const idx = both('int32', Array.from({ length: nIdx }, () => rng.int(0, rows - 1)));
      const gn = be().alloc(dtype, nIdx * cols), gj = ref.alloc(dtype, nIdx * cols);
      be().gather(table.n, idx.n, nIdx, cols, gn);
      ref.gather(table.j, idx.j, nIdx, cols, gj);
      compare(be().read(gn), ref.read(gj), exact, `gather ${dtype}`);
      const out = both(dtype, values(rng, dtype, rows * cols, { special: 0 }));
      be().scatterAdd(gn, idx.n, nIdx, cols, out.n);
      ref.scatterAdd(gj, idx.j, nIdx, cols, out.j);
      compare(be().read(out.n), ref.read(out.j), (_i, w) => (dtype === 'float64' ? 1e-15 : 1e-6) * (1 + Math.abs(w)) * (nIdx + 1), `scatterAdd ${dtype}`);
      for (const log of [false, true]) {
        const sn = be().alloc(dtype, rows * cols), sj = ref.alloc(dtype, rows * cols);
        be().softmax(table.n, rows, cols, sn, log);
        ref.softmax(table.j, rows, cols, sj, log);
        compare(be().read(sn), ref.read(sj), (_i, w) => (dtype === 'float64' ? 1e-14 : 1e-6) * Math.max(1, Math.abs(w)), `softmax log=${log} ${dtype}`);
      }
      const labels = both('int32', Array.from({ length: rows }, () => rng.int(0, cols - 1)));
      const cn = be().alloc(dtype, rows), cj = ref.alloc(dtype, rows);
      be().crossEntropy(table.n, labels.n, rows, cols, cn);
      ref.crossEntropy(table.j, labels.j, rows, cols, cj);
      compare(be().read(cn), ref.read(cj), (_i, w) => (dtype === 'float64' ? 1e-14 : 1e-6) * Math.max(1, Math.abs(w)), `crossEntropy ${dtype}`);
      const tn = be().alloc(dtype, rows * cols), tj = ref.alloc(dtype, rows * cols);
      be().tanhGrad(table.n, out.n, tn, rows * cols);
      ref.tanhGrad(table.j, out.j, tj, rows * cols);
      compare(be().read(tn), ref.read(tj), (_i, w) => (dtype === 'float64' ? 1e-15 : 1e-6) * Math.abs(w), `tanhGrad ${dtype}`);
      const bad = both('int32', [0, rows]);
      throwsType(() => be().gather(table.n, bad.n, 2, cols, be().alloc(dtype, 2 * cols)), InputError);
      const badLabel = both('int32', Array.from({ length: rows }, () => cols));
      throwsType(() => be().crossEntropy(table.n, badLabel.n, rows, cols, cn), InputError);
    }
  });
}
