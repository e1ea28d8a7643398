import type { BinaryOp, UnaryOp } from '../backend/types.js';
import { zeros } from '../tensor/creation.js';
import {
  binaryPrimitive, castPrimitive, greaterEqual as ge, mul, mulAdd, mulAddPrimitive, square, sub, unaryPrimitive, where, wherePrimitive,
} from '../tensor/ops/elementwise.js';
import { tanhGradPrimitive } from '../tensor/ops/activation.js';
import { gatherPrimitive, oneHot, scatterAddPrimitive } from '../tensor/ops/indexing.js';
import {
  matmulPrimitive, matmulRaw, matmulScaled, matmulScaledPrimitive, matmulSum, matmulSumPrimitive, productShape, type MatmulParams,
  type MatmulScaledParams, type MatmulSumParams, type ProductTerm,
} from '../tensor/ops/matmul.js';
import { maxMask, reducePrimitive, sum, type ReduceParams } from '../tensor/ops/reduce.js';
import {
  broadcastTo, broadcastToPrimitive, concat, concatPrimitive, pad, padPrimitive, permutedConcat, permutedSlice, reshape,
  reshapePrimitive, slice, slicePrimitive, transpose, transposePrimitive, type ConcatParams, type SliceParams,
} from '../tensor/ops/shape.js';
import { crossEntropyPrimitive, softmax, softmaxJvp, softmaxPrimitive, type SoftmaxParams } from '../tensor/ops/softmax.js';
import { bind, type Primitive } from '../tensor/primitive.js';
import type { Tensor } from '../tensor/tensor.js';
import { broadcastShapes } from '../tensor/util.js';
import {
  BatchingUnsupported, defineAxisBatchedJvp, defineBatchedJvp, moveBatchAxis, ruleOf, type AxisBatchedJvpRule,
} from './trace.js';

/**
 * Batched forward mode: the jvp rules applied to k tangents at once, each tangent carrying an axis
 * of k directions (JAX's vmap of jvp, written out for this library's primitives). Where that axis
 * sits is each tangent's own (its batching dimension, `bdim`): [k, rows, width] or [rows, k, width].
 * Elementwise rules broadcast: a primal [m, n] seen as [1, m, n] or [m, 1, n] meets the tangent.
 * Shape primitives map their axes around it. matmul folds the k directions into the GEMM's rows or
 * columns, so a layer does one GEMM with k× the columns instead of k GEMV-shaped passes — the point
 * of `hvpBatched` — and it chooses where k goes in its output by what costs no copy: a narrow
 * layer's tangent stays [rows, k, width] from its forward GEMM through its elementwise passes to
 * the backward GEMMs, which read it as one [rows, k·width] operand (see matmulPlan).
 */

const ones = (n: number): number[] => new Array<number>(Math.max(0, n)).fill(1);
/** shape with v inserted at position `at`. */
const insertAt = (shape: readonly number[], at: number, v: number): number[] => [...shape.slice(0, at), v, ...shape.slice(at)];
/** A primal seen with a 1 where its tangent holds k (so that it broadcasts against the tangent). */
const alignPrimal = (x: Tensor, bdim: number): Tensor => reshape(x, insertAt(x.shape, bdim, 1));
/** A tangent of a primal of rank r with its k axis moved to the front. */
const front = (t: Tensor, bdim: number): Tensor => moveBatchAxis(t, bdim, 0);
/** A position in [0, rank) for an axis that may count from the end. */
const normAxis = (axis: number, rank: number): number => (axis < 0 ? axis + rank : axis);

/**
 * Elementwise (broadcasting) rules lifted. The inputs are right-aligned to the output's rank r; the
 * k axis goes where the tangent of highest rank has it (position B in the output), and every other
 * tangent is reshaped to match without a copy — one of lower rank whose k leads can put it in any
 * leading position — or, when one cannot, every tangent is moved to the front.
 */
