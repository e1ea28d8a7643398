/**
 * The native backend's dense linear algebra (potrf and trsm: native/src/linalg.cc; syev: syev.cc, stedc.cc) against the js
 * reference, its thread pool (setNativeThreads: results bit for bit independent of the count) and a
 * clean exit of processes that used the threads.
 *
 * Tolerances (why): potrf/trsm are blocked on the float32/float64 GEMM while the reference sums in
 * float64 one row at a time, so they agree to rounding: relative (Frobenius) 1e-12 in float64,
 * 1e-5 in float32 (n·u_f32 for n ≤ 785 with random-sign sums). syev works in the input's precision
 * (float64, or float32 like LAPACK's ssyev; the reference always in float64) and in another order
 * (blocked reduction, WY-formed Q, rotations in batches): eigenvalues within 1e-12·‖A‖_F (float64) /
 * 1e-6·‖A‖_F (float32: backward error ≈ √n·u_f32·‖A‖), the residual ‖AV − VΛ‖_F/‖A‖_F and
 * ‖VᵀV − I‖ within 1e-12·√n (float64) / 1e-5 (float32), and eigenvectors (same sign convention:
 * largest-magnitude component positive) within 1e-8 / 1e-4 of the reference's on random matrices
 * (eigenvalue gaps ≫ the backward error).
 */
import * as assert from 'uvu/assert';
import { suite } from 'uvu';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as c from '../../../src/index.js';
import type { BackendBuffer, DType, FloatArray, TypedArray } from '../../../src/backend/types.js';
import type { NativeBackend } from '../../../src/backend/native/index.js';
import { NATIVE_THREAD_MIN_FLOPS, setNativeThreads } from '../../../src/backend/native/threads.js';
import { ref, Rng } from '../wasm/setup.js';
import { nativeOrReason, nativeTest } from './setup.js';
import { repoRoot, throwsType } from '../../helpers.js';

const { backend: N, reason } = nativeOrReason();
const S = suite('native linear algebra and threads');
const t = nativeTest(S, N, reason);
const nb = (): NativeBackend => N!;
type FD = 'float32' | 'float64';
const FLOATS: FD[] = ['float32', 'float64'];

function both(dtype: DType, vals: ArrayLike<number>): { n: BackendBuffer; j: BackendBuffer } {
  const n = nb().alloc(dtype, vals.length), j = ref.alloc(dtype, vals.length);
  nb().write(n, vals);
  ref.write(j, vals);
  return { n, j };
}

/** Symmetric n×n with entries in [−1, 1] (both triangles). */
function symmetric(rng: Rng, n: number): Float64Array {
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) { const v = rng.uniform(-1, 1); a[i * n + j] = v; a[j * n + i] = v; }
  return a;
}

/** XᵀX/k + shift·I for a random (n+3)×n X, embedded with leading dimension ld at offset off (NaN padding). */
function spd(rng: Rng, n: number, ld: number, off: number, shift = 0.5): Float64Array {
  const k = n + 3;
  const x = Array.from({ length: k * n }, () => rng.uniform(-1, 1));
  const out = new Float64Array(off + n * ld).fill(NaN);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let r = 0; r < k; r++) s += x[r * n + i]! * x[r * n + j]!;
      out[off + i * ld + j] = s / k + (i === j ? shift : 0);
    }
  }
  return out;
}

/** ‖a − b‖/‖b‖ over the entries of an n×n block at off with leading dimension ld (lower triangle when `lower`). */
function relErr(a: TypedArray, b: TypedArray, n: number, cols: number, ld: number, off: number, lower = false): number {
  let num = 0, den = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < (lower ? i + 1 : cols); j++) {
      const x = a[off + i * ld + j]!, y = b[off + i * ld + j]!;
      num += (x - y) ** 2;
      den += y * y;
    }
  }
  return Math.sqrt(num / Math.max(den, 1e-300));
}

const SIZES = [1, 2, 3, 17, 64, 200, 785];

// ---------------------------------------------------------------------------------------------
// potrf

t('potrf matches the reference (n = 1 … 785, offsets, padded rows; upper triangle zeroed)', () => {
  for (const dtype of FLOATS) {
    for (const n of SIZES) {
      const rng = new Rng(n);
      const ld = n + (n % 3), off = n % 5;
      const a = both(dtype, spd(rng, n, ld, off));
      const rn = nb().potrf(n, a.n, off, ld), rj = ref.potrf(n, a.j, off, ld);
      assert.equal(rn, rj, `potrf ${dtype} n=${n}`);
      const got = nb().read(a.n), want = ref.read(a.j);
      const err = relErr(got, want, n, n, ld, off);
      assert.ok(err <= (dtype === 'float64' ? 1e-12 : 1e-5), `potrf ${dtype} n=${n}: relative error ${err}`);
      for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) assert.ok(Object.is(got[off + i * ld + j], 0), `upper (${i}, ${j}) zeroed`);
      // Padding outside the matrix untouched (NaN).
      if (off > 0) assert.ok(Number.isNaN(got[0]!), 'before the offset');
      if (ld > n && n > 1) assert.ok(Number.isNaN(got[off + n]!), 'row padding');
    }
  }
});

