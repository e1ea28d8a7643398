import { add, mul } from '../../tensor/ops/elementwise.js';
import {
  biasedProducts, matmulPrimitive, matmulRaw, matmulSumPrimitive, matmulSumSquaresPrimitive, productShape, type MatmulParams,
  type MatmulSumParams, type MatmulSumSquaresParams,
} from '../../tensor/ops/matmul.js';
import { sum } from '../../tensor/ops/reduce.js';
import { reshape } from '../../tensor/ops/shape.js';
import type { Tensor } from '../../tensor/tensor.js';
import { defineRule } from '../trace.js';

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
