import { bind } from '../../tensor/primitive.js';
import { col2imPrimitive, im2colPrimitive, maxPoolArgmaxPrimitive, type PatchParams } from '../../tensor/ops/conv.js';
import { reshape } from '../../tensor/ops/shape.js';
import type { Tensor } from '../../tensor/tensor.js';
import { defineAxisBatchedJvp, defineRule, defineZeroRule, moveBatchAxis } from '../trace.js';

// im2col and col2im are linear and each other's adjoints: jvp applies the op to the tangent, vjp
// applies the other one to the cotangent. Both are exact at every order (no primal enters).
defineRule<PatchParams>(im2colPrimitive, {
  jvp: (_p, [t], _o, params) => bind(im2colPrimitive, [t!], params),
  vjp: (_x, _o, g, params) => [bind(col2imPrimitive, [g], params)],
});

defineRule<PatchParams>(col2imPrimitive, {
  jvp: (_p, [t], _o, params) => bind(col2imPrimitive, [t!], params),
  vjp: (_x, _o, g, params) => [bind(im2colPrimitive, [g], params)],
});

// Batched tangents: both ops act per image along axis 0, so k directions standing before or right
// after it ([k, n, …] or [n, k, …]) fold into it and stay where they were; elsewhere k goes in front.
const perImage = (t: Tensor, b: number): [Tensor, number] => (b <= 1 ? [t, b] : [moveBatchAxis(t, b, 0), 0]);
defineAxisBatchedJvp<PatchParams>(im2colPrimitive, (_p, [t0], _o, params, [s], k, [b0]) => {
  const [n, c, h, w] = s as [number, number, number, number];
  const [t, b] = perImage(t0!, b0!);
  const y = bind(im2colPrimitive, [reshape(t, [k * n, c, h, w])], params);
  return [reshape(y, b === 0 ? [k, n, y.shape[1]!, y.shape[2]!] : [n, k, y.shape[1]!, y.shape[2]!]), b];
});
defineAxisBatchedJvp<PatchParams>(col2imPrimitive, (_p, [t0], _o, params, [s], k, [b0]) => {
  const [n, l, ck] = s as [number, number, number];
  const [t, b] = perImage(t0!, b0!);
  const y = bind(col2imPrimitive, [reshape(t, [k * n, l, ck])], params);
  const rest = [y.shape[1]!, y.shape[2]!, y.shape[3]!];
  return [reshape(y, b === 0 ? [k, n, ...rest] : [n, k, ...rest]), b];
});

// The window argmax is piecewise constant (int32 indices): max pooling's derivatives are those of
// the gather that reads the values at it (src/tensor/ops/conv.ts, maxPool2d).
defineZeroRule(maxPoolArgmaxPrimitive);
