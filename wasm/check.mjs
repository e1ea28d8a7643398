#!/usr/bin/env node
/**
 * Quick self-check of wasm/curvature.wasm against the reference backend (the compiled TypeScript
 * in dist/: run `npm run build` first) and against plain JS formulas. Random odd shapes, strides,
 * broadcasting, transposes, alpha/beta, NaN/±0/±Inf, Cholesky failures, eigenproblems.
 *
 *   node wasm/check.mjs [path/to/module.wasm]
 *
 * Prints one line per group and exits non-zero on the first mismatch. A stopgap until the
 * project's conformance suite (test/backend) runs every kernel against the wasm backend.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const modulePath = resolve(process.argv[2] ?? join(root, 'wasm', 'curvature.wasm'));
const ref = {
  ...(await import(join(root, 'dist/src/backend/js/elementwise.js'))),
  ...(await import(join(root, 'dist/src/backend/js/gemm.js'))),
  ...(await import(join(root, 'dist/src/backend/js/linalg.js'))),
};

// ------------------------------------------------------------------ module and memory helpers

const mod = new WebAssembly.Module(readFileSync(modulePath));
const imports = { env: { emscripten_notify_memory_growth: () => {} } };
for (const imp of WebAssembly.Module.imports(mod)) {
  imports[imp.module] ??= {};
  imports[imp.module][imp.name] ??= () => { throw new Error(`import ${imp.module}.${imp.name} called`); };
}
const instance = await WebAssembly.instantiate(mod, imports);
const w = instance.exports;
w._initialize?.();

const CTOR = { f32: Float32Array, f64: Float64Array, i32: Int32Array };
/** A buffer in linear memory: { ptr, type, n }; views are made per access (growth detaches). */
function alloc(type, n, fillWith) {
  const ptr = w.cv_malloc(Math.max(1, n) * CTOR[type].BYTES_PER_ELEMENT) >>> 0;
  if (ptr === 0) throw new Error('cv_malloc failed');
  const buf = { ptr, type, n };
  if (fillWith !== undefined) view(buf).set(fillWith);
  return buf;
}
const view = (b) => new CTOR[b.type](w.memory.buffer, b.ptr, b.n);
const read = (b) => view(b).slice();
const free = (...bs) => bs.forEach((b) => w.cv_free(b.ptr));
const ints = (arr) => alloc('i32', arr.length, arr);

// ------------------------------------------------------------------ random data

let seed = 12345;
function rand() { // xorshift32 in [0, 1)
  seed ^= seed << 13; seed ^= seed >>> 17; seed ^= seed << 5;
  return (seed >>> 0) / 4294967296;
}
const randInt = (lo, hi) => lo + Math.floor(rand() * (hi - lo + 1));
const normal = () => Math.sqrt(-2 * Math.log(rand() + 1e-300)) * Math.cos(2 * Math.PI * rand());
const SPECIALS = [0, -0, 1, -1, 0.5, -2.5, 3, NaN, Infinity, -Infinity, 1e-30, -1e30, 88.7, -103.5, 710, 2.5, 2.4999, 20];
function randomValues(n, specials = true) {
  const a = new Array(n);
  for (let i = 0; i < n; i++) a[i] = specials && rand() < 0.15 ? SPECIALS[randInt(0, SPECIALS.length - 1)] : normal() * 3;
  return a;
}

// ------------------------------------------------------------------ comparison

let checks = 0;
function fail(msg) {
  console.error(`FAIL: ${msg}`);
  process.exit(1);
}
/** Same value (NaN = NaN, +0 ≠ −0 when strictZero). */
function same(x, y, strictZero = true) {
  if (Number.isNaN(x) || Number.isNaN(y)) return Number.isNaN(x) && Number.isNaN(y);
  return strictZero ? Object.is(x, y) : x === y;
}
function expectSame(got, want, what, strictZero = true) {
  checks++;
  if (got.length !== want.length) fail(`${what}: length ${got.length} vs ${want.length}`);
  for (let i = 0; i < want.length; i++) {
    if (!same(got[i], want[i], strictZero)) fail(`${what}: [${i}] got ${got[i]}, want ${want[i]}`);
  }
}
/** |got − want| ≤ tol·scale[i] (NaN/Inf must match exactly). */
function expectClose(got, want, tol, scale, what) {
  checks++;
  for (let i = 0; i < want.length; i++) {
    const g = got[i], e = want[i];
    if (!Number.isFinite(e) || !Number.isFinite(g)) {
      if (!same(g, e, false)) fail(`${what}: [${i}] got ${g}, want ${e}`);
      continue;
    }
    const s = typeof scale === 'number' ? scale : scale[i];
    if (Math.abs(g - e) > tol * s) fail(`${what}: [${i}] got ${g}, want ${e} (|diff| ${Math.abs(g - e)} > ${tol}·${s})`);
  }
}
/** Units in the last place between two finite numbers of the given type. */
function ulps(x, y, type) {
  if (same(x, y, false)) return 0;
  if (!Number.isFinite(x) || !Number.isFinite(y)) return Infinity;
  if (type === 'f32') {
    const b = new Int32Array(new Float32Array([x, y]).buffer);
    const ox = b[0] < 0 ? 0x80000000 - b[0] : b[0], oy = b[1] < 0 ? 0x80000000 - b[1] : b[1];
    return Math.abs(ox - oy);
  }
  const b = new BigInt64Array(new Float64Array([x, y]).buffer);
  const o = (v) => (v < 0n ? -(v & 0x7fffffffffffffffn) : v);
  return Number(o(b[0]) - o(b[1]) < 0n ? o(b[1]) - o(b[0]) : o(b[0]) - o(b[1]));
}
function group(name, fn) {
  const before = checks;
  fn();
  console.log(`ok  ${name} (${checks - before} checks)`);
}

