import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { gemmKernel } from '../../../src/backend/js/gemm.js';
import type { TypedArray } from '../../../src/backend/types.js';

// ---------------------------------------------------------------------------------------------
// Reference: C = alpha·op(A)·op(B) + beta·C by a plain triple loop in double precision, on the
// same strided buffers, plus the error scale |alpha|·Σ_p|a||b| + |beta·c| per element.

type Dtype = 'f64' | 'f32';

/** Deterministic uniform numbers in [-1, 1) (LCG), so failures are reproducible. */
class Rng {
  private s: number;
  constructor(seed: number) { this.s = seed >>> 0; }
  next(): number {
    this.s = (Math.imul(this.s, 1664525) + 1013904223) >>> 0;
    return this.s / 2 ** 31 - 1;
  }
  int(lo: number, hi: number): number { return lo + Math.floor((this.next() + 1) / 2 * (hi - lo + 1)); }
}

const alloc = (dtype: Dtype, n: number): TypedArray => (dtype === 'f64' ? new Float64Array(n) : new Float32Array(n));

interface Problem {
  dtype: Dtype; tA: boolean; tB: boolean; m: number; n: number; k: number; alpha: number; beta: number;
  a: TypedArray; aOff: number; lda: number; b: TypedArray; bOff: number; ldb: number;
  c: TypedArray; cOff: number; ldc: number;
}

interface Options { pad?: number; off?: number; alpha?: number; beta?: number; cFill?: number }

/**
 * A random problem: op(A) m×k and op(B) k×n stored (transposed if asked) with leading dimension
 * `row length + pad` at element offset `off`; everything outside the operands is NaN (so a stray
 * read poisons the result) and C's surroundings hold a sentinel that must survive.
 */
function makeProblem(rng: Rng, dtype: Dtype, tA: boolean, tB: boolean, m: number, n: number, k: number,
  opts: Options = {}): Problem {
  const pad = opts.pad ?? 0, off = opts.off ?? 0;
  const aRows = tA ? k : m, aCols = tA ? m : k, bRows = tB ? n : k, bCols = tB ? k : n;
  const lda = aCols + pad, ldb = bCols + pad, ldc = n + pad;
  const aOff = off, bOff = off + 1, cOff = off + 2;
  const a = alloc(dtype, aOff + aRows * lda + pad).fill(NaN);
  const b = alloc(dtype, bOff + bRows * ldb + pad).fill(NaN);
  const c = alloc(dtype, cOff + m * ldc + pad).fill(SENTINEL);
  for (let i = 0; i < aRows; i++) for (let j = 0; j < aCols; j++) a[aOff + i * lda + j] = rng.next();
  for (let i = 0; i < bRows; i++) for (let j = 0; j < bCols; j++) b[bOff + i * ldb + j] = rng.next();
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) c[cOff + i * ldc + j] = opts.cFill ?? rng.next();
  }
  return { dtype, tA, tB, m, n, k, alpha: opts.alpha ?? 1, beta: opts.beta ?? 0, a, aOff, lda, b, bOff, ldb, c, cOff, ldc };
}

const SENTINEL = 12345;

const opA = (P: Problem, i: number, p: number): number =>
  P.tA ? P.a[P.aOff + p * P.lda + i]! : P.a[P.aOff + i * P.lda + p]!;
const opB = (P: Problem, p: number, j: number): number =>
  P.tB ? P.b[P.bOff + j * P.ldb + p]! : P.b[P.bOff + p * P.ldb + j]!;

/** Expected C (m×n, dense) and the per-element error scale, computed before running the kernel. */
function reference(P: Problem): { want: Float64Array; scale: Float64Array } {
  const want = new Float64Array(P.m * P.n), scale = new Float64Array(P.m * P.n);
  for (let i = 0; i < P.m; i++) {
    for (let j = 0; j < P.n; j++) {
      let s = 0, sa = 0;
      for (let p = 0; p < P.k; p++) {
        const x = opA(P, i, p) * opB(P, p, j);
        s += x; sa += Math.abs(x);
      }
      const c0 = P.c[P.cOff + i * P.ldc + j]!;
      want[i * P.n + j] = P.beta === 0 ? P.alpha * s : P.alpha * s + P.beta * c0;
      scale[i * P.n + j] = Math.abs(P.alpha) * sa + (P.beta === 0 ? 0 : Math.abs(P.beta * c0));
    }
  }
  return { want, scale };
}