function lift<P>(prim: Primitive<P>): AxisBatchedJvpRule<P> {
  return (primals, tangents, out, params, shapes, k, bdims) => {
    const rule = ruleOf(prim.name);
    if (!rule || rule === 'zero') throw new BatchingUnsupported(prim.name);
    const r = shapes.reduce((a, s) => Math.max(a, s.length), 0);
    const pad = (i: number) => r - shapes[i]!.length;
    let bd = [...bdims], ts = [...tangents], top = -1, B = 0;
    ts.forEach((t, i) => { if (t && shapes[i]!.length > top) { top = shapes[i]!.length; B = pad(i) + bd[i]!; } });
    const fits = (i: number) => pad(i) + bd[i]! === B || (bd[i] === 0 && B <= pad(i));
    if (ts.some((t, i) => t && !fits(i))) {
      ts = ts.map((t, i) => t && front(t, bd[i]!));
      bd = bd.map(() => 0);
      B = 0;
    }
    const lt = ts.map((t, i) => {
      if (!t) return null;
      return reshape(t, pad(i) + bd[i]! === B ? [...ones(pad(i)), ...t.shape] : [...ones(B), k, ...ones(pad(i) - B), ...shapes[i]!]);
    });
    const lp: Tensor[] = new Array(primals.length);
    for (let i = 0; i < primals.length; i++) {
      let v: Tensor | undefined;
      Object.defineProperty(lp, i, { enumerable: true, get: () => (v ??= reshape(primals[i]!, insertAt([...ones(pad(i)), ...shapes[i]!], B, 1))) });
    }
    const ls = shapes.map((s) => insertAt([...ones(r - s.length), ...s], B, k));
    const outShape = shapes.length === 1 ? [...shapes[0]!] : shapes.slice(1).reduce((a, s) => broadcastShapes(a, s), [...shapes[0]!]);
    const y = rule.jvp(lp, lt, () => alignPrimal(out(), B), params, ls);
    return [broadcastTo(y, insertAt(outShape, B, k)), B];
  };
}

const UNARY: UnaryOp[] = ['neg', 'exp', 'log', 'sigmoid', 'sqrt', 'abs', 'square', 'reciprocal', 'log1p', 'expm1', 'softplus', 'erf', 'sin', 'cos', 'relu'];
for (const op of UNARY) defineAxisBatchedJvp(unaryPrimitive(op), lift(unaryPrimitive(op)));
for (const op of ['add', 'sub', 'mul', 'div', 'pow'] as BinaryOp[]) defineAxisBatchedJvp(binaryPrimitive(op), lift(binaryPrimitive(op)));
defineAxisBatchedJvp(mulAddPrimitive, lift(mulAddPrimitive));
defineAxisBatchedJvp(castPrimitive, lift(castPrimitive));

/** A [k, …s] tangent of an input of rank |s| aligned to rank r + 1 (right-aligned broadcasting). */
function alignTangent(t: Tensor, k: number, r: number): Tensor {
  const s = t.shape.slice(1);
  return s.length === r ? t : reshape(t, [k, ...ones(r - s.length), ...s]);
}

/** ta/tb (or zero) broadcast to [k, …out], selected by a mask of the output shape. */
function select(m: Tensor, ta: Tensor | null, tb: Tensor | null, shapes: readonly (readonly number[])[], k: number): Tensor {
  const out = shapes.reduce((a, s) => broadcastShapes(a, s), [] as number[]);
  const full = (t: Tensor | null) => (t ? broadcastTo(alignTangent(t, k, out.length), [k, ...out]) : zeros([k, ...out], m.dtype));
  return where(broadcastTo(m, [k, ...out]), full(ta), full(tb));
}
for (const op of ['max', 'min'] as const) {
  defineBatchedJvp(binaryPrimitive(op), ([a, b], [ta, tb], _o, _p, shapes, k) =>
    select(op === 'max' ? ge(a!, b!) : ge(b!, a!), ta, tb, shapes, k));
}
defineBatchedJvp(wherePrimitive, ([c], [, ta, tb], _o, _p, shapes, k) => select(c!, ta, tb, shapes, k));

