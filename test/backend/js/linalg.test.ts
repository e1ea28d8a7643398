import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  cholLogdet,
  cholSolve,
  inverseSpd,
  potrf,
  syev,
  trsm,
  type FloatArray,
  type Side,
  type Uplo,
} from '../../../src/backend/js/linalg.js';
import { CurvatureError, InputError, ShapeError } from '../../../src/errors.js';

// ---------------------------------------------------------------------------------------------
// Helpers: dense row-major double matrices (Float64Array, contiguous) for references, and
// embedding into strided/offset buffers whose padding holds a sentinel that must survive.

type Ctor = Float32ArrayConstructor | Float64ArrayConstructor;
interface DType {
  name: string;
  ctor: Ctor;
  /** Tolerances, each justified where it is used. */
  chol: number;
  solve: number;
  eig: number;
  orth: number;
}
// f64: backward-stable kernels leave errors of a few n·u (u = 1.1e-16), so n ≤ 150 → ~1e-14.
// f32: computed in double but inputs/outputs rounded to float32 (u = 6e-8), so errors are a few
// 1e-7 times a small condition number.
const F64: DType = { name: 'f64', ctor: Float64Array, chol: 1e-13, solve: 1e-12, eig: 1e-12, orth: 1e-12 };
const F32: DType = { name: 'f32', ctor: Float32Array, chol: 1e-5, solve: 1e-5, eig: 1e-4, orth: 1e-5 };
const DTYPES = [F64, F32];

const SIZES = [1, 2, 3, 17, 64, 150];
const PAD = -777.25; // exactly representable in float32 too
/** A plain layout and one with a leading dimension > n and a non-zero offset. */
const layouts = (cols: number) => [
  { ld: Math.max(1, cols), off: 0 },
  { ld: cols + 3, off: 7 },
];

function rng(seed: number): () => number {
  // mulberry32: small, deterministic, good enough for test matrices.
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randMatrix(r: () => number, rows: number, cols: number, amp = 1): Float64Array {
  const m = new Float64Array(rows * cols);
  for (let i = 0; i < m.length; i++) m[i] = amp * (2 * r() - 1);
  return m;
}

function matmul(a: Float64Array, b: Float64Array, m: number, k: number, n: number): Float64Array {
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++)
    for (let p = 0; p < k; p++) {
      const aip = a[i * k + p];
      for (let j = 0; j < n; j++) c[i * n + j] += aip * b[p * n + j];
    }
  return c;
}

function transpose(a: Float64Array, m: number, n: number): Float64Array {
  const t = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) t[j * m + i] = a[i * n + j];
  return t;
}

function frob(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * a[i];
  return Math.sqrt(s);
}

function diffNorm(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] - b[i]) ** 2;
  return Math.sqrt(s);
}

function identity(n: number): Float64Array {
  const m = new Float64Array(n * n);
  for (let i = 0; i < n; i++) m[i * n + i] = 1;
  return m;
}

function embed(ctor: Ctor, m: ArrayLike<number>, rows: number, cols: number, ld: number, off: number): FloatArray {
  const buf = new ctor(off + rows * ld + 5).fill(PAD);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) buf[off + i * ld + j] = m[i * cols + j];
  return buf;
}

function extract(buf: FloatArray, off: number, rows: number, cols: number, ld: number): Float64Array {
  const m = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) m[i * cols + j] = buf[off + i * ld + j];
  return m;
}

/** True when every element outside the rows×cols window is still the sentinel. */
function paddingIntact(buf: FloatArray, off: number, rows: number, cols: number, ld: number): boolean {
  for (let q = 0; q < buf.length; q++) {
    const rel = q - off;
    const inside = rel >= 0 && Math.floor(rel / ld) < rows && rel % ld < cols;
    if (!inside && buf[q] !== PAD) return false;
  }
  return true;
}

/** Random SPD matrix M·Mᵀ + n·I (eigenvalues in [n, ~n + n²/3], condition number ~ n/3 at most). */
function randomSpd(r: () => number, n: number): Float64Array {
  const m = randMatrix(r, n, n);
  const a = matmul(m, transpose(m, n, n), n, n, n);
  for (let i = 0; i < n; i++) a[i * n + i] += n;
  return a;
}

