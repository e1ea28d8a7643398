import type { BinaryOp, UnaryOp } from '../../backend/types.js';
import { zerosLike } from '../../tensor/creation.js';
import {
  add, binaryPrimitive, cast, castPrimitive, cos, div, exp, greaterEqual as ge, log, mul, neg, pow, sigmoid, sign, sin,
  mulAddPrimitive, square, step, stopGradientPrimitive, sub, unaryPrimitive, where, wherePrimitive,
} from '../../tensor/ops/elementwise.js';
import { tanhGrad } from '../../tensor/ops/activation.js';
import { broadcastTo } from '../../tensor/ops/shape.js';
import { broadcastShapes } from '../../tensor/util.js';
import type { Tensor } from '../../tensor/tensor.js';
import { defineRule, defineZeroRule } from '../trace.js';
import { unbroadcast } from './unbroadcast.js';

/**
 * Unary rules. Each derivative is written with differentiable ops on the primal x and the output
 * y, so second derivatives keep every term (d²tanh = −2y(1−y²), d²σ = σ(1−σ)(1−2σ), d²exp = eˣ —
 * the terms TensorFlow.js drops).
 */
const unaryDerivatives: Partial<Record<UnaryOp, (x: Tensor, y: Tensor) => Tensor>> = {
  neg: (x) => neg(onesOf(x)),
  exp: (_x, y) => y,
  log: (x) => div(1, x),
  sigmoid: (_x, y) => mul(y, sub(1, y)),
  sqrt: (_x, y) => div(0.5, y),
  abs: (x) => sign(x),
  square: (x) => mul(x, 2),
  reciprocal: (_x, y) => neg(square(y)),
  log1p: (x) => div(1, add(x, 1)),
  expm1: (_x, y) => add(y, 1),
  softplus: (x) => sigmoid(x),
  erf: (x) => mul(exp(neg(square(x))), 2 / Math.sqrt(Math.PI)),
  sin: (x) => cos(x),
  cos: (x) => neg(sin(x)),
  relu: (x) => step(x),
};

function onesOf(x: Tensor): Tensor {
  return add(zerosLike(x), 1);
}

// tanh through its output with the fused tanhGrad primitive (rules/activation.ts).
// Its adjoint scale 1 − y² (for backward's fusion into the GEMM before it, batched cotangents only)
// is the factor tanhGrad's batched rule multiplies by: the same bits as unfused.
defineRule(unaryPrimitive('tanh'), {
  jvp: (_p, [t], y) => tanhGrad(y(), t!),
  vjp: (_p, y, g) => [tanhGrad(y, g)],
  adjointScale: (_p, y) => sub(1, square(y)),
});

for (const op of Object.keys(unaryDerivatives) as UnaryOp[]) {
  if (op === 'tanh') continue;
  const d = unaryDerivatives[op]!;
  if (op === 'neg') {
    defineRule(unaryPrimitive(op), { jvp: (_p, [t]) => neg(t!), vjp: (_p, _o, g) => [neg(g)] });
    continue;
  }
  defineRule(unaryPrimitive(op), {
    jvp: ([x], [t], y) => mul(t!, d(x!, y())),
    vjp: ([x], y, g) => [mul(g, d(x!, y))],
    adjointScale: ([x], y) => d(x!, y),
  });
}
for (const op of ['sign', 'step', 'isfinite'] as UnaryOp[]) defineZeroRule(unaryPrimitive(op));
for (const op of ['gt', 'ge', 'lt', 'le', 'eq', 'ne'] as BinaryOp[]) defineZeroRule(binaryPrimitive(op));
defineZeroRule(stopGradientPrimitive);

/** A tangent broadcast to the output shape (a null tangent is zero). */
function tan(t: Tensor | null, out: Tensor): Tensor | null {
  return t ? broadcastTo(t, out.shape) : null;
}

/** The output shape of a broadcasting binary op, from its input shapes (nothing evaluated). */
function outShape(shapes: readonly (readonly number[])[]): number[] {
  return broadcastShapes(shapes[0]!, shapes[1]!);
}

/** ta + tb broadcast to the output shape; reads no primal value (so add/sub leave theirs pending). */
function sumTangents(a: Tensor | null, b: Tensor | null, shapes: readonly (readonly number[])[]): Tensor {
  if (a && b) return broadcastTo(add(a, b), outShape(shapes));
  return broadcastTo((a ?? b)!, outShape(shapes));
}