// tanh and tanhGrad through broadcasting products (the fused tanhGrad needs equal shapes).
defineAxisBatchedJvp(unaryPrimitive('tanh'), (_p, [t], y, _params, _s, _k, [b]) => [mul(t!, sub(1, square(alignPrimal(y(), b!)))), b!]);
defineAxisBatchedJvp(tanhGradPrimitive, (p, [ty, tg], _o, _params, _s, _k, bdims) => {
  // ġ·(1 − y²) + ẏ·(−2·y·g): the factors on the primal, one fused pass over the k tangents.
  let [by, bg] = bdims as [number, number];
  let [ty0, tg0] = [ty, tg];
  if (ty0 && tg0 && by !== bg) { ty0 = front(ty0, by); tg0 = front(tg0, bg); by = bg = 0; }
  const b = tg0 ? bg : by;
  const y = alignPrimal(p[0]!, b);
  const dg = tg0 ? sub(1, square(y)) : null, dy = ty0 ? mul(mul(y, alignPrimal(p[1]!, b)), -2) : null;
  if (tg0 && ty0) return [mulAdd(tg0, dg!, ty0, dy!), b];
  return [tg0 ? mul(tg0, dg!) : mul(ty0!, dy!), b];
});
function sumOf(a: Tensor, b: Tensor): Tensor {
  return bind(binaryPrimitive('add'), [a, b], null);
}

/**
 * reshape keeps k where it is when the axes before it multiply to the same count in the new shape
 * (its leading axes are untouched, or merged or split among themselves); otherwise k goes in front.
 */
defineAxisBatchedJvp<{ shape: number[] }>(reshapePrimitive, (_p, [t], _o, { shape }, [s], k, [b]) => {
  const before = s!.slice(0, b!).reduce((a, d) => a * d, 1);
  if (b! > 0) {
    for (let j = 0, count = 1; j <= shape.length; count *= shape[j] ?? 1, j++) {
      if (count === before) return [reshape(t!, insertAt(shape, j, k)), j];
      if (count > before) break;
    }
  }
  return [reshape(front(t!, b!), [k, ...shape]), 0];
});
/** The physical axis of a primal axis a when k sits at b. */
const physical = (a: number, b: number): number => (a < b ? a : a + 1);
/**
 * transpose keeps k in front of the axis it stood before (after all of them when it was last), so
 * the two travel together: [B·H·W, k, C] reshaped to [B, H, W, k, C] and permuted to NCHW becomes
 * [B, k, C, H, W] — per image one 2-d transpose of [H·W, k·C] — where putting k in front would
 * scatter it across every axis of the copy.
 */
defineAxisBatchedJvp<{ perm: number[] }>(transposePrimitive, (_p, [t], _o, { perm }, _s, _k, [b]) => {
  const { axes, at } = permutedAround(perm, b!);
  return [transpose(t!, axes), at];
});
defineAxisBatchedJvp<{ shape: number[] }>(broadcastToPrimitive, (_p, [t], _o, { shape }, [s], k, [b]) => {
  const lead = shape.length - s!.length;
  return [broadcastTo(reshape(t!, [...ones(lead), ...t!.shape]), insertAt(shape, lead + b!, k)), lead + b!];
});
/** The permutation of a tangent's axes for a primal permutation `perm` with k at b: k stays in front of the axis it stood before (transpose's rule). */
function permutedAround(perm: readonly number[], b: number): { axes: number[]; at: number } {
  const at = b < perm.length ? perm.indexOf(b) : perm.length;
  const axes = perm.map((p) => physical(p, b));
  axes.splice(at, 0, b);
  return { axes, at };
}
/**
 * A slice keeps k where it is, except a trailing k (a caller's columns [n, k], as matmat passes
 * them): the block is cut with k moved to the front in the same copy, where every GEMM rule folds
 * it for free — instead of a slice, then a transposing copy at the first GEMM.
 */