function randomSymmetric(r: () => number, n: number): Float64Array {
  const a = randMatrix(r, n, n);
  for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) a[j * n + i] = a[i * n + j];
  return a;
}

/** Random orthogonal matrix as a product of Householder reflectors (orthogonal to rounding). */
function randomOrthogonal(r: () => number, n: number): Float64Array {
  let q = identity(n);
  for (let t = 0; t < Math.min(n, 6); t++) {
    const u = randMatrix(r, n, 1);
    const uu = u.reduce((s, x) => s + x * x, 0);
    const h = identity(n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) h[i * n + j] -= (2 * u[i] * u[j]) / uu;
    q = matmul(q, h, n, n, n);
  }
  return q;
}

function lowerOf(m: Float64Array, n: number): Float64Array {
  const l = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) l[i * n + j] = m[i * n + j];
  return l;
}

// ---------------------------------------------------------------------------------------------
// potrf

for (const dt of DTYPES) {
  test(`potrf ${dt.name}: LLᵀ reconstructs random SPD A (sizes 1..150, strided, offset)`, () => {
    const r = rng(11);
    for (const n of SIZES) {
      for (const { ld, off } of layouts(n)) {
        const buf = embed(dt.ctor, randomSpd(r, n), n, n, ld, off);
        // Poison the strict upper triangle: potrf must read the lower triangle only.
        for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) buf[off + i * ld + j] = NaN;
        const a = lowerOf(extract(buf, off, n, n, ld), n); // the (rounded) values actually stored
        for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) a[j * n + i] = a[i * n + j];
        const res = potrf(n, buf, off, ld);
        assert.ok(res.ok, `n=${n} ld=${ld}`);
        const l = extract(buf, off, n, n, ld);
        for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) assert.is(l[i * n + j], 0, 'upper zeroed');
        for (let i = 0; i < n; i++) assert.ok(l[i * n + i] > 0, 'positive diagonal');
        // Cholesky is backward stable: ‖LLᵀ − A‖ ≤ c·n·u·‖A‖ (Higham, Accuracy and Stability of Numerical Algorithms, Thm 10.3).
        const rel = diffNorm(matmul(l, transpose(l, n, n), n, n, n), a) / frob(a);
        assert.ok(rel <= dt.chol, `n=${n} ld=${ld}: ‖LLᵀ−A‖/‖A‖ = ${rel}`);
        assert.ok(paddingIntact(buf, off, n, n, ld), 'padding untouched');
      }
    }
  });

  test(`potrf ${dt.name}: reports the first non-positive pivot instead of throwing`, () => {
    // diag(1, 2, −3, 4): pivot 2 is −3 exactly.
    const d = dt.ctor.from([1, 0, 0, 0, 0, 2, 0, 0, 0, 0, -3, 0, 0, 0, 0, 4]);
    assert.equal(potrf(4, d, 0, 4), { ok: false, pivot: 2, value: -3 });

    // PD leading 2×2 (det 0.19) but indefinite 3×3: pivot 2 = det(A)/det(A₂) = −2.888/0.19 = −15.2.
    const m = dt.ctor.from([1, 0.9, 0.9, 0.9, 1, -0.9, 0.9, -0.9, 1]);
    const exact = (() => {
      const [a, b, c, e] = [m[0], m[3], m[6], m[7]]; // a = A00 = A11 = A22 in f64; f32 rounds 0.9
      const det2 = a * m[4] - b * b;
      const det3 = a * (m[4] * m[8] - e * e) - b * (b * m[8] - e * c) + c * (b * e - m[4] * c);
      return det3 / det2;
    })();
    const res = potrf(3, m, 0, 3);
    assert.is(res.ok, false);
    if (!res.ok) {
      assert.is(res.pivot, 2);
      // Only rounding separates the recurrence from the determinant ratio of the stored entries:
      // double rounding in f64; in f32 the stored L[1][*], L[2][0..1] are rounded to 6e-8.
      const tolP = dt === F64 ? 1e-12 : 1e-6;
      assert.ok(Math.abs(res.value - exact) <= tolP * Math.abs(exact), `value ${res.value} vs ${exact}`);
      assert.ok(Math.abs(exact + 15.2) < 1e-5);
    }

    // Singular PSD (all ones): the second pivot is exactly 0, which is not > 0.
    assert.equal(potrf(3, new dt.ctor(9).fill(1), 0, 3), { ok: false, pivot: 1, value: 0 });
    // A negative first pivot, with a strided layout and an offset.
    const neg = embed(dt.ctor, [-1, 0, 0, 1], 2, 2, 5, 3);
    assert.equal(potrf(2, neg, 3, 5), { ok: false, pivot: 0, value: -1 });
  });

  test(`potrf ${dt.name}: NaN/Inf input is reported as a failed pivot, not garbage`, () => {
    const r = rng(5);
    const n = 6;
    const base = randomSpd(r, n);
    // NaN below the diagonal in row 3 poisons L[3][1] and hence pivot 3.
    let a = embed(dt.ctor, base, n, n, n, 0);
    a[3 * n + 1] = NaN;
    let res = potrf(n, a, 0, n);
    assert.is(res.ok, false);
    if (!res.ok) {
      assert.is(res.pivot, 3);
      assert.ok(Number.isNaN(res.value));
    }
    // NaN on the diagonal.
    a = embed(dt.ctor, base, n, n, n, 0);
    a[0] = NaN;
    res = potrf(n, a, 0, n);
    assert.ok(!res.ok && res.pivot === 0 && Number.isNaN(res.value));
    // +Inf on the diagonal is not a usable pivot either.
    a = embed(dt.ctor, base, n, n, n, 0);
    a[2 * n + 2] = Infinity;
    res = potrf(n, a, 0, n);
    assert.ok(!res.ok && res.pivot === 2 && res.value === Infinity);
    // Inf below the diagonal → −Inf pivot later.
    a = embed(dt.ctor, base, n, n, n, 0);
    a[4 * n + 0] = Infinity;
    res = potrf(n, a, 0, n);
    assert.ok(!res.ok && res.pivot === 4);
    // NaN in the (unread) upper triangle is ignored.
    a = embed(dt.ctor, base, n, n, n, 0);
    a[1] = NaN;
    assert.ok(potrf(n, a, 0, n).ok);
  });
}

