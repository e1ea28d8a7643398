/**
 * Property tests (fast-check, fixed seed): every kernel of the Backend interface
 * (src/backend/types.ts) on the wasm backend against the js reference, on generated odd shapes
 * (1..~40), strides (transposed, padded, broadcast), element offsets, float32/float64 (and int32
 * where the kernel takes it), with special values. Tolerances: see property-helpers.ts. A failure
 * prints the shrunk counterexample and the seed; CURVATURE_FC_SEED / CURVATURE_FC_RUNS_SCALE
 * explore further. Skipped cleanly when the wasm backend does not load.
 *
 * Fixed edge cases (IEEE specials of pow/max/min, rank > kernel limit, out-of-range casts, sizes
 * that cross the kernels' blocking, error paths) stay in wasm/kernels.test.ts.
 */
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { test } from 'uvu';
import type { DType, UnaryOp } from '../../src/backend/types.js';
import type { WasmBackend } from '../../src/backend/wasm/index.js';
import {
  ALL, BINARY, binaryTol, buildLayout, compare, exact, fcParams, FLOATS, inMatrix, layoutArb, pairs, relNorm, seedArb,
  shapeArb, sizeOf, spd, sumTol, UNARY, unaryTol, values, type Tol,
} from './property-helpers.js';
import { ref, Rng, testIf, wasmOrSkip } from './wasm/setup.js';
import { kernels, type Kernels } from '../../src/tensor/kernels.js';

const W = wasmOrSkip('backend property tests');
const t = testIf(W !== null);
const wasm = (): WasmBackend => W!;
/**
 * The wasm backend as the tensor layer reaches it (src/tensor/kernels.ts): calls whose dtypes it
 * refuses (int32 arithmetic, where, scatter-add) run on the reference there, so those properties
 * hold for what users meet; the float paths are the wasm kernels themselves.
 */
const kx = (): Kernels => kernels(W!);
const { pair, freeAll, compareBuffers } = pairs(wasm);

const floatArb = fc.constantFrom(...FLOATS);
const dtypeArb = fc.constantFrom(...ALL);

let lastFailure = '';

/**
 * fc.assert with the buffers of every run freed, pass or fail; a failure reports fast-check's
 * counterexample and seed together with the assertion message of the (shrunk) failing case.
 */
function check<T extends unknown[]>(numRuns: number, seed: number, arbs: { [K in keyof T]: fc.Arbitrary<T[K]> }, body: (...args: T) => void): void {
  lastFailure = '';
  try {
    assertProperty(numRuns, seed, arbs, body);
  } catch (err) {
    assert.unreachable(`${(err as Error).message.split('\n').slice(0, 3).join(' ')}\n    failing check: ${lastFailure}`);
  }
}

function assertProperty<T extends unknown[]>(numRuns: number, seed: number, arbs: { [K in keyof T]: fc.Arbitrary<T[K]> }, body: (...args: T) => void): void {
  fc.assert(fc.property(...(arbs as unknown as [fc.Arbitrary<unknown>]), (...args: unknown[]) => {
    try { body(...(args as T)); } catch (err) { lastFailure = err instanceof Error ? err.message : String(err); throw err; } finally { freeAll(); }
  }), fcParams(numRuns, seed));
}

// ---------------------------------------------------------------------------------------------
// Moves: fill, cast, copy, gather

t('fill: every dtype, any double (NaN, ±Inf, −0, out of range) rounds like a typed-array store', () => {
  check(300, 101, [dtypeArb, fc.integer({ min: 0, max: 40 }), fc.oneof(fc.double(), fc.integer({ min: -(2 ** 32), max: 2 ** 32 }))], (dtype, n, v) => {
    const p = pair(dtype, new Array<number>(n).fill(5));
    wasm().fill(p.w, v);
    ref.fill(p.j, v);
    compareBuffers(p, exact, `fill ${dtype} ${v} n=${n}`);
  });
});