defineAxisBatchedJvp<SliceParams>(slicePrimitive, (_p, [t], _o, { begin, size, perm }, [s], k, [b]) => {
  const r = s!.length, at0 = insertAt(begin, b!, 0), sz = insertAt(size, b!, k);
  if (b === r) return [permutedSlice(t!, at0, sz, [r, ...(perm ?? s!.map((_, i) => i))]), 0];
  if (!perm) return [slice(t!, at0, sz), b!];
  const { axes, at } = permutedAround(perm, b!);
  return [permutedSlice(t!, at0, sz, axes), at];
});
defineAxisBatchedJvp<{ before: number[]; after: number[] }>(padPrimitive, (_p, [t], _o, { before, after }, _s, _k, [b]) =>
  [pad(t!, insertAt(before, b!, 0), insertAt(after, b!, 0)), b!]);
/**
 * concat keeps the first tangent's k position; in a trace whose caller holds vectors as columns
 * (Trace.columns), a concat of vectors — the gradient of a parameter vector cut into layers —
 * writes each [k, n] piece transposed into a [Σn, k] result, one copy per piece as before, and the
 * caller's final transpose is gone.
 */
defineAxisBatchedJvp<ConcatParams>(concatPrimitive, (xs, ts, _o, { axis, perm }, shapes, k, bdims, trace) => {
  const r = shapes[0]!.length;
  const columns = trace.columns && r === 1 && !perm;
  const b = columns ? 0 : bdims[ts.findIndex((t) => t)]!;
  const parts = ts.map((t, i) => (t ? moveBatchAxis(t, bdims[i]!, b) : zeros(insertAt(shapes[i]!, b, k), xs[i]!.dtype)));
  const ax = physical(normAxis(axis, r), b);
  if (columns) return [permutedConcat(parts, ax, [1, 0]), 1];
  if (!perm) return [concat(parts, ax), b];
  const { axes, at } = permutedAround(perm, b);
  return [permutedConcat(parts, ax, axes), at];
});

// gather / scatterAdd act on axis 0: with the k directions right behind it, one call serves all k.
defineAxisBatchedJvp<null>(gatherPrimitive, ([, idx], [t], _o, _params, _s, _k, [b]) =>
  [bind(gatherPrimitive, [moveBatchAxis(t!, b!, 1), idx!], null), 1]);
defineAxisBatchedJvp<{ rows: number }>(scatterAddPrimitive, ([, idx], [t], _o, { rows }, _s, _k, [b]) =>
  [bind(scatterAddPrimitive, [moveBatchAxis(t!, b!, 1), idx!], { rows }), 1]);

defineAxisBatchedJvp<ReduceParams>(reducePrimitive, (primals, [t], out, p, [s], _k, [b]) => {
  if (p.op === 'sum') {
    const axes = p.axes.map((a) => physical(normAxis(a, s!.length), b!));
    const kept = p.keepDims ? b! : b! - p.axes.filter((a) => normAxis(a, s!.length) < b!).length;
    return [bind(reducePrimitive, [t!], { ...p, axes }), kept];
  }
  return [sum(mul(front(t!, b!), maxMask(primals[0]!, out(), p.axes)), p.axes.map((a) => normAxis(a, s!.length) + 1), p.keepDims), 0];
});

/** Softmax and cross-entropy work along the last axis: k may sit anywhere before it. */
const beforeLast = (t: Tensor, b: number, rank: number): [Tensor, number] => (b < rank ? [t, b] : [front(t, b), 0]);
defineAxisBatchedJvp<SoftmaxParams>(softmaxPrimitive, (p, [t0], out, { log }, [s], _k, [b0]) => {
  const [t, b] = beforeLast(t0!, b0!, s!.length);
  const rowDot = (a: Tensor, c: Tensor): Tensor => sum(mul(a, c), -1, true);
  if (log) return [sub(t, rowDot(softmax(alignPrimal(p[0]!, b)), t)), b];
  // y·(t − ⟨y, t⟩) in one pass over the k tangents (softmaxJvp: the backend's fused kernel, else
  // y·t + y·(−⟨y, t⟩) composed, with the same values).
  return [softmaxJvp(alignPrimal(out(), b), t), b];
});