test('potrf: n = 0 succeeds; bad dimensions throw ShapeError', () => {
  assert.ok(potrf(0, new Float64Array(0), 0, 1).ok);
  assert.throws(() => potrf(3, new Float64Array(9), 0, 2), (e: unknown) => e instanceof ShapeError);
  assert.throws(() => potrf(3, new Float64Array(9), 1, 3), (e: unknown) => e instanceof ShapeError);
  assert.throws(() => potrf(-1, new Float64Array(9), 0, 3), (e: unknown) => e instanceof ShapeError);
  assert.throws(() => potrf(2.5, new Float64Array(9), 0, 3), (e: unknown) => e instanceof ShapeError);
});

// ---------------------------------------------------------------------------------------------
// trsm

/**
 * Well-conditioned random triangular matrix (full storage, the other triangle zero): diagonal
 * ±[1, 2], off-diagonal entries in ±0.5/k, so each row is strictly diagonally dominant and
 * cond∞ ≤ ~6 for every size.
 */
function randomTriangular(r: () => number, k: number, uplo: Uplo, unitDiag: boolean): Float64Array {
  const t = new Float64Array(k * k);
  for (let i = 0; i < k; i++)
    for (let j = 0; j < k; j++) {
      if (i === j) t[i * k + j] = unitDiag ? 1 : (r() < 0.5 ? -1 : 1) * (1 + r());
      else if ((uplo === 'lower') === j < i) t[i * k + j] = (r() - 0.5) / k;
    }
  return t;
}