t('cast: every dtype pair, odd lengths, the prefix n only; float → int32 truncates, NaN/±Inf → 0', () => {
  check(500, 102, [dtypeArb, dtypeArb, fc.integer({ min: 0, max: 70 }), fc.integer({ min: 0, max: 3 }), seedArb], (from, to, n, extra, seed) => {
    const rng = new Rng(seed);
    const vals = values(rng, from, n, { lo: -1e6, hi: 1e6, special: 0.1 }).map((v, i) => (i % 3 === 0 ? v / 1e5 : v));
    const src = pair(from, vals), dst = pair(to, new Array<number>(n + extra).fill(-777));
    wasm().cast(src.w, dst.w, n);
    ref.cast(src.j, dst.j, n);
    compareBuffers(dst, exact, `cast ${from} → ${to} n=${n}`);
  });
});

t('copy: every dtype, rank 0..5, any axis order, padding, broadcast source, offsets on both sides', () => {
  check(1000, 103, [dtypeArb, shapeArb(5), layoutArb({ broadcast: true, pad: true, offset: true }), layoutArb({ pad: true, offset: true }), seedArb], (dtype, shape, sg, dg, seed) => {
    const rng = new Rng(seed);
    const sL = buildLayout(shape, sg), dL = buildLayout(shape, dg);
    const src = pair(dtype, values(rng, dtype, sL.size, { special: 0.2 }));
    const dst = pair(dtype, new Array<number>(dL.size).fill(-777));
    kx().copy(shape, src.w, sL.offset, sL.strides, dst.w, dL.offset, dL.strides);
    ref.copy(shape, src.j, sL.offset, sL.strides, dst.j, dL.offset, dL.strides);
    compareBuffers(dst, exact, `copy ${dtype} [${shape}] src [${sL.strides}]+${sL.offset} dst [${dL.strides}]+${dL.offset}`);
  });
});

t('gather and scatterAdd: every dtype, repeated indices, row sizes 1..40', () => {
  const rowSizeArb = fc.oneof(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 40 }));
  check(400, 104, [dtypeArb, fc.integer({ min: 1, max: 20 }), rowSizeArb, fc.integer({ min: 0, max: 30 }), seedArb], (dtype, rows, rowSize, nIdx, seed) => {
    const rng = new Rng(seed);
    const idx = pair('int32', Array.from({ length: nIdx }, () => rng.int(0, rows - 1)));
    const table = pair(dtype, values(rng, dtype, rows * rowSize, { special: 0 }));
    const out = pair(dtype, new Array<number>(nIdx * rowSize + 1).fill(-777));
    wasm().gather(table.w, idx.w, nIdx, rowSize, out.w);
    ref.gather(table.j, idx.j, nIdx, rowSize, out.j);
    compareBuffers(out, exact, `gather ${dtype} rows=${rows} rowSize=${rowSize} nIdx=${nIdx}`);
    const src = pair(dtype, values(rng, dtype, nIdx * rowSize, { special: 0 }));
    const acc = pair(dtype, values(rng, dtype, rows * rowSize, { special: 0 }));
    kx().scatterAdd(src.w, idx.w, nIdx, rowSize, acc.w);
    ref.scatterAdd(src.j, idx.j, nIdx, rowSize, acc.j);
    // |values| ≤ 6: a row sum of nIdx + 1 terms is bounded by 6·(nIdx + 1).
    const eps = dtype === 'float64' ? 1e-12 : dtype === 'float32' ? 1e-6 : 0;
    compareBuffers(acc, (_i, w) => eps * (Math.abs(w) + 6 * (nIdx + 1)), `scatterAdd ${dtype} rows=${rows} rowSize=${rowSize} nIdx=${nIdx}`);
  });
});

// ---------------------------------------------------------------------------------------------
// Elementwise: unary, binary, where

const WIDE = new Set<UnaryOp>(['exp', 'expm1', 'sigmoid', 'softplus', 'tanh', 'erf']);