const contiguous = (shape) => {
  const s = new Array(shape.length);
  let acc = 1;
  for (let d = shape.length - 1; d >= 0; d--) { s[d] = acc; acc *= shape[d]; }
  return s;
};
const sizeOf = (shape) => shape.reduce((a, b) => a * b, 1);
/** A random shape of rank 0..4 and, per operand, strides: contiguous, broadcast (0) or permuted/padded. */
function randomLayout(nOps) {
  const rank = randInt(0, 4);
  const shape = Array.from({ length: rank }, () => (rand() < 0.2 ? 1 : randInt(1, 9)));
  const ops = [];
  for (let o = 0; o < nOps; o++) {
    const kind = rand();
    let strides, span;
    if (kind < 0.4) {
      strides = contiguous(shape);
      span = sizeOf(shape);
    } else if (kind < 0.7) { // broadcast some axes
      const bshape = shape.map((d) => (rand() < 0.5 ? 1 : d));
      strides = contiguous(bshape).map((s, d) => (bshape[d] === 1 ? 0 : s));
      span = sizeOf(bshape);
    } else { // permuted axes with padding
      const perm = shape.map((_, d) => d).sort(() => rand() - 0.5);
      strides = new Array(rank);
      let acc = 1;
      for (let q = rank - 1; q >= 0; q--) { strides[perm[q]] = acc; acc *= shape[perm[q]] + randInt(0, 2); }
      span = acc;
    }
    ops.push({ strides, span: Math.max(1, span) });
  }
  return { shape, ops };
}

// ------------------------------------------------------------------ memory, fill, cast

group('memory: cv_malloc alignment and cv_allocated_bytes', () => {
  const base = w.cv_allocated_bytes();
  const ps = [1, 7, 16, 1000, 0].map((n) => w.cv_malloc(n) >>> 0);
  for (const p of ps) if (p === 0 || p % 16 !== 0) fail(`cv_malloc returned ${p}`);
  if (w.cv_allocated_bytes() - base !== 1 + 7 + 16 + 1000) fail('cv_allocated_bytes does not count live bytes');
  ps.forEach((p) => w.cv_free(p));
  if (w.cv_allocated_bytes() !== base) fail('cv_free does not release');
  w.cv_free(0);
  checks += 3;
});

group('fill', () => {
  for (const n of [0, 1, 3, 4, 5, 17]) {
    for (const [type, fn, v] of [['f32', w.cv_fill_f32, -1.5], ['f64', w.cv_fill_f64, Math.PI], ['i32', w.cv_fill_b32, -7]]) {
      const b = alloc(type, n + 1, new Array(n + 1).fill(9));
      fn(b.ptr, n, v);
      const want = new CTOR[type](n + 1).fill(v);
      want[n] = 9;
      expectSame(read(b), want, `fill_${type} n=${n}`);
      free(b);
    }
  }
});

group('cast (float→int is Math.trunc + ToInt32)', () => {
  const types = ['f32', 'f64', 'i32'];
  const vals = [...randomValues(50), 2147483647.5, 2147483648, -2147483649, 4294967301, -0.9, 1e10, 16777217, 3.4e38];
  for (let from = 0; from < 3; from++) {
    for (let to = 0; to < 3; to++) {
      const src = alloc(types[from], vals.length, vals);
      const srcVals = read(src);
      const dst = alloc(types[to], vals.length);
      w.cv_cast(from, to, src.ptr, dst.ptr, vals.length);
      const want = new CTOR[types[to]](vals.length);
      for (let i = 0; i < vals.length; i++) want[i] = to === 2 ? Math.trunc(srcVals[i]) : srcVals[i];
      expectSame(read(dst), want, `cast ${types[from]}→${types[to]}`, false);
      free(src, dst);
    }
  }
});

// ------------------------------------------------------------------ strided copy