for (const dt of DTYPES) {
  test(`trsm ${dt.name}: all 16 side/uplo/trans/diag combinations vs a known solution`, () => {
    const r = rng(23);
    let cases = 0;
    for (const side of ['left', 'right'] as Side[])
      for (const uplo of ['lower', 'upper'] as Uplo[])
        for (const trans of [false, true])
          for (const unitDiag of [false, true])
            for (const [m, n] of [[1, 1], [3, 5], [17, 1], [64, 7], [5, 64]] as const) {
              const k = side === 'left' ? m : n;
              const tri = randomTriangular(r, k, uplo, unitDiag);
              const alpha = 0.75;
              for (const { ld, off } of layouts(n)) {
                const lda = k + 2;
                const aOff = 4;
                // Poison what must not be read: the other triangle, and the diagonal when unit.
                const aFull = new Float64Array(k * k);
                for (let i = 0; i < k; i++)
                  for (let j = 0; j < k; j++) {
                    const inTri = i === j ? !unitDiag : (uplo === 'lower') === j < i;
                    aFull[i * k + j] = inTri ? tri[i * k + j] : NaN;
                  }
                const aBuf = embed(dt.ctor, aFull, k, k, lda, aOff);
                const aStored = extract(aBuf, aOff, k, k, lda).map((v, q) => (Number.isNaN(v) ? tri[q] : v));
                const opStored = trans ? transpose(aStored, k, k) : aStored;
                // B = op(A)·X/alpha (left) or X·op(A)/alpha (right) for a known X.
                const x = randMatrix(r, m, n);
                const prod = side === 'left' ? matmul(opStored, x, m, m, n) : matmul(x, opStored, m, n, n);
                const bBuf = embed(dt.ctor, prod.map((v) => v / alpha), m, n, ld, off);
                const bStored = extract(bBuf, off, m, n, ld);
                trsm(side, uplo, trans, unitDiag, m, n, alpha, aBuf, aOff, lda, bBuf, off, ld);
                const xh = extract(bBuf, off, m, n, ld);
                const what = `${side} ${uplo} trans=${trans} unit=${unitDiag} m=${m} n=${n} ld=${ld}`;
                // Residual relative to ‖op(A)‖‖X̂‖ + |α|‖B‖: substitution is backward stable, so
                // a few k·u in f64; f32 adds one rounding of X̂ (u₃₂ = 6e-8).
                const res = side === 'left' ? matmul(opStored, xh, m, m, n) : matmul(xh, opStored, m, n, n);
                const rel = diffNorm(res, bStored.map((v) => alpha * v)) / (frob(opStored) * frob(xh) + alpha * frob(bStored));
                assert.ok(rel <= dt.solve, `${what}: residual ${rel}`);
                // Forward error: cond(op(A)) ≤ ~6 here, so it is of the same order.
                const fwd = diffNorm(xh, x) / frob(x);
                assert.ok(fwd <= dt.solve * 10, `${what}: forward error ${fwd}`);
                assert.ok(paddingIntact(bBuf, off, m, n, ld), `${what}: B padding`);
                cases++;
              }
            }
    assert.is(cases, 16 * 5 * 2);
  });

  test(`trsm ${dt.name}: alpha = 0 zeroes B without reading A; empty sizes are no-ops`, () => {
    const a = new dt.ctor(9).fill(NaN);
    const b = embed(dt.ctor, [1, 2, 3, 4, 5, 6], 3, 2, 4, 1);
    trsm('left', 'lower', false, false, 3, 2, 0, a, 0, 3, b, 1, 4);
    assert.equal(Array.from(extract(b, 1, 3, 2, 4)), [0, 0, 0, 0, 0, 0]);
    assert.ok(paddingIntact(b, 1, 3, 2, 4));
    trsm('left', 'upper', true, true, 0, 2, 1, a, 0, 1, b, 0, 2);
    trsm('right', 'upper', true, true, 2, 0, 1, a, 0, 1, b, 0, 1);
  });
}

test('trsm: bad dimensions throw ShapeError', () => {
  const a = new Float64Array(9);
  const b = new Float64Array(6);
  assert.throws(() => trsm('left', 'lower', false, false, 3, 2, 1, a, 0, 2, b, 0, 2), (e: unknown) => e instanceof ShapeError); // lda < m
  assert.throws(() => trsm('left', 'lower', false, false, 3, 3, 1, a, 0, 3, b, 0, 3), (e: unknown) => e instanceof ShapeError); // B too short
  assert.throws(() => trsm('right', 'lower', false, false, 2, 3, 1, a, 0, 2, b, 0, 3), (e: unknown) => e instanceof ShapeError); // right: A is n×n
});