function run(P: Problem): void {
  gemmKernel(P.tA, P.tB, P.m, P.n, P.k, P.alpha, P.a, P.aOff, P.lda, P.b, P.bOff, P.ldb, P.beta, P.c, P.cOff, P.ldc);
}

/** Runs the kernel and checks every element of C (inside and outside the m×n block). */
function check(P: Problem, label = ''): void {
  const { want, scale } = reference(P);
  const before = P.c.slice();
  run(P);
  const tol = P.dtype === 'f64' ? 1e-13 : 1e-6;
  const what = `${label} ${P.dtype} ${P.tA ? 'T' : 'N'}${P.tB ? 'T' : 'N'} m=${P.m} n=${P.n} k=${P.k} ` +
    `alpha=${P.alpha} beta=${P.beta} lda=${P.lda} ldb=${P.ldb} ldc=${P.ldc}`;
  for (let idx = 0; idx < P.c.length; idx++) {
    const r = idx - P.cOff, i = Math.floor(r / P.ldc), j = r - i * P.ldc;
    const got = P.c[idx]!;
    if (r < 0 || i >= P.m || j >= P.n) {
      if (!Object.is(got, before[idx]!)) assert.unreachable(`${what}: C[${idx}] outside the block changed to ${got}`);
      continue;
    }
    const w = want[i * P.n + j]!, e = scale[i * P.n + j]!;
    // Output rounding to float32 adds half an ulp of |w| ≤ 2^-24·scale, well inside the tolerance.
    if (!(Math.abs(got - w) <= tol * e + Number.MIN_VALUE)) {
      assert.unreachable(`${what}: C(${i},${j}) = ${got}, want ${w} (scale ${e})`);
    }
  }
}

const DTYPES: Dtype[] = ['f64', 'f32'];
const TRANS: [boolean, boolean][] = [[false, false], [false, true], [true, false], [true, true]];
const tname = (tA: boolean, tB: boolean): string => `${tA ? 'T' : 'N'}${tB ? 'T' : 'N'}`;

// ---------------------------------------------------------------------------------------------

const SIZES = [1, 2, 3, 7, 33, 65, 70];
for (const dtype of DTYPES) {
  for (const [tA, tB] of TRANS) {
    test(`gemm ${tname(tA, tB)} ${dtype}: random shapes 1..70 vs triple loop`, () => {
      const rng = new Rng(17 + (tA ? 2 : 0) + (tB ? 1 : 0) + (dtype === 'f32' ? 4 : 0));
      // Every listed size in every role, then random shapes in 1..70.
      for (const s of SIZES) {
        check(makeProblem(rng, dtype, tA, tB, s, 5, 6), 'm');
        check(makeProblem(rng, dtype, tA, tB, 4, s, 7), 'n');
        check(makeProblem(rng, dtype, tA, tB, 5, 3, s), 'k');
      }
      for (let t = 0; t < 12; t++) {
        const m = rng.int(1, 70), n = rng.int(1, 70), k = rng.int(1, 70);
        check(makeProblem(rng, dtype, tA, tB, m, n, k, { pad: rng.int(0, 3), off: rng.int(0, 5) }));
      }
    });

    test(`gemm ${tname(tA, tB)} ${dtype}: skinny and fat shapes, leading dims and offsets`, () => {
      const rng = new Rng(101 + (tA ? 2 : 0) + (tB ? 1 : 0) + (dtype === 'f32' ? 4 : 0));
      const shapes: [number, number, number][] = [
        [300, 1, 7], [1, 300, 7], [1, 1, 300], [257, 3, 65], [3, 257, 33], [7, 2, 700], [65, 70, 1],
        [1, 1, 1], [2, 33, 1], [401, 16, 10],
      ];
      for (const [m, n, k] of shapes) check(makeProblem(rng, dtype, tA, tB, m, n, k, { pad: 5, off: 3 }));
    });
  }
}

