import { add, mul } from '../../tensor/ops/elementwise.js';
import {
  biasedProducts, matmulPrimitive, matmulRaw, matmulScaled, matmulScaledPrimitive, matmulSumPrimitive, matmulSumSquaresPrimitive, productShape,
  type MatmulParams, type MatmulScaledParams, type MatmulSumParams, type MatmulSumSquaresParams,
} from '../../tensor/ops/matmul.js';
import { sum } from '../../tensor/ops/reduce.js';
import { reshape } from '../../tensor/ops/shape.js';
import type { Tensor } from '../../tensor/tensor.js';
import { defineRule } from '../trace.js';
import { unbroadcast } from './unbroadcast.js';

/**
 * d(op(A)·op(B)) = op(Ȧ)·op(B) + op(A)·op(Ḃ) for A = p[i], B = p[i + 1] (null when neither
 * varies). Primals are read by index: with one varying operand only the other one is evaluated.
 */
function productJvp(p: readonly Tensor[], i: number, ta: Tensor | null, tb: Tensor | null, transA: boolean, transB: boolean): Tensor | null {
  const left = ta ? matmulRaw(ta, p[i + 1]!, transA, transB) : null;
  const right = tb ? matmulRaw(p[i]!, tb, transA, transB) : null;
  return left && right ? add(left, right) : (left ?? right);
}

/**
 * Reverse mode of C = op(A)·op(B): dop(A) = Ḡ·op(B)ᵀ and dop(B) = op(A)ᵀ·Ḡ, each written back
 * through the transposition flags so no operand is ever copied into transposed form.
 */
function productVjp(a: Tensor, b: Tensor, g: Tensor, transA: boolean, transB: boolean, needs: readonly boolean[]): (Tensor | null)[] {
  return [
    needs[0] ? sharedSum(a, transA ? matmulRaw(b, g, transB, true) : matmulRaw(g, b, false, !transB)) : null,
    needs[1] ? sharedSum(b, transB ? matmulRaw(g, a, true, transA) : matmulRaw(a, g, !transA, false)) : null,
  ];
}

/** A matrix shared by a batch (rank 2 beside rank 3) gets the sum of its per-entry gradients. */
function sharedSum(x: Tensor, g: Tensor): Tensor {
  return x.rank === 2 && g.rank === 3 ? sum(g, 0) : g;
}

defineRule<MatmulParams>(matmulPrimitive, {
  jvp: (p, [ta, tb], _o, { transA, transB }) => productJvp(p, 0, ta ?? null, tb ?? null, transA, transB)!,
  vjp: ([a, b], _o, g, { transA, transB }, needs) => productVjp(a!, b!, g, transA, transB, needs),
  // productVjp's term for input i with the scale applied by the GEMM (matrices only).
  vjpScaled: ([a, b], _o, g, { transA, transB }, i, scale) => {
    if (a!.rank !== 2 || b!.rank !== 2) return null;
    const [r, c] = (i === 0 ? a! : b!).shape as [number, number];
    const s = reshape(scale, [1, r, c]), rows: [number, number] = [1, r];
    if (i === 0) return transA ? matmulScaled(b!, g, s, { transA: transB, transB: true, rows }) : matmulScaled(g, b!, s, { transB: !transB, rows });
    return transB ? matmulScaled(g, a!, s, { transA: true, transB: transA, rows }) : matmulScaled(a!, g, s, { transA: !transA, rows });
  },
});

/** The sum of two products: each term as its own matmul, seen through the sum's shape. */
defineRule<MatmulSumParams>(matmulSumPrimitive, {
  jvp: (p, t, _o, { shape, trans }) => {
    const terms = [0, 2].map((i) => productJvp(p, i, t[i] ?? null, t[i + 1] ?? null, trans[i]!, trans[i + 1]!))
      .filter((x): x is Tensor => x !== null).map((x) => reshape(x, shape));
    return terms.length === 2 ? add(terms[0]!, terms[1]!) : terms[0]!;
  },
  vjp: (p, _o, g, { trans }, needs) => [0, 2].flatMap((i) => {
    const [a, b] = [p[i]!, p[i + 1]!];
    return productVjp(a, b, reshape(g, productShape(a, b, trans[i]!, trans[i + 1]!)), trans[i]!, trans[i + 1]!, needs.slice(i, i + 2));
  }),
});

/**
 * y = Σ_e C_e², C = A·op(B) (+ 1·biasᵀ) per entry: ẏ = 2·Σ_e C_e ⊙ Ċ_e, and the adjoint of C is
 * 2·C ⊙ ȳ (ȳ broadcast over the batch), taken back through the product and summed over every row
 * for the bias (C recomputed from the primals).
 */
defineRule<MatmulSumSquaresParams>(matmulSumSquaresPrimitive, {
  jvp: (p, [ta, tb, tbias], _o, { transB }) => {
    const c = biasedProducts(p[0]!, p[1]!, p[2], transB);
    const product = productJvp(p, 0, ta ?? null, tb ?? null, false, transB);
    const dc = product && tbias ? add(product, tbias) : (product ?? tbias!);
    return mul(sum(mul(c, dc), 0), 2);
  },
  vjp: ([a, b, bias], _o, g, { transB }, needs) => {
    const dc = mul(mul(biasedProducts(a!, b!, bias, transB), g), 2);
    const grads = productVjp(a!, b!, dc, false, transB, needs);
    // The bias is added to every row of every entry: its adjoint sums them.
    return bias ? [...grads, needs[2] ? sum(reshape(dc, [dc.shape[0]! * dc.shape[1]!, bias.shape[0]!]), 0) : null] : grads;
  },
});

/**
 * C = (op(A)·op(B)) ⊙ S, the product's rows seen as [outer, inner] against S: Ċ = (op(Ȧ)·op(B)) ⊙ S
 * + (op(A)·op(Ḃ)) ⊙ S + (op(A)·op(B)) ⊙ Ṡ, and the adjoints of A and B are the product's for Ḡ ⊙ S;
 * S's is Ḡ ⊙ (op(A)·op(B)) summed over its broadcast rows (the product recomputed: the fusion that
 * makes this primitive (backward in src/autodiff/trace.ts) only does so for an S that nothing differentiates).
 */
defineRule<MatmulScaledParams>(matmulScaledPrimitive, {
  jvp: (p, [ta, tb, ts], _o, params) => {
    const { transA, transB, rows } = params;
    const terms: Tensor[] = [];
    if (ta) terms.push(matmulScaled(ta, p[1]!, p[2]!, params));
    if (tb) terms.push(matmulScaled(p[0]!, tb, p[2]!, params));
    if (ts) {
      const c = matmulRaw(p[0]!, p[1]!, transA, transB);
      terms.push(reshape(mul(reshape(c, [...rows, c.shape[1]!]), ts), c.shape));
    }
    return terms.reduce((x, y) => add(x, y));
  },
  vjp: ([a, b, s], _o, g, { transA, transB, rows }, needs) => {
    const n = g.shape[1]!, seen = [...rows, n];
    const gs = reshape(mul(reshape(g, seen), s!), g.shape);
    const [ga, gb] = productVjp(a!, b!, gs, transA, transB, needs);
    const gsc = needs[2] ? unbroadcast(mul(reshape(g, seen), reshape(matmulRaw(a!, b!, transA, transB), seen)), s!.shape) : null;
    return [ga ?? null, gb ?? null, gsc];
  },
});