group('copy_b32 / copy_b64 (random strides, broadcast source, transposes)', () => {
  for (let t = 0; t < 300; t++) {
    const { shape, ops } = randomLayout(2);
    const dstStrides = t % 3 === 0 ? contiguous(shape) : ops[1].strides.map((s) => s); // dst must not alias itself
    const dstSpan = t % 3 === 0 ? Math.max(1, sizeOf(shape)) : ops[1].span;
    const broadcastDst = dstStrides.some((s, d) => s === 0 && shape[d] > 1);
    const dStr = broadcastDst ? contiguous(shape) : dstStrides, dSpan = broadcastDst ? Math.max(1, sizeOf(shape)) : dstSpan;
    for (const [type, fn] of [['f32', w.cv_copy_b32], ['f64', w.cv_copy_b64], ['i32', w.cv_copy_b32]]) {
      const srcVals = randomValues(ops[0].span).map((v) => (type === 'i32' ? randInt(-1e6, 1e6) : v));
      const src = alloc(type, ops[0].span, srcVals), dst = alloc(type, dSpan, new Array(dSpan).fill(-3));
      const sh = ints(shape.length ? shape : [1]), ss = ints(ops[0].strides.length ? ops[0].strides : [0]), ds = ints(dStr.length ? dStr : [0]);
      fn(shape.length, sh.ptr, src.ptr, ss.ptr, dst.ptr, ds.ptr);
      const want = new CTOR[type](dSpan).fill(-3);
      ref.copyKernel(shape, read(src), 0, ops[0].strides, want, 0, dStr);
      expectSame(read(dst), want, `copy ${type} shape [${shape}] src [${ops[0].strides}] dst [${dStr}]`);
      free(src, dst, sh, ss, ds);
    }
  }
  // transposes made contiguous (the tiled register-transpose path), batched too, ragged edges
  for (const [shape, srcStrides] of [[[45, 67], [1, 45]], [[64, 32], [1, 64]], [[3, 37, 41], [37 * 41, 1, 37]], [[2, 9, 130], [9 * 130 + 5, 1, 9]]]) {
    const n = sizeOf(shape);
    const srcSpan = shape.reduce((s, d, i) => s + (d - 1) * srcStrides[i], 0) + 1;
    for (const [type, fn] of [['f32', w.cv_copy_b32], ['f64', w.cv_copy_b64]]) {
      const src = alloc(type, srcSpan, randomValues(srcSpan, false)), dst = alloc(type, n);
      const sh = ints(shape), ss = ints(srcStrides), ds = ints(contiguous(shape));
      fn(shape.length, sh.ptr, src.ptr, ss.ptr, dst.ptr, ds.ptr);
      const want = new CTOR[type](n);
      ref.copyKernel(shape, read(src), 0, srcStrides, want, 0, contiguous(shape));
      expectSame(read(dst), want, `copy ${type} transpose [${shape}] src strides [${srcStrides}]`);
      free(src, dst, sh, ss, ds);
    }
  }
});

// ------------------------------------------------------------------ unary

const UNARY = ['neg', 'exp', 'log', 'tanh', 'sigmoid', 'sqrt', 'abs', 'sign', 'square', 'reciprocal',
  'log1p', 'expm1', 'softplus', 'erf', 'sin', 'cos', 'relu', 'step', 'isfinite'];
const ALGEBRAIC = new Set(['neg', 'sqrt', 'abs', 'sign', 'square', 'reciprocal', 'relu', 'step', 'isfinite']);
group('unary (algebraic ops bit-exact; transcendental ≤ 1 ulp f32, ≤ 2 ulp f64 of the reference)', () => {
  const n = 203;
  for (const type of ['f32', 'f64']) {
    const x = alloc(type, n, [...SPECIALS, ...randomValues(n - SPECIALS.length), ]);
    const xs = read(x);
    for (let op = 0; op < UNARY.length; op++) {
      const out = alloc(type, n);
      (type === 'f32' ? w.cv_unary_f32 : w.cv_unary_f64)(op, x.ptr, out.ptr, n);
      const got = read(out);
      const want = new CTOR[type](n);
      ref.unaryKernel(UNARY[op], xs, want, n);
      checks++;
      const maxUlp = ALGEBRAIC.has(UNARY[op]) ? 0 : type === 'f32' ? 1 : 2;
      for (let i = 0; i < n; i++) {
        if (ulps(got[i], want[i], type) > maxUlp || (maxUlp === 0 && !same(got[i], want[i]))) {
          fail(`unary ${UNARY[op]} ${type} x=${xs[i]}: got ${got[i]}, want ${want[i]}`);
        }
      }
      free(out);
    }
    // in place
    const y = alloc(type, n, xs);
    (type === 'f32' ? w.cv_unary_f32 : w.cv_unary_f64)(8, y.ptr, y.ptr, n);
    expectSame(read(y), xs.map((v) => v * v), `unary square ${type} in place`);
    free(x, y);
  }
});

// ------------------------------------------------------------------ binary and where

