import { ShapeError } from '../../errors.js';
import { bind, definePrimitive } from '../primitive.js';
import { empty, type Tensor } from '../tensor.js';
import { backendOf, fmt, requireFloat, sameDType } from '../util.js';
import { add, mul } from './elementwise.js';
import { sumSquares } from './reduce.js';
import { broadcastTo, reshape } from './shape.js';
import { kernels } from '../kernels.js';

export interface MatmulParams { transA: boolean; transB: boolean }

/**
 * out ← op(A)·op(B) + beta·out for rank-2 operands, or a batch: rank-3 operands with the same
 * batch size, or one rank-3 operand and one rank-2 matrix shared by every batch entry (stride 0:
 * no broadcast copy). `out` holds the product's elements row-major, whatever its shape. A matrix
 * times its own transpose (one buffer, AᵀA or AAᵀ) goes to the backend's symmetric product.
 */
function gemmInto(a: Tensor, b: Tensor, transA: boolean, transB: boolean, out: Tensor, beta: number): void {
  const batched = a.rank === 3 || b.rank === 3;
  const [ar, ac] = a.shape.slice(-2) as [number, number];
  const [br, bc] = b.shape.slice(-2) as [number, number];
  const m = transA ? ac : ar, k = transA ? ar : ac, n = transB ? br : bc;
  const kx = kernels(backendOf('matmul', [a, b, out]));
  if (batched) {
    // One call for the whole batch (a GPU backend launches one kernel for it).
    const batch = (a.rank === 3 ? a : b).shape[0]!;
    const strideA = a.rank === 3 ? ar * ac : 0, strideB = b.rank === 3 ? br * bc : 0;
    kx.gemmStridedBatched(transA, transB, m, n, k, 1, a.buffer, 0, ac, strideA, b.buffer, 0, bc, strideB, beta, out.buffer, 0, n, m * n, batch);
  } else if (beta === 0 && a.buffer === b.buffer && transA !== transB && ar === br && ac === bc) {
    // AᵀA or AAᵀ: the symmetric product (half the work where the backend has syrk, the same bits).
    kx.syrk(transA, m, k, 1, a.buffer, 0, ac, out.buffer, 0, n);
  } else {
    kx.gemm(transA, transB, m, n, k, 1, a.buffer, 0, ac, b.buffer, 0, bc, beta, out.buffer, 0, n);
  }
}

/** The shape of op(A)·op(B) for the operands gemmInto takes: [m, n], or [batch, m, n]. */
export function productShape(a: Tensor | readonly number[], b: Tensor | readonly number[], transA: boolean, transB: boolean): number[] {
  const sa = 'shape' in a ? a.shape : a, sb = 'shape' in b ? b.shape : b;
  const mn = [transA ? sa.at(-1)! : sa.at(-2)!, transB ? sb.at(-2)! : sb.at(-1)!];
  return sa.length === 3 || sb.length === 3 ? [(sa.length === 3 ? sa : sb)[0]!, ...mn] : mn;
}

/**
 * op(A)·op(B) for rank-2 operands, or a batch: rank-3 operands with the same batch size, or one
 * rank-3 operand and one rank-2 matrix shared by every batch entry (stride 0: no broadcast copy).
 */
export const matmulPrimitive = definePrimitive<MatmulParams>('matmul', ([a, b], { transA, transB }) => {
  const out = empty(productShape(a!, b!, transA, transB), a!.dtype, a!.backend);
  gemmInto(a!, b!, transA, transB, out, 0);
  return out;
});

export interface MatmulSumParams {
  /** The result's shape (each product has its elements, row-major). */
  shape: number[];
  /** transA, transB of the first product, then of the second. */
  trans: [boolean, boolean, boolean, boolean];
}

/**
 * op(A₁)·op(B₁) + op(A₂)·op(B₂) with operands as matmulPrimitive takes them, both products laid
 * out row-major over the same elements (one [k·m, n], the other [k, m, n] or [m/k, k·n], say: each
 * written contiguously, element i of one adding to element i of the other): the second GEMM
 * accumulates into the first's output (beta = 1), so the sum costs no pass of its own.
 */
export const matmulSumPrimitive = definePrimitive<MatmulSumParams>('matmulSum', ([a1, b1, a2, b2], { shape, trans }) => {
  const out = empty(shape, a1!.dtype, a1!.backend);
  gemmInto(a1!, b1!, trans[0], trans[1], out, 0);
  gemmInto(a2!, b2!, trans[2], trans[3], out, 1);
  return out;
});

