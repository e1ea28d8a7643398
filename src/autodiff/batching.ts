import type { BinaryOp, UnaryOp } from '../backend/types.js';
import { zeros } from '../tensor/creation.js';
import {
  binaryPrimitive, castPrimitive, greaterEqual as ge, mul, mulAdd, mulAddPrimitive, square, sub, unaryPrimitive, where, wherePrimitive,
} from '../tensor/ops/elementwise.js';
import { tanhGradPrimitive } from '../tensor/ops/activation.js';
import { gatherPrimitive, oneHot, scatterAddPrimitive } from '../tensor/ops/indexing.js';
import {
  matmulPrimitive, matmulRaw, matmulSum, matmulSumPrimitive, productShape, type MatmulParams, type MatmulSumParams, type ProductTerm,
} from '../tensor/ops/matmul.js';
import { maxMask, reducePrimitive, sum, type ReduceParams } from '../tensor/ops/reduce.js';
import {
  broadcastTo, broadcastToPrimitive, concat, concatPrimitive, pad, padPrimitive, reshape, reshapePrimitive, slice,
  slicePrimitive, transpose, transposePrimitive,
} from '../tensor/ops/shape.js';
import { crossEntropyPrimitive, softmax, softmaxPrimitive, type SoftmaxParams } from '../tensor/ops/softmax.js';
import { bind, type Primitive } from '../tensor/primitive.js';
import type { Tensor } from '../tensor/tensor.js';
import { broadcastShapes } from '../tensor/util.js';
import { BatchingUnsupported, defineBatchedJvp, ruleOf, type BatchedJvpRule } from './trace.js';

/**
 * Batched forward mode: the jvp rules applied to k tangents at once, each tangent carrying a leading
 * axis [k, …shape] (JAX's vmap of jvp, written out for this library's primitives). Elementwise rules
 * broadcast: a primal [m, n] seen as [1, m, n] meets a tangent [k, m, n]. Shape primitives shift
 * their axes by one. matmul folds the k directions into the GEMM's rows or columns, so a layer does
 * one GEMM with k× the columns instead of k GEMV-shaped passes — the point of `hvpBatched`.
 */

const ones = (n: number): number[] => new Array<number>(Math.max(0, n)).fill(1);

/** A [k, …s] tangent of an input of rank |s| aligned to rank r + 1 (right-aligned broadcasting). */
function alignTangent(t: Tensor, k: number, r: number): Tensor {
  const s = t.shape.slice(1);
  return s.length === r ? t : reshape(t, [k, ...ones(r - s.length), ...s]);
}

/** Elementwise (broadcasting) rules lifted: primals as [1, …], tangents as [k, …], shapes with k in front. */
function lift<P>(prim: Primitive<P>): BatchedJvpRule<P> {
  return (primals, tangents, out, params, shapes, k) => {
    const rule = ruleOf(prim.name);
    if (!rule || rule === 'zero') throw new BatchingUnsupported(prim.name);
    const r = shapes.reduce((a, s) => Math.max(a, s.length), 0);
    const lp: Tensor[] = new Array(primals.length);
    for (let i = 0; i < primals.length; i++) {
      let v: Tensor | undefined;
      Object.defineProperty(lp, i, { enumerable: true, get: () => (v ??= reshape(primals[i]!, [...ones(r - shapes[i]!.length + 1), ...shapes[i]!])) });
    }
    const lt = tangents.map((t) => (t ? alignTangent(t, k, r) : null));
    const ls = shapes.map((s) => [k, ...ones(r - s.length), ...s]);
    const outShape = shapes.length === 1 ? [...shapes[0]!] : shapes.slice(1).reduce((a, s) => broadcastShapes(a, s), [...shapes[0]!]);
    const y = rule.jvp(lp, lt, () => reshape(out(), [1, ...outShape]), params, ls);
    return broadcastTo(y, [k, ...outShape]);
  };
}

