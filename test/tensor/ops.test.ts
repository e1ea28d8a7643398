import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as c from '../../src/index.js';
import { Random } from '../../src/tensor/random.js';
import { countKernelCalls, testBackends, throwsType } from '../helpers.js';

/**
 * Forward VALUES of the tensor ops against hand-computed numbers (derivatives are covered by
 * test/autodiff/finite-differences.test.ts). Expected values are computed in float64 from the
 * inputs as the dtype stores them (Math.fround for float32).
 *
 * Tolerances, relative per element (|got − want| ≤ tol·|want|; an expected 0 must come out 0):
 *   float64 1e-12 — every kernel computes in double, so results are exact up to a few ulps
 *                   (≈1e-16) and 1e-12 leaves room for short op chains (softmax, logSumExp);
 *   float32 1e-6  — kernels compute in double and round once to float32 (≈6e-8 relative), a
 *                   chain of a few ops stays well below 1e-6.
 */
const TOL = { float32: 1e-6, float64: 1e-12 } as const;
type F = 'float32' | 'float64';
const DTYPES: F[] = ['float64', 'float32'];

const round = (dt: F) => (dt === 'float32' ? Math.fround : (v: number) => v);

/**
 * Element-wise relative comparison. `scale` (e.g. Σ|a||b| for a product) bounds the error where the
 * result cancels: float32 GEMM kernels may accumulate in float32 (the wasm ABI allows 1e-5·Σ|a||b|).
 */
function close(t: c.Tensor, want: ArrayLike<number>, dt: F, what = '', scale = 0): void {
  assert.is(t.dtype, dt, `${what}: dtype`);
  const got = t.dataSync();
  assert.ok(got instanceof (dt === 'float32' ? Float32Array : Float64Array), `${what}: typed array kind`);
  assert.is(got.length, want.length, `${what}: length`);
  for (let i = 0; i < want.length; i++) {
    const g = got[i]!, w = want[i]!;
    if (Number.isNaN(w)) { assert.ok(Number.isNaN(g), `${what}[${i}]: expected NaN, got ${g}`); continue; }
    if (!Number.isFinite(w)) { assert.is(g, w, `${what}[${i}]`); continue; }
    assert.ok(Math.abs(g - w) <= TOL[dt] * Math.max(Math.abs(w), scale), `${what}[${i}] (${dt}): got ${g}, want ${w}`);
  }
}

const shapeIs = (t: c.Tensor, shape: number[], what = ''): void => assert.equal([...t.shape], shape, `${what}: shape`);

/** Asserts `fn` throws an instance of `type` (and, if given, a message matching `re`). */

/** Row-major values 0..n-1 scaled: handy exact inputs. */
const iota = (n: number, scale = 1, shift = 0): number[] => Array.from({ length: n }, (_, i) => i * scale + shift);

