/**
 * The wasm backend's kernels against the reference (js) backend on fixed edge cases: IEEE special
 * values of pow/max/min and comparisons, rank beyond the kernel limit, out-of-range casts, fill
 * with special values, NaN propagation in GEMM, sizes that cross the kernels' blocking, failing
 * factorisations, and the memory-safety checks (bounds, indices, use after free).
 *
 * The random coverage of every kernel — odd shapes, strides, offsets, dtypes, ops — is the
 * fast-check property suite in ../property.test.ts; tolerances are explained in
 * ../property-helpers.ts, whose helpers this file shares.
 */
import * as assert from 'uvu/assert';
import { test } from 'uvu';
import * as c from '../../../src/index.js';
import type { TypedArray } from '../../../src/backend/types.js';
import { WasmBackend } from '../../../src/backend/wasm/index.js';
import { throwsType } from '../../helpers.js';
import {
  ALL, BINARY, compare, exact, FLOATS, inMatrix, pairs, relNorm, sizeOf, spd, sumTol, unaryTol, values,
} from '../property-helpers.js';
import { onBackend, ref, Rng, testIf, wasmOrSkip } from './setup.js';

const W = wasmOrSkip('wasm kernel tests');
const t = testIf(W !== null);
const wasm = (): WasmBackend => W!;
const { pair, freeAll, compareBuffers } = pairs(wasm);

// ---------------------------------------------------------------------------------------------
// Seeded strided layouts (the rank-10 case): axes stored in a random order (transposes), padded
// (slices), broadcast (stride 0), at an offset.

interface Layout { strides: number[]; offset: number; size: number }

function layout(rng: Rng, shape: readonly number[], opts: { broadcast?: boolean; offset?: boolean; pad?: boolean } = {}): Layout {
  const rank = shape.length;
  const order = rng.shuffle(Array.from({ length: rank }, (_, i) => i));
  const strides = new Array<number>(rank).fill(0);
  let running = 1;
  for (let q = rank - 1; q >= 0; q--) {
    const ax = order[q]!;
    if (opts.broadcast && rng.next() < 0.25) continue; // stride 0
    strides[ax] = running;
    running *= shape[ax]! + (opts.pad && rng.next() < 0.4 ? rng.int(1, 2) : 0);
  }
  const offset = opts.offset ? rng.int(0, 5) : 0;
  return { strides, offset, size: offset + running + (opts.pad ? rng.int(0, 3) : 0) };
}

// ---------------------------------------------------------------------------------------------
// Elementwise

t('unary: a prefix n < size leaves the rest of out untouched; in place works', () => {
  const rng = new Rng(2);
  for (const dtype of FLOATS) {
    const x = pair(dtype, values(rng, dtype, 40));
    const out = pair(dtype, new Array<number>(40).fill(-777));
    wasm().unary('exp', x.w, out.w, 37);
    ref.unary('exp', x.j, out.j, 37);
    compareBuffers(out, unaryTol('exp', dtype), `unary prefix ${dtype}`);
    wasm().unary('tanh', x.w, x.w, 40);
    ref.unary('tanh', x.j, x.j, 40);
    compareBuffers(x, unaryTol('tanh', dtype), `unary in place ${dtype}`);
    freeAll();
  }
});

t('binary: IEEE and JavaScript edge cases (pow, max/min with NaN, comparisons with NaN and ±0)', () => {
  const xs = [NaN, Infinity, -Infinity, 0, -0, 1, -1, 2, -2, 0.5, -0.5, 3];
  const a: number[] = [], b: number[] = [];
  for (const x of xs) for (const y of xs) { a.push(x); b.push(y); }
  for (const dtype of FLOATS) {
    for (const op of BINARY) {
      const pa = pair(dtype, a), pb = pair(dtype, b), out = pair(dtype, new Array<number>(a.length).fill(-777));
      wasm().binary(op, [a.length], pa.w, [1], pb.w, [1], out.w);
      ref.binary(op, [a.length], pa.j, [1], pb.j, [1], out.j);
      const got = wasm().read(out.w), want = ref.read(out.j);
      const eps = op === 'pow' ? (dtype === 'float64' ? 1e-14 : 1e-6) : 0; // pow's last bit differs between libms
      for (let i = 0; i < a.length; i++) {
        const ok = Object.is(got[i], want[i]) || (Number.isNaN(got[i]!) && Number.isNaN(want[i]!))
          || (Number.isFinite(want[i]!) && Math.abs(got[i]! - want[i]!) <= eps * Math.abs(want[i]!));
        if (!ok) assert.unreachable(`binary ${op} ${dtype}: (${a[i]}, ${b[i]}) gave ${got[i]}, expected ${want[i]}`);
      }
      freeAll();
    }
  }
});

