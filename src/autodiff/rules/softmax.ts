import { mul, sub } from '../../tensor/ops/elementwise.js';
import { oneHot } from '../../tensor/ops/indexing.js';
import { sum } from '../../tensor/ops/reduce.js';
import { reshape } from '../../tensor/ops/shape.js';
import { crossEntropyPrimitive, softmax, softmaxPrimitive, type SoftmaxParams } from '../../tensor/ops/softmax.js';
import type { Tensor } from '../../tensor/tensor.js';
import { defineRule } from '../trace.js';

/**
 * Softmax family, along the last axis (s = softmax(x), Jacobian diag(s) − s·sᵀ per row):
 *   softmax:      ṡ = s ⊙ (ẋ − ⟨s, ẋ⟩),          x̄ = s ⊙ (ḡ − ⟨ḡ, s⟩)
 *   log-softmax:  ȯ = ẋ − ⟨s, ẋ⟩,                x̄ = ḡ − s·Σḡ
 *   cross-entropy ℓ = lse(z) − z_y:  ℓ̇ = ⟨s − e_y, ż⟩,  z̄ = ḡ·(s − e_y)
 * (⟨·,·⟩ and Σ per row). Each is written with the softmax primitive itself, so a derivative of a
 * derivative differentiates s through the same rules: exact at every order, a handful of fused
 * passes instead of the max/exp/sum/log chain.
 */
const rowDot = (a: Tensor, b: Tensor): Tensor => sum(mul(a, b), -1, true);

defineRule<SoftmaxParams>(softmaxPrimitive, {
  jvp: (p, [t], out, { log }) => {
    if (log) return sub(t!, rowDot(softmax(p[0]!), t!));
    const s = out();
    return mul(s, sub(t!, rowDot(s, t!)));
  },
  vjp: ([x], out, g, { log }) => {
    if (log) return [sub(g, mul(softmax(x!), sum(g, -1, true)))];
    return [mul(out, sub(g, rowDot(g, out)))];
  },
});

/** s − e_y: the gradient of the per-row cross-entropy in the logits. */
function residual(z: Tensor, labels: Tensor): Tensor {
  return sub(softmax(z), oneHot(labels, z.shape[1]!, z.dtype as 'float32' | 'float64'));
}

defineRule<null>(crossEntropyPrimitive, {
  jvp: (p, [t]) => sum(mul(residual(p[0]!, p[1]!), t!), -1),
  vjp: ([z, labels], _o, g) => [mul(reshape(g, [g.size, 1]), residual(z!, labels!)), null],
});