defineAxisBatchedJvp<null>(crossEntropyPrimitive, ([z, labels], [t0], _o, _params, [s], _k, [b0]) => {
  const [t, b] = beforeLast(t0!, b0!, s!.length);
  const g = sub(softmax(z!), oneHot(labels!, z!.shape[1]!, z!.dtype as 'float32' | 'float64'));
  return [sum(mul(alignPrimal(g, b), t), -1), b];
});

/**
 * Per-direction GEMMs (one strided-batched call, the shared primal at stride 0) write a [k, m, n]
 * tangent in place from a [k, …] one; where the fold of termPlan would need the tangent or the
 * product moved (a transposed copy), they cost less than that copy once each direction's product is
 * at least this wide (a full micro-tile on every backend).
 */
const PER_DIRECTION_MIN = 32;

/** A tangent term: a product still to be formed (operands and flags), or a tensor already formed. */
type Term = ProductTerm | Tensor;
const isProduct = (t: Term): t is ProductTerm => Array.isArray(t);

/**
 * One way to form a tangent term of op(A)·op(B) with k at position `at` of the [m, n] product
 * (0: [k, m, n]; 1: [m, k, n]): the values it copies (a tangent moved before the GEMM, or the
 * product moved after it) and how to build it.
 */
interface TermPlan { copies: number; build: () => Term }

/**
 * The plan of op(Ȧ)·op(B) (`side` 0) or op(A)·op(Ḃ) (`side` 1) at output position `at`, the tangent
 * `t` having k at `bdim`. The folds that cost nothing, with A's and B's 2-d primals:
 *  - op(Ȧ) = Ȧ with k at `at`: its rows (k·m or m·k) times op(B), one GEMM;
 *  - op(Ȧ) = Ȧᵀ with k at `at` + 1 (Ȧ stored [inner, k, m] or [inner, m, k]): one transposed GEMM;
 *  - at = 1, op(Ḃ) = Ḃ with k at 1 (stored [inner, k, n]): op(A) times its k·n columns;
 *  - at = 1, op(Ḃ) = Ḃᵀ with k at 0 (stored [k, n, inner]): op(A) times its k·n rows transposed;
 *  - at = 0, k at 0: one strided-batched GEMM per direction against the shared primal, when each
 *    product is at least PER_DIRECTION_MIN wide (narrower ones waste the micro-kernel's tiles).
 * Otherwise the cheaper of moving the tangent to a free fold, or folding at the other position and
 * moving the product.
 */
function termPlan(side: 0 | 1, prim: () => Tensor, t: Tensor, bdim: number, transA: boolean, transB: boolean,
  m: number, n: number, inner: number, k: number, at: number): TermPlan {
  const size = t.size, outSize = k * m * n;
  const direct = (pos: number): TermPlan | null => {
    // The tangent's k position that folds freely into output position `pos`, if there is one.
    let want: number;
    if (side === 0) want = transA ? pos + 1 : pos;
    else if (pos === 0) want = n >= PER_DIRECTION_MIN ? 0 : -1;
    else want = transB ? 0 : 1;
    if (want < 0) return null;
    const copies = bdim === want ? 0 : size;
    return {
      copies,
      build: () => {
        const v = moveBatchAxis(t, bdim, want);
        if (side === 0) return transA ? [reshape(v, [inner, k * m]), prim(), true, transB] : [reshape(v, [k * m, inner]), prim(), false, transB];
        if (pos === 0) return [prim(), v, transA, transB];
        return transB ? [prim(), reshape(v, [k * n, inner]), transA, true] : [prim(), reshape(v, [inner, k * n]), transA, false];
      },
    };
  };
  const here = direct(at), there = direct(1 - at);
  // Side 0 per direction from k at 0 with Ȧᵀ (each product at least PER_DIRECTION_MIN tall).
  const perDirection: TermPlan | null = side === 0 && transA && at === 0 && bdim === 0 && m >= PER_DIRECTION_MIN
    ? { copies: 0, build: () => [t, prim(), true, transB] } : null;
  const moved: TermPlan | null = there ? {
    copies: there.copies + outSize,
    build: () => moveBatchAxis(reshape(formTerm(there.build()), at === 0 ? [m, k, n] : [k, m, n]), 1 - at, at),
  } : null;
  return [perDirection, here, moved].filter((p): p is TermPlan => p !== null).reduce((a, b) => (b.copies < a.copies ? b : a));
}