for (const dt of DTYPES) {
  test(`cholSolve / inverseSpd / cholLogdet ${dt.name}`, () => {
    const r = rng(31);
    for (const n of SIZES) {
      const aRef = randomSpd(r, n);
      const nrhs = 3;
      const ld = n + 2;
      const lBuf = embed(dt.ctor, aRef, n, n, ld, 2);
      const a = extract(lBuf, 2, n, n, ld); // stored (rounded) A
      assert.ok(potrf(n, lBuf, 2, ld).ok);
      const bRef = randMatrix(r, n, nrhs);
      const bBuf = embed(dt.ctor, bRef, n, nrhs, nrhs + 1, 3);
      const b = extract(bBuf, 3, n, nrhs, nrhs + 1);
      cholSolve(n, nrhs, lBuf, 2, ld, bBuf, 3, nrhs + 1);
      const x = extract(bBuf, 3, n, nrhs, nrhs + 1);
      // A is SPD with cond ≤ ~n/3+1: backward-stable solve → residual of a few n·u.
      const rel = diffNorm(matmul(a, x, n, n, nrhs), b) / (frob(a) * frob(x));
      assert.ok(rel <= dt.solve, `cholSolve n=${n}: ${rel}`);

      // log det: compare with the log of the product of eigenvalues from syev (independent path).
      const w = new Float64Array(n);
      syev(n, Float64Array.from(a), 0, n, w, 0, false);
      const ld1 = w.reduce((s, v) => s + Math.log(v), 0);
      const ld2 = cholLogdet(n, lBuf, 2, ld);
      // f32: log det sums n terms log L_ii with L_ii rounded to 6e-8 relative → ~n·1e-7 absolute.
      assert.ok(Math.abs(ld1 - ld2) <= (dt === F64 ? 1e-12 : 1e-6) * Math.max(1, Math.abs(ld1)) * n, `logdet n=${n}: ${ld1} vs ${ld2}`);

      const invBuf = embed(dt.ctor, aRef, n, n, ld, 1);
      assert.ok(inverseSpd(n, invBuf, 1, ld).ok);
      const inv = extract(invBuf, 1, n, n, ld);
      assert.equal(Array.from(inv), Array.from(transpose(inv, n, n)), 'symmetric output');
      // ‖A·A⁻¹ − I‖ ≤ cond(A)·O(n·u): cond ≤ ~50 for n = 150.
      const err = diffNorm(matmul(a, inv, n, n, n), identity(n)) / Math.sqrt(n);
      assert.ok(err <= (dt === F64 ? 1e-12 : 1e-4), `inverseSpd n=${n}: ${err}`);
      assert.ok(paddingIntact(invBuf, 1, n, n, ld));
    }
    // inverseSpd passes potrf's failure through.
    assert.equal(inverseSpd(2, dt.ctor.from([1, 0, 0, -2]), 0, 2), { ok: false, pivot: 1, value: -2 });
  });
}

// ---------------------------------------------------------------------------------------------
// syev

interface Eig {
  w: Float64Array;
  v: Float64Array; // n×n, eigenvectors as columns
}

/** Runs syev on a copy of `a` (lower triangle read; the upper triangle is poisoned with NaN). */
function eig(dt: DType, a: ArrayLike<number>, n: number, ld = n, off = 0, wOff = 0): Eig & { buf: FloatArray } {
  const buf = embed(dt.ctor, a, n, n, ld, off);
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) buf[off + i * ld + j] = NaN;
  const wBuf = new dt.ctor(wOff + n + 2).fill(PAD);
  syev(n, buf, off, ld, wBuf, wOff, true);
  assert.ok(paddingIntact(buf, off, n, n, ld), 'A padding');
  for (let q = 0; q < wBuf.length; q++) if (q < wOff || q >= wOff + n) assert.is(wBuf[q], PAD, 'w padding');
  return { w: Float64Array.from(wBuf.subarray(wOff, wOff + n)), v: extract(buf, off, n, n, ld), buf };
}

/** Symmetric matrix from its stored lower triangle (what syev sees). */
function storedSymmetric(dt: DType, a: ArrayLike<number>, n: number): Float64Array {
  const s = Float64Array.from(dt.ctor.from(a));
  for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) s[j * n + i] = s[i * n + j];
  return s;
}