defineRule(binaryPrimitive('add'), {
  jvp: (_p, [ta, tb], _o, _params, shapes) => sumTangents(ta, tb, shapes),
  vjp: ([a, b], _o, g, _p, needs) => [needs[0] ? unbroadcast(g, a!.shape) : null, needs[1] ? unbroadcast(g, b!.shape) : null],
});
defineRule(binaryPrimitive('sub'), {
  jvp: (_p, [ta, tb], _o, _params, shapes) => sumTangents(ta, tb && neg(tb), shapes),
  vjp: ([a, b], _o, g, _p, needs) => [needs[0] ? unbroadcast(g, a!.shape) : null, needs[1] ? unbroadcast(neg(g), b!.shape) : null],
});
defineRule(binaryPrimitive('mul'), {
  // Primals are read by index: with one varying operand only the other one is evaluated.
  jvp: (p, [ta, tb], _o, _params, shapes) => sumTangents(ta && mul(ta, p[1]!), tb && mul(p[0]!, tb), shapes),
  vjp: ([a, b], _o, g, _p, needs) => [
    needs[0] ? unbroadcast(mul(g, b!), a!.shape) : null,
    needs[1] ? unbroadcast(mul(g, a!), b!.shape) : null,
  ],
});
// a·b + c·d: the product rule on each term.
defineRule(mulAddPrimitive, {
  jvp: (p, t, _o, _params, shapes) => {
    const terms = [0, 1, 2, 3].map((i) => (t[i] ? mul(t[i]!, p[i ^ 1]!) : null)).filter((x): x is Tensor => x !== null);
    return broadcastTo(terms.reduce((x, y) => add(x, y)), outShape(shapes));
  },
  vjp: (p, _o, g, _params, needs) => [0, 1, 2, 3].map((i) => (needs[i] ? unbroadcast(mul(g, p[i ^ 1]!), p[i]!.shape) : null)),
});
defineRule(binaryPrimitive('div'), {
  // d(a/b) = da/b − db·(a/b)/b
  jvp: (p, [ta, tb], out, _params, shapes) => sumTangents(ta && div(ta, p[1]!), tb && neg(div(mul(tb, out()), p[1]!)), shapes),
  vjp: ([a, b], out, g, _p, needs) => [
    needs[0] ? unbroadcast(div(g, b!), a!.shape) : null,
    needs[1] ? unbroadcast(neg(div(mul(g, out), b!)), b!.shape) : null,
  ],
});
defineRule(binaryPrimitive('pow'), {
  // d(aᵇ) = b·aᵇ⁻¹·da + log(a)·aᵇ·db; the log term is only formed when b varies.
  jvp: ([a, b], [ta, tb], out, _params, shapes) => sumTangents(
    ta && mul(ta, mul(b!, pow(a!, sub(b!, 1)))), tb && mul(tb, mul(log(a!), out())), shapes),
  vjp: ([a, b], out, g, _p, needs) => [
    needs[0] ? unbroadcast(mul(g, mul(b!, pow(a!, sub(b!, 1)))), a!.shape) : null,
    needs[1] ? unbroadcast(mul(g, mul(log(a!), out)), b!.shape) : null,
  ],
});
for (const op of ['max', 'min'] as const) {
  // The derivative follows the selected operand; ties go to a.
  const pick = (a: Tensor, b: Tensor): Tensor => (op === 'max' ? ge(a, b) : ge(b, a));
  defineRule(binaryPrimitive(op), {
    jvp: ([a, b], [ta, tb], lazyOut) => {
      const m = pick(a!, b!), out = lazyOut();
      return where(m, tan(ta, out) ?? zerosLike(out), tan(tb, out) ?? zerosLike(out));
    },
    vjp: ([a, b], _o, g, _p, needs) => {
      const m = pick(a!, b!);
      return [
        needs[0] ? unbroadcast(mul(g, m), a!.shape) : null,
        needs[1] ? unbroadcast(mul(g, sub(1, m)), b!.shape) : null,
      ];
    },
  });
}

defineRule(wherePrimitive, {
  jvp: ([c], [, ta, tb], lazyOut) => {
    const out = lazyOut();
    return where(c!, tan(ta, out) ?? zerosLike(out), tan(tb, out) ?? zerosLike(out));
  },
  vjp: ([c, a, b], _o, g, _p, needs) => [
    null,
    needs[1] ? unbroadcast(where(c!, g, 0), a!.shape) : null,
    needs[2] ? unbroadcast(where(c!, 0, g), b!.shape) : null,
  ],
});

defineRule(castPrimitive, {
  jvp: (_p, [t], _o, { dtype }) => cast(t!, dtype),
  vjp: ([x], _o, g) => [cast(g, x!.dtype)],
});