t('unary: every op × float dtype, lengths 0..70 and 257 (SIMD bodies, unrolled loops and tails), special values; out beyond n untouched', () => {
  check(1500, 105, [fc.constantFrom(...UNARY), floatArb, fc.oneof({ arbitrary: fc.integer({ min: 0, max: 70 }), weight: 9 }, { arbitrary: fc.constant(257), weight: 1 }), fc.integer({ min: 0, max: 2 }), seedArb], (op, dtype, n, extra, seed) => {
    const rng = new Rng(seed);
    const x = pair(dtype, values(rng, dtype, n + extra, WIDE.has(op) ? { lo: -120, hi: 120 } : { lo: -8, hi: 8 }));
    const out = pair(dtype, new Array<number>(n + extra).fill(-777));
    wasm().unary(op, x.w, out.w, n);
    ref.unary(op, x.j, out.j, n);
    const got = wasm().read(out.w), want = ref.read(out.j), xs = ref.read(x.j);
    // The reference's erf gives NaN at ±Inf (its continued fraction meets Inf·0); ±1 is the
    // correct limit, so either is accepted.
    if (op === 'erf') for (let i = 0; i < n; i++) if (Math.abs(xs[i]!) === Infinity && (got[i] === Math.sign(xs[i]!) || Number.isNaN(got[i]!))) want[i] = got[i]!;
    const tol = unaryTol(op, dtype);
    compare(got, want, (i, w) => (i < n ? tol(i, w) : 0), `unary ${op} ${dtype} n=${n}`);
  });
});

t('binary: every op × dtype on broadcast/transposed/padded shapes of rank 0..4', () => {
  check(2000, 106, [fc.constantFrom(...BINARY), dtypeArb, shapeArb(4), layoutArb({ broadcast: true, pad: true }), layoutArb({ broadcast: true, pad: true }), seedArb],
    (op, dtype, shape, ag, bg, seed) => {
      const rng = new Rng(seed);
      const aL = buildLayout(shape, { ...ag, offset: 0 }), bL = buildLayout(shape, { ...bg, offset: 0 });
      const powArgs = op === 'pow' && dtype !== 'int32';
      const a = pair(dtype, values(rng, dtype, aL.size, powArgs ? { lo: -3, hi: 3 } : {}));
      const b = pair(dtype, values(rng, dtype, bL.size, powArgs ? { lo: -3, hi: 3 } : {}));
      const out = pair(dtype, new Array<number>(sizeOf(shape)).fill(-777));
      kx().binary(op, shape, a.w, aL.strides, b.w, bL.strides, out.w);
      ref.binary(op, shape, a.j, aL.strides, b.j, bL.strides, out.j);
      compareBuffers(out, binaryTol(op, dtype, ref.read(a.j), ref.read(b.j), aL, bL, shape),
        `binary ${op} ${dtype} [${shape}] strides [${aL.strides}] / [${bL.strides}]`);
    });
});

t('where: every dtype, three broadcast/padded operands; cond NaN ≠ 0, −0 = 0', () => {
  const lay = layoutArb({ broadcast: true, pad: true });
  check(800, 107, [dtypeArb, shapeArb(4), lay, lay, lay, seedArb], (dtype, shape, cg, ag, bg, seed) => {
    const rng = new Rng(seed);
    const cL = buildLayout(shape, cg), aL = buildLayout(shape, ag), bL = buildLayout(shape, bg);
    // where() takes no offsets: the operands start at element 0.
    for (const L of [cL, aL, bL]) { L.size -= L.offset; L.offset = 0; }
    const cond = pair(dtype, Array.from({ length: cL.size }, () => rng.pick(dtype === 'int32' ? [0, 1, -3] : [0, 1, -0, NaN, 0.25])));
    const a = pair(dtype, values(rng, dtype, aL.size)), b = pair(dtype, values(rng, dtype, bL.size));
    const out = pair(dtype, new Array<number>(sizeOf(shape)).fill(-777));
    kx().where(shape, cond.w, cL.strides, a.w, aL.strides, b.w, bL.strides, out.w);
    ref.where(shape, cond.j, cL.strides, a.j, aL.strides, b.j, bL.strides, out.j);
    compareBuffers(out, exact, `where ${dtype} [${shape}]`);
  });
});

