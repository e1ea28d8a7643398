/**
 * Shared machinery of the backend conformance tests (property.test.ts, wasm/kernels.test.ts):
 * buffers mirrored on the wasm backend and the js reference, seeded random values with special
 * values, the comparison with per-element tolerances, strided layouts, and the fast-check
 * arbitraries that generate shapes and layouts.
 *
 * Tolerances (why):
 * - exact: moves (copy, gather, fill, cast), where, comparisons, max/min, +, −, ×, ÷, sqrt, square,
 *   reciprocal, abs, sign, neg, relu, step, isfinite — IEEE operations are correctly rounded in
 *   both backends (float32: the reference computes in double and rounds once, which for these
 *   operations equals the single float32 operation).
 * - transcendental (exp, log, tanh, …): 1e-14·max(|ref|, s) in float64 and 1e-6·max(|ref|, s) in
 *   float32 (a few ulps of a SIMD polynomial), s = 1 for functions with zeros inside the domain
 *   (log near 1, sin near π: absolute error on the O(1) scale), else relative. pow: the float32
 *   bound grows with |y·ln|x|| (error of exp(y·log x)).
 * - sums (reduce, scatter-add): 1e-12 (float64) / 1e-6 (float32, accumulated in double per the
 *   ABI) relative to Σ|x| — a different summation order changes rounding, not more.
 * - GEMM: 1e-12 (float64) / 1e-6·√k (float32, float32 SIMD accumulation: rounding errors of k
 *   terms grow like √k) relative to |α|·Σ|a||b| + |β·c| per element, plus the smallest subnormal
 *   times (1 + Σ|a||b| + |c|): sgemm rounds α and β to float32, which is absolute for subnormals.
 * - potrf/trsm/syev: backward-stable algorithms on well-conditioned matrices: 1e-12 (float64) and
 *   1e-5 (float32) in relative norm; eigenvectors checked by residual and orthogonality, and
 *   against the reference where the eigenvalue gap allows (error ≤ tol/gap).
 */
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import type { BackendBuffer, BinaryOp, DType, TypedArray, UnaryOp } from '../../src/backend/types.js';
import type { WasmBackend } from '../../src/backend/wasm/index.js';
import { ref, Rng } from './wasm/setup.js';

export type FD = 'float32' | 'float64';
export const FLOATS: FD[] = ['float32', 'float64'];
export const ALL: DType[] = ['float32', 'float64', 'int32'];
export const SPECIAL = [NaN, Infinity, -Infinity, 0, -0, 1, -1, 0.5, 1e30, -1e30, 1e-30, 3.4e38, 1e300, -1e-300, 88.7, -103, 710, 2 ** 31 + 0.5];
export const UNARY: UnaryOp[] = ['neg', 'exp', 'log', 'tanh', 'sigmoid', 'sqrt', 'abs', 'sign', 'square', 'reciprocal',
  'log1p', 'expm1', 'softplus', 'erf', 'sin', 'cos', 'relu', 'step', 'isfinite'];
export const BINARY: BinaryOp[] = ['add', 'sub', 'mul', 'div', 'pow', 'max', 'min', 'gt', 'ge', 'lt', 'le', 'eq', 'ne'];

// ---------------------------------------------------------------------------------------------
// Buffers on both backends

export interface Pair { w: BackendBuffer; j: BackendBuffer; dtype: DType; size: number }

/** Allocation of mirrored buffers on `wasm` and the reference, all freed by freeAll(). */
export function pairs(wasm: () => WasmBackend) {
  let live: Pair[] = [];
  return {
    pair(dtype: DType, values: ArrayLike<number>): Pair {
      const w = wasm().alloc(dtype, values.length), j = ref.alloc(dtype, values.length);
      wasm().write(w, values);
      ref.write(j, values);
      const p = { w, j, dtype, size: values.length };
      live.push(p);
      return p;
    },
    freeAll(): void {
      for (const p of live) wasm().free(p.w);
      live = [];
    },
    compareBuffers(p: Pair, tol: Tol, what: string): void {
      compare(wasm().read(p.w), ref.read(p.j), tol, what);
    },
  };
}

export function values(rng: Rng, dtype: DType, n: number, opts: { lo?: number; hi?: number; special?: number } = {}): number[] {
  const lo = opts.lo ?? -6, hi = opts.hi ?? 6, special = opts.special ?? 0.05;
  return Array.from({ length: n }, () => {
    if (dtype === 'int32') return rng.next() < 0.1 ? rng.pick([0, -1, 1, 2 ** 31 - 1, -(2 ** 31)]) : rng.int(-5, 5);
    if (rng.next() < special) return rng.pick(SPECIAL);
    if (rng.next() < 0.1) return rng.int(-4, 4); // ties and exact small integers
    return rng.uniform(lo, hi);
  });
}

