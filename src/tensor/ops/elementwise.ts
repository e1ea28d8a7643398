import type { BinaryOp, DType, UnaryOp } from '../../backend/types.js';
import { DTypeError } from '../../errors.js';
import { full } from '../creation.js';
import { bind, definePrimitive, type Primitive } from '../primitive.js';
import { empty, Tensor } from '../tensor.js';
import { backendOf, broadcastShapes, broadcastStrides, requireFloat, sameDType } from '../util.js';
import { kernels } from '../kernels.js';

export type Operand = Tensor | number;

const unaryPrims = new Map<UnaryOp, Primitive<null>>();

/** The primitive for an elementwise unary kernel (one per op, shared by the autodiff rules). */
export function unaryPrimitive(op: UnaryOp): Primitive<null> {
  let p = unaryPrims.get(op);
  if (!p) {
    p = definePrimitive<null>(op, ([x]) => {
      const out = empty(x!.shape, x!.dtype, x!.backend);
      kernels(x!.backend).unary(op, x!.buffer, out.buffer, x!.size);
      return out;
    });
    unaryPrims.set(op, p);
  }
  return p;
}

function unary(op: UnaryOp, x: Tensor): Tensor {
  requireFloat(op, x);
  return bind(unaryPrimitive(op), [x], null);
}

export const neg = (x: Tensor): Tensor => unary('neg', x);
export const exp = (x: Tensor): Tensor => unary('exp', x);
export const log = (x: Tensor): Tensor => unary('log', x);
export const tanh = (x: Tensor): Tensor => unary('tanh', x);
export const sigmoid = (x: Tensor): Tensor => unary('sigmoid', x);
export const sqrt = (x: Tensor): Tensor => unary('sqrt', x);
export const abs = (x: Tensor): Tensor => unary('abs', x);
/** -1, 0 or 1; its derivative is zero. */
export const sign = (x: Tensor): Tensor => unary('sign', x);
export const square = (x: Tensor): Tensor => unary('square', x);
export const reciprocal = (x: Tensor): Tensor => unary('reciprocal', x);
export const log1p = (x: Tensor): Tensor => unary('log1p', x);
export const expm1 = (x: Tensor): Tensor => unary('expm1', x);
/** log(1 + eˣ), computed stably. */
export const softplus = (x: Tensor): Tensor => unary('softplus', x);
export const erf = (x: Tensor): Tensor => unary('erf', x);
export const sin = (x: Tensor): Tensor => unary('sin', x);
export const cos = (x: Tensor): Tensor => unary('cos', x);
export const relu = (x: Tensor): Tensor => unary('relu', x);
/** 1 where x > 0, else 0; its derivative is zero. */
export const step = (x: Tensor): Tensor => unary('step', x);
/** 1 where x is finite, else 0. */
export const isFiniteMask = (x: Tensor): Tensor => unary('isfinite', x);

const binaryPrims = new Map<BinaryOp, Primitive<null>>();

export function binaryPrimitive(op: BinaryOp): Primitive<null> {
  let p = binaryPrims.get(op);
  if (!p) {
    p = definePrimitive<null>(op, ([a, b]) => {
      const shape = broadcastShapes(a!.shape, b!.shape, op);
      const backend = backendOf(op, [a!, b!]);
      const out = empty(shape, a!.dtype, backend);
      kernels(backend).binary(op, shape, a!.buffer, broadcastStrides(a!.shape, shape), b!.buffer, broadcastStrides(b!.shape, shape), out.buffer);
      return out;
    });
    binaryPrims.set(op, p);
  }
  return p;
}

/** A JS number becomes a scalar of the tensor operand's dtype, on its backend. */
function operands(op: string, a: Operand, b: Operand): [Tensor, Tensor] {
  if (typeof a === 'number' && typeof b === 'number') throw new DTypeError(`${op}: at least one operand must be a tensor`);
  const ta = typeof a === 'number' ? full([], a, (b as Tensor).dtype, (b as Tensor).backend) : a;
  const tb = typeof b === 'number' ? full([], b, ta.dtype, ta.backend) : b;
  sameDType(op, ta, tb);
  return [ta, tb];
}

function binary(op: BinaryOp, a: Operand, b: Operand): Tensor {
  const [ta, tb] = operands(op, a, b);
  if (op !== 'eq' && op !== 'ne') requireFloat(op, ta);
  broadcastShapes(ta.shape, tb.shape, op); // fail before any tracing
  return bind(binaryPrimitive(op), [ta, tb], null);
}