t('binary and copy beyond the kernel rank limit (rank 10, not coalescible) and scalars', () => {
  const rng = new Rng(4);
  const shape = [2, 3, 2, 2, 3, 2, 2, 2, 3, 2];
  for (const dtype of FLOATS) {
    const aL = layout(rng, shape, { pad: true }), bL = layout(rng, shape, { broadcast: true, pad: true });
    const a = pair(dtype, values(rng, dtype, aL.size)), b = pair(dtype, values(rng, dtype, bL.size));
    const n = sizeOf(shape);
    const out = pair(dtype, new Array<number>(n).fill(-777));
    wasm().binary('mul', shape, a.w, aL.strides, b.w, bL.strides, out.w);
    ref.binary('mul', shape, a.j, aL.strides, b.j, bL.strides, out.j);
    compareBuffers(out, exact, `binary rank 10 ${dtype}`);
    const dL = layout(rng, shape, { pad: true, offset: true });
    const dst = pair(dtype, new Array<number>(dL.size).fill(-777));
    wasm().copy(shape, a.w, aL.offset, aL.strides, dst.w, dL.offset, dL.strides);
    ref.copy(shape, a.j, aL.offset, aL.strides, dst.j, dL.offset, dL.strides);
    compareBuffers(dst, exact, `copy rank 10 ${dtype}`);
    // rank 0
    const s1 = pair(dtype, [2.5]), s2 = pair(dtype, [-4]), so = pair(dtype, [0]);
    wasm().binary('sub', [], s1.w, [], s2.w, [], so.w);
    assert.equal(Array.from(wasm().read(so.w)), [6.5]);
    freeAll();
  }
});

t('cast: float → int32 out of the int32 range wraps like Int32Array (ECMAScript ToInt32)', () => {
  for (const from of FLOATS) {
    const vals = [2 ** 31, -(2 ** 31) - 1, 3e9, -3e9, 2 ** 32 + 5, 1e10];
    const src = pair(from, vals), dst = pair('int32', new Array<number>(vals.length).fill(0));
    wasm().cast(src.w, dst.w, vals.length);
    ref.cast(src.j, dst.j, vals.length);
    compareBuffers(dst, exact, `cast ${from} → int32 out of range (values ${ref.read(src.j).join(', ')})`);
    freeAll();
  }
});

t('fill: every dtype, values rounded like typed-array stores', () => {
  for (const dtype of ALL) {
    for (const v of [0, -0, 1.5, 0.1, -2.7, NaN, Infinity, 1e40, 2 ** 31 + 3]) {
      for (const n of [0, 1, 3, 16, 33]) {
        const p = pair(dtype, new Array<number>(n).fill(5));
        wasm().fill(p.w, v);
        ref.fill(p.j, v);
        compareBuffers(p, exact, `fill ${dtype} ${v} n=${n}`);
        freeAll();
      }
    }
  }
});

// ---------------------------------------------------------------------------------------------
// Reductions