t('potrf: not positive definite or NaN → the reference\'s failing pivot and value (small, past the first 96-row block, and in a later 384-column panel)', () => {
  const cases: [number[], number][] = [[[4, 2, 2, 1], 2], [[1, 0, 0, 0, -2, 0, 0, 0, 3], 3], [[2, 1, 1, 1, NaN, 1, 1, 1, 2], 3],
    [[-1], 1], [[0], 1], [[NaN], 1], [[Infinity], 1], [[1, 0, Infinity, 1], 2], [[1, 0, 1e-50, 1e-100], 2]];
  for (const dtype of FLOATS) {
    for (const [vals, n] of cases) {
      const a = both(dtype, vals);
      const rn = nb().potrf(n, a.n, 0, n), rj = ref.potrf(n, a.j, 0, n);
      assert.is(rn.ok, rj.ok, `potrf ${dtype} [${vals}]: ok`);
      if (rn.ok || rj.ok) continue;
      assert.is(rn.pivot, rj.pivot, `potrf ${dtype} [${vals}]: pivot`);
      assert.ok(Object.is(rn.value, rj.value) || Math.abs(rn.value - rj.value) <= 1e-6 * Math.max(1, Math.abs(rj.value)),
        `potrf ${dtype} [${vals}]: value ${rn.value}, expected ${rj.value}`);
    }
    // Indefinite beyond the first block (and the first panel: rows 384 … take the outer update): SPD
    // with one eigen-direction pushed negative late.
    for (const [n, bad] of [[200, 150], [300, 97], [300, 299], [500, 384], [500, 470]] as const) {
      const rng = new Rng(n + bad);
      const m = spd(rng, n, n, 0);
      m[bad * n + bad] = -m[bad * n + bad]!;
      const nanCase = Float64Array.from(m);
      nanCase[bad * n + 3] = NaN;
      nanCase[3 * n + bad] = NaN;
      for (const vals of [m, nanCase]) {
        const a = both(dtype, vals);
        const rn = nb().potrf(n, a.n, 0, n), rj = ref.potrf(n, a.j, 0, n);
        assert.is(rn.ok, false);
        if (rn.ok || rj.ok) throw new Error(`potrf ${dtype} n=${n}: reference succeeded`);
        assert.is(rn.pivot, rj.pivot, `potrf ${dtype} n=${n} bad=${bad}: pivot`);
        const tol = dtype === 'float64' ? 1e-10 : 1e-4;
        assert.ok(Object.is(rn.value, rj.value) || Math.abs(rn.value - rj.value) <= tol * Math.max(1, Math.abs(rj.value)),
          `potrf ${dtype} n=${n}: value ${rn.value}, expected ${rj.value}`);
      }
    }
  }
});

// ---------------------------------------------------------------------------------------------
// trsm

t('trsm matches the reference: lower/upper, transposed or not, unit diagonal, alpha, offsets and padding', () => {
  for (const dtype of FLOATS) {
    for (const [m, n] of [[1, 1], [2, 3], [3, 1], [17, 5], [64, 70], [200, 33], [150, 1]] as const) {
      const rng = new Rng(m * 1000 + n);
      const lda = m + 2, offA = 3, ldb = n + 1, offB = 1;
      const l = both(dtype, spd(rng, m, lda, offA));
      ref.potrf(m, l.j, offA, lda);
      const lvals = ref.read(l.j);
      for (const uplo of ['lower', 'upper'] as const) {
        // The Cholesky factor (lower) or its transpose (upper): well conditioned.
        const tri = new Float64Array(lvals.length).fill(NaN);
        for (let i = 0; i < m; i++) {
          for (let j = 0; j < m; j++) {
            const v = uplo === 'lower' ? lvals[offA + i * lda + j]! : lvals[offA + j * lda + i]!;
            if ((uplo === 'lower' && j <= i) || (uplo === 'upper' && j >= i)) tri[offA + i * lda + j] = v;
          }
        }
        const a = both(dtype, tri);
        for (const trans of [false, true]) {
          for (const unit of [false, true]) {
            for (const alpha of [1, -0.75, 0]) {
              const bvals = new Float64Array(offB + m * ldb).fill(-777);
              for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) bvals[offB + i * ldb + j] = rng.uniform(-1, 1);
              const b = both(dtype, bvals);
              nb().trsm(uplo, trans, unit, m, n, alpha, a.n, offA, lda, b.n, offB, ldb);
              ref.trsm(uplo, trans, unit, m, n, alpha, a.j, offA, lda, b.j, offB, ldb);
              const got = nb().read(b.n), want = ref.read(b.j);
              // Unit-diagonal solves with a Cholesky factor's off-diagonal part grow like its condition: relative.
              const err = relErr(got, want, m, n, ldb, offB);
              const tol = (dtype === 'float64' ? 1e-12 : 1e-5) * (unit ? 100 : 1);
              assert.ok(err <= tol, `trsm ${dtype} ${uplo} trans=${trans} unit=${unit} alpha=${alpha} ${m}×${n}: relative error ${err}`);
              assert.is(got[0], -777, 'before the offset untouched');
              if (alpha === 0) assert.ok(Array.from({ length: m }, (_, i) => got[offB + i * ldb]).every((v) => Object.is(v, 0)), 'alpha = 0 zeroes B');
            }
          }
        }
      }
    }
  }
});

