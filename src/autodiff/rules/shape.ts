import { zerosLike } from '../../tensor/creation.js';
import {
  broadcastTo, broadcastToPrimitive, concat, concatPrimitive, pad, padPrimitive, reshape, reshapePrimitive, slice,
  slicePrimitive, transpose, transposePrimitive,
} from '../../tensor/ops/shape.js';
import { defineRule } from '../trace.js';
import { unbroadcast } from './unbroadcast.js';

defineRule<{ shape: number[] }>(reshapePrimitive, {
  jvp: (_p, [t], _o, { shape }) => reshape(t!, shape),
  vjp: ([x], _o, g) => [reshape(g, x!.shape)],
});

defineRule<{ perm: number[] }>(transposePrimitive, {
  jvp: (_p, [t], _o, { perm }) => transpose(t!, perm),
  vjp: (_p, _o, g, { perm }) => {
    const inverse = new Array<number>(perm.length);
    perm.forEach((p, i) => (inverse[p] = i));
    return [transpose(g, inverse)];
  },
});

defineRule<{ shape: number[] }>(broadcastToPrimitive, {
  jvp: (_p, [t], _o, { shape }) => broadcastTo(t!, shape),
  vjp: ([x], _o, g) => [unbroadcast(g, x!.shape)],
});

defineRule<{ begin: number[]; size: number[] }>(slicePrimitive, {
  jvp: (_p, [t], _o, { begin, size }) => slice(t!, begin, size),
  vjp: ([x], _o, g, { begin, size }) => [pad(g, begin, x!.shape.map((d, i) => d - begin[i]! - size[i]!))],
});

defineRule<{ before: number[]; after: number[] }>(padPrimitive, {
  jvp: (_p, [t], _o, { before, after }) => pad(t!, before, after),
  vjp: ([x], _o, g, { before }) => [slice(g, before, x!.shape)],
});

defineRule<{ axis: number }>(concatPrimitive, {
  jvp: (xs, ts, _o, { axis }) => concat(ts.map((t, i) => t ?? zerosLike(xs[i]!)), axis),
  vjp: (xs, _o, g, { axis }, needs) => {
    let at = 0;
    return xs.map((x, i) => {
      const begin = x.shape.map(() => 0);
      begin[axis] = at;
      at += x.shape[axis]!;
      return needs[i] ? slice(g, begin, x.shape) : null;
    });
  },
});