// ---------------------------------------------------------------------------------------------
// Reductions

t('reduce: sum/max/min over [outer, r, inner], odd sizes, NaN and ±Inf; out beyond outer·inner untouched', () => {
  const rArb = fc.oneof({ arbitrary: fc.integer({ min: 0, max: 40 }), weight: 5 }, { arbitrary: fc.constantFrom(65, 300), weight: 1 });
  check(800, 108, [fc.constantFrom('sum', 'max', 'min' as const), floatArb, fc.integer({ min: 1, max: 7 }), rArb, fc.integer({ min: 1, max: 17 }), fc.boolean(), seedArb],
    (op, dtype, outer, r, inner, special, seed) => {
      const rng = new Rng(seed);
      const x = pair(dtype, values(rng, dtype, outer * r * inner, { special: special ? 0.02 : 0 }));
      const out = pair(dtype, new Array<number>(outer * inner + 1).fill(-777));
      wasm().reduce(op, x.w, outer, r, inner, out.w);
      ref.reduce(op, x.j, outer, r, inner, out.j);
      const tol = op === 'sum' ? sumTol(dtype, ref.read(x.j), outer, r, inner) : exact;
      compareBuffers(out, (i, w) => (i < outer * inner ? tol(i, w) : 0), `reduce ${op} ${dtype} [${outer}, ${r}, ${inner}]`);
    });
});

// ---------------------------------------------------------------------------------------------
// GEMM

t('gemm: all transposes, m, n, k odd 1..40 (k = 0 too), ld > n, offsets, α/β; β = 0 ignores NaN in C; outside C untouched', () => {
  const dim = fc.oneof(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 40 }));
  const scalar = fc.oneof(fc.constantFrom(0, 1, -1, 0.5), fc.double({ min: -2, max: 2, noNaN: true }));
  const pad = fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 3 }));
  const off = fc.integer({ min: 0, max: 4 });
  check(1000, 109, [floatArb, fc.boolean(), fc.boolean(), dim, dim, fc.oneof(dim, fc.constant(0)), scalar, scalar,
    fc.tuple(pad, pad, pad), fc.tuple(off, off, off), seedArb],
  (dtype, tA, tB, m, n, k, alpha, beta, [pa, pb, pc], [aOff, bOff, cOff], seed) => {
    const rng = new Rng(seed);
    const aRows = tA ? k : m, aCols = tA ? m : k, bRows = tB ? n : k, bCols = tB ? k : n;
    const lda = Math.max(1, aCols + pa), ldb = Math.max(1, bCols + pb), ldc = n + pc;
    const aVals = values(rng, dtype, aOff + aRows * lda + 2, { lo: -1, hi: 1, special: 0 });
    const bVals = values(rng, dtype, bOff + bRows * ldb + 2, { lo: -1, hi: 1, special: 0 });
    const cVals = new Array<number>(cOff + m * ldc + 2).fill(-777);
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) cVals[cOff + i * ldc + j] = beta === 0 ? NaN : rng.uniform(-1, 1);
    const a = pair(dtype, aVals), b = pair(dtype, bVals), cc = pair(dtype, cVals);
    wasm().gemm(tA, tB, m, n, k, alpha, a.w, aOff, lda, b.w, bOff, ldb, beta, cc.w, cOff, ldc);
    ref.gemm(tA, tB, m, n, k, alpha, a.j, aOff, lda, b.j, bOff, ldb, beta, cc.j, cOff, ldc);
    const A = ref.read(a.j), B = ref.read(b.j), C0 = ref.read(cc.j).map((_, i) => cVals[i]!);
    const eps = dtype === 'float64' ? 1e-12 : 1e-6 * Math.sqrt(Math.max(k, 1));
    const tol: Tol = (idx) => {
      const rel = idx - cOff, i = Math.floor(rel / ldc), j = rel % ldc;
      if (rel < 0 || i >= m || j >= n) return 0; // outside C: must be untouched
      let s = 0;
      for (let p = 0; p < k; p++) {
        s += Math.abs(tA ? A[aOff + p * lda + i]! : A[aOff + i * lda + p]!) * Math.abs(tB ? B[bOff + j * ldb + p]! : B[bOff + p * ldb + j]!);
      }
      // sgemm takes α and β as float32 (BLAS convention); for subnormal α or β that rounding is
      // absolute, up to half the smallest subnormal times what it multiplies (found by this test).
      const sub = dtype === 'float32' ? 2 ** -149 : 2 ** -1074;
      const c0 = beta === 0 ? 0 : Math.abs(C0[idx]!); // β = 0: C is NaN and must not be read
      return eps * (Math.abs(alpha) * s + Math.abs(beta) * c0) + sub * (1 + s + c0);
    };
    compareBuffers(cc, tol, `gemm ${dtype} tA=${tA} tB=${tB} m=${m} n=${n} k=${k} α=${alpha} β=${beta} ld=${lda},${ldb},${ldc} off=${aOff},${bOff},${cOff}`);
  });
});