const BINARY = ['add', 'sub', 'mul', 'div', 'pow', 'max', 'min', 'gt', 'ge', 'lt', 'le', 'eq', 'ne'];
group('binary f32/f64/i32 (random broadcasting and strides; bit-exact, pow ≤ 1 ulp)', () => {
  for (let t = 0; t < 120; t++) {
    const { shape, ops } = randomLayout(2);
    const n = sizeOf(shape);
    for (const type of ['f32', 'f64', 'i32']) {
      const gen = (m) => (type === 'i32' ? Array.from({ length: m }, () => randInt(-50, 50)) : randomValues(m));
      const a = alloc(type, ops[0].span, gen(ops[0].span)), b = alloc(type, ops[1].span, gen(ops[1].span));
      const sh = ints(shape.length ? shape : [1]), as = ints(ops[0].strides.length ? ops[0].strides : [0]), bs = ints(ops[1].strides.length ? ops[1].strides : [0]);
      for (let op = 0; op < BINARY.length; op++) {
        const out = alloc(type, n);
        const fn = { f32: w.cv_binary_f32, f64: w.cv_binary_f64, i32: w.cv_binary_i32 }[type];
        fn(op, shape.length, sh.ptr, a.ptr, as.ptr, b.ptr, bs.ptr, out.ptr);
        const want = new CTOR[type](n);
        ref.binaryKernel(BINARY[op], shape, read(a), ops[0].strides, read(b), ops[1].strides, want);
        const got = read(out);
        checks++;
        // int32 pow: results beyond 2^53 are not exact integers, and V8's and musl's pow round them
        // differently (≤ 1 ulp), which ToInt32 turns into different low bits; only exact ones compared.
        const exactPow = (i) => {
          const idx = []; let r = i;
          for (let d = shape.length - 1; d >= 0; d--) { idx[d] = r % shape[d]; r = Math.floor(r / shape[d]); }
          const x = read(a)[idx.reduce((s, v, d) => s + v * ops[0].strides[d], 0)], y = read(b)[idx.reduce((s, v, d) => s + v * ops[1].strides[d], 0)];
          return Math.abs(Math.pow(x, y)) < 2 ** 53;
        };
        for (let i = 0; i < n; i++) {
          if (BINARY[op] === 'pow' && type === 'i32' && !exactPow(i)) continue;
          const ok = BINARY[op] === 'pow' && type !== 'i32' ? ulps(got[i], want[i], type) <= 1 : same(got[i], want[i]);
          if (!ok) fail(`binary ${BINARY[op]} ${type} shape [${shape}] [${i}]: got ${got[i]}, want ${want[i]}`);
        }
        free(out);
      }
      free(a, b, sh, as, bs);
    }
  }
  // an operand read transposed (tiled path), batched, ragged tiles
  for (const [shape, aStr, bStr] of [[[37, 45], [45, 1], [1, 37]], [[3, 20, 70], [1400, 70, 1], [1400, 1, 20]], [[70, 17], [1, 70], [17, 1]]]) {
    const n = sizeOf(shape);
    const span = (st) => shape.reduce((s, d, i) => s + (d - 1) * st[i], 0) + 1;
    for (const type of ['f32', 'f64']) {
      const a = alloc(type, span(aStr), randomValues(span(aStr))), b = alloc(type, span(bStr), randomValues(span(bStr)));
      const sh = ints(shape), as = ints(aStr), bs = ints(bStr), out = alloc(type, n);
      for (let op = 0; op < BINARY.length; op++) {
        if (BINARY[op] === 'pow') continue;
        (type === 'f32' ? w.cv_binary_f32 : w.cv_binary_f64)(op, shape.length, sh.ptr, a.ptr, as.ptr, b.ptr, bs.ptr, out.ptr);
        const want = new CTOR[type](n);
        ref.binaryKernel(BINARY[op], shape, read(a), aStr, read(b), bStr, want);
        expectSame(read(out), want, `binary ${BINARY[op]} ${type} transposed operand [${shape}]`);
      }
      free(a, b, sh, as, bs, out);
    }
  }
  // long contiguous rows and scalar broadcast (the SIMD paths), max/min NaN rules
  for (const type of ['f32', 'f64']) {
    const n = 1001;
    const av = randomValues(n), bv = randomValues(n);
    av[3] = NaN; bv[5] = NaN; av[7] = 0; bv[7] = -0; av[8] = -0; bv[8] = 0;
    const a = alloc(type, n, av), b = alloc(type, n, bv), s = alloc(type, 1, [NaN]), out = alloc(type, n);
    const sh = ints([n]), one = ints([1]), zero = ints([0]);
    const fn = type === 'f32' ? w.cv_binary_f32 : w.cv_binary_f64;
    for (let op = 0; op < BINARY.length; op++) {
      if (BINARY[op] === 'pow') continue;
      for (const [bb, bst, bStr, label] of [[b, one, [1], 'vector'], [s, zero, [0], 'NaN scalar']]) {
        fn(op, 1, sh.ptr, a.ptr, one.ptr, bb.ptr, bst.ptr, out.ptr);
        const want = new CTOR[type](n);
        ref.binaryKernel(BINARY[op], [n], read(a), [1], read(bb), bStr, want);
        expectSame(read(out), want, `binary ${BINARY[op]} ${type} contiguous/${label}`);
        fn(op, 1, sh.ptr, bb.ptr, bst.ptr, a.ptr, one.ptr, out.ptr);
        ref.binaryKernel(BINARY[op], [n], read(bb), bStr, read(a), [1], want);
        expectSame(read(out), want, `binary ${BINARY[op]} ${type} ${label}/contiguous`);
      }
    }
    free(a, b, s, out, sh, one, zero);
  }
});