const UNARY: UnaryOp[] = ['neg', 'exp', 'log', 'sigmoid', 'sqrt', 'abs', 'square', 'reciprocal', 'log1p', 'expm1', 'softplus', 'erf', 'sin', 'cos', 'relu'];
for (const op of UNARY) defineBatchedJvp(unaryPrimitive(op), lift(unaryPrimitive(op)));
for (const op of ['add', 'sub', 'mul', 'div', 'pow'] as BinaryOp[]) defineBatchedJvp(binaryPrimitive(op), lift(binaryPrimitive(op)));
defineBatchedJvp(mulAddPrimitive, lift(mulAddPrimitive));
defineBatchedJvp(castPrimitive, lift(castPrimitive));

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
defineBatchedJvp(unaryPrimitive('tanh'), (_p, [t], y) => mul(t!, sub(1, square(y()))));
defineBatchedJvp(tanhGradPrimitive, (p, [ty, tg]) => {
  // ġ·(1 − y²) + ẏ·(−2·y·g): the factors on the primal, one fused pass over the k tangents.
  const dg = tg ? sub(1, square(p[0]!)) : null, dy = ty ? mul(mul(p[0]!, p[1]!), -2) : null;
  if (tg && ty) return mulAdd(tg, dg!, ty, dy!);
  return tg ? mul(tg, dg!) : mul(ty!, dy!);
});
function sumOf(a: Tensor, b: Tensor): Tensor {
  return bind(binaryPrimitive('add'), [a, b], null);
}

defineBatchedJvp<{ shape: number[] }>(reshapePrimitive, (_p, [t], _o, { shape }, _s, k) => reshape(t!, [k, ...shape]));
defineBatchedJvp<{ perm: number[] }>(transposePrimitive, (_p, [t], _o, { perm }) => transpose(t!, [0, ...perm.map((p) => p + 1)]));
defineBatchedJvp<{ shape: number[] }>(broadcastToPrimitive, (_p, [t], _o, { shape }, _s, k) =>
  broadcastTo(alignTangent(t!, k, shape.length), [k, ...shape]));
defineBatchedJvp<{ begin: number[]; size: number[] }>(slicePrimitive, (_p, [t], _o, { begin, size }, _s, k) => slice(t!, [0, ...begin], [k, ...size]));
defineBatchedJvp<{ before: number[]; after: number[] }>(padPrimitive, (_p, [t], _o, { before, after }) => pad(t!, [0, ...before], [0, ...after]));
defineBatchedJvp<{ axis: number }>(concatPrimitive, (xs, ts, _o, { axis }, shapes, k) =>
  concat(ts.map((t, i) => t ?? zeros([k, ...shapes[i]!], xs[i]!.dtype)), axis < 0 ? axis : axis + 1));

// gather / scatterAdd act on axis 0: move the k directions behind it, apply once, move them back.
const swapFirst = (rank: number): number[] => [1, 0, ...Array.from({ length: rank - 1 }, (_, i) => i + 2)];
defineBatchedJvp<null>(gatherPrimitive, ([, idx], [t]) => {
  const perm = swapFirst(t!.rank - 1);
  return transpose(bind(gatherPrimitive, [transpose(t!, perm), idx!], null), perm);
});
defineBatchedJvp<{ rows: number }>(scatterAddPrimitive, ([, idx], [t], _o, { rows }) => {
  const perm = swapFirst(t!.rank - 1);
  return transpose(bind(scatterAddPrimitive, [transpose(t!, perm), idx!], { rows }), perm);
});

defineBatchedJvp<ReduceParams>(reducePrimitive, (primals, [t], out, p) => {
  const axes = p.axes.map((a) => a + 1);
  if (p.op === 'sum') return bind(reducePrimitive, [t!], { ...p, axes });
  return sum(mul(t!, maxMask(primals[0]!, out(), p.axes)), axes, p.keepDims);
});

defineBatchedJvp<SoftmaxParams>(softmaxPrimitive, (p, [t], out, { log }) => {
  const rowDot = (a: Tensor, b: Tensor): Tensor => sum(mul(a, b), -1, true);
  if (log) return sub(t!, rowDot(softmax(p[0]!), t!));
  const s = out();
  return mul(s, sub(t!, rowDot(s, t!)));
});