t('reduce through the tensor layer: every axis subset of rank-3 and rank-4 tensors, keepDims', () => {
  const rng = new Rng(9);
  for (const shape of [[3, 5, 7], [2, 1, 9, 4], [17, 3, 2], [1, 65, 1], [4, 3, 5, 2]]) {
    for (const dtype of FLOATS) {
      const data = values(rng, dtype, sizeOf(shape), { special: 0 });
      for (let mask = 1; mask < 1 << shape.length; mask++) {
        const axes = shape.map((_, i) => i).filter((i) => mask & (1 << i));
        for (const op of ['sum', 'max', 'min', 'mean'] as const) {
          const run = (backend: string): TypedArray => onBackend(backend, () => c.tidy(() => {
            const x = c.tensor(data, shape, dtype);
            return c[op](x, axes, mask % 2 === 0).dataSync();
          }));
          const got = run('wasm'), want = run('js');
          const eps = op === 'sum' || op === 'mean' ? (dtype === 'float64' ? 1e-12 : 1e-6) : 0;
          const scale = data.reduce((s, v) => s + Math.abs(v), 0);
          compare(got, want, () => eps * scale, `${op} ${dtype} [${shape}] axes [${axes}]`);
        }
      }
    }
  }
});

// ---------------------------------------------------------------------------------------------
// GEMM

t('gemm: NaN and Inf in A or B propagate (no skipped multiplies)', () => {
  for (const dtype of FLOATS) {
    const a = pair(dtype, [1, NaN, 0, 0, Infinity, 1]), b = pair(dtype, [0, 1, 0, 0, 1, 0]);
    const cc = pair(dtype, new Array<number>(4).fill(0));
    wasm().gemm(false, false, 2, 2, 3, 1, a.w, 0, 3, b.w, 0, 2, 0, cc.w, 0, 2);
    ref.gemm(false, false, 2, 2, 3, 1, a.j, 0, 3, b.j, 0, 2, 0, cc.j, 0, 2);
    compareBuffers(cc, exact, `gemm NaN propagation ${dtype}`);
    freeAll();
  }
});

// ---------------------------------------------------------------------------------------------
// Gather / scatter-add

t('gather/scatterAdd: an out-of-range index is an InputError, not a stray write into the wasm heap', () => {
  const table = pair('float64', [1, 2, 3, 4]), idx = pair('int32', [0, 2]), out = pair('float64', [0, 0, 0, 0]);
  throwsType(() => wasm().gather(table.w, idx.w, 2, 2, out.w), c.InputError, /index 2 at position 1/);
  throwsType(() => wasm().scatterAdd(out.w, idx.w, 2, 2, table.w), c.InputError, /outside \[0, 2\)/);
  freeAll();
});

// ---------------------------------------------------------------------------------------------
// Dense linear algebra

t('potrf: a matrix that is not positive definite fails at the same pivot with the same value as the reference', () => {
  for (const dtype of FLOATS) {
    for (const [vals, n] of [[[4, 2, 2, 1], 2], [[1, 0, 0, 0, -2, 0, 0, 0, 3], 3], [[2, 1, 1, 1, NaN, 1, 1, 1, 2], 3], [[-1], 1]] as const) {
      const a = pair(dtype, vals);
      const rw = wasm().potrf(n, a.w, 0, n), rj = ref.potrf(n, a.j, 0, n);
      assert.is(rw.ok, false);
      if (rw.ok || rj.ok) throw new Error('unreachable');
      assert.is(rw.pivot, rj.pivot, `potrf ${dtype} [${vals}]: pivot`);
      assert.ok(Object.is(rw.value, rj.value) || Math.abs(rw.value - rj.value) <= 1e-6 * Math.max(1, Math.abs(rj.value)),
        `potrf ${dtype} [${vals}]: value ${rw.value}, expected ${rj.value}`);
      freeAll();
    }
  }
});

t('syev: non-finite input is an InputError naming the entry (nothing written); bad ld a ShapeError', () => {
  for (const dtype of FLOATS) {
    const a = pair(dtype, [1, 0, 0, 2, 3, 0, 4, Infinity, 5]), w = pair(dtype, [-777, -777, -777]);
    throwsType(() => wasm().syev(3, a.w, 0, 3, w.w, 0, true), c.InputError, /entry \(2, 1\).*Infinity/);
    assert.equal(Array.from(wasm().read(w.w)), [-777, -777, -777]);
    throwsType(() => wasm().syev(3, a.w, 0, 2, w.w, 0, true), c.ShapeError, /leading dimension/);
    throwsType(() => wasm().potrf(3, a.w, 1, 3), c.ShapeError, /needs 10 elements/);
    freeAll();
  }
});