for (const backend of testBackends()) {
  const s = suite(`tensor ops [${backend}]`);
  s.before.each(() => { c.setBackend(backend); });

  // ---------------------------------------------------------------- elementwise
  for (const dt of DTYPES) {
    const r = round(dt);

    s(`broadcasting [2,1,3] + [4,1] → [2,4,3] (${dt})`, () => {
      const a = iota(6, 0.5, -1), b = [10, 20, 30, 40];
      const out = c.add(c.tensor(a, [2, 1, 3], dt), c.tensor(b, [4, 1], dt));
      shapeIs(out, [2, 4, 3]);
      const want: number[] = [];
      for (let i = 0; i < 2; i++) for (let j = 0; j < 4; j++) for (let k = 0; k < 3; k++) want.push(r(a[i * 3 + k]!) + b[j]!);
      close(out, want, dt, 'add');
      // and the other order, with sub (not commutative)
      const out2 = c.sub(c.tensor(b, [4, 1], dt), c.tensor(a, [2, 1, 3], dt));
      shapeIs(out2, [2, 4, 3]);
      close(out2, want.map((_, idx) => {
        const i = Math.floor(idx / 12), j = Math.floor(idx / 3) % 4, k = idx % 3;
        return b[j]! - r(a[i * 3 + k]!);
      }), dt, 'sub');
    });

    s(`binary ops and JS-number scalars (${dt})`, () => {
      const xa = [0.5, 1.25, -2, 3.75], ya = [2, -0.5, 4, 1.5];
      const x = c.tensor(xa, [2, 2], dt), y = c.tensor(ya, [2, 2], dt);
      const X = xa.map(r), Y = ya.map(r);
      close(c.add(x, y), X.map((v, i) => v + Y[i]!), dt, 'add');
      close(c.sub(x, y), X.map((v, i) => v - Y[i]!), dt, 'sub');
      close(c.mul(x, y), X.map((v, i) => v * Y[i]!), dt, 'mul');
      close(c.div(x, y), X.map((v, i) => v / Y[i]!), dt, 'div');
      close(c.pow(c.abs(x), y), X.map((v, i) => Math.abs(v) ** Y[i]!), dt, 'pow');
      close(c.maximum(x, y), X.map((v, i) => Math.max(v, Y[i]!)), dt, 'maximum');
      close(c.minimum(x, y), X.map((v, i) => Math.min(v, Y[i]!)), dt, 'minimum');
      // numbers on either side become scalars of the tensor's dtype
      close(c.sub(2, x), X.map((v) => 2 - v), dt, '2 − x');
      close(c.sub(x, 2), X.map((v) => v - 2), dt, 'x − 2');
      close(c.div(1, x), X.map((v) => 1 / v), dt, '1 / x');
      close(c.mul(3, x), X.map((v) => 3 * v), dt, '3·x');
      close(c.pow(c.abs(x), 2), X.map((v) => v * v), dt, '|x|²');
      close(c.add(x, 0.25), X.map((v) => v + 0.25), dt, 'x + 0.25');
      shapeIs(c.add(x, 1), [2, 2]);
      // a rank-0 tensor broadcasts like a number
      close(c.mul(x, c.scalar(-1.5, dt)), X.map((v) => -1.5 * v), dt, 'x·scalar');
    });

    s(`unary ops (${dt})`, () => {
      const xa = [0.3, 1.7, 2.5, 0.9];
      const x = c.tensor(xa, [4], dt), X = xa.map(r);
      const nx = c.neg(x), NX = X.map((v) => -v);
      close(nx, NX, dt, 'neg');
      close(c.exp(x), X.map(Math.exp), dt, 'exp');
      close(c.log(x), X.map(Math.log), dt, 'log');
      close(c.tanh(nx), NX.map(Math.tanh), dt, 'tanh');
      close(c.sigmoid(nx), NX.map((v) => 1 / (1 + Math.exp(-v))), dt, 'sigmoid');
      close(c.sqrt(x), X.map(Math.sqrt), dt, 'sqrt');
      close(c.abs(nx), X, dt, 'abs');
      close(c.square(nx), X.map((v) => v * v), dt, 'square');
      close(c.reciprocal(x), X.map((v) => 1 / v), dt, 'reciprocal');
      close(c.log1p(x), X.map(Math.log1p), dt, 'log1p');
      close(c.expm1(nx), NX.map(Math.expm1), dt, 'expm1');
      close(c.sin(x), X.map(Math.sin), dt, 'sin');
      close(c.cos(x), X.map(Math.cos), dt, 'cos');
      close(c.softplus(nx), NX.map((v) => Math.log(1 + Math.exp(v))), dt, 'softplus');
      const mixed = c.tensor([-2, 0, 0.5, 3], [4], dt);
      close(c.relu(mixed), [0, 0, 0.5, 3], dt, 'relu');
      close(c.sign(mixed), [-1, 0, 1, 1], dt, 'sign');
      close(c.step(mixed), [0, 0, 1, 1], dt, 'step');
      close(c.isFiniteMask(c.tensor([1, NaN, Infinity, -Infinity], [4], dt)), [1, 0, 0, 0], dt, 'isFiniteMask');
    });

    s(`comparisons give 1/0 in the operands' dtype, with broadcasting (${dt})`, () => {
      const x = c.tensor([1, 2, 3, 4, 5, 6], [2, 3], dt), y = c.tensor([2, 2, 7], [3], dt);
      close(c.greater(x, y), [0, 0, 0, 1, 1, 0], dt, 'greater');
      close(c.greaterEqual(x, y), [0, 1, 0, 1, 1, 0], dt, 'greaterEqual');
      close(c.less(x, y), [1, 0, 1, 0, 0, 1], dt, 'less');
      close(c.lessEqual(x, y), [1, 1, 1, 0, 0, 1], dt, 'lessEqual');
      close(c.equal(x, y), [0, 1, 0, 0, 0, 0], dt, 'equal');
      close(c.notEqual(x, y), [1, 0, 1, 1, 1, 1], dt, 'notEqual');
      close(c.greater(x, 3), [0, 0, 0, 1, 1, 1], dt, 'x > 3');
      close(c.less(2, x), [0, 0, 1, 1, 1, 1], dt, '2 < x');
      close(c.equal(c.tensor([NaN], [1], dt), c.tensor([NaN], [1], dt)), [0], dt, 'NaN == NaN');
    });

    s(`where with broadcasting and scalar branches (${dt})`, () => {
      const x = c.tensor([-1, 2, -3, 4, 5, -6], [2, 3], dt);
      const cond = c.greater(x, 0);
      close(c.where(cond, x, 0), [0, 2, 0, 4, 5, 0], dt, 'where(x>0, x, 0)');
      close(c.where(cond, c.scalar(1, dt), -1), [-1, 1, -1, 1, 1, -1], dt, 'where(x>0, 1, -1)');
      const rowB = c.tensor([10, 20, 30], [3], dt);
      close(c.where(cond, x, rowB), [10, 2, 30, 4, 5, 30], dt, 'where broadcast b');
      const colCond = c.tensor([1, 0], [2, 1], dt);
      const out = c.where(colCond, rowB, x);
      shapeIs(out, [2, 3]);
      close(out, [10, 20, 30, 4, 5, -6], dt, 'where broadcast cond');
    });
  }

  // ---------------------------------------------------------------- reductions
  for (const dt of DTYPES) {
    s(`sum over contiguous and non-contiguous axes, keepDims (${dt})`, () => {
      const x = c.tensor(iota(24), [2, 3, 4], dt);
      const at = (i: number, j: number, k: number): number => i * 12 + j * 4 + k;
      const all = c.sum(x);
      shapeIs(all, []);
      close(all, [276], dt, 'sum all');
      const s02 = c.sum(x, [0, 2]);
      shapeIs(s02, [3], 'sum [0,2]');
      close(s02, [0, 1, 2].map((j) => { let t = 0; for (let i = 0; i < 2; i++) for (let k = 0; k < 4; k++) t += at(i, j, k); return t; }), dt, 'sum [0,2]');
      const s02k = c.sum(x, [2, 0], true); // order of axes does not matter
      shapeIs(s02k, [1, 3, 1], 'sum [2,0] keepDims');
      close(s02k, s02.dataSync(), dt, 'sum [2,0] keepDims');
      const s1 = c.sum(x, 1);
      shapeIs(s1, [2, 4]);
      const want1: number[] = [];
      for (let i = 0; i < 2; i++) for (let k = 0; k < 4; k++) want1.push(at(i, 0, k) + at(i, 1, k) + at(i, 2, k));
      close(s1, want1, dt, 'sum axis 1');
      const sLast = c.sum(x, -1, true);
      shapeIs(sLast, [2, 3, 1]);
      close(sLast, [6, 22, 38, 54, 70, 86], dt, 'sum axis -1 keepDims');
      const s12 = c.sum(x, [1, 2]);
      close(s12, [66, 210], dt, 'sum [1,2]');
    });

    s(`max/min along axes, NaN propagates (${dt})`, () => {
      const x = c.tensor([3, -1, 7, 2, 9, -5], [2, 3], dt);
      close(c.max(x), [9], dt, 'max all');
      close(c.min(x), [-5], dt, 'min all');
      close(c.max(x, 0), [3, 9, 7], dt, 'max axis 0');
      close(c.min(x, 0), [2, -1, -5], dt, 'min axis 0');
      close(c.max(x, 1), [7, 9], dt, 'max axis 1');
      close(c.min(x, -1, true), [-1, -5], dt, 'min axis -1 keepDims');
      shapeIs(c.min(x, -1, true), [2, 1]);
      const n = c.tensor([1, NaN, 3, 4, 5, 6], [2, 3], dt);
      close(c.max(n), [NaN], dt, 'max with NaN');
      close(c.min(n), [NaN], dt, 'min with NaN');
      close(c.max(n, 1), [NaN, 6], dt, 'max axis 1 with NaN (last-axis kernel)');
      close(c.min(n, 0), [1, NaN, 3], dt, 'min axis 0 with NaN (strided kernel)');
      const first = c.tensor([NaN, 1, 2], [3], dt); // NaN first must not be replaced by later values
      close(c.max(first), [NaN], dt, 'max NaN first');
      close(c.min(first), [NaN], dt, 'min NaN first');
    });

    s(`mean (${dt})`, () => {
      const x = c.tensor(iota(24, 0.5), [2, 3, 4], dt);
      close(c.mean(x), [5.75], dt, 'mean all');
      const want02 = [0, 1, 2].map((j) => { let t = 0; for (let i = 0; i < 2; i++) for (let k = 0; k < 4; k++) t += 0.5 * (i * 12 + j * 4 + k); return t / 8; });
      close(c.mean(x, [0, 2]), want02, dt, 'mean [0,2]');
      const m1 = c.mean(x, 1, true);
      shapeIs(m1, [2, 1, 4]);
      close(m1, [0, 1, 2, 3, 12, 13, 14, 15].map((b) => (b + 4) * 0.5), dt, 'mean axis 1 keepDims');
    });

    s(`logSumExp is stable on huge inputs (${dt})`, () => {
      const x = c.tensor([1e4, 1e4, 1e4, 0, -1e4, -1e4], [3, 2], dt);
      const lse = c.logSumExp(x, -1);
      shapeIs(lse, [3]);
      close(lse, [1e4 + Math.LN2, 1e4, -1e4 + Math.LN2], dt, 'logSumExp rows');
      const col = c.logSumExp(x, 0, true);
      shapeIs(col, [1, 2]);
      close(col, [1e4 + Math.LN2, 1e4], dt, 'logSumExp axis 0'); // columns [1e4, 1e4, −1e4] and [1e4, 0, −1e4]
      const small = c.tensor([0.5, -1, 2], [3], dt), S = [0.5, -1, 2];
      close(c.logSumExp(small), [Math.log(S.reduce((a, v) => a + Math.exp(v), 0))], dt, 'logSumExp moderate');
      close(c.logSoftmax(small), S.map((v) => v - Math.log(S.reduce((a, u) => a + Math.exp(u), 0))), dt, 'logSoftmax');
    });

    s(`softmaxJvp: y⊙t − y·⟨y, t⟩ for k directions on any axis, the composed ops' values bit for bit (${dt})`, () => {
      const rng = new Random(7);
      const y = c.softmax(c.tensor(Array.from({ length: 3 * 4 * 5 }, () => rng.normal()), [3, 4, 5], dt));
      const t = (shape: number[]) => c.tensor(Array.from({ length: shape.reduce((a, d) => a * d, 1) }, () => rng.normal()), shape, dt);
      const composed = (yy: c.Tensor, tt: c.Tensor) => c.mulAdd(yy, tt, yy, c.neg(c.sum(c.mul(yy, tt), -1, true)));
      // k = 6 directions before the rows, between two row axes, and none.
      for (const [ys, ts] of [[[1, 3, 4, 5], [6, 3, 4, 5]], [[3, 1, 4, 5], [3, 6, 4, 5]], [[3, 4, 1, 5], [3, 4, 6, 5]], [[3, 4, 5], [3, 4, 5]]] as const) {
        const yy = c.reshape(y, [...ys]), tt = t([...ts]);
        const got = c.softmaxJvp(yy, tt), want = composed(yy, tt);
        shapeIs(got, [...ts]);
        assert.equal(Array.from(got.dataSync()), Array.from(want.dataSync()), `y [${ys}], t [${ts}]`);
        // The definition, in float64 from the stored inputs.
        const yv = yy.dataSync(), tv = tt.dataSync(), gv = got.dataSync();
        const k = ts.length === ys.length ? ts.reduce((a, d, i) => a * (d / ys[i]!), 1) : 1;
        const rowsY = yv.length / 5;
        for (let row = 0; row < tv.length / 5; row++) {
          // Which y row a t row meets: drop the direction axis from its index.
          const idx: number[] = []; let rem = row;
          for (let a = ts.length - 2; a >= 0; a--) { idx.unshift(rem % ts[a]!); rem = Math.floor(rem / ts[a]!); }
          let yr = 0; for (let a = 0; a < ts.length - 1; a++) yr = yr * ys[a]! + (ys[a] === 1 ? 0 : idx[a]!);
          assert.ok(yr < rowsY && k >= 1);
          let dot = 0; for (let j = 0; j < 5; j++) dot += yv[yr * 5 + j]! * tv[row * 5 + j]!;
          for (let j = 0; j < 5; j++) {
            const want1 = yv[yr * 5 + j]! * (tv[row * 5 + j]! - dot);
            assert.ok(Math.abs(gv[row * 5 + j]! - want1) <= (dt === 'float32' ? 1e-6 : 1e-14), `row ${row} col ${j}: ${gv[row * 5 + j]} vs ${want1}`);
          }
        }
      }
      throwsType(() => c.softmaxJvp(c.reshape(y, [3, 4, 5]), t([3, 4, 6])), c.ShapeError, /1 on its direction axis/);
      throwsType(() => c.softmaxJvp(c.reshape(y, [3, 4, 5]), t([6, 4, 5])), c.ShapeError);
      throwsType(() => c.softmaxJvp(c.reshape(y, [1, 3, 4, 5]), t([3, 4, 5])), c.ShapeError, /one rank/);
      throwsType(() => c.softmaxJvp(y, c.zeros([3, 4, 5], dt === 'float32' ? 'float64' : 'float32')), c.DTypeError);
    });

    s(`softmax rows sum to 1, also for huge logits (${dt})`, () => {
      const rng = new Random(3);
      const vals = Array.from({ length: 20 }, () => 3 * rng.normal());
      vals.push(1000, 1001, 1002, -1000, 5e3); // a fifth row of huge logits
      const x = c.tensor(vals, [5, 5], dt);
      const p = c.softmax(x);
      const d = p.dataSync();
      for (let i = 0; i < 5; i++) {
        let t = 0;
        for (let j = 0; j < 5; j++) { assert.ok(d[i * 5 + j]! >= 0 && Number.isFinite(d[i * 5 + j]!)); t += d[i * 5 + j]!; }
        assert.ok(Math.abs(t - 1) <= 5 * TOL[dt], `row ${i} sums to ${t}`);
      }
      // logSoftmax subtracts the row maximum before anything is rounded, so huge logits are as
      // accurate as small ones: the same tolerance as everywhere else.
      const hugeTol = TOL[dt];
      const e = [Math.exp(-2), Math.exp(-1), 1], z = e[0]! + e[1]! + e[2]!;
      const ph = c.softmax(c.tensor([1000, 1001, 1002], [3], dt)).dataSync();
      assert.ok(Math.abs(ph[0]! + ph[1]! + ph[2]! - 1) <= hugeTol, `sum of softmax of huge logits: ${ph[0]! + ph[1]! + ph[2]!}`);
      e.forEach((v, i) => assert.ok(Math.abs(ph[i]! - v / z) <= hugeTol * (v / z), `softmax huge [${i}]: ${ph[i]} vs ${v / z}`));
      // along axis 0
      const p0 = c.softmax(c.tensor([0, 1, 2, 3], [2, 2], dt), 0);
      const a = 1 / (1 + Math.exp(2));
      close(p0, [a, a, 1 - a, 1 - a], dt, 'softmax axis 0');
    });
  }

  // ---------------------------------------------------------------- shape ops
  for (const dt of DTYPES) {
    s(`reshape with -1, flatten, expandDims, squeeze (${dt})`, () => {
      const x = c.tensor(iota(12), [3, 4], dt);
      const y = c.reshape(x, [2, -1, 3]);
      shapeIs(y, [2, 2, 3]);
      close(y, iota(12), dt, 'reshape');
      shapeIs(c.reshape(x, [-1]), [12]);
      shapeIs(c.reshape(x, [12, 1]), [12, 1]);
      shapeIs(c.flatten(y), [12]);
      shapeIs(c.expandDims(x, 1), [3, 1, 4]);
      shapeIs(c.expandDims(x, -1), [3, 4, 1]);
      shapeIs(c.squeeze(c.reshape(x, [1, 3, 1, 4])), [3, 4]);
      shapeIs(c.squeeze(c.reshape(x, [1, 3, 1, 4]), [0]), [3, 1, 4]);
      shapeIs(c.reshape(c.scalar(2, dt), [1, 1]), [1, 1]);
    });

    s(`transpose (${dt})`, () => {
      const x = c.tensor(iota(24), [2, 3, 4], dt);
      const t = c.transpose(x, [2, 0, 1]);
      shapeIs(t, [4, 2, 3]);
      const want: number[] = [];
      for (let k = 0; k < 4; k++) for (let i = 0; i < 2; i++) for (let j = 0; j < 3; j++) want.push(i * 12 + j * 4 + k);
      close(t, want, dt, 'transpose [2,0,1]');
      const m = c.tensor(iota(6), [2, 3], dt);
      const mt = c.transpose(m);
      shapeIs(mt, [3, 2]);
      close(mt, [0, 3, 1, 4, 2, 5], dt, 'default transpose');
      const rev = c.transpose(x);
      shapeIs(rev, [4, 3, 2]);
      assert.is(rev.toArray() && (rev.toArray() as number[][][])[3]![2]![1], 23);
    });

    s(`slice, pad (${dt})`, () => {
      const x = c.tensor(iota(24), [2, 3, 4], dt);
      const sl = c.slice(x, [1, 0, 1], [-1, 2, 2]);
      shapeIs(sl, [1, 2, 2]);
      close(sl, [13, 14, 17, 18], dt, 'slice');
      close(c.slice(x, [0, 2, 3]), [11, 23], dt, 'slice to the end');
      shapeIs(c.slice(x, [0, 0, 0], [2, 0, 4]), [2, 0, 4]);
      const m = c.tensor([1, 2, 3, 4], [2, 2], dt);
      const p = c.pad(m, [1, 0], [0, 2]);
      shapeIs(p, [3, 4]);
      close(p, [0, 0, 0, 0, 1, 2, 0, 0, 3, 4, 0, 0], dt, 'pad');
    });

    s(`assembleColumns: blocks made one at a time, each freed once copied (${dt})`, () => {
      const made: c.Tensor[] = [];
      const m = c.assembleColumns(2, [2, 0, 1, 3], dt, (i) => {
        const w = [2, 0, 1, 3][i]!;
        // Column j of the result holds 10·row + j, whatever block it falls in.
        const at = [0, 2, 2, 3][i]!;
        const piece = c.tensor(Array.from({ length: 2 * w }, (_, e) => 10 * Math.floor(e / w) + at + (e % w)), [2, w], dt);
        made.push(piece, c.add(piece, 1));  // and an intermediate, freed with it
        return piece;
      });
      shapeIs(m, [2, 6]);
      close(m, [0, 1, 2, 3, 4, 5, 10, 11, 12, 13, 14, 15], dt, 'assembled');
      for (const t of made) assert.ok(t.isDisposed, 'a block or its intermediate outlived its copy');
      throwsType(() => c.assembleColumns(2, [1], dt, () => c.zeros([2, 2], dt)), c.ShapeError, /block 0 is \[2, 2\], expected \[2, 1\]/);
      throwsType(() => c.assembleColumns(2, [1], dt, () => c.zeros([2, 1], dt === 'float32' ? 'float64' : 'float32')), c.DTypeError);
      throwsType(() => c.assembleColumns(2, [1.5], dt, () => c.zeros([2, 1], dt)), c.ShapeError);
      throwsType(() => c.assembleColumns(2, [1], dt, () => { throw new c.InputError('from the block'); }), c.InputError, /from the block/);
    });

    s(`concat and split (${dt})`, () => {
      const a = c.tensor([1, 2, 3, 4], [2, 2], dt), b = c.tensor([5, 6], [2, 1], dt), d = c.tensor([7, 8, 9, 10, 11, 12], [2, 3], dt);
      const cat1 = c.concat([a, b, d], 1);
      shapeIs(cat1, [2, 6]);
      close(cat1, [1, 2, 5, 7, 8, 9, 3, 4, 6, 10, 11, 12], dt, 'concat axis 1');
      const cat0 = c.concat([a, c.tensor([9, 9], [1, 2], dt)], 0);
      shapeIs(cat0, [3, 2]);
      close(cat0, [1, 2, 3, 4, 9, 9], dt, 'concat axis 0');
      close(c.concat([a, a], -1), [1, 2, 1, 2, 3, 4, 3, 4], dt, 'concat axis -1');
      const [p, q, r] = c.split(c.tensor(iota(7), [7], dt), [3, 0, 4]);
      shapeIs(p!, [3]); shapeIs(q!, [0]); shapeIs(r!, [4]);
      close(p!, [0, 1, 2], dt, 'split p');
      close(r!, [3, 4, 5, 6], dt, 'split r');
      const [u, v] = c.split(cat1, [2, 4], 1);
      close(u!, [1, 2, 3, 4], dt, 'split axis 1 u');
      close(v!, [5, 7, 8, 9, 6, 10, 11, 12], dt, 'split axis 1 v');
    });

    s(`permutedSlice and permutedConcat: one copy equal to transpose of slice / concat, every permutation (${dt})`, () => {
      const x = c.tensor(iota(2 * 3 * 4), [2, 3, 4], dt);
      const perms = [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]];
      for (const perm of perms) {
        const got = c.permutedSlice(x, [1, 0, 1], [1, 3, 2], perm);
        shapeIs(got, perm.map((p) => [1, 3, 2][p]!));
        assert.equal(Array.from(got.dataSync()), Array.from(c.transpose(c.slice(x, [1, 0, 1], [1, 3, 2]), perm).dataSync()), `slice perm ${perm}`);
        const parts = [c.slice(x, [0, 0, 0], [2, 1, 4]), c.slice(x, [0, 1, 0], [2, 2, 4])];
        const cat = c.permutedConcat(parts, 1, perm);
        assert.equal(Array.from(cat.dataSync()), Array.from(c.transpose(x, perm).dataSync()), `concat perm ${perm}`);
        assert.equal(Array.from(c.permutedConcat([x], -1, perm).dataSync()), Array.from(c.transpose(x, perm).dataSync()));
      }
      // A [P, k] block's rows cut with k moved in front, and [k, n] pieces assembled as columns.
      const v = c.tensor(iota(12), [6, 2], dt);
      close(c.permutedSlice(v, [1, 0], [3, 2], [1, 0]), [2, 4, 6, 3, 5, 7], dt, 'rows → [k, n]');
      close(c.permutedConcat([c.tensor([0, 1, 10, 11], [2, 2], dt), c.tensor([2, 12], [2, 1], dt)], 1, [1, 0]), [0, 10, 1, 11, 2, 12], dt, 'pieces → [n, k]');
      throwsType(() => c.permutedSlice(x, [0, 0, 0], [1, 1, 1], [0, 1]), c.ShapeError, /not a permutation of 3 axes/);
      throwsType(() => c.permutedSlice(x, [0, 0, 0], [1, 1, 5], [0, 1, 2]), c.ShapeError, /out of bounds/);
      throwsType(() => c.permutedConcat([x, c.zeros([2, 2, 4], dt)], 2, [2, 1, 0]), c.ShapeError, /does not match/);
      throwsType(() => c.permutedConcat([x], 0, [0, 0, 1]), c.ShapeError, /not a permutation/);
    });

    s(`gather, scatterAdd, oneHot (${dt})`, () => {
      const x = c.tensor(iota(12), [4, 3], dt);
      const g = c.gather(x, c.tensor([3, 0, 3], [3], 'int32'));
      shapeIs(g, [3, 3]);
      close(g, [9, 10, 11, 0, 1, 2, 9, 10, 11], dt, 'gather');
      const src = c.tensor([1, 2, 10, 20, 100, 200], [3, 2], dt);
      const sa = c.scatterAdd(src, c.tensor([2, 0, 2], [3], 'int32'), 4);
      shapeIs(sa, [4, 2]);
      close(sa, [10, 20, 0, 0, 101, 202, 0, 0], dt, 'scatterAdd');
      const oh = c.oneHot(c.tensor([2, 0, 1], [3], 'int32'), 4, dt);
      shapeIs(oh, [3, 4]);
      close(oh, [0, 0, 1, 0, 1, 0, 0, 0, 0, 1, 0, 0], dt, 'oneHot');
    });
  }

  // ---------------------------------------------------------------- matmul
  for (const dt of DTYPES) {
    const r = round(dt);
    /** Naive op(A)·op(B) in float64 for row-major A (ar×ac) and B (br×bc). */
    const naive = (A: number[], ar: number, ac: number, B: number[], br: number, bc: number, tA = false, tB = false): number[] => {
      const m = tA ? ac : ar, k = tA ? ar : ac, n = tB ? br : bc;
      const out: number[] = [];
      for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
        let acc = 0;
        for (let p = 0; p < k; p++) acc += (tA ? A[p * ac + i]! : A[i * ac + p]!) * (tB ? B[j * bc + p]! : B[p * bc + j]!);
        out.push(acc);
      }
      return out;
    };
    const rnd = (rng: Random, n: number): number[] => Array.from({ length: n }, () => r(rng.normal()));

    // Products of k ≤ 8 standard normals: Σ|a||b| ≤ 8·4² bounds cancellation.
    const MATMUL_SCALE = 128;
    s(`matmul: plain and transposed operands (${dt})`, () => {
      close(c.matmul(c.tensor([1, 2, 3, 4, 5, 6], [2, 3], dt), c.tensor([7, 8, 9, 10, 11, 12], [3, 2], dt)), [58, 64, 139, 154], dt, '2×3 · 3×2', MATMUL_SCALE);
      const rng = new Random(11);
      const m = 4, k = 5, n = 3;
      const A = rnd(rng, m * k), At = rnd(rng, k * m), B = rnd(rng, k * n), Bt = rnd(rng, n * k);
      const T = (v: number[], sh: number[]) => c.tensor(v, sh, dt);
      let out = c.matmul(T(A, [m, k]), T(B, [k, n]));
      shapeIs(out, [m, n]);
      close(out, naive(A, m, k, B, k, n), dt, 'A·B', MATMUL_SCALE);
      out = c.matmul(T(At, [k, m]), T(B, [k, n]), { transA: true });
      shapeIs(out, [m, n]);
      close(out, naive(At, k, m, B, k, n, true), dt, 'Aᵀ·B', MATMUL_SCALE);
      out = c.matmul(T(A, [m, k]), T(Bt, [n, k]), { transB: true });
      shapeIs(out, [m, n]);
      close(out, naive(A, m, k, Bt, n, k, false, true), dt, 'A·Bᵀ', MATMUL_SCALE);
      out = c.matmul(T(At, [k, m]), T(Bt, [n, k]), { transA: true, transB: true });
      shapeIs(out, [m, n]);
      close(out, naive(At, k, m, Bt, n, k, true, true), dt, 'Aᵀ·Bᵀ', MATMUL_SCALE);
    });

    s(`matmul: a matrix times its own transpose (AᵀA, AAᵀ: the backend's symmetric product, or gemm by bands up to the diagonal) equals the product of two copies bit for bit, and the naive one (${dt})`, () => {
      const rng = new Random(13);
      for (const [rows, cols] of [[1, 1], [3, 1], [53, 37], [70, 130], [300, 200]] as const) {
        const A = rnd(rng, rows * cols);
        const a = c.tensor(A, [rows, cols], dt), copy = c.tensor(A, [rows, cols], dt);
        for (const [transA, transB] of [[true, false], [false, true]] as const) {
          const own = c.matmul(a, a, { transA, transB }), two = c.matmul(a, copy, { transA, transB });
          const n = transA ? cols : rows;
          shapeIs(own, [n, n]);
          const got = own.dataSync(), want = two.dataSync();
          assert.ok(got.every((v, i) => Object.is(v, want[i])), `${rows}×${cols} transA=${transA}: equals gemm bit for bit`);
          close(own, naive(A, rows, cols, A, rows, cols, transA, transB), dt, `${rows}×${cols} transA=${transA}`, 4 * Math.max(rows, cols));
          assert.ok(got.every((v, i) => Object.is(v, got[(i % n) * n + Math.floor(i / n)])), 'symmetric');
        }
      }
    });

    s(`matmul: batched, broadcast batches, vectors, dot, outer (${dt})`, () => {
      const rng = new Random(12);
      const m = 3, k = 4, n = 2;
      const T = (v: number[], sh: number[]) => c.tensor(v, sh, dt);
      const A = rnd(rng, 2 * m * k), B = rnd(rng, 2 * k * n), B1 = rnd(rng, k * n), Bt = rnd(rng, 2 * n * k);
      const per = (i: number, size: number, v: number[]) => v.slice(i * size, (i + 1) * size);
      // [2,m,k]·[2,k,n]
      let out = c.matmul(T(A, [2, m, k]), T(B, [2, k, n]));
      shapeIs(out, [2, m, n]);
      close(out, [0, 1].flatMap((i) => naive(per(i, m * k, A), m, k, per(i, k * n, B), k, n)), dt, 'batched', MATMUL_SCALE);
      // [2,m,k]·[2,n,k]ᵀ
      out = c.matmul(T(A, [2, m, k]), T(Bt, [2, n, k]), { transB: true });
      close(out, [0, 1].flatMap((i) => naive(per(i, m * k, A), m, k, per(i, n * k, Bt), n, k, false, true)), dt, 'batched transB', MATMUL_SCALE);
      // [2,k,m]ᵀ·[k,n] (batch × matrix with transA goes through the broadcast path)
      out = c.matmul(T(A, [2, k, m]), T(B1, [k, n]), { transA: true });
      shapeIs(out, [2, m, n]);
      close(out, [0, 1].flatMap((i) => naive(per(i, m * k, A), k, m, B1, k, n, true)), dt, 'batch transA × matrix', MATMUL_SCALE);
      // [2,m,k]·[k,n] and [m,k]·[2,k,n]
      out = c.matmul(T(A, [2, m, k]), T(B1, [k, n]));
      shapeIs(out, [2, m, n]);
      close(out, [0, 1].flatMap((i) => naive(per(i, m * k, A), m, k, B1, k, n)), dt, 'batch × matrix', MATMUL_SCALE);
      const A1 = A.slice(0, m * k);
      out = c.matmul(T(A1, [m, k]), T(B, [2, k, n]));
      shapeIs(out, [2, m, n]);
      close(out, [0, 1].flatMap((i) => naive(A1, m, k, per(i, k * n, B), k, n)), dt, 'matrix × batch', MATMUL_SCALE);
      // [m,k]·[2,2,n,k]ᵀ: the matrix shared by the whole batch (stride 0), never copied per entry.
      const a2 = T(A1, [m, k]), b4 = T([...Bt, ...Bt], [2, 2, n, k]);
      const { value: shared, calls: copies } = countKernelCalls(['copy'], () => c.matmul(a2, b4, { transB: true }));
      out = shared;
      shapeIs(out, [2, 2, m, n]);
      assert.is(copies, 0, 'matrix × batch: no broadcast copy');
      close(out, [0, 1, 0, 1].flatMap((i) => naive(A1, m, k, per(i, n * k, Bt), n, k, false, true)), dt, 'matrix × 4-d batchᵀ', MATMUL_SCALE);
      // [1,m,k]·[2,k,n]: size-1 batch broadcasts
      out = c.matmul(T(A1, [1, m, k]), T(B, [2, k, n]));
      shapeIs(out, [2, m, n]);
      close(out, [0, 1].flatMap((i) => naive(A1, m, k, per(i, k * n, B), k, n)), dt, '[1]-batch × batch', MATMUL_SCALE);
      // 4-D batches
      out = c.matmul(T([...A, ...A], [2, 2, m, k]), T(B1, [k, n]));
      shapeIs(out, [2, 2, m, n]);
      // vectors
      const u = rnd(rng, k), w = rnd(rng, m);
      out = c.matmul(T(u, [k]), T(B1, [k, n]));
      shapeIs(out, [n], 'vec·mat');
      close(out, naive(u, 1, k, B1, k, n), dt, 'vec·mat', MATMUL_SCALE);
      out = c.matmul(T(A1, [m, k]), T(u, [k]));
      shapeIs(out, [m], 'mat·vec');
      close(out, naive(A1, m, k, u, k, 1), dt, 'mat·vec', MATMUL_SCALE);
      out = c.matmul(T(A1, [m, k]), T(w, [m]), { transA: true });
      shapeIs(out, [k], 'matᵀ·vec');
      close(out, naive(A1, m, k, w, m, 1, true), dt, 'matᵀ·vec', MATMUL_SCALE);
      out = c.matmul(T(u, [k]), T(u, [k]));
      shapeIs(out, [], 'vec·vec');
      close(out, [u.reduce((a, v) => a + v * v, 0)], dt, 'vec·vec', MATMUL_SCALE);
      out = c.matmul(T(u, [k]), T(B, [2, k, n]));
      shapeIs(out, [2, n], 'vec·batch');
      close(out, [0, 1].flatMap((i) => naive(u, 1, k, per(i, k * n, B), k, n)), dt, 'vec·batch', MATMUL_SCALE);
      out = c.matmul(T(A, [2, m, k]), T(u, [k]));
      shapeIs(out, [2, m], 'batch·vec');
      close(out, naive(A, 2 * m, k, u, k, 1), dt, 'batch·vec', MATMUL_SCALE);
      // dot and outer
      const d = c.dot(T([1, 2, 3], [3]), T([4, -5, 6], [3]));
      shapeIs(d, []);
      close(d, [12], dt, 'dot', MATMUL_SCALE);
      assert.is(d.item(), 12);
      close(c.dot(T([1, 2, 3, 4], [2, 2]), T([1, 1, 1, 1], [4])), [10], dt, 'dot of equal sizes', MATMUL_SCALE);
      const o = c.outer(T([1, 2], [2]), T([3, 4, 5], [3]));
      shapeIs(o, [2, 3]);
      close(o, [3, 4, 5, 6, 8, 10], dt, 'outer', MATMUL_SCALE);
    });
  }

  // ---------------------------------------------------------------- special functions
  for (const dt of DTYPES) {
    s(`erf at known values (${dt})`, () => {
      // Reference values from mpmath (50 digits, rounded to double).
      const xs = [0, 0.5, 2, 3, -1, 1, -0.5];
      const want = [0, 0.5204998778130465, 0.9953222650189527, 0.9999779095030014, -0.8427007929497149, 0.8427007929497149, -0.5204998778130465];
      close(c.erf(c.tensor(xs, [xs.length], dt)), want, dt, 'erf');
      // Tail: erf(6) rounds to 1 in double; erf(-6) = -1; erf(2.5) straddles the series/continued-fraction switch.
      close(c.erf(c.tensor([6, -6, 2.5, 10], [4], dt)), [1, -1, 0.9995930479825550, 1], dt, 'erf tail');
    });

    s(`softplus at ±50 and sigmoid at ±40 are exact, not overflowing (${dt})`, () => {
      const sp = c.softplus(c.tensor([50, -50, 0, 800, -800], [5], dt)).dataSync();
      assert.is(sp[0], 50, 'softplus(50) = 50 + 2e-22 rounds to 50');
      close(c.softplus(c.tensor([-50], [1], dt)), [Math.exp(-50)], dt, 'softplus(-50) = e^-50 to first order');
      assert.ok(sp[1]! > 0, 'softplus(-50) > 0 (no underflow to 0)');
      close(c.softplus(c.tensor([0], [1], dt)), [Math.LN2], dt, 'softplus(0)');
      assert.is(sp[3], 800, 'softplus(800) does not overflow');
      assert.is(sp[4], 0, 'softplus(-800) underflows to exactly 0');
      const sg = c.sigmoid(c.tensor([40, -40, 0, 1000, -1000], [5], dt)).dataSync();
      assert.is(sg[0], 1, 'sigmoid(40) = 1 − 4e-18 rounds to 1');
      close(c.sigmoid(c.tensor([-40], [1], dt)), [Math.exp(-40) / (1 + Math.exp(-40))], dt, 'sigmoid(-40)');
      assert.ok(sg[1]! > 0);
      assert.is(sg[2], 0.5);
      assert.is(sg[3], 1);
      assert.is(sg[4], 0, 'sigmoid(-1000) = 0, not NaN');
    });
  }

  // ---------------------------------------------------------------- errors
  s('mulAdd: a·b + c·d with broadcasting equals add(mul(a, b), mul(c, d)) bit for bit (fused kernel or not), float32 and float64; bad operands', () => {
    const rng = new Random(71);
    for (const dt of ['float32', 'float64'] as const) {
      const t = (shape: number[]) => c.cast(c.tensor(Float64Array.from({ length: shape.reduce((p, q) => p * q, 1) }, () => rng.normal() * 3), shape, 'float64'), dt);
      const a = t([3, 4, 5]), b = t([4, 5]), cc = t([3, 1, 5]), d = t([1, 4, 1]);
      const got = c.mulAdd(a, b, cc, d);
      shapeIs(got, [3, 4, 5]);
      assert.equal(Array.from(got.dataSync()), Array.from(c.add(c.mul(a, b), c.mul(cc, d)).dataSync()));
    }
    const f = c.zeros([2], 'float32');
    throwsType(() => c.mulAdd(f, f, f, c.zeros([2], 'float64')), c.DTypeError);
    throwsType(() => c.mulAdd(c.zeros([2], 'int32'), c.zeros([2], 'int32'), c.zeros([2], 'int32'), c.zeros([2], 'int32')), c.DTypeError);
    throwsType(() => c.mulAdd(f, f, f, c.zeros([3], 'float32')), c.ShapeError);
  });

  s('sumSquares: Σ x² over contiguous and scattered axes, keepDims, all axes, equals sum(square(x)) bit for bit (fused kernel or not), float32 and float64; its gradient is 2x; bad operands', () => {
    const rng = new Random(72);
    for (const dt of ['float32', 'float64'] as const) {
      const x = c.cast(c.tensor(Float64Array.from({ length: 3 * 10 * 7 }, () => rng.normal() * 3), [3, 10, 7], 'float64'), dt);
      for (const [axis, keepDims] of [[0, false], [1, true], [[1, 2], false], [[0, 2], false], [undefined, false], [-1, true]] as const) {
        const got = c.sumSquares(x, axis as number | number[] | undefined, keepDims);
        const want = c.sum(c.square(x), axis as number | number[] | undefined, keepDims);
        assert.equal(got.shape, want.shape, `axis ${JSON.stringify(axis)}`);
        assert.equal(Array.from(got.dataSync()), Array.from(want.dataSync()), `${dt} axis ${JSON.stringify(axis)} keepDims ${keepDims}`);
      }
      const g = c.grad((t: c.Tensor) => c.sum(c.sumSquares(t, 1)), x);
      assert.equal(Array.from(g.dataSync()), Array.from(c.mul(x, 2).dataSync()), `${dt}: gradient 2x`);
      const v = c.onesLike(x);
      const { tangent } = c.jvp((t: c.Tensor) => c.sumSquares(t, 0), x, v);
      assert.equal(Array.from(tangent.dataSync()), Array.from(c.mul(c.sum(x, 0), 2).dataSync()), `${dt}: tangent 2·Σx·v`);
    }
    throwsType(() => c.sumSquares(c.zeros([2], 'int32')), c.DTypeError);
    throwsType(() => c.sumSquares(c.zeros([2, 2], 'float32'), 2), c.ShapeError);
  });

  s('matmulSumSquares: Σ_e (A_e·op(B))² equals sumSquares(matmul(a, b), 0) bit for bit (fused kernel or not), float32 and float64, transB; gradient and tangent those of the composition; bad operands', () => {
    const rng = new Random(73);
    const rand = (shape: number[], dt: 'float32' | 'float64') =>
      c.cast(c.tensor(Float64Array.from({ length: shape.reduce((x, y) => x * y, 1) }, () => rng.normal()), shape, 'float64'), dt);
    for (const dt of ['float32', 'float64'] as const) {
      for (const [batch, m, k, n, transB] of [[4, 37, 9, 13, false], [3, 300, 16, 5, true], [1, 1, 4, 6, false], [2, 5, 3, 1, true]] as const) {
        const a = rand([batch, m, k], dt), b = rand(transB ? [n, k] : [k, n], dt);
        const got = c.matmulSumSquares(a, b, { transB });
        const want = c.sumSquares(c.matmul(a, b, { transB }), 0);
        assert.equal(got.shape, [m, n]);
        assert.equal(Array.from(got.dataSync()), Array.from(want.dataSync()), `${dt} [${batch}, ${m}, ${k}]·[${k}, ${n}] transB ${transB}`);
      }
    }
    const a = rand([3, 6, 4], 'float64'), b = rand([4, 5], 'float64'), w = rand([6, 5], 'float64');
    const fused = (x: c.Tensor, y: c.Tensor) => c.sum(c.mul(c.matmulSumSquares(x, y), w));
    const composed = (x: c.Tensor, y: c.Tensor) => c.sum(c.mul(c.sumSquares(c.matmul(x, y), 0), w));
    for (const arg of [0, 1] as const) {
      const g1 = c.grad((t: c.Tensor) => (arg === 0 ? fused(t, b) : fused(a, t)), arg === 0 ? a : b);
      const g2 = c.grad((t: c.Tensor) => (arg === 0 ? composed(t, b) : composed(a, t)), arg === 0 ? a : b);
      const d1 = g1.dataSync(), d2 = g2.dataSync();
      for (let i = 0; i < d1.length; i++) assert.ok(Math.abs(d1[i]! - d2[i]!) <= 1e-12 * (1 + Math.abs(d2[i]!)), `gradient of operand ${arg}`);
      const v = rand(arg === 0 ? [3, 6, 4] : [4, 5], 'float64');
      const t1 = c.jvp((t: c.Tensor) => (arg === 0 ? c.matmulSumSquares(t, b) : c.matmulSumSquares(a, t)), arg === 0 ? a : b, v).tangent.dataSync();
      const t2 = c.jvp((t: c.Tensor) => (arg === 0 ? c.sumSquares(c.matmul(t, b), 0) : c.sumSquares(c.matmul(a, t), 0)), arg === 0 ? a : b, v).tangent.dataSync();
      for (let i = 0; i < t1.length; i++) assert.ok(Math.abs(t1[i]! - t2[i]!) <= 1e-12 * (1 + Math.abs(t2[i]!)), `tangent of operand ${arg}`);
    }
    // With a bias row: Σ_e (A_e·op(B) + 1·biasᵀ)² equals sumSquares(add(matmul, bias)) bit for bit (one entry: the GEMM's tile epilogue on native).
    for (const dt of ['float32', 'float64'] as const) {
      for (const [batch, m, k, n, transB] of [[1, 300, 40, 785, false], [3, 37, 9, 13, true], [1, 1, 4, 6, false], [2, 5, 3, 1, true], [1, 6, 0, 4, false]] as const) {
        const a = rand([batch, m, k], dt), b = rand(transB ? [n, k] : [k, n], dt), bias = rand([n], dt);
        const want = c.sumSquares(c.add(c.matmul(a, b, { transB }), bias), 0).dataSync();
        for (const given of [bias, c.reshape(bias, [1, n])]) {
          const got = c.matmulSumSquares(a, b, { transB, bias: given }).dataSync();
          assert.ok(got.every((v, i) => Object.is(v, want[i])), `${dt} [${batch}, ${m}, ${k}]·[${k}, ${n}] transB ${transB} + bias ${JSON.stringify(given.shape)}: bit for bit`);
        }
      }
    }
    {
      const q = rand([5], 'float64');
      const fusedBias = (x: c.Tensor, y: c.Tensor, z: c.Tensor) => c.sum(c.mul(c.matmulSumSquares(x, y, { bias: z }), w));
      const composedBias = (x: c.Tensor, y: c.Tensor, z: c.Tensor) => c.sum(c.mul(c.sumSquares(c.add(c.matmul(x, y), z), 0), w));
      const args = [a, b, q] as const;
      for (const arg of [0, 1, 2] as const) {
        const at = (t: c.Tensor, f: typeof fusedBias) => f(...(args.map((x, i) => (i === arg ? t : x)) as [c.Tensor, c.Tensor, c.Tensor]));
        const d1 = c.grad((t: c.Tensor) => at(t, fusedBias), args[arg]).dataSync();
        const d2 = c.grad((t: c.Tensor) => at(t, composedBias), args[arg]).dataSync();
        for (let i = 0; i < d1.length; i++) assert.ok(Math.abs(d1[i]! - d2[i]!) <= 1e-12 * (1 + Math.abs(d2[i]!)), `bias form: gradient of operand ${arg}`);
        const v = rand([...args[arg].shape], 'float64');
        const t1 = c.jvp((t: c.Tensor) => at(t, fusedBias), args[arg], v).tangent.dataSync();
        const t2 = c.jvp((t: c.Tensor) => at(t, composedBias), args[arg], v).tangent.dataSync();
        for (let i = 0; i < t1.length; i++) assert.ok(Math.abs(t1[i]! - t2[i]!) <= 1e-12 * (1 + Math.abs(t2[i]!)), `bias form: tangent of operand ${arg}`);
      }
      throwsType(() => c.matmulSumSquares(a, b, { bias: rand([4], 'float64') }), c.ShapeError, /bias/);
      throwsType(() => c.matmulSumSquares(a, b, { bias: rand([2, 5], 'float64') }), c.ShapeError, /bias/);
      throwsType(() => c.matmulSumSquares(a, b, { bias: c.zeros([5], 'float32') }), c.DTypeError);
    }
    throwsType(() => c.matmulSumSquares(c.zeros([2, 2, 2], 'int32'), c.zeros([2, 2], 'int32')), c.DTypeError);
    throwsType(() => c.matmulSumSquares(c.zeros([2, 2], 'float64'), c.zeros([2, 2], 'float64')), c.ShapeError, /batch/);
    throwsType(() => c.matmulSumSquares(c.zeros([2, 2, 3], 'float64'), c.zeros([2, 2], 'float64')), c.ShapeError, /inner/);
    throwsType(() => c.matmulSumSquares(c.zeros([2, 2, 3], 'float64'), c.zeros([3, 2], 'float32')), c.DTypeError);
  });

  s('ShapeError: matmul inner mismatch, broadcasting, reshape, slice, concat, transpose', () => {
    const a = c.tensor(iota(6), [2, 3], 'float64');
    throwsType(() => c.matmul(a, a), c.ShapeError, /inner dimensions/);
    throwsType(() => c.matmul(a, c.tensor(iota(6), [2, 3], 'float64'), { transA: true, transB: true }), c.ShapeError);
    throwsType(() => c.matmul(a, c.tensor(iota(2), [2], 'float64')), c.ShapeError);
    throwsType(() => c.matmul(c.zeros([2, 2, 3], 'float64'), c.zeros([3, 3, 1], 'float64')), c.ShapeError, /batch/);
    throwsType(() => c.add(a, c.zeros([4], 'float64')), c.ShapeError, /broadcast/);
    throwsType(() => c.mul(a, c.zeros([3, 3], 'float64')), c.ShapeError);
    throwsType(() => c.where(c.ones([4], 'float64'), a, 0), c.ShapeError);
    throwsType(() => c.broadcastTo(a, [3]), c.ShapeError);
    throwsType(() => c.reshape(a, [4, 2]), c.ShapeError, /reshape/);
    throwsType(() => c.reshape(a, [-1, 4]), c.ShapeError);
    throwsType(() => c.reshape(a, [0, -1]), c.ShapeError);
    throwsType(() => c.slice(a, [1, 1], [2, 1]), c.ShapeError, /out of bounds/);
    throwsType(() => c.slice(a, [0, 4]), c.ShapeError);
    throwsType(() => c.slice(a, [-1, 0]), c.ShapeError);
    throwsType(() => c.slice(a, [0]), c.ShapeError);
    throwsType(() => c.concat([a, c.zeros([2, 2], 'float64')], 0), c.ShapeError, /concat/);
    throwsType(() => c.concat([a, c.zeros([6], 'float64')], 0), c.ShapeError);
    throwsType(() => c.concat([], 0), c.ShapeError);
    throwsType(() => c.transpose(a, [0, 0]), c.ShapeError, /permutation/);
    throwsType(() => c.transpose(a, [0, 1, 2]), c.ShapeError);
    throwsType(() => c.transpose(a, [1, 2]), c.ShapeError);
    throwsType(() => c.sum(a, 2), c.ShapeError, /axis/);
    throwsType(() => c.split(a, [1, 1], 1), c.ShapeError);
    throwsType(() => c.pad(a, [1], [1, 1]), c.ShapeError);
    throwsType(() => c.dot(a, c.zeros([5], 'float64')), c.ShapeError);
    throwsType(() => c.tensor([1, 2, 3], [2, 2]), c.ShapeError);
    throwsType(() => c.tensor([[1, 2], [3]]), c.ShapeError);
  });

  s('DTypeError: mixed float dtypes, int32 in float ops', () => {
    const f32 = c.ones([2], 'float32'), f64 = c.ones([2], 'float64'), i32 = c.tensor([1, 2], [2], 'int32');
    throwsType(() => c.add(f32, f64), c.DTypeError, /float32 and float64/);
    throwsType(() => c.mul(f64, f32), c.DTypeError);
    throwsType(() => c.matmul(c.ones([2, 2], 'float32'), c.ones([2, 2], 'float64')), c.DTypeError);
    throwsType(() => c.concat([f32, f64]), c.DTypeError);
    throwsType(() => c.where(c.ones([2], 'float32'), f64, f64), c.DTypeError);
    throwsType(() => c.exp(i32), c.DTypeError, /int32/);
    throwsType(() => c.add(i32, i32), c.DTypeError);
    throwsType(() => c.add(i32, 1), c.DTypeError);
    throwsType(() => c.sum(i32), c.DTypeError);
    throwsType(() => c.matmul(c.tensor([1, 2, 3, 4], [2, 2], 'int32'), c.tensor([1, 2, 3, 4], [2, 2], 'int32')), c.DTypeError);
    throwsType(() => c.gather(f64, c.tensor([0], [1], 'float64')), c.DTypeError, /int32/);
    throwsType(() => c.oneHot(c.tensor([0, 1], [2], 'float32'), 2), c.DTypeError);
    // int32 equality is allowed (label comparisons)
    assert.equal([...c.equal(i32, c.tensor([1, 0], [2], 'int32')).dataSync()], [1, 0]);
  });

  s('InputError: gather index out of range, oneHot label ≥ depth', () => {
    const x = c.tensor(iota(6), [3, 2], 'float64');
    throwsType(() => c.gather(x, c.tensor([0, 3], [2], 'int32')), c.InputError, /index 3 at position 1/);
    throwsType(() => c.gather(x, c.tensor([-1], [1], 'int32')), c.InputError);
    throwsType(() => c.scatterAdd(x, c.tensor([0, 1, 5], [3], 'int32'), 5), c.InputError);
    throwsType(() => c.oneHot(c.tensor([0, 3], [2], 'int32'), 3), c.InputError, /outside \[0, 3\)/);
    throwsType(() => c.oneHot(c.tensor([-1], [1], 'int32'), 3), c.InputError);
    throwsType(() => c.tensor([1], [1], 'float16' as c.DType), c.InputError);
  });

  // ---------------------------------------------------------------- memory
  s('use after dispose throws; dispose is idempotent', () => {
    const x = c.tensor([1, 2, 3], [3], 'float64');
    x.dispose();
    assert.ok(x.isDisposed);
    throwsType(() => x.dataSync(), Error, /after dispose/);
    throwsType(() => c.exp(x), Error, /after dispose/);
    throwsType(() => c.add(x, 1), Error, /after dispose/);
    x.dispose(); // idempotent
    c.dispose(x);
    const y = c.tensor([1], [1], 'float64');
    c.dispose([y, { z: y, w: [y] }]); // the same tensor reachable three times
    assert.ok(y.isDisposed);
    const w = c.ones([2], 'float64');
    w[Symbol.dispose]();
    assert.ok(w.isDisposed, '[Symbol.dispose] disposes');
  });

  s('tidy disposes intermediates but keeps returned values (nested objects and arrays)', () => {
    const outside = c.tensor([1, 2], [2], 'float64');
    let inter: c.Tensor[] = [];
    const res = c.tidy(() => {
      const a = c.exp(outside), b = c.mul(a, 2), d = c.add(b, 1), e = c.neg(d), f = c.sqrt(a);
      inter = [a, b];
      return { first: d, nested: [e, { deep: f }], n: 3, label: 'x' };
    });
    for (const t of inter) assert.ok(t.isDisposed, 'intermediate disposed');
    assert.not.ok(outside.isDisposed, 'tensors made before tidy are untouched');
    assert.not.ok(res.first.isDisposed);
    assert.not.ok((res.nested[0] as c.Tensor).isDisposed);
    assert.not.ok((res.nested[1] as { deep: c.Tensor }).deep.isDisposed);
    close(res.first, [2 * Math.E + 1, 2 * Math.exp(2) + 1], 'float64', 'kept value');
    assert.is(res.n, 3);

    // nested tidies: the inner result moves to the outer scope and is freed there unless returned
    let innerKept: c.Tensor | null = null, innerTmp: c.Tensor | null = null;
    const outer = c.tidy(() => {
      innerKept = c.tidy(() => { innerTmp = c.exp(outside); return c.mul(innerTmp, 3); });
      assert.ok(innerTmp!.isDisposed, 'inner intermediate freed at inner tidy end');
      assert.not.ok(innerKept!.isDisposed, 'inner result alive in outer scope');
      return c.add(innerKept!, 1);
    });
    assert.ok(innerKept!.isDisposed, 'inner result freed at outer tidy end');
    assert.not.ok(outer.isDisposed);

    // a tidy that throws frees its intermediates and rethrows
    let leaked: c.Tensor | null = null;
    assert.throws(() => c.tidy(() => { leaked = c.exp(outside); throw new Error('boom'); }), /boom/);
    assert.ok(leaked!.isDisposed);
  });

  s('tidy returning a Promise throws', () => {
    let tmp: c.Tensor | null = null;
    assert.throws(() => c.tidy(() => { tmp = c.ones([2], 'float64'); return Promise.resolve(tmp); }), /Promise/);
    assert.ok(tmp!.isDisposed);
    // async functions return Promises too
    assert.throws(() => c.tidy(async () => 1), /synchronous/);
  });

  s('keep survives tidy', () => {
    let kept: c.Tensor | null = null, dropped: c.Tensor | null = null;
    c.tidy(() => {
      kept = c.keep(c.ones([3], 'float64'));
      dropped = c.ones([3], 'float64');
      return null;
    });
    assert.not.ok(kept!.isDisposed);
    assert.ok(dropped!.isDisposed);
    // keep inside nested tidies survives all of them
    const deep = c.tidy(() => c.tidy(() => { c.keep(kept = c.zeros([1], 'float64')); return 5; }));
    assert.is(deep, 5);
    assert.not.ok(kept!.isDisposed);
    kept!.dispose();
  });

  s('reshape shares storage; disposing one view does not free the other', () => {
    const x = c.tensor([1, 2, 3, 4, 5, 6], [2, 3], 'float64');
    const y = c.reshape(x, [3, 2]);
    assert.ok(x._storage !== null && x._storage === y._storage, 'same storage (no copy)');
    x.dispose();
    assert.ok(x.isDisposed);
    assert.not.ok(y.isDisposed);
    assert.equal([...y.dataSync()], [1, 2, 3, 4, 5, 6]);
    const z = c.reshape(y, [6]);
    y.dispose();
    assert.equal([...c.mul(z, 2).dataSync()], [2, 4, 6, 8, 10, 12]);
    z.dispose();
    throwsType(() => z.dataSync(), Error, /after dispose/);
    // a view made inside tidy and returned keeps the data alive although its source was freed
    const base = c.tensor([7, 8], [2], 'float64');
    const v = c.tidy(() => c.reshape(c.add(base, 0), [1, 2]));
    assert.equal([...v.dataSync()], [7, 8]);
  });

  s('data() and dataSync() return copies', async () => {
    const x = c.tensor([1, 2, 3], [3], 'float64');
    const d = x.dataSync();
    d[0] = 99;
    assert.is(x.dataSync()[0], 1);
    const a = await x.data();
    a[1] = -5;
    assert.equal([...x.dataSync()], [1, 2, 3]);
    // the source array passed to tensor() is copied as well
    const src = new Float64Array([4, 5]);
    const t = c.tensor(src);
    src[0] = 0;
    assert.equal([...t.dataSync()], [4, 5]);
    assert.is(t.dtype, 'float64');
    assert.equal(c.tensor([[1, 2], [3, 4]]).toArray(), [[1, 2], [3, 4]]);
  });

  // ---------------------------------------------------------------- Random
  s('Random is deterministic per seed; normal() has mean ≈ 0 and variance ≈ 1', () => {
    const seq = (seed: number) => { const g = new Random(seed); return Array.from({ length: 50 }, () => [g.uniform(), g.normal(), g.int(10)]).flat(); };
    assert.equal(seq(5), seq(5));
    assert.not.equal(seq(5), seq(6));
    assert.equal([...c.randomNormal([4], { seed: 9, dtype: 'float64' }).dataSync()], [...c.randomNormal([4], { seed: 9, dtype: 'float64' }).dataSync()]);
    const p = new Random(1).permutation(20);
    assert.equal([...p].sort((a, b) => a - b), iota(20));
    // 1e5 draws: the standard error of the mean is 1/√1e5 ≈ 0.003 and of the variance
    // √(2/1e5) ≈ 0.0045, so 0.02 is > 4 standard errors for both.
    const g = new Random(2024);
    const n = 100000;
    let m = 0, m2 = 0;
    for (let i = 0; i < n; i++) { const v = g.normal(); m += v; m2 += v * v; }
    m /= n;
    const variance = m2 / n - m * m;
    assert.ok(Math.abs(m) < 0.02, `mean ${m}`);
    assert.ok(Math.abs(variance - 1) < 0.02, `variance ${variance}`);
    const u = new Random(3);
    let lo = 1, hi = 0;
    for (let i = 0; i < 10000; i++) { const v = u.uniform(); lo = Math.min(lo, v); hi = Math.max(hi, v); }
    assert.ok(lo >= 0 && lo < 0.01 && hi < 1 && hi > 0.99, `uniform range [${lo}, ${hi}]`);
  });

  s.run();
}