test('gemm: shapes crossing every blocking boundary (m > 960, n > 256, k > 256)', () => {
  const rng = new Rng(7);
  for (const [tA, tB] of TRANS) {
    check(makeProblem(rng, 'f64', tA, tB, 1000, 5, 9, { pad: 1, off: 1 }), 'MB');
    check(makeProblem(rng, 'f32', tA, tB, 4, 520, 5, { pad: 2, off: 0 }), 'NC');
    check(makeProblem(rng, 'f64', tA, tB, 5, 6, 777, { pad: 0, off: 2 }), 'KC');
  }
  check(makeProblem(rng, 'f64', false, false, 970, 259, 260, { pad: 1, off: 1, beta: 0.5 }), 'all');
  check(makeProblem(rng, 'f32', true, true, 199, 301, 513, { pad: 3, off: 4, alpha: -1.5, beta: 2 }), 'all');
});

test('gemm: alpha/beta variants, beta = 0 ignores NaN in C', () => {
  const rng = new Rng(23);
  const variants: Options[] = [
    { alpha: 1, beta: 0, cFill: NaN }, { alpha: 2.5, beta: 0, cFill: Infinity }, { alpha: -0.5, beta: 1.5 },
    { alpha: 1, beta: 1 }, { alpha: 0, beta: 2 }, { alpha: 0.25, beta: -1 },
  ];
  for (const dtype of DTYPES) {
    for (const [tA, tB] of TRANS) {
      for (const v of variants) {
        check(makeProblem(rng, dtype, tA, tB, 13, 9, 11, { pad: 2, off: 1, ...v }));
        check(makeProblem(rng, dtype, tA, tB, 13, 1, 11, { pad: 2, off: 1, ...v }), 'gemv');
        check(makeProblem(rng, dtype, tA, tB, 1, 9, 11, { pad: 2, off: 1, ...v }), 'gemv');
      }
    }
  }
  // beta = 0 with NaN in C also on a problem large enough to be blocked in every dimension.
  check(makeProblem(rng, 'f64', false, true, 100, 300, 300, { beta: 0, cFill: NaN }));
});

test('gemm: NaN and Inf in A or B propagate (zero products are never skipped)', () => {
  for (const dtype of DTYPES) {
    for (const [tA, tB] of TRANS) {
      // Blocked path (both ways round), and the gemv path (n = 1, and m = 1 which is turned into it).
      for (const [m, n] of [[9, 7], [7, 9], [9, 1], [1, 7], [1, 1]] as const) {
        const rng = new Rng(5), k = 300;
        // Every position in a micro-tile, and the last row/column.
        for (const r of new Set([0, 1, 2, m - 1].filter((x) => x < m))) {
          // NaN at op(A)(r, 260) with row 260 of op(B) all zero: row r of C is NaN, the rest finite.
          const P = makeProblem(rng, dtype, tA, tB, m, n, k, { pad: 1, off: 2 });
          P.a[tA ? P.aOff + 260 * P.lda + r : P.aOff + r * P.lda + 260] = NaN;
          for (let j = 0; j < n; j++) P.b[tB ? P.bOff + j * P.ldb + 260 : P.bOff + 260 * P.ldb + j] = 0;
          run(P);
          for (let i = 0; i < m; i++) {
            for (let j = 0; j < n; j++) {
              const v = P.c[P.cOff + i * P.ldc + j]!;
              assert.is(Number.isNaN(v), i === r, `${dtype} ${tname(tA, tB)} m=${m} n=${n}: C(${i},${j}) = ${v}`);
            }
          }
        }
        for (const q of new Set([0, 1, 2, n - 1].filter((x) => x < n))) {
          // Inf at op(B)(3, q) times a zero column 3 of op(A): column q of C is NaN (0·Inf).
          const P = makeProblem(rng, dtype, tA, tB, m, n, k);
          P.b[tB ? P.bOff + q * P.ldb + 3 : P.bOff + 3 * P.ldb + q] = Infinity;
          for (let i = 0; i < m; i++) P.a[tA ? P.aOff + 3 * P.lda + i : P.aOff + i * P.lda + 3] = 0;
          run(P);
          for (let i = 0; i < m; i++) {
            for (let j = 0; j < n; j++) {
              const v = P.c[P.cOff + i * P.ldc + j]!;
              assert.is(Number.isNaN(v), j === q, `${dtype} ${tname(tA, tB)} m=${m} n=${n}: C(${i},${j}) = ${v}`);
            }
          }
        }
      }
    }
  }
});