/** Checks ascending order, reconstruction, orthogonality and the sign convention. */
function checkEig(dt: DType, a: Float64Array, n: number, { w, v }: Eig, what: string): void {
  for (let j = 1; j < n; j++) assert.ok(w[j - 1] <= w[j], `${what}: ascending`);
  const na = frob(a);
  const vl = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) vl[i * n + j] = v[i * n + j] * w[j];
  const rec = diffNorm(matmul(vl, transpose(v, n, n), n, n, n), a);
  // Backward stability of tred2+tql2: ‖VΛVᵀ − A‖ = O(n·u·‖A‖) → 1e-12 leaves a wide margin for
  // n ≤ 150 in f64; f32 rounds V and Λ once (u₃₂ = 6e-8) → 1e-4·‖A‖ per the spec.
  assert.ok(rec <= dt.eig * Math.max(na, Number.MIN_VALUE), `${what}: ‖VΛVᵀ−A‖ = ${rec}, ‖A‖ = ${na}`);
  // Orthogonality: products of exact-arithmetic orthogonal transforms → O(n·u).
  const orth = diffNorm(matmul(transpose(v, n, n), v, n, n, n), identity(n));
  assert.ok(orth <= dt.orth * n, `${what}: ‖VᵀV−I‖ = ${orth}`);
  for (let j = 0; j < n; j++) {
    let big = -1;
    let val = 0;
    for (let i = 0; i < n; i++)
      if (Math.abs(v[i * n + j]) > big) {
        big = Math.abs(v[i * n + j]);
        val = v[i * n + j];
      }
    assert.ok(val > 0, `${what}: column ${j} largest component positive`);
  }
}