/** A product for matmulSum: operands and their transposition flags. */
export type ProductTerm = readonly [Tensor, Tensor, boolean, boolean];

/**
 * op(A₁)·op(B₁) + op(A₂)·op(B₂) as `shape`, the products' elements matched in row-major order
 * whatever their own shapes (used by the rules, which know the orders agree).
 */
export function matmulSum(first: ProductTerm, second: ProductTerm, shape: readonly number[]): Tensor {
  const size = (s: readonly number[]) => s.reduce((x, y) => x * y, 1);
  const [s1, s2] = [first, second].map(([a, b, ta, tb]) => productShape(a, b, ta, tb));
  if (size(s1!) !== size(shape) || size(s2!) !== size(shape)) {
    throw new ShapeError(`matmulSum: products ${fmt(s1!)} and ${fmt(s2!)} do not both fill ${fmt(shape)}`);
  }
  return bind(matmulSumPrimitive, [first[0], first[1], second[0], second[1]], { shape: [...shape], trans: [first[2], first[3], second[2], second[3]] });
}

/** The primitive after shape checks (used by the rules, which know their shapes are right). */
export function matmulRaw(a: Tensor, b: Tensor, transA: boolean, transB: boolean): Tensor {
  return bind(matmulPrimitive, [a, b], { transA, transB });
}

/**
 * Matrix product op(a)·op(b) with NumPy semantics: 1-D operands are vectors, leading (batch) axes
 * broadcast. `transA`/`transB` transpose the last two axes without a copy.
 */
export function matmul(a: Tensor, b: Tensor, options: { transA?: boolean; transB?: boolean } = {}): Tensor {
  const transA = options.transA ?? false, transB = options.transB ?? false;
  requireFloat('matmul', a);
  sameDType('matmul', a, b);
  if (a.rank === 0 || b.rank === 0) throw new ShapeError(`matmul: operands must have rank ≥ 1, got ${fmt(a.shape)} and ${fmt(b.shape)}`);
  // Vectors: promote, multiply, drop the added axis.
  if (a.rank === 1 || b.rank === 1) {
    const a2 = a.rank === 1 ? reshape(a, [1, a.shape[0]!]) : a;
    const b2 = b.rank === 1 ? reshape(b, [b.shape[0]!, 1]) : b;
    const r = matmul(a2, b2, { transA: a.rank === 1 ? false : transA, transB: b.rank === 1 ? false : transB });
    const shape = [...r.shape];
    if (b.rank === 1) shape.splice(shape.length - 1, 1);
    if (a.rank === 1) shape.splice(shape.length - (b.rank === 1 ? 1 : 2), 1);
    return reshape(r, shape);
  }
  const [ar, ac] = a.shape.slice(-2) as [number, number];
  const [br, bc] = b.shape.slice(-2) as [number, number];
  const k = transA ? ar : ac, kb = transB ? bc : br;
  if (k !== kb) {
    throw new ShapeError(`matmul: inner dimensions differ: ${fmt(a.shape)}${transA ? 'ᵀ' : ''} · ${fmt(b.shape)}${transB ? 'ᵀ' : ''} (${k} vs ${kb})`);
  }
  if (a.rank === 2 && b.rank === 2) return matmulRaw(a, b, transA, transB);
  const batchA = a.shape.slice(0, -2), batchB = b.shape.slice(0, -2);
  // A batch times one matrix on the right: fold the batch into the rows (one big GEMM).
  if (b.rank === 2 && !transA) {
    const r = matmulRaw(reshape(a, [batchA.reduce((x, y) => x * y, 1) * ar, ac]), b, false, transB);  // not -1: k may be 0
    return reshape(r, [...batchA, ar, transB ? br : bc]);
  }
  // One matrix on the left of a batch: the primitive shares it with stride 0 (no broadcast copy).
  if (a.rank === 2) {
    const r = matmulRaw(a, reshape(b, [batchB.reduce((x, y) => x * y, 1), br, bc]), transA, transB);
    return reshape(r, [...batchB, r.shape[1]!, r.shape[2]!]);
  }
  const rank = Math.max(a.rank, b.rank);
  const batch: number[] = [];
  for (let i = 0; i < rank - 2; i++) {
    const da = batchA[batchA.length - (rank - 2) + i] ?? 1, db = batchB[batchB.length - (rank - 2) + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) throw new ShapeError(`matmul: batch shapes ${fmt(batchA)} and ${fmt(batchB)} cannot broadcast`);
    batch.push(Math.max(da, db));
  }
  const nb = batch.reduce((x, y) => x * y, 1);
  const a3 = reshape(broadcastTo(a, [...batch, ar, ac]), [nb, ar, ac]);
  const b3 = reshape(broadcastTo(b, [...batch, br, bc]), [nb, br, bc]);
  const r = matmulRaw(a3, b3, transA, transB);
  return reshape(r, [...batch, r.shape[1]!, r.shape[2]!]);
}

