import { bind } from '../../tensor/primitive.js';
import { col2imPrimitive, im2colPrimitive, maxPoolArgmaxPrimitive, type PatchParams } from '../../tensor/ops/conv.js';
import { reshape } from '../../tensor/ops/shape.js';
import { defineBatchedJvp, defineRule, defineZeroRule } from '../trace.js';

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

// Batched tangents [k, n, …]: the k directions fold into the batch axis n (both ops act per image).
defineBatchedJvp<PatchParams>(im2colPrimitive, (_p, [t], _o, params, [s], k) => {
  const [n, c, h, w] = s as [number, number, number, number];
  const y = bind(im2colPrimitive, [reshape(t!, [k * n, c, h, w])], params);
  return reshape(y, [k, n, y.shape[1]!, y.shape[2]!]);
});
defineBatchedJvp<PatchParams>(col2imPrimitive, (_p, [t], _o, params, [s], k) => {
  const [n, l, ck] = s as [number, number, number];
  const y = bind(col2imPrimitive, [reshape(t!, [k * n, l, ck])], params);
  return reshape(y, [k, n, y.shape[1]!, y.shape[2]!, y.shape[3]!]);
});

// The window argmax is piecewise constant (int32 indices): max pooling's derivatives are those of
// the gather that reads the values at it (src/tensor/ops/conv.ts, maxPool2d).
defineZeroRule(maxPoolArgmaxPrimitive);