defineBatchedJvp<null>(crossEntropyPrimitive, ([z, labels], [t]) =>
  sum(mul(sub(softmax(z!), oneHot(labels!, z!.shape[1]!, z!.dtype as 'float32' | 'float64')), t!), -1));

/**
 * Per-direction GEMMs (one strided-batched call, the shared primal at stride 0) write the [k, m, n]
 * tangent in place; folding the k directions into one wider GEMM needs a transposed copy of the
 * tangent in and of the product out, which costs more than the GEMMs' extra packing once each
 * direction's product is at least this wide (a full micro-tile on every backend).
 */
const PER_DIRECTION_MIN = 32;

/** A tangent term: a product still to be formed (operands and flags), or a tensor already formed. */
type Term = ProductTerm | Tensor;
const isProduct = (t: Term): t is ProductTerm => Array.isArray(t);

/**
 * The terms of the k tangents of op(A)·op(B), A = p[i] and B = p[i + 1] of the given shapes: op(Ȧ)·op(B)
 * with the k directions stacked as rows (no copy where op(Ȧ) = Ȧ), op(A)·op(Ḃ) as per-direction
 * GEMMs against the shared primal (or, for narrow products, the directions side by side as the
 * columns of one GEMM). Each term holds the [k, m, n] elements row-major.
 */
function productTerms(p: readonly Tensor[], i: number, ta: Tensor | null, tb: Tensor | null, transA: boolean, transB: boolean,
  shapes: readonly (readonly number[])[], k: number): Term[] {
  const sa = shapes[i]!, sb = shapes[i + 1]!;
  if (sa.length === 3 || sb.length === 3) {
    // The pair of primals, still read lazily (batchedMatmul3 evaluates only the one it multiplies).
    const pair: Tensor[] = [];
    for (const j of [0, 1]) Object.defineProperty(pair, j, { enumerable: true, get: () => p[i + j] });
    return [batchedMatmul3(pair, ta, tb, transA, transB, [sa, sb], k)];
  }
  const [ar, ac] = sa as [number, number];
  const [br, bc] = sb as [number, number];
  const m = transA ? ac : ar, n = transB ? br : bc, inner = transA ? ar : ac;
  const terms: Term[] = [];
  if (ta && (!transA || m < PER_DIRECTION_MIN)) {
    // [k, m, inner] rows → [k·m, inner]·op(B)
    const a = transA ? transpose(ta, [0, 2, 1]) : ta;
    terms.push([reshape(a, [k * m, inner]), p[i + 1]!, false, transB]);
  } else if (ta) {
    terms.push([ta, p[i + 1]!, transA, transB]);
  }
  if (tb && n < PER_DIRECTION_MIN) {
    // op(A)·[inner, k·n]: the k directions side by side.
    const b = transB ? transpose(tb, [2, 0, 1]) : transpose(tb, [1, 0, 2]); // [inner, k, n]
    const r = matmulRaw(p[i]!, reshape(b, [inner, k * n]), transA, false);
    terms.push(transpose(reshape(r, [m, k, n]), [1, 0, 2]));
  } else if (tb) {
    terms.push([p[i]!, tb, transA, transB]);
  }
  return terms;
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

/** C = op(A)·op(B) with tangents [k, …]: its terms (productTerms) summed. */
defineBatchedJvp<MatmulParams>(matmulPrimitive, (p, [ta, tb], _o, { transA, transB }, shapes, k) =>
  sumTerms(productTerms(p, 0, ta ?? null, tb ?? null, transA, transB, shapes, k), [k, ...productShape(shapes[0]!, shapes[1]!, transA, transB)]));

/** The sum of two products: the terms of both, paired into matmulSums. */
defineBatchedJvp<MatmulSumParams>(matmulSumPrimitive, (p, t, _o, { shape, trans }, shapes, k) =>
  sumTerms([0, 2].flatMap((i) => productTerms(p, i, t[i] ?? null, t[i + 1] ?? null, trans[i]!, trans[i + 1]!, shapes, k)), [k, ...shape]));

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
