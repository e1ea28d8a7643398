import { bind } from '../../tensor/primitive.js';
import { mul } from '../../tensor/ops/elementwise.js';
import { maxMask, reducedShape, reducePrimitive, sum, sumSquaresPrimitive, type ReduceParams, type SumSquaresParams } from '../../tensor/ops/reduce.js';
import { broadcastTo, reshape } from '../../tensor/ops/shape.js';
import type { Tensor } from '../../tensor/tensor.js';
import { defineRule } from '../trace.js';

/** The adjoint of a reduction: put the reduced axes back as size 1, then broadcast. */
function expandBack(g: Tensor, x: Tensor, axes: readonly number[]): Tensor {
  return broadcastTo(reshape(g, reducedShape(x.shape, axes, true)), x.shape);
}

defineRule<ReduceParams>(reducePrimitive, {
  jvp: (primals, [t], out, p) => {
    if (p.op === 'sum') return bind(reducePrimitive, [t!], p);
    const x = primals[0];
    // max/min: the tangent of the selected entries (averaged over ties).
    return sum(mul(t!, maxMask(x!, out(), p.axes)), p.axes, p.keepDims);
  },
  vjp: ([x], out, g, p) => {
    const back = expandBack(g, x!, p.axes);
    return [p.op === 'sum' ? back : mul(back, maxMask(x!, out, p.axes))];
  },
});

// Σ x²: tangent 2·Σ x·ẋ, adjoint 2·x·g (the rules of square then sum).
defineRule<SumSquaresParams>(sumSquaresPrimitive, {
  jvp: ([x], [t], _out, p) => mul(sum(mul(x!, t!), p.axes, p.keepDims), 2),
  vjp: ([x], _out, g, p) => [mul(mul(x!, expandBack(g, x!, p.axes)), 2)],
});