export interface MatmulSumSquaresParams { transB: boolean }

/** The products op(A_e)·op(B) plus the bias row where there is one (the terms matmulSumSquares squares). */
export function biasedProducts(a: Tensor, b: Tensor, bias: Tensor | undefined, transB: boolean): Tensor {
  const c = matmulRaw(a, b, false, transB);
  return bias ? add(c, bias) : c;
}

/**
 * Σ_e (A_e·op(B) + 1·biasᵀ)² for A [batch, m, k], B [k, n] ([n, k] with transB) and an optional
 * bias [n] (inputs [a, b] or [a, b, bias]) → [m, n]: the backend's gemmSumSquares where it has one
 * (the batch of products never stored; one entry squared as the GEMM finishes each tile), else
 * the strided-batched product, the broadcast add and sumSquares over the batch — the same values,
 * bit for bit.
 */
export const matmulSumSquaresPrimitive = definePrimitive<MatmulSumSquaresParams>('matmulSumSquares', ([a, b, bias], { transB }) => {
  const [batch, m, k] = a!.shape as [number, number, number];
  const n = transB ? b!.shape[0]! : b!.shape[1]!;
  const backend = backendOf('matmulSumSquares', bias ? [a!, b!, bias] : [a!, b!]);
  if (!kernels(backend).native('gemmSumSquares', [a!.dtype, b!.dtype, a!.dtype])) return sumSquares(biasedProducts(a!, b!, bias, transB), 0);
  const out = empty([m, n], a!.dtype, backend);
  backend.gemmSumSquares!(transB, batch, m, n, k, a!.buffer, 0, m * k, b!.buffer, 0, transB ? k : n, out.buffer, 0, bias?.buffer ?? null, 0);
  return out;
});

/**
 * Σ over the leading axis of the squared products, Σ_e (A_e·op(B) + 1·biasᵀ)² for A [batch, m, k],
 * B [k, n] (transB: B [n, k]) and an optional bias [n] (or [1, n]) added to every row → [m, n]:
 * `sumSquares(add(matmul(a, b), bias), 0)` in one pass where the backend has the kernel (EK-FAC's
 * eigenvalue corrections: the squares of K projected gradient columns summed, and the squared
 * projection (a·Q_A + q)² of the inputs, batch 1).
 */
export function matmulSumSquares(a: Tensor, b: Tensor, options: { transB?: boolean; bias?: Tensor } = {}): Tensor {
  const transB = options.transB ?? false, bias = options.bias;
  requireFloat('matmulSumSquares', a);
  sameDType('matmulSumSquares', a, b);
  if (a.rank !== 3 || b.rank !== 2) {
    throw new ShapeError(`matmulSumSquares: needs a [batch, m, k] and b ${transB ? '[n, k]' : '[k, n]'}, got ${fmt(a.shape)} and ${fmt(b.shape)}`);
  }
  const k = a.shape[2]!, kb = transB ? b.shape[1]! : b.shape[0]!;
  if (k !== kb) throw new ShapeError(`matmulSumSquares: inner dimensions differ: ${fmt(a.shape)} · ${fmt(b.shape)}${transB ? 'ᵀ' : ''} (${k} vs ${kb})`);
  if (!bias) return bind(matmulSumSquaresPrimitive, [a, b], { transB });
  sameDType('matmulSumSquares', a, bias);
  const n = transB ? b.shape[0]! : b.shape[1]!;
  if (bias.size !== n || bias.rank > 2 || (bias.rank === 2 && bias.shape[0] !== 1)) {
    throw new ShapeError(`matmulSumSquares: the bias must be [${n}] or [1, ${n}] (one value per column of the product), got ${fmt(bias.shape)}`);
  }
  return bind(matmulSumSquaresPrimitive, [a, b, reshape(bias, [n])], { transB });
}

export interface MatmulScaledParams {
  transA: boolean;
  transB: boolean;
  /** The product's m rows seen as [outer, inner] (outer·inner = m), against S [outer or 1, inner or 1, n]. */
  rows: [number, number];
}