t('gemmStridedBatched: batch 0..5, strides with gaps or 0 (one A or B for the batch), interleaved C, offsets: equals one reference gemm per element', () => {
  const dim = fc.integer({ min: 1, max: 13 });
  check(300, 119, [floatArb, fc.boolean(), fc.boolean(), dim, dim, fc.integer({ min: 0, max: 13 }), fc.integer({ min: 0, max: 5 }),
    fc.constantFrom('gap', 'zero'), fc.constantFrom('gap', 'zero'), fc.boolean(), fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 3 })), seedArb],
  (dtype, tA, tB, m, n, k, batch, sa, sb, interleave, [aOff, bOff, cOff], seed) => {
    const rng = new Rng(seed);
    const aRows = tA ? k : m, aCols = tA ? m : k, bRows = tB ? n : k, bCols = tB ? k : n;
    const lda = Math.max(1, aCols), ldb = Math.max(1, bCols + 1);
    const strideA = sa === 'zero' ? 0 : aRows * lda + 2, strideB = sb === 'zero' ? 0 : bRows * ldb + 1;
    // Interleaved: C is [m, batch, n] (ldc = batch·n, strideC = n); else blocks with a gap.
    const ldc = interleave ? Math.max(1, batch) * n : n + 1, strideC = interleave ? n : m * ldc + 3;
    const len = (off: number, stride: number, rows: number, ld: number) => off + Math.max(0, batch - 1) * stride + rows * ld + 1;
    const a = pair(dtype, values(rng, dtype, len(aOff, strideA, aRows, lda), { lo: -1, hi: 1, special: 0 }));
    const b = pair(dtype, values(rng, dtype, len(bOff, strideB, bRows, ldb), { lo: -1, hi: 1, special: 0 }));
    const cc = pair(dtype, values(rng, dtype, len(cOff, strideC, m, ldc), { lo: -1, hi: 1, special: 0 }));
    const alpha = 0.75, beta = -0.5;
    wasm().gemmStridedBatched(tA, tB, m, n, k, alpha, a.w, aOff, lda, strideA, b.w, bOff, ldb, strideB, beta, cc.w, cOff, ldc, strideC, batch);
    for (let i = 0; i < batch; i++) {
      ref.gemm(tA, tB, m, n, k, alpha, a.j, aOff + i * strideA, lda, b.j, bOff + i * strideB, ldb, beta, cc.j, cOff + i * strideC, ldc);
    }
    // Same per-matrix kernel as gemm: the tolerance of the gemm property, bounded by |entries| ≤ 1.
    const eps = dtype === 'float64' ? 1e-12 : 1e-6 * Math.sqrt(Math.max(k, 1));
    compareBuffers(cc, () => eps * (k + 1), `gemmStridedBatched ${dtype} tA=${tA} tB=${tB} m=${m} n=${n} k=${k} batch=${batch} strides ${strideA},${strideB},${strideC}`);
  });
});

