import { zerosLike } from '../../tensor/creation.js';
import {
  broadcastTo, broadcastToPrimitive, concat, concatPrimitive, inversePermutation, pad, padPrimitive, permutedConcat, permutedSlice,
  reshape, reshapePrimitive, slice, slicePrimitive, transpose, transposePrimitive, unpermuted, type ConcatParams, type SliceParams,
} from '../../tensor/ops/shape.js';
import { defineRule } from '../trace.js';
import { unbroadcast } from './unbroadcast.js';

defineRule<{ shape: number[] }>(reshapePrimitive, {
  jvp: (_p, [t], _o, { shape }) => reshape(t!, shape),
  vjp: ([x], _o, g) => [reshape(g, x!.shape)],
});

defineRule<{ perm: number[] }>(transposePrimitive, {
  jvp: (_p, [t], _o, { perm }) => transpose(t!, perm),
  vjp: (_p, _o, g, { perm }) => [transpose(g, inversePermutation(perm))],
});

defineRule<{ shape: number[] }>(broadcastToPrimitive, {
  jvp: (_p, [t], _o, { shape }) => broadcastTo(t!, shape),
  vjp: ([x], _o, g) => [unbroadcast(g, x!.shape)],
});

defineRule<SliceParams>(slicePrimitive, {
  jvp: (_p, [t], _o, { begin, size, perm }) => (perm ? permutedSlice(t!, begin, size, perm) : slice(t!, begin, size)),
  vjp: ([x], _o, g, { begin, size, perm }) => [pad(unpermuted(g, perm), begin, x!.shape.map((d, i) => d - begin[i]! - size[i]!))],
});

defineRule<{ before: number[]; after: number[] }>(padPrimitive, {
  jvp: (_p, [t], _o, { before, after }) => pad(t!, before, after),
  vjp: ([x], _o, g, { before }) => [slice(g, before, x!.shape)],
});

defineRule<ConcatParams>(concatPrimitive, {
  jvp: (xs, ts, _o, { axis, perm }) => {
    const parts = ts.map((t, i) => t ?? zerosLike(xs[i]!));
    return perm ? permutedConcat(parts, axis, perm) : concat(parts, axis);
  },
  vjp: (xs, _o, g0, { axis, perm }, needs) => {
    const g = unpermuted(g0, perm);
    let at = 0;
    return xs.map((x, i) => {
      const begin = x.shape.map(() => 0);
      begin[axis] = at;
      at += x.shape[axis]!;
      return needs[i] ? slice(g, begin, x.shape) : null;
    });
  },
});