t('trsm: NaN in A or B propagates like the reference (no throw); dtype mismatch is a DTypeError', () => {
  for (const dtype of FLOATS) {
    const a = both(dtype, [2, 0, NaN, 1]), b = both(dtype, [1, 2, 3, 4]);
    nb().trsm('lower', false, false, 2, 2, 1, a.n, 0, 2, b.n, 0, 2);
    ref.trsm('lower', false, false, 2, 2, 1, a.j, 0, 2, b.j, 0, 2);
    assert.equal(Array.from(nb().read(b.n)), Array.from(ref.read(b.j)));
  }
  throwsType(() => nb().trsm('lower', false, false, 1, 1, 1, nb().alloc('float32', 1), 0, 1, nb().alloc('float64', 1), 0, 1), c.DTypeError);
});

// ---------------------------------------------------------------------------------------------
// syev

function checkEigen(dtype: FD, n: number, A: Float64Array, V: TypedArray, w: TypedArray, what: string): void {
  let anorm = 0;
  for (let i = 0; i < n * n; i++) anorm += A[i]! ** 2;
  anorm = Math.max(Math.sqrt(anorm), 1e-300);
  const tol = dtype === 'float64' ? 1e-12 * Math.sqrt(n) : 1e-5;
  let res = 0, orth = 0;
  const col = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    for (let i = 0; i < n; i++) col[i] = V[i * n + j]!;
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += A[i * n + k]! * col[k]!;
      res += (s - w[j]! * col[i]!) ** 2;
    }
    // Sign convention: the first component of largest magnitude is positive.
    let big = -1, sgn = 0;
    for (let i = 0; i < n; i++) if (Math.abs(col[i]!) > big) { big = Math.abs(col[i]!); sgn = Math.sign(col[i]!); }
    assert.is(sgn, 1, `${what}: sign of eigenvector ${j}`);
    if (j > 0) assert.ok(w[j]! >= w[j - 1]!, `${what}: eigenvalues ascending`);
  }
  for (let i = 0; i < Math.min(n, 64); i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += V[k * n + i]! * V[k * n + j]!;
      orth = Math.max(orth, Math.abs(s - (i === j ? 1 : 0)));
    }
  }
  assert.ok(Math.sqrt(res) / anorm <= tol, `${what}: residual ${Math.sqrt(res) / anorm}`);
  assert.ok(orth <= tol, `${what}: orthogonality ${orth}`);
}

