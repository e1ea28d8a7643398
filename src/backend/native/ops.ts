import type { BinaryOp, ReduceOp, UnaryOp } from '../types.js';

/**
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