for (const dt of DTYPES) {
  test(`syev ${dt.name}: random symmetric matrices (sizes 1..150, strided, offset)`, () => {
    const r = rng(41);
    for (const n of SIZES) {
      for (const { ld, off } of layouts(n)) {
        const a0 = randomSymmetric(r, n);
        const a = storedSymmetric(dt, a0, n);
        const res = eig(dt, a0, n, ld, off, off);
        checkEig(dt, a, n, res, `n=${n} ld=${ld}`);
        // Eigenvalues only: a untouched, same values.
        const buf = embed(dt.ctor, a0, n, n, ld, off);
        const before = Array.from(buf);
        const w2 = new dt.ctor(n);
        syev(n, buf, off, ld, w2, 0, false);
        assert.equal(Array.from(buf), before, 'computeVectors=false leaves a alone');
        assert.ok(diffNorm(w2, res.w) <= 1e-14 * frob(a), 'same eigenvalues');
      }
    }
  });

  test(`syev ${dt.name}: diagonal matrices give exact values and permutation vectors`, () => {
    const d = [3, -1, 2, 0, -1];
    const n = d.length;
    const a = new Float64Array(n * n);
    d.forEach((x, i) => (a[i * n + i] = x));
    const { w, v } = eig(dt, a, n, n + 1, 2, 1);
    assert.equal(Array.from(w), [-1, -1, 0, 2, 3]);
    const expectIdx = [1, 4, 3, 2, 0]; // stable order for the repeated −1
    const expectV = new Float64Array(n * n);
    expectIdx.forEach((i, j) => (expectV[i * n + j] = 1));
    assert.equal(Array.from(v), Array.from(expectV));
  });

  test(`syev ${dt.name}: second-difference matrix tridiag(−1, 2, −1) has λ_k = 2 − 2cos(kπ/(n+1))`, () => {
    for (const n of SIZES) {
      const a = new Float64Array(n * n);
      for (let i = 0; i < n; i++) {
        a[i * n + i] = 2;
        if (i > 0) a[i * n + i - 1] = a[(i - 1) * n + i] = -1;
      }
      const res = eig(dt, a, n);
      checkEig(dt, a, n, res, `n=${n}`);
      for (let k = 1; k <= n; k++) {
        const lam = 2 - 2 * Math.cos((k * Math.PI) / (n + 1));
        // ‖A‖₂ < 4: absolute eigenvalue error ≤ 1e-12·4 (f64) / 1e-4·4 (f32 rounding of w is 6e-8·4).
        assert.ok(Math.abs(res.w[k - 1] - lam) <= 4 * dt.eig, `n=${n} k=${k}: ${res.w[k - 1]} vs ${lam}`);
        // Eigenvector sin(ikπ/(n+1)), up to sign (its two largest components tie in magnitude, so
        // the sign convention is decided by rounding). Error ≤ u‖A‖/gap, gap ≥ ~1e-3 at n = 150.
        let dot = 0;
        const c = Math.sqrt(2 / (n + 1));
        for (let i = 0; i < n; i++) dot += res.v[i * n + k - 1] * c * Math.sin(((i + 1) * k * Math.PI) / (n + 1));
        assert.ok(Math.abs(Math.abs(dot) - 1) <= (dt === F64 ? 1e-10 : 1e-5), `n=${n} k=${k}: |vᵀv*| = ${dot}`);
      }
    }
  });

  test(`syev ${dt.name}: Q·diag(λ)·Qᵀ with repeated, negative and clustered eigenvalues`, () => {
    const r = rng(53);
    for (const n of [17, 64, 150]) {
      // Repeated (−3 twice, 2 three times), zero, negative, clustered (1, 1 + 1e-10), tiny (1e-8).
      const base = [-3, -3, -1e-3, 0, 0.5, 1, 1 + 1e-10, 2, 2, 2, 5, 7, 10, -7, 3, 4, 1e-8];
      const lam = Array.from({ length: n }, (_, i) => (i < base.length ? base[i] : 9 * (2 * r() - 1)));
      const q = randomOrthogonal(r, n);
      const ql = new Float64Array(n * n);
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) ql[i * n + j] = q[i * n + j] * lam[j];
      const a0 = matmul(ql, transpose(q, n, n), n, n, n);
      for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) a0[j * n + i] = a0[i * n + j];
      const a = storedSymmetric(dt, a0, n);
      const res = eig(dt, a0, n, n + 2, 5, 0);
      checkEig(dt, a, n, res, `n=${n}`);
      const sorted = [...lam].sort((x, y) => x - y);
      // Eigenvalues are perfectly conditioned (Weyl): |Δλ| ≤ ‖E‖₂ = O(n·u·‖A‖) with ‖A‖₂ = 10 → 1e-11
      // absolute still separates 1 from 1 + 1e-10 (f64). f32 storage perturbs A by 6e-8·‖A‖.
      const tol = dt === F64 ? 1e-12 * 10 : 1e-5 * 10;
      for (let j = 0; j < n; j++) assert.ok(Math.abs(res.w[j] - sorted[j]) <= tol, `n=${n} j=${j}: ${res.w[j]} vs ${sorted[j]}`);
      if (dt === F64) {
        const i1 = sorted.indexOf(1);
        assert.ok(res.w[i1 + 1] - res.w[i1] > 0.9e-10, 'cluster 1, 1+1e-10 resolved');
      }
    }
  });

  test(`syev ${dt.name}: all-ones, 1×1, 2×2, zero and badly scaled matrices`, () => {
    // All ones: eigenvalues (0, …, 0, n), top eigenvector (1, …, 1)/√n.
    for (const n of [2, 3, 17, 64]) {
      const a = new Float64Array(n * n).fill(1);
      const res = eig(dt, a, n);
      checkEig(dt, a, n, res, `ones n=${n}`);
      for (let j = 0; j < n - 1; j++) assert.ok(Math.abs(res.w[j]) <= n * dt.eig, `ones n=${n}: w[${j}] = ${res.w[j]}`);
      assert.ok(Math.abs(res.w[n - 1] - n) <= n * dt.eig);
      for (let i = 0; i < n; i++) assert.ok(Math.abs(res.v[i * n + n - 1] - 1 / Math.sqrt(n)) <= dt.orth * 10);
    }
    // 1×1.
    let res = eig(dt, [-2.5], 1, 3, 2, 4);
    assert.equal(Array.from(res.w), [-2.5]);
    assert.equal(Array.from(res.v), [1]);
    // 2×2 [[4, 1], [1, 2]]: λ = 3 ∓ √2; vectors (1, √2 − 1) for 3 + √2 and (−1, 1 + √2) for
    // 3 − √2 once signed so that the largest component is positive.
    res = eig(dt, [4, 1, 1, 2], 2);
    const s2 = Math.SQRT2;
    const tol = dt === F64 ? 1e-15 : 1e-7;
    assert.ok(Math.abs(res.w[0] - (3 - s2)) <= 4 * tol && Math.abs(res.w[1] - (3 + s2)) <= 4 * tol);
    const n0 = Math.hypot(1, 1 + s2);
    const n1 = Math.hypot(1, s2 - 1);
    const expected = [-1 / n0, 1 / n1, (1 + s2) / n0, (s2 - 1) / n1];
    for (let q = 0; q < 4; q++) assert.ok(Math.abs(res.v[q] - expected[q]) <= 4 * tol, `2×2 v[${q}]`);
    // Zero matrix: all eigenvalues 0, V = I exactly.
    res = eig(dt, new Float64Array(25), 5);
    assert.equal(Array.from(res.w), [0, 0, 0, 0, 0]);
    assert.equal(Array.from(res.v), Array.from(identity(5)));
    // Scaling by 1e±30 (f32-representable) or 1e±200 (f64) changes nothing relative to ‖A‖.
    const r = rng(7);
    for (const s of dt === F64 ? [1e200, 1e-200] : [1e30, 1e-30]) {
      const a0 = randomSymmetric(r, 20).map((x) => x * s);
      const a = storedSymmetric(dt, a0, 20);
      checkEig(dt, a, 20, eig(dt, a0, 20), `scaled ${s}`);
    }
  });

  test(`syev ${dt.name}: non-finite input throws InputError before writing anything`, () => {
    for (const bad of [NaN, Infinity, -Infinity]) {
      const a = embed(dt.ctor, randomSymmetric(rng(3), 4), 4, 4, 4, 0);
      a[2 * 4 + 1] = bad;
      const before = Array.from(a);
      const w = new dt.ctor(4).fill(PAD);
      assert.throws(() => syev(4, a, 0, 4, w, 0, true), (e: unknown) => e instanceof InputError && /\(2, 1\)/.test((e as Error).message));
      assert.equal(Array.from(a), before);
      assert.equal(Array.from(w), [PAD, PAD, PAD, PAD]);
    }
  });
}