// ---------------------------------------------------------------------------------------------
// Comparison

/** Allowed |got − want| for element i whose reference value is `want`. */
export type Tol = (i: number, want: number) => number;
export const exact: Tol = () => 0;

export function compare(got: TypedArray, want: TypedArray, tol: Tol, what: string): void {
  assert.is(got.constructor, want.constructor, `${what}: typed array type`);
  assert.is(got.length, want.length, `${what}: length`);
  for (let i = 0; i < want.length; i++) {
    const g = got[i]!, w = want[i]!;
    if (Number.isNaN(w)) {
      if (!Number.isNaN(g)) assert.unreachable(`${what}: element ${i} is ${g}, expected NaN`);
      continue;
    }
    if (g === w) continue;
    if (!Number.isFinite(w) || !Number.isFinite(g) || !(Math.abs(g - w) <= tol(i, w))) {
      assert.unreachable(`${what}: element ${i} is ${g}, expected ${w} (|diff| ${Math.abs(g - w)}, tol ${tol(i, w)})`);
    }
  }
}

const EXACT_UNARY = new Set<UnaryOp>(['neg', 'abs', 'sign', 'square', 'reciprocal', 'sqrt', 'relu', 'step', 'isfinite']);
const SCALE_ONE = new Set<UnaryOp>(['log', 'log1p', 'expm1', 'tanh', 'erf', 'sin', 'cos']);

export function unaryTol(op: UnaryOp, dtype: FD): Tol {
  if (EXACT_UNARY.has(op)) return exact;
  const eps = dtype === 'float64' ? 1e-14 : 1e-6;
  const floor = SCALE_ONE.has(op) ? 1 : 0;
  return (_i, w) => eps * Math.max(Math.abs(w), floor);
}

export function binaryTol(op: BinaryOp, dtype: DType, a: TypedArray, b: TypedArray, aL: Layout, bL: Layout, shape: readonly number[]): Tol {
  if (op !== 'pow') return exact;
  const eps = dtype === 'float64' ? 1e-14 : 1e-6;
  const cs = contiguousStrides(shape);
  return (i, w) => {
    // element i of out ↔ multi-index ↔ operand offsets
    let ia = aL.offset, ib = bL.offset, rem = i;
    for (let d = 0; d < shape.length; d++) {
      const q = Math.floor(rem / cs[d]!);
      rem -= q * cs[d]!;
      ia += q * aL.strides[d]!;
      ib += q * bL.strides[d]!;
    }
    const growth = dtype === 'float32' ? 1 + Math.abs(b[ib]! * Math.log(Math.abs(a[ia]!))) : 1;
    return eps * growth * Math.abs(w);
  };
}

export function contiguousStrides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let r = 1;
  for (let d = shape.length - 1; d >= 0; d--) { s[d] = r; r *= shape[d]!; }
  return s;
}

/** Tolerance of reduce('sum') over x viewed as [outer, r, inner]: eps·Σ|x| along the reduced axis. */
export function sumTol(dtype: FD, x: TypedArray, outer: number, r: number, inner: number): Tol {
  const eps = dtype === 'float64' ? 1e-12 : 1e-6;
  return (i) => {
    const o = Math.floor(i / inner), k0 = i % inner;
    let s = 0;
    for (let k = 0; k < r; k++) s += Math.abs(x[(o * r + k) * inner + k0]!);
    return eps * s;
  };
}

/** ‖got − want‖/‖want‖ over the selected elements; any difference outside them is Infinity. */
export function relNorm(got: TypedArray, want: TypedArray, sel: (i: number) => boolean = () => true): number {
  let d = 0, s = 0;
  for (let i = 0; i < want.length; i++) {
    if (!sel(i)) { if (!Object.is(got[i], want[i])) return Infinity; continue; }
    d += (got[i]! - want[i]!) ** 2;
    s += want[i]! ** 2;
  }
  return Math.sqrt(d) / Math.max(Math.sqrt(s), 1e-300);
}

/** An SPD n×n matrix M·Mᵀ/n + I embedded at `off` with leading dimension `ld`, padding −777. */
export function spd(rng: Rng, n: number, ld: number, off: number): number[] {
  const m = Array.from({ length: n * n }, () => rng.normal());
  const buf = new Array<number>(off + n * ld + 1).fill(-777);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let s = i === j ? 1 : 0;
      for (let p = 0; p < n; p++) s += (m[i * n + p]! * m[j * n + p]!) / n;
      buf[off + i * ld + j] = s;
    }
  }
  return buf;
}