t('syev matches the reference: eigenvalues, eigenvectors (sign convention), residual and orthogonality, n = 1 … 785', () => {
  for (const n of SIZES) {
    const rng = new Rng(7 * n + 1);
    const A = symmetric(rng, n);
    // Upper triangle garbage: only the lower one is read.
    const stored = Float64Array.from(A);
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) stored[i * n + j] = NaN;
    const a64 = Float64Array.from(stored);
    const jsA = ref.alloc('float64', n * n), jsW = ref.alloc('float64', n);
    ref.write(jsA, a64);
    ref.syev(n, jsA, 0, n, jsW, 0, true);
    const wantV = ref.read(jsA), wantW = ref.read(jsW);
    let anorm = 0;
    for (const v of A) anorm += v * v;
    anorm = Math.sqrt(anorm);
    for (const dtype of FLOATS) {
      const a = nb().alloc(dtype, n * n), w = nb().alloc(dtype, n);
      nb().write(a, stored);
      nb().syev(n, a, 0, n, w, 0, true);
      const V = nb().read(a), W = nb().read(w);
      const what = `syev ${dtype} n=${n}`;
      const wt = (dtype === 'float64' ? 1e-12 : 1e-6) * anorm;
      for (let j = 0; j < n; j++) assert.ok(Math.abs(W[j]! - wantW[j]!) <= wt, `${what}: eigenvalue ${j} ${W[j]} vs ${wantW[j]}`);
      // Up to sign where the reference's two largest components tie within the tolerance: the sign
      // convention (largest magnitude positive) then rests on rounding that differs between them.
      const vtol = dtype === 'float64' ? 1e-8 : 1e-4;
      let dv = 0;
      for (let j = 0; j < n; j++) {
        const mags = Array.from({ length: n }, (_, i) => Math.abs(wantV[i * n + j]!)).sort((x, y) => y - x);
        const tie = n > 1 && mags[0]! - mags[1]! <= vtol;
        let same = 0, flipped = 0;
        for (let i = 0; i < n; i++) {
          same = Math.max(same, Math.abs(V[i * n + j]! - wantV[i * n + j]!));
          flipped = Math.max(flipped, Math.abs(V[i * n + j]! + wantV[i * n + j]!));
        }
        dv = Math.max(dv, tie ? Math.min(same, flipped) : same);
      }
      assert.ok(dv <= vtol, `${what}: eigenvectors differ from the reference by ${dv}`);
      checkEigen(dtype, n, A, V, W, what);
      // Eigenvalues alone: the same values, a untouched.
      const a2 = nb().alloc(dtype, n * n), w2 = nb().alloc(dtype, n);
      nb().write(a2, stored);
      nb().syev(n, a2, 0, n, w2, 0, false);
      assert.equal(Array.from(nb().read(w2)), Array.from(W), `${what}: values only`);
      assert.ok(nb().read(a2).every((v, i) => Object.is(v, (dtype === 'float32' ? Math.fround(stored[i]!) : stored[i]!))), `${what}: a untouched`);
    }
  }
});

t('syev: offsets and padded rows; degenerate spectra (zero, identity, repeated, rank one, tiny and huge scales)', () => {
  const rng = new Rng(99);
  const n = 37, ld = 41, off = 5, woff = 2;
  const cases: [string, Float64Array][] = [
    ['zero', new Float64Array(n * n)],
    ['identity', Float64Array.from({ length: n * n }, (_, k) => (k % (n + 1) === 0 ? 1 : 0))],
    ['repeated', Float64Array.from({ length: n * n }, (_, k) => (k % (n + 1) === 0 ? ((k / (n + 1)) % 3) : 0))],
  ];
  const u = Array.from({ length: n }, () => rng.uniform(-1, 1));
  cases.push(['rank one', Float64Array.from({ length: n * n }, (_, k) => u[Math.floor(k / n)]! * u[k % n]!)]);
  const r = symmetric(rng, n);
  cases.push(['tiny', r.map((v) => v * 1e-200)], ['huge', r.map((v) => v * 1e200)]);
  for (const dtype of FLOATS) {
    for (const [name, A] of cases) {
      if (dtype === 'float32' && (name === 'tiny' || name === 'huge')) continue;
      const vals = new Float64Array(off + n * ld).fill(-777);
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) vals[off + i * ld + j] = A[i * n + j]!;
      const a = both(dtype, vals), w = both(dtype, new Float64Array(woff + n + 1).fill(-777));
      nb().syev(n, a.n, off, ld, w.n, woff, true);
      ref.syev(n, a.j, off, ld, w.j, woff, true);
      const got = nb().read(a.n), W = nb().read(w.n), wantW = ref.read(w.j);
      assert.is(W[0], -777);
      assert.is(W[woff + n], -777);
      assert.is(got[off - 1], -777);
      assert.is(got[off + n], -777, 'row padding untouched');
      let scale = 0;
      for (const v of A) scale = Math.max(scale, Math.abs(v));
      for (let j = 0; j < n; j++) {
        assert.ok(Math.abs(W[woff + j]! - wantW[woff + j]!) <= 1e-5 * Math.max(scale, 1e-300) * n, `${name} ${dtype}: eigenvalue ${j}`);
      }
      const V = new Float64Array(n * n), Ws = new Float64Array(n);
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) V[i * n + j] = got[off + i * ld + j]!;
      for (let j = 0; j < n; j++) Ws[j] = W[woff + j]!;
      if (name !== 'tiny' && name !== 'huge') checkEigen(dtype, n, A, V as unknown as FloatArray, Ws, `syev ${name} ${dtype}`);
    }
  }
});