t('large sizes that cross the kernels\' blocking (GEMM KC 256 / MC 64-128, reduce 256 columns, potrf/trsm panels of 64)', () => {
  const rng = new Rng(15);
  for (const dtype of FLOATS) {
    const eps = dtype === 'float64' ? 1e-12 : 1e-5;
    for (const [m, n, k, tA, tB] of [[130, 67, 300, false, false], [65, 129, 257, true, false], [200, 9, 513, false, true], [3, 1030, 17, true, true], [1, 300, 600, false, false], [300, 1, 600, true, false]] as const) {
      const lda = (tA ? m : k) + 1, ldb = (tB ? k : n) + 2, ldc = n + 3;
      const a = pair(dtype, values(rng, dtype, (tA ? k : m) * lda, { lo: -1, hi: 1, special: 0 }));
      const b = pair(dtype, values(rng, dtype, (tB ? n : k) * ldb, { lo: -1, hi: 1, special: 0 }));
      const cc = pair(dtype, values(rng, dtype, m * ldc, { lo: -1, hi: 1, special: 0 }));
      wasm().gemm(tA, tB, m, n, k, 0.75, a.w, 0, lda, b.w, 0, ldb, -0.5, cc.w, 0, ldc);
      ref.gemm(tA, tB, m, n, k, 0.75, a.j, 0, lda, b.j, 0, ldb, -0.5, cc.j, 0, ldc);
      // |a|, |b| ≤ 1: Σ|a||b| ≤ k.
      compareBuffers(cc, () => eps * (0.75 * k + 0.5), `gemm ${dtype} ${m}×${n}×${k} tA=${tA} tB=${tB}`);
      freeAll();
    }
    for (const [outer, r, inner] of [[2, 300, 513], [1, 1000, 1], [3, 7, 1029], [600, 3, 1]]) {
      const x = pair(dtype, values(rng, dtype, outer * r * inner, { special: 0 }));
      for (const op of ['sum', 'max', 'min'] as const) {
        const out = pair(dtype, new Array<number>(outer * inner).fill(-777));
        wasm().reduce(op, x.w, outer, r, inner, out.w);
        ref.reduce(op, x.j, outer, r, inner, out.j);
        compareBuffers(out, op === 'sum' ? sumTol(dtype, ref.read(x.j), outer, r, inner) : exact, `reduce ${op} ${dtype} [${outer}, ${r}, ${inner}]`);
      }
      freeAll();
    }
    for (const n of [65, 129, 150]) {
      const a = pair(dtype, spd(rng, n, n + 1, 2));
      assert.equal(wasm().potrf(n, a.w, 2, n + 1), ref.potrf(n, a.j, 2, n + 1));
      const err = relNorm(wasm().read(a.w), ref.read(a.j), inMatrix(2, n + 1, n, n));
      assert.ok(err <= eps, `potrf ${dtype} n=${n}: relative error ${err}`);
      for (const uplo of ['lower', 'upper'] as const) {
        for (const trans of [false, true]) {
          const bb = pair(dtype, values(rng, dtype, n * 70, { special: 0 }));
          // The Cholesky factor (lower) or its transpose stored upper: well conditioned.
          const tri = pair(dtype, ref.read(a.j));
          if (uplo === 'upper') {
            ref.copy([n, n], a.j, 2, [1, n + 1], tri.j, 2, [n + 1, 1]);
            wasm().copy([n, n], a.w, 2, [1, n + 1], tri.w, 2, [n + 1, 1]);
          }
          wasm().trsm(uplo, trans, false, n, 70, 1.5, tri.w, 2, n + 1, bb.w, 0, 70);
          ref.trsm(uplo, trans, false, n, 70, 1.5, tri.j, 2, n + 1, bb.j, 0, 70);
          const e2 = relNorm(wasm().read(bb.w), ref.read(bb.j));
          assert.ok(e2 <= eps * 10, `trsm ${dtype} ${uplo} trans=${trans} m=${n}: relative error ${e2}`);
        }
      }
      freeAll();
    }
  }
});

