import { add } from '../../tensor/ops/elementwise.js';
import { sum } from '../../tensor/ops/reduce.js';
import type { Tensor } from '../../tensor/tensor.js';
import { matmulPrimitive, matmulRaw, type MatmulParams } from '../../tensor/ops/matmul.js';
import { defineRule } from '../trace.js';

/**
 * C = op(A)·op(B). Reverse mode: dop(A) = Ḡ·op(B)ᵀ and dop(B) = op(A)ᵀ·Ḡ, each written back through
 * the transposition flags so no operand is ever copied into transposed form.
 */
defineRule<MatmulParams>(matmulPrimitive, {
  // Primals are read by index: with one varying operand only the other one is evaluated.
  jvp: (p, [ta, tb], _o, { transA, transB }) => {
    const left = ta ? matmulRaw(ta, p[1]!, transA, transB) : null;
    const right = tb ? matmulRaw(p[0]!, tb, transA, transB) : null;
    return left && right ? add(left, right) : (left ?? right)!;
  },
  vjp: ([a, b], _o, g, { transA, transB }, needs) => [
    needs[0] ? sharedSum(a!, transA ? matmulRaw(b!, g, transB, true) : matmulRaw(g, b!, false, !transB)) : null,
    needs[1] ? sharedSum(b!, transB ? matmulRaw(g, a!, true, transA) : matmulRaw(a!, g, !transA, false)) : null,
  ],
});

/** A matrix shared by a batch (rank 2 beside rank 3) gets the sum of its per-entry gradients. */
function sharedSum(x: Tensor, g: Tensor): Tensor {
  return x.rank === 2 && g.rank === 3 ? sum(g, 0) : g;
}
