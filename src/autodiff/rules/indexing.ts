import { bind } from '../../tensor/primitive.js';
import { gatherPrimitive, scatterAddPrimitive } from '../../tensor/ops/indexing.js';
import { defineRule } from '../trace.js';

// gather and scatterAdd are each other's adjoints; the indices (input 1) get no cotangent.
defineRule<null>(gatherPrimitive, {
  jvp: ([, idx], [t]) => bind(gatherPrimitive, [t!, idx!], null),
  vjp: ([x, idx], _o, g) => [bind(scatterAddPrimitive, [g, idx!], { rows: x!.shape[0]! }), null],
});

defineRule<{ rows: number }>(scatterAddPrimitive, {
  jvp: ([, idx], [t], _o, p) => bind(scatterAddPrimitive, [t!, idx!], p),
  vjp: ([, idx], _o, g) => [bind(gatherPrimitive, [g, idx!], null), null],
});