t('syev (divide and conquer, n > 32: merges and deflation): clustered, graded and split spectra — residual, orthogonality, eigenvalues vs the reference', () => {
  const rng = new Rng(5);
  const n = 150;
  const tri = (diag: (i: number) => number, off: (i: number) => number): Float64Array => {
    const A = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      A[i * n + i] = diag(i);
      if (i + 1 < n) A[i * n + i + 1] = A[(i + 1) * n + i] = off(i);
    }
    return A;
  };
  const noise = symmetric(rng, n);
  const cases: [string, Float64Array][] = [
    // Wilkinson W⁺: pairs of eigenvalues equal to many digits (deflation by rotation).
    ['Wilkinson W+', tri((i) => Math.abs(i - (n - 1) / 2), () => 1)],
    // Glued Wilkinson blocks (21 rows each, glue 1e-7): tight clusters across the splits.
    ['glued Wilkinson', tri((i) => Math.abs((i % 21) - 10), (i) => ((i + 1) % 21 === 0 ? 1e-7 : 1))],
    // Identity plus 1e-9 noise: every pole nearly equal.
    ['I + 1e-9·noise', Float64Array.from(noise, (v, k) => (k % (n + 1) === 0 ? 1 : 0) + 1e-9 * v)],
    // Graded: diagonal from 1e-8 to 1e8, coupled.
    ['graded', tri((i) => 10 ** (-8 + (16 * i) / (n - 1)), (i) => 10 ** (-8 + (16 * i) / (n - 1)) / 3)],
    // Exact zeros on the off-diagonal at and away from the midpoint (the merge's ρ = 0).
    ['split', tri((i) => rng.uniform(-1, 1), (i) => (i === n / 2 - 1 || i % 17 === 0 ? 0 : rng.uniform(-1, 1)))],
    // Repeated eigenvalues across the halves with random eigenvectors.
    ['repeated, rotated', (() => {
      const q = symmetric(rng, n);
      // A = Σ λ_k u_k u_kᵀ with λ ∈ {1, 2, 3} over a random (non-orthogonal, symmetrised) basis: many equal poles.
      const A = new Float64Array(n * n);
      for (let k = 0; k < n; k++) {
        const lam = 1 + (k % 3);
        for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) A[i * n + j] += lam * q[i * n + k]! * q[j * n + k]! / n;
      }
      return A;
    })()],
  ];
  for (const dtype of FLOATS) {
    for (const [name, A] of cases) {
      const a = both(dtype, A), w = both(dtype, new Float64Array(n));
      nb().syev(n, a.n, 0, n, w.n, 0, true);
      ref.syev(n, a.j, 0, n, w.j, 0, true);
      const V = nb().read(a.n), W = nb().read(w.n), wantW = ref.read(w.j);
      let scale = 0;
      for (const v of A) scale = Math.max(scale, Math.abs(v));
      const tol = (dtype === 'float64' ? 1e-12 : 1e-5) * scale * Math.sqrt(n);
      for (let j = 0; j < n; j++) assert.ok(Math.abs(W[j]! - wantW[j]!) <= tol, `${name} ${dtype}: eigenvalue ${j} ${W[j]} vs ${wantW[j]}`);
      checkEigen(dtype, n, A, V as unknown as FloatArray, W as unknown as FloatArray, `syev ${name} ${dtype}`);
    }
  }
});

t('syev: NaN/±Inf in the lower triangle is an InputError naming the entry, nothing written; in the upper triangle ignored', () => {
  for (const dtype of FLOATS) {
    for (const bad of [NaN, Infinity, -Infinity]) {
      const a = both(dtype, [1, 0, 0, 2, 3, 0, 4, bad, 5]), w = both(dtype, [-777, -777, -777]);
      throwsType(() => nb().syev(3, a.n, 0, 3, w.n, 0, true), c.InputError, new RegExp(`entry \\(2, 1\\).*${String(bad).replace('+', '')}`));
      throwsType(() => ref.syev(3, a.j, 0, 3, w.j, 0, true), c.InputError, /entry \(2, 1\)/);
      assert.equal(Array.from(nb().read(w.n)), [-777, -777, -777]);
      assert.equal(Array.from(nb().read(a.n)), Array.from(ref.read(a.j)));
    }
    // n = 40: the bad entry inside a 16-lane body of the row scan, and in its scalar tail.
    for (const [i, j] of [[37, 20], [37, 35], [39, 0]] as const) {
      const n = 40, vals = spd(new Rng(i + j), n, n, 0);
      vals[i * n + j] = NaN;
      const big = both(dtype, vals), wb = both(dtype, new Array<number>(n).fill(-777));
      throwsType(() => nb().syev(n, big.n, 0, n, wb.n, 0, true), c.InputError, new RegExp(`entry \\(${i}, ${j}\\)`));
      assert.ok(Array.from(nb().read(wb.n)).every((x) => x === -777), 'eigenvalues untouched');
    }
    const a = both(dtype, [1, NaN, NaN, 2, 3, NaN, 4, 6, 5]), w = both(dtype, [0, 0, 0]);
    nb().syev(3, a.n, 0, 3, w.n, 0, true);
    ref.syev(3, a.j, 0, 3, w.j, 0, true);
    const got = nb().read(w.n), want = ref.read(w.j);
    for (let j = 0; j < 3; j++) assert.ok(Math.abs(got[j]! - want[j]!) <= 1e-5 * 12);
    throwsType(() => nb().syev(3, a.n, 0, 2, w.n, 0, true), c.ShapeError, /leading dimension/);
    throwsType(() => nb().syev(3, a.n, 0, 3, nb().alloc(dtype === 'float32' ? 'float64' : 'float32', 3), 0, true), c.DTypeError);
  }
});