/** A product term formed (its elements row-major). */
const formTerm = (term: Term): Tensor => (isProduct(term) ? matmulRaw(term[0], term[1], term[2], term[3]) : term);

/** A tangent operand of a product: which side, its tangent and k position, the primal beside it. */
interface TangentFactor { side: 0 | 1; t: Tensor; bdim: number; other: () => Tensor; transA: boolean; transB: boolean; shapes: readonly (readonly number[])[] }

/**
 * The tangent terms of a sum of products of 2-d primals, all with k at one position of the [m, n]
 * output: the position whose plans copy the fewest values (ties: in front, as the parameters'
 * tangents are assembled).
 */
function plannedTerms(factors: readonly TangentFactor[], k: number): { terms: Term[]; at: number } {
  const plan = (f: TangentFactor, at: number): TermPlan => {
    const [ar, ac] = f.shapes[0] as [number, number];
    const [br, bc] = f.shapes[1] as [number, number];
    const m = f.transA ? ac : ar, n = f.transB ? br : bc, inner = f.transA ? ar : ac;
    return termPlan(f.side, f.other, f.t, f.bdim, f.transA, f.transB, m, n, inner, k, at);
  };
  const plans = [0, 1].map((at) => factors.map((f) => plan(f, at)));
  const cost = plans.map((ps) => ps.reduce((a, p) => a + p.copies, 0));
  const at = cost[1]! < cost[0]! ? 1 : 0;
  return { terms: plans[at]!.map((p) => p.build()), at };
}

/** The factors with tangents of op(A)·op(B), A = p[i] and B = p[i + 1] (2-d primals). */
function factorsOf(p: readonly Tensor[], i: number, ta: Tensor | null, tb: Tensor | null, bdims: readonly number[],
  transA: boolean, transB: boolean, shapes: readonly (readonly number[])[]): TangentFactor[] {
  const pair = [shapes[i]!, shapes[i + 1]!];
  const out: TangentFactor[] = [];
  if (ta) out.push({ side: 0, t: ta, bdim: bdims[i]!, other: () => p[i + 1]!, transA, transB, shapes: pair });
  if (tb) out.push({ side: 1, t: tb, bdim: bdims[i + 1]!, other: () => p[i]!, transA, transB, shapes: pair });
  return out;
}

/** The sum of tangent terms as `shape`: products two at a time in one matmulSum (no add pass), the rest added. */
function sumTerms(terms: readonly Term[], shape: readonly number[]): Tensor {
  const products = terms.filter(isProduct);
  const parts = terms.filter((t): t is Tensor => !isProduct(t)).map((t) => reshape(t, shape));
  for (let j = 0; j < products.length; j += 2) {
    const [a, b, ta, tb] = products[j]!;
    parts.push(j + 1 < products.length ? matmulSum(products[j]!, products[j + 1]!, shape) : reshape(matmulRaw(a, b, ta, tb), shape));
  }
  return parts.reduce((x, y) => sumOf(x, y));
}

/** The tangent of a sum of products of 2-d primals (matmul: one product; matmulSum: two). */
function productsTangent(p: readonly Tensor[], tangents: readonly (Tensor | null)[], bdims: readonly number[],
  trans: readonly boolean[], shapes: readonly (readonly number[])[], k: number, outShape: readonly number[]): readonly [Tensor, number] {
  const factors = [];
  for (let i = 0; i < tangents.length; i += 2) {
    factors.push(...factorsOf(p, i, tangents[i] ?? null, tangents[i + 1] ?? null, bdims, trans[i]!, trans[i + 1]!, shapes));
  }
  const { terms, at } = plannedTerms(factors, k);
  return [sumTerms(terms, insertAt(outShape, at, k)), at];
}

