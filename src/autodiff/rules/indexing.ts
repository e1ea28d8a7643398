import { bind } from '../../tensor/primitive.js';
import { gatherPrimitive, scatterAddPrimitive } from '../../tensor/ops/indexing.js';
import { defineRule } from '../trace.js';

// gather and scatterAdd are each other's adjoints; the indices (input 1) get no cotangent.
defineRule<null>(gatherPrimitive, {
  jvp: (p, [t]) => bind(gatherPrimitive, [t!, p[1]!], null),
  vjp: ([x, idx], _o, g) => [bind(scatterAddPrimitive, [g, idx!], { rows: x!.shape[0]! }), null],
});

defineRule<{ rows: number }>(scatterAddPrimitive, {
  jvp: (primals, [t], _o, p) => bind(scatterAddPrimitive, [t!, primals[1]!], p),
  vjp: ([, idx], _o, g) => [bind(gatherPrimitive, [g, idx!], null), null],
});