t('dispatcher: a call the wasm backend refuses (int32 add) throws DTypeError there and runs on the reference through the tensor layer, counted', () => {
  const a = pair('int32', [1, 2, 3]), b = pair('int32', [10, 20, 30]), out = pair('int32', [0, 0, 0]);
  assert.is(wasm().supports('binary', ['int32', 'int32', 'int32'], 'add'), false);
  assert.is(wasm().supports('binary', ['int32', 'int32', 'int32'], 'eq'), true);
  assert.throws(() => wasm().binary('add', [3], a.w, [1], b.w, [1], out.w), (e: Error) => e.name === 'DTypeError');
  const before = wasm().fallbackCounts.get('binary add int32,int32→int32') ?? 0;
  kx().binary('add', [3], a.w, [1], b.w, [1], out.w);
  assert.equal([...wasm().read(out.w)], [11, 22, 33]);
  assert.is(wasm().fallbackCounts.get('binary add int32,int32→int32'), before + 1);
  freeAll();
});

// ---------------------------------------------------------------------------------------------
// Dense linear algebra: potrf, trsm, syev

const nArb = fc.oneof(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 40 }));

t('potrf: SPD matrices of odd sizes 1..40, ld > n, offsets: the same factor as the reference, padding untouched', () => {
  check(200, 110, [floatArb, nArb, fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 5 }), seedArb], (dtype, n, pad, off, seed) => {
    const eps = dtype === 'float64' ? 1e-12 : 1e-5;
    const ld = n + pad;
    const a = pair(dtype, spd(new Rng(seed), n, ld, off));
    const rw = wasm().potrf(n, a.w, off, ld), rj = ref.potrf(n, a.j, off, ld);
    assert.equal(rw, rj, `potrf ${dtype} n=${n}: result`);
    const err = relNorm(wasm().read(a.w), ref.read(a.j), inMatrix(off, ld, n, n));
    assert.ok(err <= eps, `potrf ${dtype} n=${n} ld=${ld} off=${off}: relative error ${err}`);
  });
});

t('trsm: lower/upper × trans × unit diagonal × α (0 included), m 1..40, n 1..40, ld > n, offsets', () => {
  check(600, 111, [floatArb, fc.constantFrom('lower', 'upper' as const), fc.boolean(), fc.boolean(), nArb, nArb, fc.constantFrom(1, -2, 0.5, 0),
    fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 3 }), seedArb],
  (dtype, uplo, trans, unit, m, n, alpha, pa, pb, aOff, bOff, seed) => {
    const rng = new Rng(seed);
    const eps = dtype === 'float64' ? 1e-12 : 1e-5;
    const lda = m + pa, ldb = n + pb;
    const aVals = new Array<number>(aOff + m * lda + 1).fill(-777);
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < m; j++) {
        // Diagonal 1..2 in magnitude, off-diagonal O(1/m): well conditioned. NaN on a unit
        // diagonal proves it is never read.
        aVals[aOff + i * lda + j] = i === j ? (unit ? NaN : rng.uniform(1, 2) * rng.pick([1, -1])) : rng.uniform(-1, 1) / m;
      }
    }
    const a = pair(dtype, aVals), b = pair(dtype, values(rng, dtype, bOff + m * ldb + 1, { special: 0 }));
    wasm().trsm(uplo, trans, unit, m, n, alpha, a.w, aOff, lda, b.w, bOff, ldb);
    ref.trsm(uplo, trans, unit, m, n, alpha, a.j, aOff, lda, b.j, bOff, ldb);
    const err = relNorm(wasm().read(b.w), ref.read(b.j), inMatrix(bOff, ldb, m, n));
    assert.ok(err <= eps || (alpha === 0 && err === 0), `trsm ${dtype} ${uplo} trans=${trans} unit=${unit} m=${m} n=${n} α=${alpha}: relative error ${err}`);
  });
});