group('where f32/f64', () => {
  for (let t = 0; t < 150; t++) {
    const { shape, ops } = randomLayout(3);
    const n = sizeOf(shape);
    for (const type of ['f32', 'f64']) {
      const cv = randomValues(ops[0].span).map((v) => (rand() < 0.3 ? 0 : rand() < 0.1 ? -0 : v));
      const c = alloc(type, ops[0].span, cv), a = alloc(type, ops[1].span, randomValues(ops[1].span)), b = alloc(type, ops[2].span, randomValues(ops[2].span));
      const out = alloc(type, n);
      const st = (s) => ints(s.length ? s : [0]);
      const sh = ints(shape.length ? shape : [1]), cs = st(ops[0].strides), as = st(ops[1].strides), bs = st(ops[2].strides);
      (type === 'f32' ? w.cv_where_f32 : w.cv_where_f64)(shape.length, sh.ptr, c.ptr, cs.ptr, a.ptr, as.ptr, b.ptr, bs.ptr, out.ptr);
      const want = new CTOR[type](n);
      ref.whereKernel(shape, read(c), ops[0].strides, read(a), ops[1].strides, read(b), ops[2].strides, want);
      expectSame(read(out), want, `where ${type} shape [${shape}]`);
      free(c, a, b, out, sh, cs, as, bs);
    }
  }
});

// ------------------------------------------------------------------ reduce

group('reduce sum/max/min ([outer, r, inner]; max/min bit-exact incl. ±0 and NaN)', () => {
  const cases = [[1, 0, 1], [1, 1, 1], [3, 37, 1], [2, 1000, 1], [4, 5, 7], [2, 33, 300], [1, 17, 2], [5, 0, 3]];
  for (const [outer, r, inner] of cases) {
    for (const type of ['f32', 'f64']) {
      for (const op of [0, 1, 2]) {
        for (const flavour of ['normal', 'nan', 'zeros']) {
          const n = outer * r * inner;
          let vals = randomValues(n, false);
          if (flavour === 'nan') vals = vals.map((v) => (rand() < 0.02 ? NaN : v));
          if (flavour === 'zeros') vals = vals.map(() => (rand() < 0.5 ? 0 : -0)).map((v) => (rand() < 0.1 ? -1 : v));
          const x = alloc(type, n, vals), out = alloc(type, outer * inner);
          (type === 'f32' ? w.cv_reduce_f32 : w.cv_reduce_f64)(op, x.ptr, outer, r, inner, out.ptr);
          const want = new CTOR[type](outer * inner);
          ref.reduceKernel(['sum', 'max', 'min'][op], read(x), outer, r, inner, want);
          const what = `reduce ${['sum', 'max', 'min'][op]} ${type} [${outer},${r},${inner}] ${flavour}`;
          if (op === 0 && inner === 1) {
            const xs = read(x);
            const scale = Array.from({ length: outer }, (_, o) => xs.slice(o * r, (o + 1) * r).reduce((s, v) => s + Math.abs(v), 0) + 1e-300);
            expectClose(read(out), want, type === 'f32' ? 1e-7 : 1e-15, scale, what);
          } else {
            expectSame(read(out), want, what);
          }
          free(x, out);
        }
      }
    }
  }
});

// ------------------------------------------------------------------ gather / scatter-add

group('gather / scatter_add', () => {
  for (const [nSrc, nIdx, row] of [[5, 9, 3], [10, 4, 1], [3, 7, 17], [4, 0, 5], [6, 6, 0]]) {
    const idxV = Array.from({ length: nIdx }, () => randInt(0, nSrc - 1));
    const idx = ints(idxV.length ? idxV : [0]);
    for (const [type, g] of [['f32', w.cv_gather_b32], ['f64', w.cv_gather_b64], ['i32', w.cv_gather_b32]]) {
      const src = alloc(type, nSrc * row, randomValues(nSrc * row).map((v) => (type === 'i32' ? Math.trunc(v * 100) : v)));
      const out = alloc(type, nIdx * row);
      g(src.ptr, idx.ptr, nIdx, row, out.ptr);
      const s = read(src), want = new CTOR[type](nIdx * row);
      for (let i = 0; i < nIdx; i++) want.set(s.subarray(idxV[i] * row, idxV[i] * row + row), i * row);
      expectSame(read(out), want, `gather ${type} ${nSrc}/${nIdx}/${row}`);
      free(src, out);
    }
    for (const [type, sa] of [['f32', w.cv_scatter_add_f32], ['f64', w.cv_scatter_add_f64]]) {
      const src = alloc(type, nIdx * row, randomValues(nIdx * row, false));
      const init = randomValues(nSrc * row, false);
      const out = alloc(type, nSrc * row, init);
      sa(src.ptr, idx.ptr, nIdx, row, out.ptr);
      const s = read(src), want = new CTOR[type](init);
      for (let i = 0; i < nIdx; i++) for (let j = 0; j < row; j++) want[idxV[i] * row + j] += s[i * row + j];
      expectSame(read(out), want, `scatter_add ${type} ${nSrc}/${nIdx}/${row}`);
      free(src, out);
    }
    free(idx);
  }
});