// ---------------------------------------------------------------------------------------------
// Threads

const same = (p: TypedArray, q: TypedArray): boolean => p.length === q.length && p.every((v, i) => Object.is(v, q[i]));

t('gemmStridedBatched with a shared operand (stride 0, packed once) or none equals one gemm per entry bit for bit, at 1, 2 and 3 threads, across several cache blocks', () => {
  try {
    for (const dtype of FLOATS) {
      // m over MC (144 float32, 96 float64) rows and k over KC (256) steps, so the shared A is
      // packed in several blocks; batches below, at and above the thread counts.
      for (const [m, n, k, batch] of [[300, 70, 530, 5], [13, 200, 257, 2], [150, 33, 40, 3], [2100, 40, 20, 2]] as const) {
        for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]] as const) {
          for (const shared of ['a', 'b', 'none'] as const) {
            const rng = new Rng(m + 3 * n + 7 * k + batch);
            const lda = ta ? m : k, ldb = tb ? k : n, ldc = n + 3;
            const sa = shared === 'a' ? 0 : m * k + 5, sb = shared === 'b' ? 0 : k * n + 2, sc = m * ldc + 1;
            const buf = (size: number) => { const x = nb().alloc(dtype, size); nb().write(x, Array.from({ length: size }, () => rng.uniform(-1, 1))); return x; };
            const a = buf(m * k + (batch - 1) * sa), b = buf(k * n + (batch - 1) * sb), c0 = buf(batch * sc);
            const C0 = nb().read(c0);
            const want = nb().alloc(dtype, batch * sc);
            nb().write(want, C0);
            setNativeThreads(1, { minFlops: 0 });
            for (let e = 0; e < batch; e++) nb().gemm(ta, tb, m, n, k, 0.75, a, e * sa, lda, b, e * sb, ldb, -0.5, want, e * sc, ldc);
            const W = nb().read(want);
            for (const threads of [1, 2, 3]) {
              setNativeThreads(threads, { minFlops: 0 });
              const got = nb().alloc(dtype, batch * sc);
              nb().write(got, C0);
              nb().gemmStridedBatched(ta, tb, m, n, k, 0.75, a, 0, lda, sa, b, 0, ldb, sb, -0.5, got, 0, ldc, sc, batch);
              assert.ok(same(nb().read(got), W), `${dtype} m=${m} n=${n} k=${k} batch=${batch} ta=${ta} tb=${tb} shared ${shared}, ${threads} threads`);
            }
          }
        }
      }
    }
  } finally {
    setNativeThreads(nb().info().defaultThreads);
  }
});

t('syrk equals gemm(trans, !trans) of A with itself bit for bit (both triangles; offsets, ld > n; sizes across MC, KC and the micro-tiles), at 1, 2 and 3 threads', () => {
  try {
    for (const dtype of FLOATS) {
      for (const [n, k] of [[1, 5], [2, 1], [13, 300], [150, 40], [301, 530], [785, 64]] as const) {
        for (const trans of [true, false]) {
          const rng = new Rng(n + 7 * k + (trans ? 1 : 0));
          const lda = (trans ? n : k) + 2, ldc = n + 3, aOff = 5, cOff = 2;
          const buf = (size: number) => { const x = nb().alloc(dtype, size); nb().write(x, Array.from({ length: size }, () => rng.uniform(-1, 1))); return x; };
          const a = buf(aOff + (trans ? k : n) * lda), c0 = buf(cOff + n * ldc);
          const C0 = nb().read(c0);
          setNativeThreads(1, { minFlops: 0 });
          const want = nb().alloc(dtype, C0.length);
          nb().write(want, C0);
          nb().gemm(trans, !trans, n, n, k, 0.75, a, aOff, lda, a, aOff, lda, 0, want, cOff, ldc);
          const W = nb().read(want);
          for (const threads of [1, 2, 3]) {
            setNativeThreads(threads, { minFlops: 0 });
            const got = nb().alloc(dtype, C0.length);
            nb().write(got, C0);
            nb().syrk(trans, n, k, 0.75, a, aOff, lda, got, cOff, ldc);
            // gemm with beta = 0 leaves C's padding (columns n..ldc−1, the offset) alone: so must syrk.
            assert.ok(same(nb().read(got), W), `${dtype} n=${n} k=${k} trans=${trans}, ${threads} threads`);
          }
        }
      }
    }
  } finally {
    setNativeThreads(nb().info().defaultThreads);
  }
});