/** C = op(A)·op(B) with batched tangents: its terms, summed; a batch of products (rank 3) with k in front. */
defineAxisBatchedJvp<MatmulParams>(matmulPrimitive, (p, [ta, tb], _o, { transA, transB }, shapes, k, bdims) => {
  const outShape = productShape(shapes[0]!, shapes[1]!, transA, transB);
  if (shapes[0]!.length === 3 || shapes[1]!.length === 3) {
    const fa = ta && front(ta, bdims[0]!), fb = tb && front(tb, bdims[1]!);
    return [batchedMatmul3(p, fa ?? null, fb ?? null, transA, transB, shapes, k), 0];
  }
  return productsTangent(p, [ta ?? null, tb ?? null], bdims, [transA, transB], shapes, k, outShape);
});

/**
 * The sum of two products: the terms of both, planned together and paired into matmulSums. With a
 * batch of products (rank 3) among them, each product's tangent is formed alone with k in front.
 */
defineAxisBatchedJvp<MatmulSumParams>(matmulSumPrimitive, (p, t, _o, { shape, trans }, shapes, k, bdims) => {
  if (shapes.every((s) => s.length === 2)) return productsTangent(p, t, bdims, trans, shapes, k, shape);
  const parts: Tensor[] = [];
  for (const i of [0, 2]) {
    const ta = t[i] ?? null, tb = t[i + 1] ?? null;
    if (!ta && !tb) continue;
    // The pair of primals, still read lazily (a product may read only one of them).
    const pair: Tensor[] = [];
    for (const j of [0, 1]) Object.defineProperty(pair, j, { enumerable: true, get: () => p[i + j] });
    const sp = [shapes[i]!, shapes[i + 1]!];
    const [one, at] = sp.every((s) => s.length === 2)
      ? productsTangent(pair, [ta, tb], [bdims[i]!, bdims[i + 1]!], [trans[i]!, trans[i + 1]!], sp, k, productShape(sp[0]!, sp[1]!, trans[i]!, trans[i + 1]!))
      : [batchedMatmul3(pair, ta && front(ta, bdims[i]!), tb && front(tb, bdims[i + 1]!), trans[i]!, trans[i + 1]!, sp, k), 0] as const;
    parts.push(reshape(front(one, at), [k, ...shape]));
  }
  return [parts.reduce((x, y) => sumOf(x, y)), 0];
});

/**
 * (op(A)·op(B)) ⊙ S with batched tangents of A and/or B (S constant: a varying S is
 * BatchingUnsupported — the fusion that makes this primitive only does so for a constant one):
 * each tangent term planned as matmul's (k where it costs no copy); a term still a product of two
 * matrices with k in its rows gets S from the GEMM itself when S has one row per product row (or one for all) —
 * rows [k, m] against S as [1, m, n], rows [m, k] against S as [m, 1, n] — otherwise the formed
 * term is multiplied by S broadcast over k.
 */