// ------------------------------------------------------------------ gemm

function gemmCase(type, transA, transB, m, n, k, alpha, beta, { pad = 0, nanC = false, nanA = false } = {}) {
  const lda = (transA ? m : k) + pad, ldb = (transB ? k : n) + pad, ldc = n + pad;
  const aRows = transA ? k : m, bRows = transB ? n : k;
  const av = randomValues(Math.max(1, aRows * lda), false), bv = randomValues(Math.max(1, bRows * ldb), false);
  if (nanA && m > 0 && k > 0) av[0] = NaN;
  const cv = nanC ? new Array(Math.max(1, m * ldc)).fill(NaN) : randomValues(Math.max(1, m * ldc), false);
  const a = alloc(type, av.length, av), b = alloc(type, bv.length, bv), c = alloc(type, cv.length, cv);
  (type === 'f32' ? w.cv_gemm_f32 : w.cv_gemm_f64)(transA, transB, m, n, k, alpha, a.ptr, lda, b.ptr, ldb, beta, c.ptr, ldc);
  const A = read(a), B = read(b), C0 = new CTOR[type](cv), got = read(c);
  const want = new Float64Array(C0);
  ref.gemmKernel(!!transA, !!transB, m, n, k, alpha, A, 0, lda, B, 0, ldb, beta, want, 0, ldc);
  // scale: |alpha|·Σ|a||b| + |beta·c|; untouched padding must stay as it was
  const scale = new Float64Array(want.length).fill(1e-300);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) {
        const x = transA ? A[p * lda + i] : A[i * lda + p], y = transB ? B[j * ldb + p] : B[p * ldb + j];
        s += Math.abs(x * y);
      }
      scale[i * ldc + j] = Math.abs(alpha) * s + (beta === 0 ? 0 : Math.abs(beta * C0[i * ldc + j])) + 1e-300;
    }
  }
  const wantT = new CTOR[type](want);
  expectClose(got, wantT, type === 'f32' ? 1e-5 : 1e-13, scale,
    `gemm ${type} ${transA ? 'T' : 'N'}${transB ? 'T' : 'N'} m=${m} n=${n} k=${k} alpha=${alpha} beta=${beta} pad=${pad}${nanC ? ' NaN C' : ''}`);
  for (let i = 0; i < m; i++) for (let j = n; j < ldc; j++) if (!same(got[i * ldc + j], C0[i * ldc + j])) fail('gemm wrote outside C');
  free(a, b, c);
}

group('gemm f32/f64 (all transposes, odd shapes, padding, alpha/beta, beta=0 over NaN C, NaN in A)', () => {
  const dims = [1, 2, 3, 4, 5, 7, 8, 9, 13, 17, 31, 33, 64, 65];
  for (const type of ['f32', 'f64']) {
    for (let t = 0; t < 160; t++) {
      const m = dims[randInt(0, dims.length - 1)], n = dims[randInt(0, dims.length - 1)], k = dims[randInt(0, dims.length - 1)];
      const alpha = [1, -0.5, 2][t % 3], beta = [0, 1, 0.25, -1][t % 4];
      gemmCase(type, t & 1, (t >> 1) & 1, m, n, k, alpha, beta, { pad: t % 5 === 0 ? 3 : 0, nanC: beta === 0 && t % 2 === 0 });
    }
    for (const [m, n, k] of [[300, 270, 290], [1, 300, 257], [300, 1, 600], [1, 1, 1000], [1030, 10, 129], [10, 1030, 129], [129, 1100, 300], [70, 90, 1100], [5, 3, 0], [0, 3, 4], [3, 0, 4]]) {
      for (let tr = 0; tr < 4; tr++) gemmCase(type, tr & 1, tr >> 1, m, n, k, 1.5, tr === 3 ? 0.5 : 0, { pad: 1, nanC: tr !== 3 });
    }
    gemmCase(type, 0, 0, 9, 9, 9, 1, 0, { nanA: true });
    gemmCase(type, 0, 1, 9, 1, 9, 1, 0, { nanA: true });
  }
});

// ------------------------------------------------------------------ potrf

function spd(n, type) {
  const g = randomValues(n * n, false);
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
    let s = 0;
    for (let p = 0; p < n; p++) s += g[i * n + p] * g[j * n + p];
    a[i * n + j] = s / n + (i === j ? 1 : 0);
  }
  return a;
}
function potrfCase(type, n, lda, values, what) {
  const av = new Float64Array(Math.max(1, n * lda)).fill(NaN); // upper triangle and padding: NaN (must not be read)
  for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) av[i * lda + j] = values[i * n + j];
  const a = alloc(type, av.length, av), v = alloc('f64', 1, [0]);
  const rc = (type === 'f32' ? w.cv_potrf_f32 : w.cv_potrf_f64)(n, a.ptr, lda, v.ptr);
  const want = new CTOR[type](av);
  const res = ref.potrf(n, want, 0, lda);
  const got = read(a), value = read(v)[0];
  free(a, v);
  return { rc, res, got, want, value };
}