t('syrk refuses bad operands like gemm: mixed dtypes, A or C too small', () => {
  const a = nb().alloc('float32', 12), out64 = nb().alloc('float64', 9), out = nb().alloc('float32', 9);
  throwsType(() => nb().syrk(true, 3, 4, 1, a, 0, 3, out64, 0, 3), c.DTypeError, /syrk: needs float32 or float64 operands of one dtype/);
  throwsType(() => nb().syrk(true, 3, 5, 1, a, 0, 3, out, 0, 3), c.ShapeError, /syrk/);
  throwsType(() => nb().syrk(false, 4, 3, 1, a, 0, 3, out, 0, 3), c.ShapeError, /syrk/);
});

t('syev keeps its scratch between calls (native/src/scratch.cc): the same bits before and after larger, smaller and failed calls', () => {
  // Work arrays are reused, not re-zeroed: a read of another call's leftovers would change bits.
  // The sizes grow the per-thread stack past one block (k ≈ n kept in the secular equations of a
  // random spectrum), shrink it, and a NaN input leaves before taking anything.
  for (const dtype of FLOATS) {
    const rng = new Rng(11);
    const run = (n: number, values: ArrayLike<number>): [TypedArray, TypedArray] => {
      const a = nb().alloc(dtype, n * n), w = nb().alloc(dtype, n);
      nb().write(a, values);
      nb().syev(n, a, 0, n, w, 0, true);
      return [nb().read(a), nb().read(w)];
    };
    const small = symmetric(rng, 97), large = symmetric(rng, 600), mid = symmetric(rng, 257);
    const first = run(97, small);
    const firstMid = run(257, mid);
    run(600, large);
    const nan = symmetric(rng, 40);
    nan[39 * 40 + 3] = NaN;
    throwsType(() => run(40, nan), c.InputError, /entry/);
    const again = run(97, small), againMid = run(257, mid);
    assert.ok(same(again[0], first[0]) && same(again[1], first[1]), `${dtype}: n = 97 after other calls`);
    assert.ok(same(againMid[0], firstMid[0]) && same(againMid[1], firstMid[1]), `${dtype}: n = 257 after other calls`);
  }
});

t('results are bit for bit independent of the thread count (1, 2, 3): GEMM on odd sizes, potrf, trsm, syev', () => {
  try {
    for (const dtype of FLOATS) {
      const runs: TypedArray[][] = [];
      for (const threads of [1, 2, 3]) {
        setNativeThreads(threads, { minFlops: 0 });
        assert.is(nb().info().threads, threads);
        const out: TypedArray[] = [];
        for (const [m, n, k, ta, tb] of [[333, 517, 259, false, false], [131, 1001, 77, true, false], [700, 7, 300, false, true], [97, 389, 513, true, true]] as const) {
          const rng = new Rng(m + n + k);
          const lda = ta ? m : k, ldb = tb ? k : n;
          const a = nb().alloc(dtype, (ta ? k : m) * lda), b = nb().alloc(dtype, (tb ? n : k) * ldb), cc = nb().alloc(dtype, m * n);
          nb().write(a, Array.from({ length: (ta ? k : m) * lda }, () => rng.uniform(-1, 1)));
          nb().write(b, Array.from({ length: (tb ? n : k) * ldb }, () => rng.uniform(-1, 1)));
          nb().write(cc, Array.from({ length: m * n }, () => rng.uniform(-1, 1)));
          nb().gemm(ta, tb, m, n, k, 0.75, a, 0, lda, b, 0, ldb, -0.5, cc, 0, n);
          out.push(nb().read(cc));
        }
        const rng = new Rng(5);
        const n = 301;
        const p = nb().alloc(dtype, n * n);
        nb().write(p, spd(rng, n, n, 0));
        nb().potrf(n, p, 0, n);
        out.push(nb().read(p));
        const b = nb().alloc(dtype, n * 211);
        nb().write(b, Array.from({ length: n * 211 }, () => rng.uniform(-1, 1)));
        nb().trsm('lower', true, false, n, 211, 1, p, 0, n, b, 0, 211);
        out.push(nb().read(b));
        const s = nb().alloc(dtype, n * n), w = nb().alloc(dtype, n);
        nb().write(s, symmetric(rng, n));
        nb().syev(n, s, 0, n, w, 0, true);
        out.push(nb().read(s), nb().read(w));
        runs.push(out);
      }
      for (let r = 1; r < runs.length; r++) {
        runs[r]!.forEach((x, i) => assert.ok(same(x, runs[0]![i]!), `${dtype}: output ${i} with ${r + 1} threads differs from 1 thread`));
      }
    }
  } finally {
    setNativeThreads(nb().info().defaultThreads);
  }
});