test('gemm: k = 0 gives C = beta·C; m = 0 or n = 0 touches nothing', () => {
  const rng = new Rng(9);
  for (const dtype of DTYPES) {
    for (const [tA, tB] of TRANS) {
      check(makeProblem(rng, dtype, tA, tB, 5, 4, 0, { pad: 2, off: 1, alpha: 2, beta: 0, cFill: NaN }), 'k=0');
      check(makeProblem(rng, dtype, tA, tB, 5, 4, 0, { pad: 2, off: 1, alpha: 2, beta: -3 }), 'k=0');
      check(makeProblem(rng, dtype, tA, tB, 0, 4, 3, { pad: 2, off: 1 }), 'm=0');
      check(makeProblem(rng, dtype, tA, tB, 6, 0, 3, { pad: 2, off: 1 }), 'n=0');
      check(makeProblem(rng, dtype, tA, tB, 1, 4, 0, { pad: 2, off: 1, beta: 0, cFill: NaN }), 'k=0');
      check(makeProblem(rng, dtype, tA, tB, 4, 1, 0, { pad: 2, off: 1, beta: 0.5 }), 'k=0');
    }
  }
  const P = makeProblem(rng, 'f64', false, false, 3, 3, 0, { beta: 0, cFill: NaN });
  run(P);
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) assert.is(P.c[P.cOff + i * P.ldc + j], 0);
});

test('gemm: float32 accumulates in double precision (rounded once, on store)', () => {
  // 1 + 1e-8·(k−1) summed in float32 would stay at 1; in double it rounds to 1 + 2^-23·… ≠ 1.
  const k = 600;
  const a = new Float32Array(k).fill(1), b = new Float32Array(k).fill(1e-8);
  b[0] = 1;
  const c = new Float32Array(1);
  gemmKernel(false, false, 1, 1, k, 1, a, 0, k, b, 0, 1, 0, c, 0, 1);
  assert.is(c[0], Math.fround(1 + Math.fround(1e-8) * (k - 1)));
  // And a large random product rounds to within 1 float32 ulp of the double-precision result.
  const rng = new Rng(3);
  const P = makeProblem(rng, 'f32', true, false, 40, 30, 2000);
  const { want } = reference(P);
  run(P);
  for (let i = 0; i < P.m; i++) {
    for (let j = 0; j < P.n; j++) {
      const w = want[i * P.n + j]!, got = P.c[P.cOff + i * P.ldc + j]!;
      assert.ok(Math.abs(got - w) <= 2 ** -23 * Math.abs(w) + 1e-30, `C(${i},${j}) = ${got}, want ${w}`);
    }
  }
});

test('gemm: Int32Array operands (exact integer products)', () => {
  const rng = new Rng(11);
  for (const [tA, tB] of TRANS) for (const [m, n] of [[6, 5], [6, 1], [1, 5]] as const) {
    const k = 7, lda = tA ? m : k, ldb = tB ? k : n;
    const a = Int32Array.from({ length: m * k }, () => rng.int(-9, 9));
    const b = Int32Array.from({ length: k * n }, () => rng.int(-9, 9));
    const c = Int32Array.from({ length: m * n }, () => rng.int(-9, 9));
    const want = new Int32Array(m * n);
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let p = 0; p < k; p++) s += (tA ? a[p * lda + i]! : a[i * lda + p]!) * (tB ? b[j * ldb + p]! : b[p * ldb + j]!);
        want[i * n + j] = 2 * s - 3 * c[i * n + j]!;
      }
    }
    gemmKernel(tA, tB, m, n, k, 2, a, 0, lda, b, 0, ldb, -3, c, 0, n);
    assert.equal(Array.from(c), Array.from(want), `${tname(tA, tB)} m=${m} n=${n}`);
  }
});

test('gemm: scratch buffers are reused safely across calls of different shapes', () => {
  const rng = new Rng(31);
  // A big call leaves stale data in the packing and accumulator buffers; smaller calls after it
  // must not see any of it.
  check(makeProblem(rng, 'f64', false, false, 200, 300, 400, { beta: 1 }));
  check(makeProblem(rng, 'f64', true, false, 3, 2, 5));
  check(makeProblem(rng, 'f32', false, true, 1, 1, 1, { beta: 0, cFill: NaN }));
  check(makeProblem(rng, 'f64', true, true, 4, 3, 300, { beta: 0.5 }));
});

test.run();