defineAxisBatchedJvp<MatmulScaledParams>(matmulScaledPrimitive, (p, [ta, tb, ts], _o, { transA, transB, rows }, shapes, k, bdims) => {
  if (ts) throw new BatchingUnsupported('matmulScaled (a varying scale)');
  const [m, n] = productShape(shapes[0]!, shapes[1]!, transA, transB) as [number, number];
  const { terms, at } = plannedTerms(factorsOf(p, 0, ta ?? null, tb ?? null, bdims, transA, transB, shapes), k);
  const s = p[2]!;
  const [so, si] = s.shape as [number, number, number];
  // S as one row per product row ([m, n]) or one row for all ([1, n]), where its layout allows.
  const perRow = rows[0] === 1 || so === 1 && si === 1 ? reshape(s, [si * (rows[0] === 1 ? 1 : so), n])
    : so === rows[0] && si === rows[1] ? reshape(s, [m, n]) : null;
  const outShape = insertAt([m, n], at, k);
  const scaled = (term: Term): Tensor => {
    // A product whose rows carry k (op(Ȧ) folded into rows; op(Ḃ)'s terms fold k into columns or a batch).
    const kRows = isProduct(term) && term[0].rank === 2 && term[1].rank === 2 && productShape(term[0], term[1], term[2], term[3])[1] === n;
    if (isProduct(term) && perRow && kRows) {
      const r = perRow.shape[0]!;
      const sk = at === 0 ? reshape(perRow, [1, r, n]) : reshape(perRow, [r, 1, n]);
      return reshape(matmulScaled(term[0], term[1], sk, { transA: term[2], transB: term[3], rows: at === 0 ? [k, m] : [m, k] }), outShape);
    }
    const t = formTerm(term);
    return reshape(at === 0 ? mul(reshape(t, [k, ...rows, n]), s) : mul(reshape(t, [...rows, k, n]), reshape(s, [so, si, 1, n])), outShape);
  };
  return [terms.map(scaled).reduce((x, y) => sumOf(x, y)), at];
});

/**
 * The same for a batch of B products (rank-3 operands [B, r, c], one GEMM per batch entry): the k
 * directions fold into each entry's rows (op(Ȧ)·op(B)) or columns (op(A)·op(Ḃ)), so it stays one
 * strided-batched GEMM of B entries, each k times taller or wider. Tangents are [k, B, r, c].
 */
function batchedMatmul3(p: readonly Tensor[], ta: Tensor | null, tb: Tensor | null, transA: boolean, transB: boolean,
  shapes: readonly (readonly number[])[], k: number): Tensor {
  if (shapes[0]!.length !== shapes[1]!.length) {
    // One operand shared by the batch (stride 0): give it the batch axis, then as below.
    const batchOf3 = (shapes[0]!.length === 3 ? shapes[0]! : shapes[1]!)[0]!;
    const full = (s: readonly number[]) => (s.length === 3 ? [...s] : [batchOf3, ...s]);
    const fs = [full(shapes[0]!), full(shapes[1]!)];
    const prim = p.map((x, i) => (shapes[i]!.length === 3 ? x : broadcastTo(reshape(x, [1, ...shapes[i]!]), fs[i]!)));
    const tan = [ta, tb].map((t, i) => (!t || shapes[i]!.length === 3 ? t : broadcastTo(reshape(t, [k, 1, ...shapes[i]!]), [k, ...fs[i]!])));
    return batchedMatmul3(prim, tan[0]!, tan[1]!, transA, transB, fs, k);
  }
  const [batch, ar, ac] = shapes[0]! as [number, number, number];
  const [, br, bc] = shapes[1]! as [number, number, number];
  const m = transA ? ac : ar, n = transB ? br : bc, inner = transA ? ar : ac;
  let left: Tensor | null = null, right: Tensor | null = null;
  if (ta) {
    // [k, B, …] → [B, k·m, inner] (op(Ȧ) per direction, stacked as rows), times op(B) per entry.
    const rows = reshape(transpose(ta, transA ? [1, 0, 3, 2] : [1, 0, 2, 3]), [batch, k * m, inner]);
    left = transpose(reshape(matmulRaw(rows, p[1]!, false, transB), [batch, k, m, n]), [1, 0, 2, 3]);
  }
  if (tb) {
    // [k, B, …] → [B, inner, k·n] (op(Ḃ) per direction, side by side), op(A) per entry times it.
    const cols = reshape(transpose(tb, transB ? [1, 3, 0, 2] : [1, 2, 0, 3]), [batch, inner, k * n]);
    right = transpose(reshape(matmulRaw(p[0]!, cols, transA, false), [batch, m, k, n]), [2, 0, 1, 3]);
  }
  return left && right ? sumOf(left, right) : (left ?? right)!;
}
