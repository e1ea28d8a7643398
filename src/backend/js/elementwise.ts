import type { BinaryOp, TypedArray, UnaryOp } from '../types.js';
import { coalesce, contiguousStrides, forEachRow } from './strided.js';

/** Abramowitz–Stegun-free erf: series for small |x|, continued fraction (Lentz) for the tail; ≈1e-15. */
export function erf(x: number): number {
  const ax = Math.abs(x);
  if (ax === Infinity) return Math.sign(x);
  if (ax < 2.5) {
    // Maclaurin series erf(x) = 2/√π Σ (−1)ⁿ x^(2n+1) / (n!(2n+1)); converges fast for |x| < 2.5.
    let term = x;
    let sum = x;
    const x2 = x * x;
    for (let n = 1; n < 100; n++) {
      term *= -x2 / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    return (2 / Math.sqrt(Math.PI)) * sum;
  }
  return Math.sign(x) * (1 - erfcLarge(ax));
}

/** erfc(x) for x ≥ 2.5 by the continued fraction erfc(x) = e^{−x²}/√π · 1/(x + 1/2/(x + 1/(x + 3/2/(x + …)))). */
function erfcLarge(x: number): number {
  // Modified Lentz evaluation of K = x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + …)))).
  const tiny = 1e-300;
  let f = x;
  let c = x;
  let d = 0;
  for (let n = 1; n < 200; n++) {
    const an = n / 2;
    d = x + an * d;
    d = d === 0 ? tiny : d;
    c = x + an / c;
    c = c === 0 ? tiny : c;
    d = 1 / d;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return Math.exp(-x * x) / (Math.sqrt(Math.PI) * f);
}

/** Numerically stable softplus log(1 + eˣ). */
export function softplus(x: number): number {
  return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
}

/** Stable logistic function. */
export function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

export const unaryFns: Record<UnaryOp, (x: number) => number> = {
  neg: (x) => -x,
  exp: Math.exp,
  log: Math.log,
  tanh: Math.tanh,
  sigmoid,
  sqrt: Math.sqrt,
  abs: Math.abs,
  sign: (x) => (x > 0 ? 1 : x < 0 ? -1 : 0),
  square: (x) => x * x,
  reciprocal: (x) => 1 / x,
  log1p: Math.log1p,
  expm1: Math.expm1,
  softplus,
  erf,
  sin: Math.sin,
  cos: Math.cos,
  relu: (x) => (x > 0 ? x : 0),
  step: (x) => (x > 0 ? 1 : 0),
  isfinite: (x) => (Number.isFinite(x) ? 1 : 0),
};

export const binaryFns: Record<BinaryOp, (a: number, b: number) => number> = {
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  div: (a, b) => a / b,
  pow: Math.pow,
  max: (a, b) => (a >= b || Number.isNaN(a) ? a : b),
  min: (a, b) => (a <= b || Number.isNaN(a) ? a : b),
  gt: (a, b) => (a > b ? 1 : 0),
  ge: (a, b) => (a >= b ? 1 : 0),
  lt: (a, b) => (a < b ? 1 : 0),
  le: (a, b) => (a <= b ? 1 : 0),
  eq: (a, b) => (a === b ? 1 : 0),
  ne: (a, b) => (a !== b ? 1 : 0),
};

export function unaryKernel(op: UnaryOp, x: TypedArray, out: TypedArray, n: number): void {
  const f = unaryFns[op];
  for (let i = 0; i < n; i++) out[i] = f(x[i]!);
}

export function binaryKernel(
  op: BinaryOp, shape: readonly number[], a: TypedArray, aStrides: readonly number[],
  b: TypedArray, bStrides: readonly number[], out: TypedArray,
): void {
  const { shape: s, strides } = coalesce(shape, [aStrides, bStrides, contiguousStrides(shape)]);
  // Hot cases get their own loops; the rest share the generic strided loop.
  if (op === 'add' || op === 'mul' || op === 'sub') {
    forEachRow(s, strides, [0, 0, 0], (off, len, st) => {
      let ia = off[0]!, ib = off[1]!, io = off[2]!;
      const sa = st[0]!, sb = st[1]!;
      if (op === 'add') for (let i = 0; i < len; i++, ia += sa, ib += sb) out[io++] = a[ia]! + b[ib]!;
      else if (op === 'mul') for (let i = 0; i < len; i++, ia += sa, ib += sb) out[io++] = a[ia]! * b[ib]!;
      else for (let i = 0; i < len; i++, ia += sa, ib += sb) out[io++] = a[ia]! - b[ib]!;
    });
    return;
  }
  const f = binaryFns[op];
  forEachRow(s, strides, [0, 0, 0], (off, len, st) => {
    let ia = off[0]!, ib = off[1]!, io = off[2]!;
    const sa = st[0]!, sb = st[1]!;
    for (let i = 0; i < len; i++, ia += sa, ib += sb) out[io++] = f(a[ia]!, b[ib]!);
  });
}

export function whereKernel(
  shape: readonly number[], c: TypedArray, cStrides: readonly number[], a: TypedArray,
  aStrides: readonly number[], b: TypedArray, bStrides: readonly number[], out: TypedArray,
): void {
  const { shape: s, strides } = coalesce(shape, [cStrides, aStrides, bStrides, contiguousStrides(shape)]);
  forEachRow(s, strides, [0, 0, 0, 0], (off, len, st) => {
    let ic = off[0]!, ia = off[1]!, ib = off[2]!, io = off[3]!;
    for (let i = 0; i < len; i++, ic += st[0]!, ia += st[1]!, ib += st[2]!) out[io++] = c[ic]! !== 0 ? a[ia]! : b[ib]!;
  });
}

/** out = a·b + c·d, rounded like mul, mul, add (float32: each product and the sum to float32). */
export function mulAddKernel(
  shape: readonly number[], a: TypedArray, aStrides: readonly number[], b: TypedArray, bStrides: readonly number[],
  c: TypedArray, cStrides: readonly number[], d: TypedArray, dStrides: readonly number[], out: TypedArray,
): void {
  const { shape: s, strides } = coalesce(shape, [aStrides, bStrides, cStrides, dStrides, contiguousStrides(shape)]);
  const f32 = out instanceof Float32Array;
  forEachRow(s, strides, [0, 0, 0, 0, 0], (off, len, st) => {
    let ia = off[0]!, ib = off[1]!, ic = off[2]!, id = off[3]!, io = off[4]!;
    for (let i = 0; i < len; i++, ia += st[0]!, ib += st[1]!, ic += st[2]!, id += st[3]!) {
      out[io++] = f32 ? Math.fround(Math.fround(a[ia]! * b[ib]!) + Math.fround(c[ic]! * d[id]!)) : a[ia]! * b[ib]! + c[ic]! * d[id]!;
    }
  });
}

export function copyKernel(
  shape: readonly number[], src: TypedArray, srcOff: number, srcStrides: readonly number[],
  dst: TypedArray, dstOff: number, dstStrides: readonly number[],
): void {
  const { shape: s, strides } = coalesce(shape, [srcStrides, dstStrides]);
  forEachRow(s, strides, [srcOff, dstOff], (off, len, st) => {
    let is = off[0]!, id = off[1]!;
    const ss = st[0]!, sd = st[1]!;
    if (ss === 1 && sd === 1) {
      dst.set(src.subarray(is, is + len), id);
      return;
    }
    for (let i = 0; i < len; i++, is += ss, id += sd) dst[id] = src[is]!;
  });
}

/**
 * out[o, i] = Σ_k x[o, k, i]² over x viewed as [outer, r, inner]: each square rounded to the
 * dtype (Math.fround for float32), summed in double in k order — square then reduce sum, in one pass.
 */
export function sumSquaresKernel(x: TypedArray, outer: number, r: number, inner: number, out: TypedArray): void {
  const round = x instanceof Float32Array ? Math.fround : (v: number) => v;
  const acc = new Float64Array(inner);
  for (let o = 0; o < outer; o++) {
    acc.fill(0);
    const base = o * r * inner;
    for (let k = 0; k < r; k++) {
      const row = base + k * inner;
      for (let i = 0; i < inner; i++) acc[i]! += round(x[row + i]! * x[row + i]!);
    }
    out.set(acc, o * inner);
  }
}

export function reduceKernel(
  op: 'sum' | 'max' | 'min', x: TypedArray, outer: number, r: number, inner: number, out: TypedArray,
): void {
  for (let o = 0; o < outer; o++) {
    const base = o * r * inner;
    if (inner === 1) {
      // Reductions over the last axis: one accumulator in double precision.
      let acc = op === 'sum' ? 0 : op === 'max' ? -Infinity : Infinity;
      for (let k = 0; k < r; k++) {
        const v = x[base + k]!;
        if (op === 'sum') acc += v;
        else if (op === 'max') acc = v > acc || Number.isNaN(v) ? v : acc;
        else acc = v < acc || Number.isNaN(v) ? v : acc;
      }
      out[o] = acc;
      continue;
    }
    const acc = new Float64Array(inner).fill(op === 'sum' ? 0 : op === 'max' ? -Infinity : Infinity);
    for (let k = 0; k < r; k++) {
      const row = base + k * inner;
      for (let i = 0; i < inner; i++) {
        const v = x[row + i]!;
        if (op === 'sum') acc[i]! += v;
        else if (op === 'max') acc[i] = v > acc[i]! || Number.isNaN(v) ? v : acc[i]!;
        else acc[i] = v < acc[i]! || Number.isNaN(v) ? v : acc[i]!;
      }
    }
    out.set(acc, o * inner);
  }
}
