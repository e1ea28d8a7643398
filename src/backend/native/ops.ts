import type { BinaryOp, ReduceOp, UnaryOp } from '../types.js';

/**
 * The calling conventions the native and CUDA addons share: op codes, and shapes with strides.
 *
 * Op codes of the native addon: an op's code is its index here, the order of the enums in
 * native/src/elementwise.h (change both together, and the addon's ABI number).
 */
export const UNARY_OPS: readonly UnaryOp[] = [
  'neg', 'exp', 'log', 'tanh', 'sigmoid', 'sqrt', 'abs', 'sign', 'square', 'reciprocal', 'log1p', 'expm1',
  'softplus', 'erf', 'sin', 'cos', 'relu', 'step', 'isfinite',
];
export const BINARY_OPS: readonly BinaryOp[] = ['add', 'sub', 'mul', 'div', 'pow', 'max', 'min', 'gt', 'ge', 'lt', 'le', 'eq', 'ne'];
export const REDUCE_OPS: readonly ReduceOp[] = ['sum', 'max', 'min'];

/** The code of `op` in `table` (the Backend interface's types guarantee it is listed). */
export function opCode<T extends string>(table: readonly T[], op: T): number {
  return table.indexOf(op);
}

/** [rank, shape…, strides…] as the addons' dims argument (native and CUDA take the same layout). */
export function dims(shape: readonly number[], ...strides: (readonly number[])[]): Float64Array {
  const r = shape.length;
  const d = new Float64Array(1 + r * (1 + strides.length));
  d[0] = r;
  d.set(shape, 1);
  strides.forEach((s, i) => d.set(s, 1 + r * (1 + i)));
  return d;
}