t('syev: eigenvalues as the reference; vectors orthonormal, A·V = V·Λ, largest component positive; padding untouched; vectors off leaves A', () => {
  check(150, 112, [floatArb, nArb, fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 2 }), seedArb], (dtype, n, pad, off, wOff, seed) => {
    const rng = new Rng(seed);
    const eps = dtype === 'float64' ? 1e-12 : 1e-5;
    const ld = n + pad;
    const vals = new Array<number>(off + n * ld + 1).fill(-777);
    for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) vals[off + i * ld + j] = vals[off + j * ld + i] = rng.normal();
    const A = dtype === 'float32' ? Float64Array.from(Float32Array.from(vals)) : Float64Array.from(vals);
    const a = pair(dtype, vals), w = pair(dtype, new Array<number>(wOff + n + 1).fill(-777));
    wasm().syev(n, a.w, off, ld, w.w, wOff, true);
    ref.syev(n, a.j, off, ld, w.j, wOff, true);
    let normA = 0;
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) normA += A[off + i * ld + j]! ** 2;
    normA = Math.sqrt(normA);
    const ew = wasm().read(w.w), ej = ref.read(w.j);
    compare(ew, ej, () => eps * normA, `syev ${dtype} n=${n} eigenvalues`);
    const V = wasm().read(a.w), Vr = ref.read(a.j);
    let res = 0, orth = 0;
    for (let q = 0; q < n; q++) {
      let big = -1, sign = 1;
      for (let i = 0; i < n; i++) {
        const v = V[off + i * ld + q]!;
        if (Math.abs(v) > big) { big = Math.abs(v); sign = Math.sign(v); }
        let av = 0;
        for (let p = 0; p < n; p++) av += A[off + i * ld + p]! * V[off + p * ld + q]!;
        res = Math.max(res, Math.abs(av - ew[wOff + q]! * v));
      }
      assert.is(sign, 1, `syev ${dtype} n=${n}: eigenvector ${q} has a negative largest component`);
      for (let r = 0; r < n; r++) {
        let d = 0;
        for (let i = 0; i < n; i++) d += V[off + i * ld + q]! * V[off + i * ld + r]!;
        orth = Math.max(orth, Math.abs(d - (q === r ? 1 : 0)));
      }
      // Against the reference where the eigenvalue is well separated (perturbation ≤ tol/gap).
      const gap = Math.min(q > 0 ? ej[wOff + q]! - ej[wOff + q - 1]! : Infinity, q < n - 1 ? ej[wOff + q + 1]! - ej[wOff + q]! : Infinity);
      if (gap > 1e-2 * normA) {
        for (let i = 0; i < n; i++) {
          const d = Math.abs(V[off + i * ld + q]! - Vr[off + i * ld + q]!);
          assert.ok(d <= (10 * eps * normA) / gap, `syev ${dtype} n=${n}: vector ${q} component ${i} differs by ${d} (gap ${gap})`);
        }
      }
    }
    assert.ok(res <= 10 * eps * normA, `syev ${dtype} n=${n}: residual ${res}`);
    assert.ok(orth <= 10 * eps * Math.max(1, n / 10), `syev ${dtype} n=${n}: orthogonality ${orth}`);
    for (let i = 0; i < vals.length; i++) if (!inMatrix(off, ld, n, n)(i)) assert.is(V[i], dtype === 'float32' ? Math.fround(vals[i]!) : vals[i]);
    const a2 = pair(dtype, vals), w2 = pair(dtype, new Array<number>(wOff + n + 1).fill(-777));
    wasm().syev(n, a2.w, off, ld, w2.w, wOff, false);
    compare(wasm().read(a2.w), ref.read(a2.j), exact, `syev ${dtype} n=${n} without vectors leaves A`);
    compare(wasm().read(w2.w), ej, () => eps * normA, `syev ${dtype} n=${n} eigenvalues without vectors`);
  });
});

t('the property runs freed everything they allocated', () => {
  const before = wasm().allocatedBytes();
  check(20, 113, [dtypeArb, fc.integer({ min: 0, max: 40 })], (dtype: DType, n: number) => { pair(dtype, new Array<number>(n).fill(1)); });
  assert.is(wasm().allocatedBytes(), before);
});

test.run();