/** Whether flat index i lies in the rows × cols block at `off` with leading dimension `ld`. */
export const inMatrix = (off: number, ld: number, rows: number, cols: number) => (i: number): boolean => {
  const r = Math.floor((i - off) / ld), q = (i - off) % ld;
  return i >= off && r < rows && q < cols;
};

export const sizeOf = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

// ---------------------------------------------------------------------------------------------
// Strided layouts: axes stored in some order (transposes), padded (slices), broadcast (stride 0),
// at an element offset.

export interface Layout { strides: number[]; offset: number; size: number }

/** The random choices behind one layout, for up to MAX_RANK axes (fast-check generates them). */
export interface LayoutGenes { keys: number[]; bcast: boolean[]; pad: number[]; offset: number; tail: number }
export const MAX_RANK = 5;

export function buildLayout(shape: readonly number[], g: LayoutGenes): Layout {
  const rank = shape.length;
  // Axis order: sort by the generated keys (ties by axis) — any permutation can come out.
  const order = Array.from({ length: rank }, (_, i) => i).sort((x, y) => g.keys[x]! - g.keys[y]! || x - y);
  const strides = new Array<number>(rank).fill(0);
  let running = 1;
  for (let q = rank - 1; q >= 0; q--) {
    const ax = order[q]!;
    if (g.bcast[ax]) continue; // stride 0
    strides[ax] = running;
    running *= shape[ax]! + g.pad[ax]!;
  }
  return { strides, offset: g.offset, size: g.offset + running + g.tail };
}

const weighted = (pTrue: number): fc.Arbitrary<boolean> =>
  fc.oneof({ arbitrary: fc.constant(false), weight: Math.round(100 * (1 - pTrue)) }, { arbitrary: fc.constant(true), weight: Math.round(100 * pTrue) });

/** Layout genes: broadcast axes (25%), padded axes (40%, by 1-2), element offset 0..5. */
export function layoutArb(opts: { broadcast?: boolean; pad?: boolean; offset?: boolean } = {}): fc.Arbitrary<LayoutGenes> {
  const n = MAX_RANK;
  return fc.record({
    keys: fc.array(fc.integer({ min: 0, max: 9 }), { minLength: n, maxLength: n }),
    bcast: fc.array(opts.broadcast ? weighted(0.25) : fc.constant(false), { minLength: n, maxLength: n }),
    pad: fc.array(opts.pad ? fc.oneof({ arbitrary: fc.constant(0), weight: 3 }, { arbitrary: fc.integer({ min: 1, max: 2 }), weight: 2 }) : fc.constant(0), { minLength: n, maxLength: n }),
    offset: opts.offset ? fc.integer({ min: 0, max: 5 }) : fc.constant(0),
    tail: opts.pad ? fc.integer({ min: 0, max: 3 }) : fc.constant(0),
  });
}

/** An odd-ish dimension: mostly 1..9, sometimes a SIMD-unfriendly larger odd size, rarely 0. */
export const dimArb: fc.Arbitrary<number> = fc.oneof(
  { arbitrary: fc.integer({ min: 1, max: 9 }), weight: 12 },
  { arbitrary: fc.constantFrom(13, 17, 31, 33, 37, 39), weight: 4 },
  { arbitrary: fc.constant(0), weight: 1 },
);

/** Shapes of rank 0..maxRank with at most maxSize elements. */
export function shapeArb(maxRank = 4, maxSize = 280): fc.Arbitrary<number[]> {
  return fc.array(dimArb, { minLength: 0, maxLength: maxRank }).filter((s) => sizeOf(s) <= maxSize);
}

/** A seed for the values of one case (mulberry32 via Rng): shrinking changes the numbers, not the structure. */
export const seedArb: fc.Arbitrary<number> = fc.integer({ min: 0, max: 2 ** 31 - 1 });

/**
 * fast-check parameters: a fixed seed (so CI is deterministic) unless CURVATURE_FC_SEED is set,
 * and `numRuns` scaled by CURVATURE_FC_RUNS_SCALE (e.g. 10 for a longer local hunt).
 */
export function fcParams(numRuns: number, seed: number): fc.Parameters<unknown> {
  const env = process.env['CURVATURE_FC_SEED'];
  const scale = Number(process.env['CURVATURE_FC_RUNS_SCALE'] ?? '1');
  return { seed: env ? Number(env) : seed, numRuns: Math.max(1, Math.round(numRuns * (Number.isFinite(scale) && scale > 0 ? scale : 1))) };
}