/**
 * (op(A)·op(B)) ⊙ S for rank-2 operands (inputs [a, b, s]) → [m, n]: the product's rows seen as
 * [outer, inner] = rows, S [outer or 1, inner or 1, n] broadcast over them. The backend's gemmScaled
 * where it has one (each micro-tile multiplied as the GEMM finishes it, no pass over the product),
 * else the product and a broadcast mul — the same values, bit for bit. The adjoint of an
 * elementwise activation taken through the GEMM that forms its cotangent ((Ḡ·W) ⊙ f′, see
 * backward in src/autodiff/trace.ts); S of shape [1, m, n] scales row by row, [1, m, n] against rows [k, m]
 * repeats it for k stacked cotangents, [m, 1, n] against rows [m, k] for k interleaved ones.
 */
export const matmulScaledPrimitive = definePrimitive<MatmulScaledParams>('matmulScaled', ([a, b, s], { transA, transB, rows }) => {
  const [m, n] = productShape(a!, b!, transA, transB) as [number, number];
  const k = transA ? a!.shape[0]! : a!.shape[1]!;
  const backend = backendOf('matmulScaled', [a!, b!, s!]);
  if (!kernels(backend).native('gemmScaled', [a!.dtype, b!.dtype, s!.dtype, a!.dtype])) {
    return reshape(mul(reshape(matmulRaw(a!, b!, transA, transB), [rows[0], rows[1], n]), s!), [m, n]);
  }
  const out = empty([m, n], a!.dtype, backend);
  const [so, si] = s!.shape as [number, number, number];
  backend.gemmScaled!(transA, transB, m, n, k, a!.buffer, 0, a!.shape[1]!, b!.buffer, 0, b!.shape[1]!, out.buffer, 0, n,
    s!.buffer, 0, rows[1], so === 1 ? 0 : si * n, si === 1 ? 0 : n);
  return out;
});

/**
 * (op(a)·op(b)) ⊙ s for rank-2 a, b (op(X) = Xᵀ with the flag) and s [outer or 1, inner or 1, n]
 * with rows = [outer, inner] and outer·inner = m, the product's row count → [m, n] (for the rules:
 * shapes are checked, dtypes must agree).
 */
export function matmulScaled(a: Tensor, b: Tensor, s: Tensor, options: { transA?: boolean; transB?: boolean; rows: [number, number] }): Tensor {
  const transA = options.transA ?? false, transB = options.transB ?? false, rows = options.rows;
  requireFloat('matmulScaled', a);
  sameDType('matmulScaled', a, b);
  sameDType('matmulScaled', a, s);
  if (a.rank !== 2 || b.rank !== 2) throw new ShapeError(`matmulScaled: operands must be matrices, got ${fmt(a.shape)} and ${fmt(b.shape)}`);
  const k = transA ? a.shape[0]! : a.shape[1]!, kb = transB ? b.shape[1]! : b.shape[0]!;
  if (k !== kb) throw new ShapeError(`matmulScaled: inner dimensions differ: ${fmt(a.shape)}${transA ? 'ᵀ' : ''} · ${fmt(b.shape)}${transB ? 'ᵀ' : ''} (${k} vs ${kb})`);
  const [m, n] = productShape(a, b, transA, transB) as [number, number];
  const [outer, inner] = rows;
  const ok = Number.isSafeInteger(outer) && Number.isSafeInteger(inner) && outer >= 0 && inner >= 0 && outer * inner === m && s.rank === 3 &&
    (s.shape[0] === 1 || s.shape[0] === outer) && (s.shape[1] === 1 || s.shape[1] === inner) && s.shape[2] === n;
  if (!ok) throw new ShapeError(`matmulScaled: the product's ${m} rows as [${rows.join(', ')}] and a scale [${outer} or 1, ${inner} or 1, ${n}], got ${fmt(s.shape)}`);
  return bind(matmulScaledPrimitive, [a, b, s], { transA, transB, rows: [outer, inner] });
}

/** Outer product of two vectors. */
export function outer(u: Tensor, v: Tensor): Tensor {
  return matmul(reshape(u, [-1, 1]), reshape(v, [1, -1]));
}

/** Inner product of two tensors of the same size, as a scalar tensor. */
export function dot(u: Tensor, v: Tensor): Tensor {
  if (u.size !== v.size) throw new ShapeError(`dot: sizes differ: ${fmt(u.shape)} and ${fmt(v.shape)}`);
  return reshape(matmul(reshape(u, [1, -1]), reshape(v, [-1, 1])), []);
}