// ---------------------------------------------------------------------------------------------
// Buffers, handles and memory safety

t('alloc/read/write/free: zero size, offsets, fresh copies, idempotent free, use after free', () => {
  const b = wasm();
  for (const dtype of ALL) {
    const z = b.alloc(dtype, 0);
    assert.is(b.read(z).length, 0);
    b.fill(z, 3);
    b.free(z);
    const x = b.alloc(dtype, 5);
    b.fill(x, 0);
    b.write(x, [7, 8], 3);
    const r = b.read(x);
    assert.equal(Array.from(r), [0, 0, 0, 7, 8]);
    r[0] = 99;
    assert.is(b.read(x)[0], 0, 'read returns a copy');
    assert.throws(() => b.write(x, [1, 2, 3], 4), RangeError);
    b.free(x);
    b.free(x); // idempotent
    throwsType(() => b.read(x), c.CurvatureError, /after free/);
  }
  throwsType(() => b.read(ref.alloc('float32', 2)), c.DTypeError, /not allocated by this backend/);
});

t('out-of-bounds strides, offsets or sizes are ShapeErrors before any kernel runs', () => {
  const b = wasm();
  const x = pair('float32', [1, 2, 3, 4, 5, 6]), out = pair('float32', [0, 0, 0, 0, 0, 0]);
  throwsType(() => b.binary('add', [2, 4], x.w, [4, 1], x.w, [4, 1], out.w), c.ShapeError);
  throwsType(() => b.binary('add', [7], x.w, [1], x.w, [0], out.w), c.ShapeError);
  throwsType(() => b.copy([3], x.w, 4, [1], out.w, 0, [1]), c.ShapeError);
  throwsType(() => b.unary('exp', x.w, out.w, 7), c.ShapeError);
  throwsType(() => b.reduce('sum', x.w, 2, 2, 2, out.w), c.ShapeError);
  throwsType(() => b.gemm(false, false, 2, 2, 2, 1, x.w, 3, 2, x.w, 0, 2, 0, out.w, 0, 2), c.ShapeError);
  throwsType(() => b.trsm('lower', false, false, 2, 3, 1, x.w, 0, 2, out.w, 1, 3), c.ShapeError);
  assert.equal(Array.from(b.read(out.w)), [0, 0, 0, 0, 0, 0]);
  freeAll();
});

t('syev (float64) is bit-identical to the js reference, through the strip-wise Q accumulation and the deferred QL rotations', () => {
  // Sizes around the 8-column strips and past one flush of deferred rotations (> 128 QL steps).
  for (const n of [1, 2, 3, 7, 8, 9, 17, 64, 101, 203]) {
    const rng = new Rng(n);
    const x = Array.from({ length: (n + 3) * n }, () => rng.uniform(-1, 1));
    const vals = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) { let s = 0; for (let r = 0; r < n + 3; r++) s += x[r * n + i]! * x[r * n + j]!; vals[i * n + j] = s; }
    const a = pair('float64', vals), w = pair('float64', new Float64Array(n));
    wasm().syev(n, a.w, 0, n, w.w, 0, true);
    ref.syev(n, a.j, 0, n, w.j, 0, true);
    const same = (p: TypedArray, q: TypedArray): boolean => p.length === q.length && p.every((v, i) => Object.is(v, q[i]));
    assert.ok(same(wasm().read(w.w), ref.read(w.j)), `n=${n}: eigenvalues differ`);
    assert.ok(same(wasm().read(a.w), ref.read(a.j)), `n=${n}: eigenvectors differ`);
    freeAll();
  }
});

t('the kernel tests freed everything they allocated (cv_allocated_bytes back to its baseline)', () => {
  const before = wasm().allocatedBytes();
  for (let i = 0; i < 100; i++) {
    const p = pair('float64', [1, 2, 3]);
    wasm().unary('exp', p.w, p.w, 3);
    freeAll();
  }
  assert.is(wasm().allocatedBytes(), before);
});

test.run();