t('setNativeThreads: checks its argument; the default is the physical cores; minFlops is passed on', () => {
  try {
    for (const bad of [0, -1, 65, 1.5, NaN, '2' as unknown as number]) throwsType(() => setNativeThreads(bad), c.InputError, /thread count/);
    throwsType(() => setNativeThreads(2, { minFlops: -1 }), c.InputError, /minFlops/);
    setNativeThreads(3, { minFlops: 123 });
    assert.is(nb().info().threads, 3);
    assert.is(nb().info().threadMinFlops, 123);
    assert.is(c.getNativeThreads(), 3);
    assert.ok(nb().info().defaultThreads >= 1);
  } finally {
    setNativeThreads(nb().info().defaultThreads);
    assert.is(nb().info().threadMinFlops, NATIVE_THREAD_MIN_FLOPS);
  }
});

const indexUrl = pathToFileURL(join(repoRoot(), 'dist', 'src', 'index.js')).href;

function child(code: string, env: Record<string, string>): { status: number | null; signal: string | null; out: string } {
  const childEnv: Record<string, string | undefined> = { ...process.env, ...env };
  delete childEnv['CURVATURE_THREADS'];
  if (env['CURVATURE_NATIVE_THREADS'] === undefined) delete childEnv['CURVATURE_NATIVE_THREADS'];
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], { encoding: 'utf8', timeout: 60_000, env: childEnv });
  return { status: r.status, signal: r.signal, out: `${r.stdout}${r.stderr}` };
}

const WORK = `
  const c = await import(${JSON.stringify(indexUrl)});
  const be = c.setBackend('native');
  const n = 300, a = be.alloc('float32', n * n), out = be.alloc('float32', n * n), w = be.alloc('float32', n);
  be.fill(a, 1);
  be.gemm(false, false, n, n, n, 1, a, 0, n, a, 0, n, 0, out, 0, n);
  be.syev(n, out, 0, n, w, 0, true);
`;

t('processes that used the threads exit by themselves, by process.exit, and with a worker thread using the addon', () => {
  const natural = child(`${WORK} console.log('threads ' + be.info().threads);`, { CURVATURE_NATIVE_THREADS: '2' });
  assert.is(natural.status, 0, natural.out);
  assert.match(natural.out, /threads 2/, natural.out);
  const exited = child(`${WORK} setTimeout(() => process.exit(0), 0); be.gemm(false, false, n, n, n, 1, a, 0, n, a, 0, n, 0, out, 0, n);`, { CURVATURE_NATIVE_THREADS: '3' });
  assert.is(exited.status, 0, exited.out);
  const worker = child(`
    const { Worker } = await import('node:worker_threads');
    const wk = new Worker(${JSON.stringify(`(async () => { const c = await import(${JSON.stringify(indexUrl)}); const be = c.setBackend('native');
      const n = 257, a = be.alloc('float64', n * n), o = be.alloc('float64', n * n);
      be.fill(a, 0.5); for (let i = 0; i < 20; i++) be.gemm(false, true, n, n, n, 1, a, 0, n, a, 0, n, 0, o, 0, n);
      (await import('node:worker_threads')).parentPort.postMessage(be.read(o)[0]); })();`)}, { eval: true });
    const got = new Promise((res) => wk.once('message', res));
    ${WORK}
    for (let i = 0; i < 20; i++) be.gemm(false, true, n, n, n, 1, a, 0, n, a, 0, n, 0, out, 0, n);
    console.log('worker ' + (await got) + ' main ' + be.read(out)[0]);`, { CURVATURE_NATIVE_THREADS: '2' });
  assert.is(worker.status, 0, worker.out);
  assert.match(worker.out, /worker 64\.25 main 300/);
  const bad = child(`const c = await import(${JSON.stringify(indexUrl)}); const be = c.setBackend('native');
    try { c.getNativeThreads(); } catch (e) { console.log(e.name + ' ' + e.message + ' ' + (be.info().threads === be.info().defaultThreads)); }`, { CURVATURE_NATIVE_THREADS: 'lots' });
  assert.is(bad.status, 0, bad.out);
  assert.match(bad.out, /InputError CURVATURE_NATIVE_THREADS: .*"lots" true/);
});

S.run();