group('potrf f32/f64 (SPD vs reference, upper zeroed, failure pivot and value)', () => {
  for (const type of ['f32', 'f64']) {
    for (const n of [1, 2, 3, 5, 8, 31, 64, 65, 100, 130, 200, 333]) {
      const lda = n + (n % 3);
      const A = spd(n, type);
      const { rc, res, got, want } = potrfCase(type, n, lda, A);
      if (rc !== -1 || !res.ok) fail(`potrf ${type} n=${n}: rc ${rc}, reference ${JSON.stringify(res)}`);
      const scale = new Float64Array(want.length).fill(1);
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) scale[i * lda + j] = Math.sqrt(A[i * n + i]) + 1e-300;
      const g2 = got.slice(), w2 = want.slice();
      for (let i = 0; i < n; i++) for (let j = n; j < lda; j++) { g2[i * lda + j] = 0; w2[i * lda + j] = 0; } // padding untouched by both
      expectClose(g2, w2, type === 'f32' ? 2e-5 * Math.sqrt(n) : 1e-13 * Math.sqrt(n), scale, `potrf ${type} n=${n}`);
      for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) if (!Object.is(got[i * lda + j], 0)) fail(`potrf ${type}: upper (${i},${j}) not zeroed`);
      for (let i = 0; i < n; i++) for (let j = n; j < lda; j++) if (!Number.isNaN(got[i * lda + j])) fail(`potrf ${type}: padding written`);
    }
    // diag(1, 2, -3, 4) → pivot 2, value -3
    {
      const d = [1, 0, 0, 0, 0, 2, 0, 0, 0, 0, -3, 0, 0, 0, 0, 4];
      const { rc, value } = potrfCase(type, 4, 4, d);
      checks++;
      if (rc !== 2 || value !== -3) fail(`potrf ${type} diag(1,2,-3,4): got pivot ${rc} value ${value}, want 2 and -3`);
    }
    // indefinite and non-finite matrices, large ones crossing block boundaries: same pivot as the reference
    for (const [n, mutate, label] of [
      [3, (a) => { a[1 * 3 + 0] = 100; }, 'A[1][0] = 100'],
      [150, (a, n) => { a[(n - 1) * n + (n - 1)] = -100; }, 'last pivot negative'],
      [150, (a, n) => { a[70 * n + 70] = 1e-9; a[70 * n + 3] = 30; }, 'pivot 70 < 0 after updates'],
      [130, (a, n) => { a[100 * n + 20] = NaN; }, 'NaN below the diagonal'],
      [130, (a, n) => { a[90 * n + 90] = Infinity; }, '+Inf on the diagonal'],
      [5, (a, n) => { a[0] = 0; }, 'zero first pivot'],
    ]) {
      const A = spd(n, type);
      mutate(A, n);
      const { rc, res, value } = potrfCase(type, n, n, A);
      checks++;
      if (res.ok || rc !== res.pivot) fail(`potrf ${type} ${label}: pivot ${rc}, reference ${JSON.stringify(res)}`);
      const tol = Number.isFinite(res.value) ? (type === 'f32' ? 1e-3 : 1e-9) * (Math.abs(A[rc * n + rc]) + 1) : 0;
      if (!(same(value, res.value, false) || Math.abs(value - res.value) <= tol)) fail(`potrf ${type} ${label}: value ${value}, reference ${res.value}`);
    }
  }
});

// ------------------------------------------------------------------ trsm

group('trsm f32/f64 (upper/lower, trans, unit diagonal, alpha incl. 0, padding)', () => {
  for (const type of ['f32', 'f64']) {
    for (const [m, n] of [[1, 1], [3, 5], [7, 1], [64, 3], [65, 66], [150, 9], [200, 1], [130, 140]]) {
      for (let combo = 0; combo < 8; combo++) {
        const upper = combo & 1, trans = (combo >> 1) & 1, unit = (combo >> 2) & 1;
        const alpha = [1, -2, 0.5, 0][(combo + m) % 4];
        const lda = m + 1, ldb = n + 2;
        // well-conditioned triangular A: unit-ish diagonal, small off-diagonal; the other triangle NaN
        const av = new Array(m * lda).fill(NaN);
        for (let i = 0; i < m; i++) for (let j = 0; j < m; j++) {
          const inTri = upper ? j >= i : j <= i;
          if (!inTri) continue;
          av[i * lda + j] = i === j ? (unit ? NaN : 1 + rand()) : normal() / Math.sqrt(m) * 0.5;
        }
        const bv = randomValues(m * ldb, false);
        const a = alloc(type, av.length, av), b = alloc(type, bv.length, bv);
        (type === 'f32' ? w.cv_trsm_f32 : w.cv_trsm_f64)(upper, trans, unit, m, n, alpha, a.ptr, lda, b.ptr, ldb);
        const want = new CTOR[type](bv);
        ref.trsm('left', upper ? 'upper' : 'lower', !!trans, !!unit, m, n, alpha, read(a), 0, lda, want, 0, ldb);
        const got = read(b);
        const scale = new Float64Array(want.length);
        for (let i = 0; i < want.length; i++) scale[i] = Math.max(1, Math.abs(want[i]));
        for (let i = 0; i < m; i++) for (let j = n; j < ldb; j++) if (!same(got[i * ldb + j], new CTOR[type]([bv[i * ldb + j]])[0])) fail('trsm wrote outside B');
        expectClose(got, want, type === 'f32' ? 1e-4 : 1e-11, scale, `trsm ${type} m=${m} n=${n} upper=${upper} trans=${trans} unit=${unit} alpha=${alpha}`);
        free(a, b);
      }
    }
  }
});