export const add = (a: Operand, b: Operand): Tensor => binary('add', a, b);
export const sub = (a: Operand, b: Operand): Tensor => binary('sub', a, b);
export const mul = (a: Operand, b: Operand): Tensor => binary('mul', a, b);
export const div = (a: Operand, b: Operand): Tensor => binary('div', a, b);
export const pow = (a: Operand, b: Operand): Tensor => binary('pow', a, b);
export const maximum = (a: Operand, b: Operand): Tensor => binary('max', a, b);
export const minimum = (a: Operand, b: Operand): Tensor => binary('min', a, b);
export const greater = (a: Operand, b: Operand): Tensor => binary('gt', a, b);
export const greaterEqual = (a: Operand, b: Operand): Tensor => binary('ge', a, b);
export const less = (a: Operand, b: Operand): Tensor => binary('lt', a, b);
export const lessEqual = (a: Operand, b: Operand): Tensor => binary('le', a, b);
export const equal = (a: Operand, b: Operand): Tensor => binary('eq', a, b);
export const notEqual = (a: Operand, b: Operand): Tensor => binary('ne', a, b);

export const wherePrimitive = definePrimitive<null>('where', ([c, a, b]) => {
  const shape = broadcastShapes(broadcastShapes(c!.shape, a!.shape, 'where'), b!.shape, 'where');
  const backend = backendOf('where', [c!, a!, b!]);
  const out = empty(shape, a!.dtype, backend);
  kernels(backend).where(shape, c!.buffer, broadcastStrides(c!.shape, shape), a!.buffer, broadcastStrides(a!.shape, shape),
    b!.buffer, broadcastStrides(b!.shape, shape), out.buffer);
  return out;
});

/** cond ≠ 0 ? a : b, with broadcasting; differentiable in a and b. */
export function where(cond: Tensor, a: Operand, b: Operand): Tensor {
  // Two JS numbers take the condition's dtype.
  const [ta, tb] = typeof a === 'number' && typeof b === 'number'
    ? [full([], a, cond.dtype, cond.backend), full([], b, cond.dtype, cond.backend)]
    : operands('where', a, b);
  sameDType('where', cond, ta);
  broadcastShapes(broadcastShapes(cond.shape, ta.shape, 'where'), tb.shape, 'where');
  return bind(wherePrimitive, [cond, ta, tb], null);
}

/**
 * a·b + c·d with broadcasting (float operands of one dtype): one pass with the backend's mulAdd
 * kernel, else mul, mul and add — the same values, bit for bit (the kernel rounds each product and
 * then the sum, as those do).
 */
export const mulAddPrimitive = definePrimitive<null>('mulAdd', ([a, b, c, d]) => {
  const ops = [a!, b!, c!, d!];
  const backend = backendOf('mulAdd', ops);
  if (!kernels(backend).native('mulAdd', [...ops.map((x) => x.dtype), a!.dtype])) return add(mul(a!, b!), mul(c!, d!));
  const shape = ops.slice(1).reduce<readonly number[]>((sh, x) => broadcastShapes(sh, x.shape, 'mulAdd'), a!.shape);
  const out = empty(shape, a!.dtype, backend);
  const st = ops.map((x) => broadcastStrides(x.shape, shape));
  backend.mulAdd!(shape, a!.buffer, st[0]!, b!.buffer, st[1]!, c!.buffer, st[2]!, d!.buffer, st[3]!, out.buffer);
  return out;
});

/** a·b + c·d, broadcasting like add and mul, in one pass where the backend has the fused kernel. */
export function mulAdd(a: Tensor, b: Tensor, c: Tensor, d: Tensor): Tensor {
  for (const x of [a, b, c, d]) {
    requireFloat('mulAdd', x);
    sameDType('mulAdd', a, x);
  }
  [b, c, d].reduce<readonly number[]>((sh, x) => broadcastShapes(sh, x.shape, 'mulAdd'), a.shape);
  return bind(mulAddPrimitive, [a, b, c, d], null);
}

export const castPrimitive = definePrimitive<{ dtype: DType }>('cast', ([x], { dtype }) => {
  const out = empty(x!.shape, dtype, x!.backend);
  kernels(x!.backend).cast(x!.buffer, out.buffer, x!.size);
  return out;
});

export function cast(x: Tensor, dtype: DType): Tensor {
  if (x.dtype === dtype) return x;
  return bind(castPrimitive, [x], { dtype });
}

/** Identity whose derivative is zero (used where a value is a constant by construction). */
export const stopGradientPrimitive = definePrimitive<null>('stopGradient', ([x]) => x!);

export function stopGradient(x: Tensor): Tensor {
  return bind(stopGradientPrimitive, [x], null);
}
