import { add, mul } from '../../tensor/ops/elementwise.js';
import { tanhGrad, tanhGradPrimitive } from '../../tensor/ops/activation.js';
import type { Tensor } from '../../tensor/tensor.js';
import { defineRule } from '../trace.js';

/**
 * o = tanhGrad(y, g) = g ⊙ (1 − y²) is linear in g and has ∂o/∂y = −2·y ⊙ g, so
 *   jvp: ȯ = tanhGrad(y, ġ) − 2·ẏ ⊙ y ⊙ g,    vjp: ȳ = −2·ō ⊙ y ⊙ g,  ḡ = tanhGrad(y, ō).
 * With tanh's own rules (ẏ = tanhGrad(y, ẋ), x̄ = tanhGrad(y, ȳ)) this gives d²tanh = −2y(1 − y²)
 * and every higher derivative exactly.
 */
const yTimesG = (y: Tensor, g: Tensor, t: Tensor): Tensor => mul(mul(t, mul(y, g)), -2);

defineRule<null>(tanhGradPrimitive, {
  jvp: (p, [ty, tg]) => {
    const a = tg ? tanhGrad(p[0]!, tg) : null;
    const b = ty ? yTimesG(p[0]!, p[1]!, ty) : null;
    return a && b ? add(a, b) : (a ?? b)!;
  },
  vjp: ([y, g], _o, ct, _p, needs) => [needs[0] ? yTimesG(y!, g!, ct) : null, needs[1] ? tanhGrad(y!, ct) : null],
});