// ------------------------------------------------------------------ syev

function syevRun(type, n, lda, values, vectors) {
  const av = new Float64Array(Math.max(1, n * lda)).fill(NaN);
  for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) av[i * lda + j] = values[i * n + j];
  const a = alloc(type, av.length, av), wv = alloc(type, Math.max(1, n), new Array(Math.max(1, n)).fill(7));
  const rc = (type === 'f32' ? w.cv_syev_f32 : w.cv_syev_f64)(n, a.ptr, lda, wv.ptr, vectors ? 1 : 0);
  const got = { rc, a: read(a), w: read(wv) };
  free(a, wv);
  const refA = new CTOR[type](av), refW = new CTOR[type](Math.max(1, n)).fill(7);
  let threw = null;
  try { ref.syev(n, refA, 0, lda, refW, 0, vectors); } catch (e) { threw = e; }
  return { got, refA, refW, threw, input: new CTOR[type](av) };
}

group('syev f32/f64 (bit-identical to the reference; tridiag(-1,2,-1); sign convention; non-finite)', () => {
  for (const type of ['f32', 'f64']) {
    // tridiag(-1, 2, -1): λ_k = 2 − 2cos(kπ/(n+1))
    for (const n of [1, 2, 5, 10, 33]) {
      const T = new Float64Array(n * n);
      for (let i = 0; i < n; i++) { T[i * n + i] = 2; if (i > 0) { T[i * n + i - 1] = -1; T[(i - 1) * n + i] = -1; } }
      const { got, refA, refW } = syevRun(type, n, n, T, true);
      if (got.rc !== 0) fail(`syev tridiag n=${n}: rc ${got.rc}`);
      const exact = Array.from({ length: n }, (_, k) => 2 - 2 * Math.cos(((k + 1) * Math.PI) / (n + 1)));
      expectClose(got.w, exact, type === 'f32' ? 1e-6 : 1e-14, 4, `syev ${type} tridiag(-1,2,-1) n=${n} eigenvalues`);
      expectSame(got.w, refW, `syev ${type} tridiag n=${n} eigenvalues vs reference`);
      expectSame(got.a, refA, `syev ${type} tridiag n=${n} eigenvectors vs reference`);
    }
    // random symmetric, some with repeated eigenvalues; lda > n
    for (const n of [3, 4, 7, 16, 31, 64, 90]) {
      for (const kind of ['random', 'low-rank', 'diag-ties']) {
        const A = new Float64Array(n * n);
        if (kind === 'random') {
          for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) A[i * n + j] = A[j * n + i] = normal();
        } else if (kind === 'low-rank') {
          const u = randomValues(2 * n, false);
          for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) A[i * n + j] = u[i] * u[j] + u[n + i] * u[n + j];
        } else {
          for (let i = 0; i < n; i++) A[i * n + i] = [1, -2, 1, 3][i % 4];
        }
        const lda = n + 2;
        for (const vectors of [true, false]) {
          const { got, refA, refW, input } = syevRun(type, n, lda, A, vectors);
          if (got.rc !== 0) fail(`syev ${type} ${kind} n=${n}: rc ${got.rc}`);
          expectSame(got.w.subarray(0, n), refW.subarray(0, n), `syev ${type} ${kind} n=${n} eigenvalues vs reference`);
          expectSame(got.a, vectors ? refA : input, `syev ${type} ${kind} n=${n} vectors=${vectors} matrix`);
          if (!vectors) continue;
          // sign convention: largest |component| (first on ties) positive
          for (let j = 0; j < n; j++) {
            let big = -1, sgn = 1;
            for (let i = 0; i < n; i++) { const x = got.a[i * lda + j]; if (Math.abs(x) > big) { big = Math.abs(x); sgn = Math.sign(x); } }
            if (sgn < 0) fail(`syev ${type} ${kind}: column ${j} violates the sign convention`);
          }
        }
      }
    }
    // non-finite input: -1, nothing written
    const A = new Float64Array(16).fill(1);
    A[2 * 4 + 1] = NaN;
    const { got, threw, input } = syevRun(type, 4, 4, A, true);
    checks++;
    if (got.rc !== -1 || !threw) fail(`syev ${type} NaN: rc ${got.rc}`);
    expectSame(got.a, input, `syev ${type} NaN input untouched`);
    expectSame(got.w, new CTOR[type](4).fill(7), `syev ${type} NaN: w untouched`);
  }
});

console.log(`\nall ${checks} checks passed (${modulePath})`);