test('syev: iteration limit exceeded throws CurvatureError and leaves a and w untouched', () => {
  const a = embed(Float64Array, randomSymmetric(rng(9), 10), 10, 10, 10, 0);
  const before = Array.from(a);
  const w = new Float64Array(10);
  assert.throws(() => syev(10, a, 0, 10, w, 0, true, 1), (e: unknown) => e instanceof CurvatureError && /did not converge/.test((e as Error).message));
  assert.equal(Array.from(a), before);
  assert.equal(Array.from(w), new Array(10).fill(0));
});

test('syev: n = 0 is a no-op; bad dimensions throw ShapeError', () => {
  syev(0, new Float64Array(0), 0, 1, new Float64Array(0), 0, true);
  assert.throws(() => syev(3, new Float64Array(9), 0, 2, new Float64Array(3), 0, true), (e: unknown) => e instanceof ShapeError);
  assert.throws(() => syev(3, new Float64Array(9), 0, 3, new Float64Array(2), 0, true), (e: unknown) => e instanceof ShapeError);
});

// ---------------------------------------------------------------------------------------------
// Performance sanity (printed, not asserted).

test('timings (not asserted): n = 500 potrf and syev', () => {
  const n = 500;
  const r = rng(99);
  const spd = randomSpd(r, n);
  const sym = randomSymmetric(r, n);
  const time = (f: () => void): number => {
    const t0 = performance.now();
    f();
    return performance.now() - t0;
  };
  for (const dt of DTYPES) {
    const pot = Math.min(...[0, 1, 2].map(() => {
      const a = dt.ctor.from(spd);
      return time(() => assert.ok(potrf(n, a, 0, n).ok));
    }));
    const ev = time(() => syev(n, dt.ctor.from(sym), 0, n, new dt.ctor(n), 0, true));
    const evOnly = time(() => syev(n, dt.ctor.from(sym), 0, n, new dt.ctor(n), 0, false));
    console.log(`  [${dt.name}] n=${n}: potrf ${pot.toFixed(1)} ms, syev ${ev.toFixed(0)} ms (values only ${evOnly.toFixed(0)} ms)`);
  }
});

test.run();
